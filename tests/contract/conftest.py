"""Contract tests: the generated clients, used directly, against real Airflow servers.

Tests under ``tests/contract/v1/`` speak ``/api/v1`` and run against the Airflow 2.x servers
of the session; those under ``tests/contract/v2/`` speak ``/api/v2`` against Airflow 3.x.
``airflow_server`` (from the ``airflow_client_ext.testing`` plugin) is parametrized by
version; items whose API does not match the server's are deselected, not skipped.

Every call goes through a recording ``ApiClient`` so that the session ends with a table of
the spec operations exercised (a 2xx answer, deserialized) out of the total.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from opcoverage import RECORDER

from airflow_client_ext.testing import AirflowInstance

HERE = Path(__file__).resolve().parent
PACKAGES = {"v1": "airflow_client_ext_v1", "v2": "airflow_client_ext_v2"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--min-operation-coverage",
        type=float,
        default=0.0,
        help="fail unless each spec whose server ran had at least this share of its "
        "operations exercised (0.85 = 85%%)",
    )
    parser.addoption(
        "--schemathesis-examples",
        type=int,
        default=3,
        help="examples schemathesis generates per GET operation (test_schemathesis.py)",
    )


def _item_api(item: pytest.Item) -> str | None:
    path = Path(str(item.path)).resolve()
    if not path.is_relative_to(HERE):  # the hook sees every item of the session
        return None
    parts = path.relative_to(HERE).parts
    return parts[0] if parts and parts[0] in PACKAGES else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        api = _item_api(item)
        callspec = getattr(item, "callspec", None)
        version = callspec.params.get("airflow_server") if callspec else None
        if api and isinstance(version, str) and version[:1].isdigit():
            server_api = "v1" if int(version.split(".")[0]) < 3 else "v2"
            if server_api != api:
                drop.append(item)
                continue
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _recording_client_class(package: ModuleType, spec_id: str) -> type[Any]:
    class RecordingApiClient(package.ApiClient):  # type: ignore[name-defined,misc]
        """Records the (method, path template) of each call answered 2xx and deserialized."""

        _pending: tuple[str, str] | None = None

        def param_serialize(self, method: str, resource_path: str, *args: Any, **kw: Any) -> Any:
            self._pending = (method, resource_path)
            return super().param_serialize(method, resource_path, *args, **kw)

        def response_deserialize(self, *args: Any, **kw: Any) -> Any:
            result = super().response_deserialize(*args, **kw)
            if self._pending and 200 <= result.status_code < 300:
                RECORDER.hit(spec_id, *self._pending)
            return result

    return RecordingApiClient


@pytest.fixture(scope="session")
def v1() -> ModuleType:
    """The generated Airflow 2 package, ``airflow_client_ext_v1``."""
    return importlib.import_module(PACKAGES["v1"])


@pytest.fixture(scope="session")
def v2() -> ModuleType:
    """The generated Airflow 3 package, ``airflow_client_ext_v2``."""
    return importlib.import_module(PACKAGES["v2"])


@pytest.fixture(scope="session")
def v1_client(airflow_server: AirflowInstance, v1: ModuleType) -> Iterator[Any]:
    """A generated v1 ApiClient with basic auth, for the session's Airflow 2 server."""
    assert airflow_server.api_version == "v1", airflow_server
    RECORDER.used_specs.add("v1")
    config = v1.Configuration(
        host=airflow_server.api_url,
        username=airflow_server.username,
        password=airflow_server.password,
    )
    with _recording_client_class(v1, "v1")(config) as client:
        yield client


@pytest.fixture(scope="session")
def v2_client(airflow_server: AirflowInstance, v2: ModuleType) -> Iterator[Any]:
    """A generated v2 ApiClient with a bearer token from ``POST /auth/token``."""
    assert airflow_server.api_version == "v2", airflow_server
    RECORDER.used_specs.add("v2")
    config = v2.Configuration(host=airflow_server.url, access_token=airflow_server.get_token())
    with _recording_client_class(v2, "v2")(config) as client:
        yield client


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    minimum = config.getoption("--min-operation-coverage")
    failures = []
    for spec_id in sorted(RECORDER.used_specs):
        ratio, lines = RECORDER.report(spec_id)
        terminalreporter.write_sep("=", f"operation coverage: {spec_id}")
        for line in lines:
            terminalreporter.write_line(line)
        if ratio < minimum:
            failures.append(f"{spec_id}: {ratio:.0%} < {minimum:.0%}")
    if failures:
        terminalreporter.write_line("operation coverage below the minimum: " + "; ".join(failures))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    minimum = session.config.getoption("--min-operation-coverage")
    if minimum and exitstatus == 0:
        for spec_id in sorted(RECORDER.used_specs):
            ratio, _ = RECORDER.report(spec_id)
            if ratio < minimum:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
