"""The plugin's session servers: health, auth, DAG visibility, the CLI runner, a real run."""

from __future__ import annotations

import subprocess
import time
import urllib.parse
import uuid
from typing import Any

import pytest

from airflow_client_ext.testing import (
    AirflowInstance,
    AirflowServer,
    AirflowServerError,
    RemoteAirflow,
)
from airflow_client_ext.testing._http import http

pytestmark = pytest.mark.contract

TEST_DAGS = {
    "quick_success",
    "always_fails",
    "slow",
    "mapped_many",
    "xcom_push",
    "echo_conf",
    "fail_on_param",
}


def test_identity(airflow_server: AirflowInstance) -> None:
    srv = airflow_server
    parsed = urllib.parse.urlsplit(srv.url)
    assert parsed.scheme == "http"
    assert parsed.path == ""  # no /api suffix
    assert srv.major in (2, 3)
    assert srv.api_version == ("v1" if srv.major == 2 else "v2")
    assert srv.api_url == f"{srv.url}/api/{srv.api_version}"
    assert srv.api("GET", "version")["version"] == srv.version


def test_health(airflow_server: AirflowInstance) -> None:
    """Every component healthy. A busy 2-core machine can stall the scheduler's heartbeat
    for a while (seen once on 3.3.2 after the fault tests: a SQLite lock held ~60 s, the
    heartbeat "recovered after 61.32 seconds"), so a stale heartbeat gets 120 s to recover;
    a scheduler that is gone never does."""
    wanted = ["metadatabase", "scheduler"] + (
        ["dag_processor"] if airflow_server.major >= 3 else []
    )
    deadline = time.monotonic() + 120
    while True:
        doc = airflow_server.health()
        states = {name: doc[name]["status"] for name in wanted}
        if set(states.values()) == {"healthy"} or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert states == dict.fromkeys(wanted, "healthy")


def test_local_server_attributes(airflow_server: AirflowInstance) -> None:
    if not isinstance(airflow_server, AirflowServer):
        pytest.skip("a remote server has no local processes")
    srv = airflow_server
    expected = (
        {"webserver", "scheduler"}
        if srv.major == 2
        else {
            "api-server",
            "scheduler",
            "dag-processor",
        }
    )
    assert set(srv.pids) == expected
    assert srv.pgids == srv.pids  # each process leads its own group
    assert srv.home is not None
    assert srv.home.is_dir()
    if srv.database == "sqlite":
        assert (srv.home / "airflow.db").is_file()
    else:
        assert not (srv.home / "airflow.db").exists()
        assert srv.postgres is not None
        assert srv.postgres.pid is not None
    for name in expected:
        assert srv.log_paths[name].is_file()
    assert srv.timings["healthy"] > 0


