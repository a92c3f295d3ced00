"""Fault tests: the client, through the fault-injecting proxy, against real Airflow servers.

Each test starts its own :class:`faultproxy.FaultProxy` in front of the session's
``airflow_server`` (from the ``airflow_client_ext.testing`` plugin; DAGs from tests/dags) and
stops it when done. Every client made with ``make_client`` adds what its transport did
(``client.transport.stats``) to a per-version tally, and the tests that trigger runs add how
many triggers they made and how many runs the server really has for them; the session ends
with one small table per Airflow version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from faultproxy import FaultProxy

from airflow_client_ext import AirflowClient, RetryPolicy, TokenAuth
from airflow_client_ext.testing import AirflowInstance

#: DAG the triggers go to: it only echoes its conf, and it stays paused (the runs are
#: created and queued, which is all these tests look at; nothing needs to execute).
TRIGGER_DAG = "echo_conf"

#: small waits: the suite stays fast; tests about Retry-After make their own policy
FAST_RETRY = RetryPolicy(total=3, backoff_base=0.05, backoff_max=0.2)


@dataclass
class Figures:
    """What the clients of one Airflow version did, over the whole session."""

    tests: int = 0
    requests: int = 0
    retries: int = 0
    deduplicated: int = 0
    triggers: int = 0  # triggers that succeeded
    runs_created: int = 0  # runs the server has for them
    conflicts: int = 0  # triggers refused with ConflictError, as they should be


class FaultFigures:
    """Session-wide tally, printed by ``pytest_terminal_summary``."""

    def __init__(self) -> None:
        self.by_version: dict[str, Figures] = {}

    def of(self, version: str) -> Figures:
        return self.by_version.setdefault(version, Figures())

    def add_stats(self, version: str, stats: dict[str, int]) -> None:
        figures = self.of(version)
        figures.requests += stats["requests"]
        figures.retries += stats["retries"]
        figures.deduplicated += stats["deduplicated_triggers"]

    def add_triggers(self, version: str, triggers: int, runs_created: int) -> None:
        figures = self.of(version)
        figures.triggers += triggers
        figures.runs_created += runs_created

    def lines(self) -> list[str]:
        header = (
            f"{'airflow':<9} {'tests':>5} {'requests sent':>13} {'retries':>7} "
            f"{'dedup. triggers':>15} {'triggers ok':>11} {'runs created':>12} "
            f"{'conflicts':>9}"
        )
        out = [header, "-" * len(header)]
        for version in sorted(self.by_version):
            f = self.by_version[version]
            out.append(
                f"{version:<9} {f.tests:>5} {f.requests:>13} {f.retries:>7} "
                f"{f.deduplicated:>15} {f.triggers:>11} {f.runs_created:>12} {f.conflicts:>9}"
            )
        return out


_FIGURES = pytest.StashKey[FaultFigures]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FIGURES] = FaultFigures()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    figures = config.stash.get(_FIGURES, None)
    if figures is None or not figures.by_version:
        return
    terminalreporter.write_sep("=", "fault tests: what the client did, per Airflow version")
    for line in figures.lines():
        terminalreporter.write_line(line)


@pytest.fixture
def fault_figures(request: pytest.FixtureRequest) -> FaultFigures:
    return request.config.stash[_FIGURES]


@pytest.fixture
def proxy(airflow_server: AirflowInstance) -> Iterator[FaultProxy]:
    """A fault proxy in front of the session's server, stopped after the test."""
    with FaultProxy(airflow_server.url) as running:
        yield running


MakeClient = Callable[..., AirflowClient]


@pytest.fixture
def make_client(
    airflow_server: AirflowInstance, fault_figures: FaultFigures
) -> Iterator[MakeClient]:
    """``make_client(url, retry=..., timeout=..., session=False)``: an ``AirflowClient`` with
    ``TokenAuth`` for the server's admin; its transport counters go to the session's figures.

    The tests count what crosses the proxy per API call, so by default the client sends basic
    auth on every Airflow 2 request instead of logging in through the webserver's form
    (``session=True`` for the tests of that login)."""
    made: list[AirflowClient] = []

    def make(url: str, **options: Any) -> AirflowClient:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout", (5.0, 30.0))
        session = options.pop("session", False)
        auth = TokenAuth(airflow_server.username, airflow_server.password, session=session)
        client = AirflowClient(url, auth=auth, trust_env=False, **options)
        made.append(client)
        return client

    yield make
    figures = fault_figures.of(airflow_server.version)
    figures.tests += 1
    for client in made:
        fault_figures.add_stats(airflow_server.version, client.transport.stats.snapshot())
        client.close()


# -- helpers shared by the test modules, as a fixture ------------------------------------------


class Runs:
    """Triggers through the client under test; the server's view, asked directly (never
    through the proxy nor the client under test)."""

    def __init__(self, server: AirflowInstance, dag_id: str) -> None:
        self.server = server
        self.dag_id = dag_id
        self._dag = quote(dag_id, safe="")

    def trigger(self, client: AirflowClient, run_id: str, conf: dict[str, Any]) -> Any:
        """Trigger with a client-chosen run id through the generated API of the server."""
        generated = client.generated
        if client.api_version == "v1":
            body = generated.DAGRun(dag_run_id=run_id, conf=conf)
            return client.api("DAGRunApi").post_dag_run(self.dag_id, body)
        body = generated.TriggerDAGRunPostBody(dag_run_id=run_id, conf=conf)
        return client.api("DagRunApi").trigger_dag_run(self.dag_id, body)

    def create_directly(self, run_id: str, conf: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"dag_run_id": run_id, "conf": conf}
        if self.server.api_version == "v2":
            body["logical_date"] = None
        doc: dict[str, Any] = self.server.api("POST", f"dags/{self._dag}/dagRuns", body)
        return doc

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The run as the server has it, or None."""
        response = self.server.request("GET", f"dags/{self._dag}/dagRuns/{quote(run_id, safe='')}")
        if response.status == 404:
            return None
        assert response.status == 200, (response.status, response.text[:300])
        doc: dict[str, Any] = response.json()
        return doc

    def with_marker(self, marker: str) -> list[str]:
        """Run ids of every run of the DAG whose conf carries ``{"marker": marker}``."""
        found: list[str] = []
        offset = 0
        while True:
            page = self.server.api("GET", f"dags/{self._dag}/dagRuns?limit=100&offset={offset}")
            runs = page.get("dag_runs", [])
            found += [
                r["dag_run_id"] for r in runs if (r.get("conf") or {}).get("marker") == marker
            ]
            offset += len(runs)
            if not runs or offset >= page.get("total_entries", 0):
                return found


@pytest.fixture
def runs(airflow_server: AirflowInstance) -> Runs:
    """Trigger helpers and the server's own view of the runs of the trigger DAG."""
    airflow_server.wait_for_dag(TRIGGER_DAG)
    return Runs(airflow_server, TRIGGER_DAG)
