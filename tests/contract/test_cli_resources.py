"""The resource commands of ``airflow-client-ext`` (dags, run, tasks, variables, pools,
connections, xcom, config), the output formats and completion, run as a subprocess against
the real Airflow 2 and 3 servers of the ``airflow_server`` fixture: what a user sees.

CI starts the servers with ``[webserver]/[api] expose_config = True`` and ``[core]
test_connection = Enabled`` (tox.ini); the errors of servers without them are unit-tested
(tests/unit/test_cli_resources.py).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from test_cli import Outcome, cli_command, cli_env, run_cli, shown, unique

from airflow_client_ext.testing import AirflowInstance, AirflowServerError

RUN_TIMEOUT = 240
DAGS = ("quick_success", "xcom_push", "v2_deletable")


def run_with_input(server: AirflowInstance, stdin: str, *args: str) -> Outcome:
    proc = subprocess.run(
        [*cli_command(), *args],
        env=cli_env(server),
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )
    return shown(args, Outcome(proc.returncode, proc.stdout, proc.stderr))


def ok(server: AirflowInstance, *args: str) -> Outcome:
    out = run_cli(server, *args)
    assert out.code == 0, out
    return out


@pytest.fixture(scope="module")
def dags(airflow_server: AirflowInstance) -> AirflowInstance:
    for dag_id in DAGS:
        airflow_server.wait_for_dag(dag_id, timeout=180)
    return airflow_server


@pytest.fixture(scope="module")
def xcom_run(dags: AirflowInstance) -> str:
    """A finished run of ``xcom_push`` (its task pushed ``custom_key`` and a return value)."""
    run_id = unique("cli_res")
    out = run_cli(
        dags,
        "-q",
        "trigger",
        "xcom_push",
        "--unpause",
        "--wait",
        "--run-id",
        run_id,
        "--timeout",
        str(RUN_TIMEOUT),
        timeout=RUN_TIMEOUT + 60,
    )
    assert out.code == 0, out
    return run_id


# -- output formats and dags ------------------------------------------------------------
def test_dags_list_in_every_format(dags: AirflowInstance) -> None:
    plain = ok(dags, "-o", "plain", "dags", "list").stdout.splitlines()
    assert set(DAGS) <= set(plain)

    def ours(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The DAGs this module waited for (others may still be appearing on a new server)."""
        return [d for d in listed if d["dag_id"] in DAGS]

    docs = ours(ok(dags, "-o", "json", "dags", "list").json())
    assert {d["dag_id"] for d in docs} == set(DAGS)
    assert ours(yaml.safe_load(ok(dags, "-o", "yaml", "dags", "list").stdout)) == docs
    assert ours(ok(dags, "--json", "dags", "list").json()) == docs  # --json is -o json
    assert ok(dags, "-o", "plain", "dags", "list", "--limit", "1").stdout.count("\n") == 1
    table = ok(dags, "dags", "list", "--tag", "xcom").stdout
    assert table.splitlines()[0].split()[:2] == ["DAG", "ID"]
    assert "xcom_push" in table
    assert "quick_success" not in table


def test_dags_get_and_reparse(dags: AirflowInstance) -> None:
    doc = ok(dags, "--json", "dags", "get", "quick_success").json()
    assert doc["dag_id"] == "quick_success"
    assert "is_paused" in ok(dags, "dags", "get", "quick_success").stdout
    # PUT /parseDagFile: Airflow 2.10 and later (CI runs 2.11.2) and every 3.x
    out = ok(dags, "dags", "reparse", "quick_success")
    assert out.stdout == "quick_success: reparse requested\n"
    missing = run_cli(dags, "dags", "get", "no_such_dag_res")
    assert missing.code == 4, missing
    assert "no_such_dag_res" in missing.stderr


def test_dags_delete_needs_yes_then_deletes(dags: AirflowInstance) -> None:
    refused = run_cli(dags, "dags", "delete", "v2_deletable")  # stdin is not a terminal
    assert refused.code == 2, refused
    assert "pass --yes" in refused.stderr
    try:
        out = ok(dags, "--json", "dags", "delete", "v2_deletable", "--yes")
        assert out.json() == {"dag_id": "v2_deletable", "deleted": True}
    finally:  # the DAG processor brings it back from its file
        dags.wait_for_dag("v2_deletable", timeout=180)


