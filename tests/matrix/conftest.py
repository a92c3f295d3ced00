"""The server matrix: the handwritten client on the latest patch of every supported minor.

    pytest tests/matrix -m matrix --airflow-version 2.8.4 [--matrix-report out.json]
    make matrix            # every version of testing.versions.MATRIX, one after the other,
                           # then docs/compatibility.md from the reports

Each test is one row of the compatibility table (its ``row`` marker). A test about a feature
the server's version lacks asserts the client's clear refusal and records why
(``record_property("matrix", "n/a: ...")``): the table then says "not on this version".
``--matrix-report`` writes the rows, the server's start-up timings and the operations the
sweep exercised as JSON, for ``scripts/matrix.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.testing import AirflowInstance

# the contract suites' helpers (runs cleanup, own DAGs, items by prefix): one copy for both
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))

from matrix_support import ROWS as _ROWS


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--matrix-report",
        default=None,
        metavar="PATH",
        help="write the matrix rows of this run (and the server's timings) as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ROWS] = {"rows": {}, "servers": {}, "operations": {}, "started": time.time()}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.matrix)


@pytest.fixture(scope="session")
def client(airflow_server: AirflowInstance, request: pytest.FixtureRequest) -> AirflowClient:
    """The handwritten client on the session's server (credentials as a user gives them)."""
    server = airflow_server
    timings = dict(getattr(server, "timings", {}))
    request.config.stash[_ROWS]["servers"][server.version] = {
        "installer": getattr(server, "installer", ""),
        "provision_s": round(timings.get("provision", 0.0), 2),
        "setup_s": round(timings.get("setup", 0.0), 2),
        "healthy_s": round(timings.get("healthy", 0.0), 2),
        "start_total_s": round(timings.get("start_total", 0.0), 2),
    }
    return AirflowClient(server.url, auth=TokenAuth(server.username, server.password))


@pytest.fixture
def runs(client: AirflowClient) -> Iterator[Any]:
    from workflows_support import runs_for_test

    with runs_for_test(client) as started:
        yield started


def _row(item: pytest.Item) -> str:
    marker = item.get_closest_marker("row")
    return str(marker.args[0]) if marker else item.name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    callspec = getattr(item, "callspec", None)
    version = callspec.params.get("airflow_server") if callspec else None
    if not isinstance(version, str):
        return report  # type: ignore[no-any-return]
    rows = item.config.stash[_ROWS]["rows"].setdefault(version, {})
    row = _row(item)
    note = dict(report.user_properties).get("matrix", "")
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            outcome = "n/a" if str(note).startswith("n/a") else "works"
        elif report.skipped:
            outcome = "skipped"
        else:
            outcome = "FAILS"
            note = note or str(report.longrepr).strip().splitlines()[-1][:300]
        rows[row] = {"outcome": outcome, "note": str(note), "seconds": round(report.duration, 1)}
    return report  # type: ignore[no-any-return]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    data = terminalreporter.config.stash[_ROWS]
    for version, rows in sorted(data["rows"].items()):
        terminalreporter.write_sep("=", f"matrix: Airflow {version}")
        for row, result in rows.items():
            note = f"  ({result['note']})" if result["note"] else ""
            terminalreporter.write_line(f"{result['outcome']:6} {row}{note}")
        ops = data["operations"].get(version)
        if ops:
            terminalreporter.write_line(
                f"operations exercised: {len(ops['ok'])} answered and deserialized, "
                f"{len(ops['not_on_server'])} not on this server, "
                f"{len(ops['needs_setup'])} need setup"
            )
            terminalreporter.write_line("  " + ", ".join(sorted(ops["ok"])))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--matrix-report")
    if not path:
        return
    data = session.config.stash[_ROWS]
    data["seconds"] = round(time.time() - data.pop("started"), 1)
    data["exitstatus"] = int(exitstatus)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2))