def test_the_database_is_the_one_asked_for(airflow_server: AirflowInstance) -> None:
    """SQLite (the default) waits 60 s for a lock: its default 5 s busy timeout turns a busy
    scheduler's lock into API 500s. PostgreSQL (``--airflow-database postgres``) is the
    server's own cluster, and Airflow 2 then runs tasks side by side as Airflow 3 does."""
    if not isinstance(airflow_server, AirflowServer):
        pytest.skip("a remote server's database is its own business")
    srv = airflow_server
    assert srv.venv is not None
    code = (
        "from airflow import settings\n"
        "from airflow.configuration import conf\n"
        "if settings.engine is None: settings.configure_orm()\n"
        "print(settings.engine.dialect.name, conf.get('core', 'executor'))\n"
        "if settings.engine.dialect.name == 'sqlite':\n"
        "    connection = settings.engine.raw_connection()\n"
        "    print(connection.cursor().execute('PRAGMA busy_timeout').fetchone()[0])\n"
        "else:\n"
        "    print(settings.engine.url.port)\n"
    )
    out = subprocess.run(
        [str(srv.venv.bin / "python"), "-c", code],
        env=srv.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    dialect, executor, detail = out.stdout.split()[-3:]
    if srv.database == "sqlite":
        assert (dialect, detail) == ("sqlite", "60000")
        expected_executor = "SequentialExecutor" if srv.major == 2 else "LocalExecutor"
    else:
        assert srv.postgres is not None
        assert (dialect, int(detail)) == ("postgresql", srv.postgres.port)
        expected_executor = "LocalExecutor"
    assert executor == expected_executor


def test_credentials_are_required(airflow_server: AirflowInstance) -> None:
    srv = airflow_server
    anonymous = http("GET", f"{srv.api_url}/dags")
    wrong = (
        http("GET", f"{srv.api_url}/dags", headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
        if srv.major == 2
        else http("GET", f"{srv.api_url}/dags", headers={"Authorization": "Bearer nope"})
    )
    if srv.major == 2:
        assert anonymous.status == 403
        assert wrong.status == 403
        with pytest.raises(AirflowServerError, match="basic auth"):
            srv.get_token()
    else:
        assert anonymous.status == 401
        assert wrong.status in (401, 403)
        token = srv.get_token()
        assert token.count(".") == 2  # a JWT
    assert srv.request("GET", "dags").status == 200


def test_wait_for_dag(airflow_server: AirflowInstance) -> None:
    for dag_id in sorted(TEST_DAGS):
        dag = airflow_server.wait_for_dag(dag_id, timeout=120)
        assert dag["dag_id"] == dag_id
        assert "airflow-client-ext" in {t["name"] for t in dag["tags"]}
    listed = airflow_server.api("GET", "dags?tags=airflow-client-ext&limit=100")
    assert {d["dag_id"] for d in listed["dags"]} >= TEST_DAGS


def test_wait_for_unknown_dag_times_out(airflow_server: AirflowInstance) -> None:
    t0 = time.monotonic()
    with pytest.raises(AirflowServerError) as err:
        airflow_server.wait_for_dag("no_such_dag", timeout=2)
    assert time.monotonic() - t0 < 30
    message = str(err.value)
    assert airflow_server.version in message
    assert "no_such_dag" in message
    assert "import errors:" in message


def test_airflow_cli(airflow_server: AirflowInstance) -> None:
    if not isinstance(airflow_server, AirflowServer):
        pytest.skip("the airflow CLI exists only for local servers")
    srv = airflow_server
    version = srv.airflow("version", timeout=120)
    assert version.returncode == 0
    assert srv.version in version.stdout
    dags = srv.airflow("dags", "list", "--output", "plain", timeout=120)
    assert "quick_success" in dags.stdout
    failed = srv.airflow("dags", "state", "no_such_dag", "2024-01-01", check=False)
    assert failed.returncode != 0
    with pytest.raises(AirflowServerError) as err:
        srv.airflow("no-such-command", timeout=120)
    assert srv.version in str(err.value)
    assert "no-such-command" in str(err.value)


def _wait_run(srv: AirflowInstance, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = srv.api("GET", f"dags/{dag_id}/dagRuns/{run_id}")
        if run["state"] in ("success", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(1)


def test_a_dag_runs_to_success(airflow_server: AirflowInstance) -> None:
    """The executor works: the venv's bin is on PATH (2.x) and the execution API URL is right
    (3.x)."""
    srv = airflow_server
    srv.wait_for_dag("quick_success", unpause=True)
    run_id = f"harness-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"dag_run_id": run_id, "conf": {}}
    if srv.major >= 3:
        body["logical_date"] = None
    srv.api("POST", "dags/quick_success/dagRuns", body)
    run = _wait_run(srv, "quick_success", run_id, timeout=120)
    assert run["state"] == "success", run


def test_attach_detects_the_version(airflow_server: AirflowInstance) -> None:
    remote = AirflowServer.attach(
        airflow_server.url, airflow_server.username, airflow_server.password
    )
    assert isinstance(remote, RemoteAirflow)
    assert remote.version == airflow_server.version
    assert remote.api_url == airflow_server.api_url
    assert remote.request("GET", "dags").status == 200
    with remote:  # start/stop are no-ops on a remote server
        pass
    assert airflow_server.health()["metadatabase"]["status"] == "healthy"
    with pytest.raises(AirflowServerError, match="rejected the credentials"):
        RemoteAirflow(airflow_server.url, airflow_server.username, "wrong-password")