def test_dags_pause_and_unpause_aliases(dags: AirflowInstance) -> None:
    before = bool(dags.api("GET", "dags/quick_success")["is_paused"])
    try:
        assert ok(dags, "dags", "pause", "quick_success").stdout == "quick_success: paused\n"
        assert ok(dags, "dags", "unpause", "quick_success").stdout == "quick_success: unpaused\n"
    finally:
        dags.api("PATCH", "dags/quick_success", {"is_paused": before})


# -- runs and task instances ------------------------------------------------------------
def test_run_get_mark_clear_delete(dags: AirflowInstance) -> None:
    run_id = unique("cli_mark")
    made = ok(dags, "--json", "trigger", "quick_success", "--unpause", "--run-id", run_id)
    assert made.json()["run_id"] == run_id
    got = ok(dags, "--json", "run", "get", "quick_success", run_id).json()
    assert got["run_id"] == run_id
    assert ok(dags, "-o", "plain", "run", "list", "quick_success", "--prefix", run_id).stdout == (
        f"{run_id}\n"
    )
    refused = run_cli(dags, "run", "mark-failed", "quick_success", run_id)
    assert refused.code == 2, refused
    assert "pass --yes" in refused.stderr
    marked = ok(dags, "--json", "run", "mark-failed", "quick_success", run_id, "--yes").json()
    assert marked["state"] == "failed"
    marked = ok(dags, "--json", "run", "mark-success", "quick_success", run_id, "-y").json()
    assert marked["state"] == "success"
    cleared = ok(dags, "run", "clear", "quick_success", run_id, "--all", "--yes")
    assert cleared.stdout.startswith(f"cleared: quick_success  {run_id}")
    # the cleared run runs again; Airflow 3 refuses to delete a running run (409)
    waited = run_cli(dags, "wait", "quick_success", run_id, "--timeout", str(RUN_TIMEOUT),
                     timeout=RUN_TIMEOUT + 60)  # fmt: skip
    assert waited.code == 0, waited
    deleted = ok(dags, "run", "delete", "quick_success", run_id, "--yes")
    assert deleted.stdout.split() == ["quick_success", run_id, "deleted"]
    gone = run_cli(dags, "run", "get", "quick_success", run_id)
    assert gone.code == 4, gone


def test_tasks_list_mark_clear(dags: AirflowInstance, xcom_run: str) -> None:
    table = ok(dags, "tasks", "list", "xcom_push", xcom_run).stdout
    assert table.splitlines()[0].split()[:2] == ["TASK", "STATE"]
    assert "push" in table
    plain = ok(dags, "-o", "plain", "tasks", "list", "xcom_push", xcom_run).stdout
    assert plain == "push\t-1\tsuccess\n"
    assert ok(dags, "tasks", "list", "xcom_push", xcom_run, "--state", "failed").stdout == (
        f"no task instances in run {xcom_run}\n"
    )
    dry = ok(dags, "-o", "plain", "tasks", "clear", "xcom_push", xcom_run, "push", "--dry-run")
    assert dry.stdout.split("\t")[0] == "push"
    assert "would clear 1 task instance(s)" in dry.stderr
    refused = run_cli(dags, "tasks", "mark", "xcom_push", xcom_run, "push", "--state", "failed")
    assert refused.code == 2, refused
    assert "pass --yes" in refused.stderr
    marked = ok(
        dags, "-o", "plain", "tasks", "mark", "xcom_push", xcom_run, "push",
        "--state", "failed", "--yes",
    )  # fmt: skip
    assert marked.stdout == "push\t-1\tfailed\n"
    marked = ok(
        dags, "--json", "tasks", "mark", "xcom_push", xcom_run, "push",
        "--state", "success", "--yes",
    ).json()  # fmt: skip
    assert marked["state"] == "success"


# -- xcom -------------------------------------------------------------------------------
def test_xcom_list_and_get(dags: AirflowInstance, xcom_run: str) -> None:
    plain = ok(dags, "-o", "plain", "xcom", "list", "xcom_push", xcom_run).stdout.splitlines()
    assert sorted(plain) == ["push\t-1\tcustom_key", "push\t-1\treturn_value"]
    table = ok(dags, "xcom", "list", "xcom_push", xcom_run, "--task", "push").stdout
    assert "custom_key" in table
    value = ok(dags, "-o", "plain", "xcom", "get", "xcom_push", xcom_run, "push").stdout
    assert "returned-value" in value
    doc = ok(
        dags, "--json", "xcom", "get", "xcom_push", xcom_run, "push", "--key", "custom_key"
    ).json()
    assert doc["key"] == "custom_key"
    assert "42" in json.dumps(doc["value"])  # Airflow 2: a Python repr; 3: JSON
    missing = run_cli(dags, "xcom", "get", "xcom_push", xcom_run, "push", "--key", "nope")
    assert missing.code == 4, missing


