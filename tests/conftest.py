"""Shared by every suite: the servers started by the airflow_client_ext.testing plugin serve
a session copy of tests/dags (or of --airflow-dags), so that tests may add DAG files without
touching the repository, and every suite of a session shares one server per version.

The suites run with ``--airflow-secrets-guard``: the fixed secrets the tests use are added
here, the ones a test makes up by the test itself (``secrets_guard.add``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parent / "dags"


@pytest.fixture(scope="session")
def airflow_dags_folder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path | None:
    given = request.config.getoption("airflow_dags", None)
    if request.config.getoption("airflow_urls", None):
        return Path(given).resolve() if given else None  # a running server has its own
    source = Path(given).resolve() if given else DAGS
    folder = tmp_path_factory.mktemp("dags")
    for path in sorted(source.glob("*.py")):
        shutil.copy2(path, folder / path.name)
    return folder


#: passwords, connection passwords and other secrets written into the tests themselves
SUITE_SECRETS = (
    "S3cret-Wrong-cli-pw-xyz",
    "S3cret-Wrong-pw-xyz",
    "s3cret",
    "conn-s3cret",
    "db-s3cret",
    "not-visible-1",
    "basic-auth-of-the-harness",
)


@pytest.fixture(scope="session", autouse=True)
def _suite_secrets(request: pytest.FixtureRequest) -> None:
    # tests/packaging runs without the package installed: no plugin, no guard
    try:
        guard = request.getfixturevalue("secrets_guard")
    except pytest.FixtureLookupError:
        return
    for secret in SUITE_SECRETS:
        guard.add(secret, f"the suite's secret {secret[:2]}...")
