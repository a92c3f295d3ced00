"""Fixtures of the v1 contract suite (Airflow 2.x, ``/api/v1``).

The servers read a session copy of ``tests/dags`` (see tests/conftest.py). The suite adds DAG
files with unique names to the server's DAGs folder for the session (a broken file for import
errors, a DAG using a missing pool for DAG warnings, a DAG to delete, a task with an extra
link) and removes them at its end. With ``--airflow-url``, pass the running server's DAGs
folder (holding ``tests/dags``, writable by the tests) as ``--airflow-dags``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from v1_support import (
    ROOT,
    DagFiles,
    Runs,
    lost_in_deserialization,
    write_dag_file,
    write_trigger_dag_file,
)

from airflow_client_ext.testing import AirflowInstance


@pytest.fixture(autouse=True)
def lossless_deserialization(v1_client: Any) -> Iterator[None]:
    """Every 2xx answer in this suite's tests must deserialize without losing what the
    server sent.

    Wraps the session client's ``response_deserialize`` (after the conftest's recording)
    for the duration of each test of this folder: a property that the spec misses or names
    differently from the server would otherwise come back as None without any error.
    """
    original = v1_client.response_deserialize

    def checked(response_data: Any, response_types_map: Any = None) -> Any:
        result = original(response_data, response_types_map)
        headers = {k.lower(): v for k, v in (result.headers or {}).items()}
        content_type = headers.get("content-type", "")
        if result.data is not None and result.raw_data and "json" in content_type:
            raw = json.loads(result.raw_data)
            lost = lost_in_deserialization(result.data, raw)
            assert not lost, (
                f"{type(result.data).__name__} lost part of the server's answer: {lost}"
            )
        return result

    v1_client.response_deserialize = checked
    yield
    del v1_client.response_deserialize


def _server_dags_folder(server: AirflowInstance, given: Path | None) -> Path | None:
    """The DAGs folder the server reads: a started server's own, else ``--airflow-dags``."""
    folder = getattr(server, "dags_folder", None) or given
    return Path(folder) if folder is not None else None


@pytest.fixture(scope="session")
def dags_dir(airflow_server: AirflowInstance, airflow_dags_folder: Path | None) -> Path:
    """The DAGs folder the server reads, where tests may add files."""
    folder = _server_dags_folder(airflow_server, airflow_dags_folder)
    assert folder is not None, (
        "this test writes or reads DAG files in the server's DAGs folder: with --airflow-url, "
        "pass that folder as --airflow-dags"
    )
    assert not folder.resolve().is_relative_to(ROOT), (
        f"refusing to write test DAG files into the repository ({folder}); the v1 suite's "
        "servers get a copy of tests/dags from its conftest"
    )
    return folder


@pytest.fixture(scope="session", autouse=True)
def _extra_dag_files(
    airflow_server: AirflowInstance, airflow_dags_folder: Path | None
) -> Iterator[DagFiles | None]:
    """Writes the files of ``extra_dags`` at the start of the session, so that the scheduler
    parses them while other tests run (nothing without a known DAGs folder).
    """
    folder = _server_dags_folder(airflow_server, airflow_dags_folder)
    if folder is None or folder.resolve().is_relative_to(ROOT):
        yield None
        return
    tag = uuid.uuid4().hex[:8]
    files = DagFiles(
        broken=folder / f"v1_broken_{tag}.py",
        warning_dag_id=f"v1_missing_pool_{tag}",
        missing_pool=f"v1_missing_pool_{tag}",
        deletable_dag_id=f"v1_deletable_{tag}",
        links_dag_id=f"v1_links_{tag}",
    )
    files.broken.write_text(
        "# a DAG file that cannot be imported: the v1 contract suite's import error\n"
        "import datetime\n"
        "from airflow import DAG\n"
        f"raise RuntimeError('broken on purpose {tag}')\n"
    )
    files.warning_file = write_dag_file(
        folder, files.warning_dag_id, task_kwargs=f"pool={files.missing_pool!r}"
    )
    files.deletable_file = write_dag_file(folder, files.deletable_dag_id)
    files.links_file = write_trigger_dag_file(folder, files.links_dag_id, "slow")
    try:
        yield files
    finally:
        for path in (files.broken, files.warning_file, files.deletable_file, files.links_file):
            if path is not None:
                path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def extra_dags(dags_dir: Path, _extra_dag_files: DagFiles | None) -> DagFiles:
    """DAG files written into the server's DAGs folder at the start of the session (tests
    wait for the scheduler to parse what they need):

    - a file that fails to import (-> an import error);
    - a DAG whose task uses a pool that does not exist (-> a DAG warning);
    - a DAG meant to be deleted through the API;
    - a DAG whose task has an extra link (a ``TriggerDagRunOperator`` of ``slow``).
    """
    assert _extra_dag_files is not None
    return _extra_dag_files


@pytest.fixture(scope="session", autouse=True)
def runs(v1: ModuleType, v1_client: Any) -> Runs:
    """The runs the suite needs finished, all triggered at the start of the session."""
    return Runs(v1, v1_client)


@pytest.fixture(scope="session")
def quick_success_run(runs: Runs) -> Any:
    """A finished, successful run of ``quick_success`` (read-only: do not change it)."""
    run = runs.finished("quick_success")
    assert run.state.value == "success"
    return run