# -- variables, pools, connections ------------------------------------------------------
@pytest.fixture
def names(dags: AirflowInstance) -> Iterator[dict[str, str]]:
    made = {
        "var": unique("cli_var"),
        "secret_var": unique("cli_password"),
        "pool": unique("cli_pool"),
        "conn": unique("cli_conn"),
    }
    yield made
    for path in (
        f"variables/{made['var']}",
        f"variables/{made['secret_var']}",
        f"pools/{made['pool']}",
        f"connections/{made['conn']}",
    ):
        with contextlib.suppress(AirflowServerError):
            dags.api("DELETE", path)


def test_variables(dags: AirflowInstance, names: dict[str, str]) -> None:
    key, secret_key = names["var"], names["secret_var"]
    assert ok(dags, "variables", "set", key, "eu", "--description", "d").stdout == (
        f"variable {key}: set\n"
    )
    assert ok(dags, "variables", "set", key, "us").stdout == f"variable {key}: set\n"
    assert ok(dags, "-o", "plain", "variables", "get", key).stdout == "us\n"
    doc = ok(dags, "--json", "variables", "get", key).json()
    assert (doc["value"], doc["description"]) == ("us", "d")
    ok(dags, "variables", "set", secret_key, "Hidden-Value-42")
    listed = {v["key"]: v for v in ok(dags, "--json", "variables", "list").json()}
    assert listed[key]["value"] == "us"
    assert listed[secret_key]["value"] == "***"  # masked: the key says password
    shown_value = ok(dags, "-o", "plain", "variables", "get", secret_key, "--show-secrets")
    # Airflow 2 sends the value; Airflow 3 masks it on the server whatever the client asks
    expected = "Hidden-Value-42" if dags.api_version == "v1" else "***"
    assert shown_value.stdout == f"{expected}\n"
    refused = run_cli(dags, "variables", "delete", key)
    assert refused.code == 2, refused
    assert "pass --yes" in refused.stderr
    assert ok(dags, "variables", "delete", key, "--yes").stdout == f"variable {key}: deleted\n"
    assert run_cli(dags, "variables", "get", key).code == 4


def test_pools(dags: AirflowInstance, names: dict[str, str]) -> None:
    name = names["pool"]
    assert ok(dags, "pools", "set", name, "3", "--description", "cli").stdout == (
        f"pool {name}: 3 slots\n"
    )
    assert ok(dags, "pools", "set", name, "5").stdout == f"pool {name}: 5 slots\n"
    got = yaml.safe_load(ok(dags, "-o", "yaml", "pools", "get", name).stdout)
    assert (got["name"], got["slots"], got["description"]) == (name, 5, "cli")
    assert name in ok(dags, "-o", "plain", "pools", "list").stdout.splitlines()
    assert "default_pool" in ok(dags, "pools", "list").stdout
    assert ok(dags, "pools", "delete", name, "--yes").stdout == f"pool {name}: deleted\n"
    assert run_cli(dags, "pools", "get", name).code == 4


def test_connections(dags: AirflowInstance, names: dict[str, str]) -> None:
    conn = names["conn"]
    extra = json.dumps({"api_token": "Extra-Secret-77", "timeout": 5})
    added = run_with_input(
        dags, "Conn-Password-99\n",
        "--json", "connections", "add", conn, "--conn-type", "http", "--host", "example.test",
        "--port", "8443", "--extra", extra, "--password-from-stdin",
    )  # fmt: skip
    assert added.code == 0, added
    assert "Conn-Password-99" not in added.stdout + added.stderr
    assert "Extra-Secret-77" not in added.stdout
    doc = added.json()
    assert (doc["connection_id"], doc["host"], doc["port"]) == (conn, "example.test", 8443)
    # Airflow 2 never returns a password; Airflow 3 returns *** for a set one
    assert doc["password"] == (None if dags.api_version == "v1" else "***")
    assert json.loads(doc["extra"])["api_token"] == "***"
    again = run_cli(dags, "connections", "add", conn, "--conn-type", "http")
    assert again.code == 2, again  # 409: it exists
    updated = ok(dags, "--json", "connections", "update", conn, "--host", "other.test").json()
    assert (updated["host"], updated["port"]) == ("other.test", 8443)  # the port kept
    assert updated["password"] == doc["password"]  # kept: Airflow 3 still shows ***
    assert json.loads(updated["extra"]) == json.loads(doc["extra"])
    missing = run_cli(dags, "connections", "update", f"{conn}_nope", "--host", "x")
    assert missing.code == 4, missing
    assert conn in ok(dags, "-o", "plain", "connections", "list").stdout.splitlines()
    table = ok(dags, "connections", "get", conn).stdout
    assert "other.test" in table
    assert "Extra-Secret-77" not in table
    refused = run_cli(dags, "connections", "delete", conn)
    assert refused.code == 2, refused
    assert ok(dags, "connections", "delete", conn, "--yes").stdout == (
        f"connection {conn}: deleted\n"
    )
    assert run_cli(dags, "connections", "get", conn).code == 4


def test_connections_test(dags: AirflowInstance, names: dict[str, str]) -> None:
    conn = names["conn"]
    # the file system hook ships with both majors (Airflow 3: the standard provider; the
    # sqlite provider is not preinstalled there: "Unknown hook type")
    good = run_cli(
        dags, "--json", "connections", "test", conn, "--conn-type", "fs",
        "--extra", '{"path": "/"}',
    )  # fmt: skip
    assert good.code == 0, good
    assert good.json()["status"] is True
    assert good.json()["message"] == "Path / is existing."
    bad = run_cli(dags, "connections", "test", conn, "--conn-type", "no_such_conn_type")
    assert bad.code == 1, bad
    assert bad.stdout.startswith(f"connection {conn}: failed")
    stored = ok(dags, "connections", "add", conn, "--conn-type", "no_such_conn_type")
    assert stored.stdout == f"connection {conn}: added\n"
    again = run_cli(dags, "--json", "connections", "test", conn)  # the stored fields
    assert again.code == 1, again
    assert again.json()["status"] is False


# -- config -----------------------------------------------------------------------------
def test_config_get(dags: AirflowInstance) -> None:
    folder = ok(dags, "-o", "plain", "config", "get", "core", "dags_folder").stdout.strip()
    assert folder.endswith("dags") or "/" in folder
    lines = dict(
        line.split("\t", 1)
        for line in ok(dags, "-o", "plain", "config", "get", "core").stdout.splitlines()
    )
    assert lines["dags_folder"] == folder
    assert lines["fernet_key"] == "***"  # masked without --show-secrets
    doc: Any = ok(dags, "--json", "config", "get", "core", "dags_folder").json()
    assert doc == {"section": "core", "option": "dags_folder", "value": folder}
    missing = run_cli(dags, "config", "get", "core", "no_such_option_res")
    assert missing.code == 4, missing


# -- completion -------------------------------------------------------------------------
def test_completion(dags: AirflowInstance) -> None:
    script = ok(dags, "completion", "bash").stdout
    assert "_AIRFLOW_CLIENT_EXT_COMPLETE=bash_complete" in script
    proc = subprocess.run(
        cli_command(),
        env=cli_env(
            dags,
            _AIRFLOW_CLIENT_EXT_COMPLETE="bash_complete",
            COMP_WORDS="airflow-client-ext trigger xcom_p",
            COMP_CWORD="2",
        ),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "plain,xcom_push" in proc.stdout.splitlines()


def test_tasks_list_of_a_mapped_run_shows_every_map_index(dags: AirflowInstance) -> None:
    """``mapped_many`` maps one task over 150 items (past one API page): a row per map index.
    The DAG is paused, so the run stays queued with its task instances made, none running."""
    dags.wait_for_dag("mapped_many", timeout=180)
    ok(dags, "pause", "mapped_many")
    run_id = unique("cli_mapped")
    body: dict[str, Any] = {"dag_run_id": run_id, "conf": {}}
    if dags.api_version == "v2":
        body["logical_date"] = None
    made = dags.request("POST", "dags/mapped_many/dagRuns", body)
    assert made.status == 200, made
    try:
        deadline = time.monotonic() + 180
        rows: list[list[str]] = []
        while len(rows) < 150 and time.monotonic() < deadline:
            listed = ok(dags, "-o", "plain", "tasks", "list", "mapped_many", run_id).stdout
            rows = [line.split("\t") for line in listed.splitlines()]
            time.sleep(1)
        assert {row[0] for row in rows} == {"double"}
        assert sorted(int(row[1]) for row in rows) == list(range(150))
        table = ok(dags, "tasks", "list", "mapped_many", run_id).stdout
        assert "double[149]" in table
    finally:
        dags.request("DELETE", f"dags/mapped_many/dagRuns/{run_id}")
