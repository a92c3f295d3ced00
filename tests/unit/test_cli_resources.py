"""The resource commands (dags, run, tasks, variables, pools, connections, xcom, config),
the output formats (-o table|json|yaml|plain, --json) and shell completion, without a
server: the real client, transport and generated code behind the command, against the
in-memory Airflow 2 and 3 of ``resources_support``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import pytest
import yaml
from click.shell_completion import ShellComplete
from click.testing import CliRunner, Result
from resources_support import TOKEN, FakeResources

from airflow_client_ext import cli as cli_module
from airflow_client_ext.cli import _state as cli_state
from airflow_client_ext.client import AirflowClient

ENV = {"AIRFLOW_URL": "http://airflow.test:8080", "AIRFLOW_AUTH": "none"}
MAJORS = pytest.mark.parametrize("major", [2, 3])
SECRET = "Sup3r-s3cret-value"


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``serve(major)``: the command's client is a FakeResources client; returns the fake."""
    for name in list(os.environ):
        if name.startswith("AIRFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: False)

    def use(major: int, version: str | None = None) -> FakeResources:
        fake = FakeResources(major, version)
        made = fake.client()
        monkeypatch.setattr(AirflowClient, "from_env", staticmethod(lambda *a, **k: made))
        return fake

    return use


def run(args: Sequence[str], input: str | None = None) -> Result:
    return CliRunner().invoke(cli_module.cli, list(args), env=ENV, input=input)


def ok(args: Sequence[str], input: str | None = None) -> Result:
    result = run(args, input)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert SECRET not in result.stdout + result.stderr or "--show-secrets" in args
    assert TOKEN not in result.stdout + result.stderr
    return result


# -- help -------------------------------------------------------------------------------
def test_help_lists_every_group_and_the_output_option() -> None:
    text = run(["--help"]).stdout
    for word in ("dags", "run", "runs", "tasks", "variables", "pools", "connections", "xcom"):
        assert f"  {word} " in text, word
    for word in ("config", "completion", "-o, --output", "table|json|yaml|plain", "--json"):
        assert word in text, word


@pytest.mark.parametrize(
    ("group", "commands"),
    [
        ("dags", ["list", "get", "delete", "reparse", "pause", "unpause"]),
        ("run", ["list", "get", "clear", "delete", "mark-success", "mark-failed"]),
        ("tasks", ["list", "clear", "mark"]),
        ("variables", ["list", "get", "set", "delete"]),
        ("pools", ["list", "get", "set", "delete"]),
        ("connections", ["list", "get", "add", "update", "delete", "test"]),
        ("xcom", ["list", "get"]),
        ("config", ["get"]),
    ],
)
def test_group_help(group: str, commands: list[str]) -> None:
    result = run([group, "--help"])
    assert result.exit_code == 0
    for command in commands:
        assert f"  {command} " in result.stdout, command


# -- output formats ---------------------------------------------------------------------
@MAJORS
def test_every_format_of_a_listing(serve: Any, major: int) -> None:
    fake = serve(major)
    fake.variables = {k: {"key": k, "value": v} for k, v in (("a", "1"), ("b", "two words"))}
    table = ok(["variables", "list"]).stdout
    assert table.splitlines()[0].split() == ["KEY", "VALUE", "DESCRIPTION"]
    assert "two words" in table
    as_json = json.loads(ok(["-o", "json", "variables", "list"]).stdout)
    assert [v["key"] for v in as_json] == ["a", "b"]
    assert json.loads(ok(["--json", "variables", "list"]).stdout) == as_json  # the alias
    assert yaml.safe_load(ok(["-o", "yaml", "variables", "list"]).stdout) == as_json
    assert ok(["-o", "plain", "variables", "list"]).stdout == "a\nb\n"
    assert ok(["-o", "plain", "variables", "list", "--limit", "1"]).stdout == "a\n"


def test_json_and_another_format_is_a_usage_error(serve: Any) -> None:
    serve(3)
    result = run(["--json", "-o", "yaml", "variables", "list"])
    assert result.exit_code == 2
    assert "--json is -o json" in result.stderr


def test_usage_errors_are_json_with_json_or_yaml_output() -> None:
    for args in (["-o", "yaml", "variables", "get"], ["--output=json", "variables", "get"]):
        result = run(args)
        assert result.exit_code == 2
        assert json.loads(result.stderr.splitlines()[-1])["exit_code"] == 2


def test_plain_output_of_the_existing_commands(serve: Any) -> None:
    serve(3)
    assert ok(["-o", "plain", "runs", "etl"]).stdout == "r1\n"
    assert ok(["-o", "plain", "run", "list", "etl"]).stdout == "r1\n"  # the same command


# -- dags -------------------------------------------------------------------------------
@MAJORS
def test_dags(serve: Any, major: int) -> None:
    fake = serve(major)
    assert ok(["-o", "plain", "dags", "list"]).stdout == "etl\n"
    assert "DAG ID" in ok(["dags", "list", "--limit", "5"]).stdout
    assert json.loads(ok(["--json", "dags", "get", "etl"]).stdout)["dag_id"] == "etl"
    assert ok(["dags", "reparse", "etl"]).stdout == "etl: reparse requested\n"
    assert f"PUT {fake.api}/parseDagFile/tok-etl" in map(repr, fake.writes())
    assert run(["dags", "get", "nope"]).exit_code == 4


def test_dags_reparse_on_airflow_2_9_is_a_clear_error(serve: Any) -> None:
    fake = serve(2, "2.9.3")
    result = run(["dags", "reparse", "etl"])
    assert result.exit_code == 2
    assert "Airflow 2.9.3 cannot reparse a DAG file" in result.stderr
    assert "2.10.0" in result.stderr
    assert not fake.writes()


@MAJORS
def test_destructive_commands_need_yes_without_a_terminal(serve: Any, major: int) -> None:
    fake = serve(major)
    for args in (
        ["dags", "delete", "etl"],
        ["run", "delete", "etl", "r1"],
        ["run", "clear", "etl", "r1"],
        ["run", "mark-success", "etl", "r1"],
        ["run", "mark-failed", "etl", "r1"],
        ["tasks", "clear", "etl", "r1"],
        ["tasks", "mark", "etl", "r1", "extract", "--state", "success"],
        ["variables", "delete", "a"],
        ["pools", "delete", "p"],
        ["connections", "delete", "db"],
    ):
        result = run(args)
        assert result.exit_code == 2, args
        assert "pass --yes to confirm" in result.stderr, args
    assert not fake.sent  # nothing asked of the server


def test_a_terminal_is_asked(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = serve(3)
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: True)
    result = run(["dags", "delete", "etl"], input="n\n")
    assert result.exit_code == 130  # aborted
    assert "Delete DAG etl and all its runs?" in result.stderr
    assert not fake.writes()
    assert ok(["dags", "delete", "etl"], input="y\n").stdout == "etl: deleted\n"
    assert [repr(s) for s in fake.writes()] == ["DELETE /api/v2/dags/etl"]


@MAJORS
def test_dags_delete_and_pause_alias(serve: Any, major: int) -> None:
    fake = serve(major)
    doc = json.loads(ok(["--json", "dags", "delete", "etl", "--yes"]).stdout)
    assert doc == {"dag_id": "etl", "deleted": True}
    assert f"DELETE {fake.api}/dags/etl" in map(repr, fake.writes())
    assert ok(["dags", "pause", "etl"]).stdout == "etl: paused\n"
    assert ok(["dags", "unpause", "etl"]).stdout == "etl: unpaused\n"
    assert [s.body for s in fake.writes() if s.method == "PATCH"] == [
        {"is_paused": True},
        {"is_paused": False},
    ]


# -- runs and task instances ------------------------------------------------------------
@MAJORS
def test_run_get_mark_delete(serve: Any, major: int) -> None:
    fake = serve(major)
    assert "state" in ok(["run", "get", "etl", "r1"]).stdout
    marked = json.loads(ok(["--json", "run", "mark-success", "etl", "r1", "-y"]).stdout)
    assert marked["state"] == "success"
    assert "failed" in ok(["run", "mark-failed", "etl", "r1", "--yes"]).stdout
    assert ok(["run", "delete", "etl", "r1", "--yes"]).stdout.split() == ["etl", "r1", "deleted"]
    assert fake.runs == {}
    assert run(["run", "get", "etl", "r1"]).exit_code == 4


def test_runs_verb_is_the_run_group_and_a_dag_named_like_a_verb_is_still_listed(
    serve: Any,
) -> None:
    fake = serve(3)
    assert ok(["runs", "get", "etl", "r1"]).stdout == ok(["run", "get", "etl", "r1"]).stdout
    assert ok(["runs", "delete", "etl", "r1", "--yes"]).stdout.split() == ["etl", "r1", "deleted"]
    assert fake.runs == {}
    for listing in (["runs", "delete"], ["runs", "delete", "--limit", "5"]):
        result = run(listing)  # the runs of a DAG named "delete": that DAG is unknown here
        assert result.exit_code == 4, result.output
        assert "delete" in result.output


@MAJORS
def test_tasks_list_clear_mark(serve: Any, major: int) -> None:
    fake = serve(major)
    fake.ti_state[("load", 0)] = "success"
    fake.ti_state[("load", 1)] = "failed"
    listed = ok(["tasks", "list", "etl", "r1"]).stdout
    assert "load[1]" in listed
    assert "extract" in listed
    plain = ok(["-o", "plain", "tasks", "list", "etl", "r1"]).stdout.splitlines()
    assert "load\t1\tfailed" in plain
    assert run(["tasks", "list", "etl", "r1", "--state", "exploded"]).exit_code == 2
    dry = ok(["-o", "plain", "tasks", "clear", "etl", "r1", "extract", "--dry-run"])
    assert dry.stdout.split("\t")[0] == "extract"
    assert "would clear 1 task instance(s)" in dry.stderr
    assert fake.ti_state[("extract", -1)] == "failed"  # a dry run changes nothing
    ok(["tasks", "clear", "etl", "r1", "extract", "--yes"])
    assert fake.ti_state[("extract", -1)] is None
    marked = ok(["-o", "plain", "tasks", "mark", "etl", "r1", "load", "--map-index", "1",
                 "--state", "success", "--yes"])  # fmt: skip
    assert marked.stdout == "load\t1\tsuccess\n"
    assert run(["tasks", "mark", "etl", "r1", "load", "--state", "running", "-y"]).exit_code == 2


# -- variables, pools, connections ------------------------------------------------------
@MAJORS
def test_variables_secrets_are_masked_unless_asked(serve: Any, major: int) -> None:
    fake = serve(major)
    fake.variables = {
        "db_password": {"key": "db_password", "value": SECRET},
        "settings": {"key": "settings", "value": json.dumps({"api_key": SECRET, "n": 1})},
    }
    for args in (["variables", "list"], ["--json", "variables", "list"]):
        out = ok(args).stdout
        assert SECRET not in out
        assert "***" in out
    shown = ok(["-o", "plain", "variables", "get", "db_password", "--show-secrets"]).stdout
    # Airflow 2 sends the value; Airflow 3 masks it itself, whatever the client asks
    assert shown == (f"{SECRET}\n" if major == 2 else "***\n")
    assert json.loads(ok(["-o", "plain", "variables", "get", "settings"]).stdout) == {
        "api_key": "***",
        "n": 1,
    }


@MAJORS
def test_variables_set_get_delete(serve: Any, major: int) -> None:
    fake = serve(major)
    assert ok(["variables", "set", "region", "eu", "--description", "d"]).stdout == (
        "variable region: set\n"
    )
    assert ok(["variables", "set", "region", "-"], input="us\n").stdout.endswith("set\n")
    assert ok(["-o", "plain", "variables", "get", "region"]).stdout == "us\n"
    assert ok(["variables", "delete", "region", "--yes"]).stdout == "variable region: deleted\n"
    assert run(["variables", "get", "region"]).exit_code == 4
    assert [s.method for s in fake.writes()] == ["POST", "PATCH", "DELETE"]


@MAJORS
def test_pools(serve: Any, major: int) -> None:
    serve(major)
    assert ok(["pools", "set", "etl", "4", "--description", "nightly"]).stdout == (
        "pool etl: 4 slots\n"
    )
    assert ok(["-o", "plain", "pools", "list"]).stdout == "default_pool\netl\n"
    got = yaml.safe_load(ok(["-o", "yaml", "pools", "get", "etl"]).stdout)
    assert (got["slots"], got["description"], got["open_slots"]) == (4, "nightly", 4)
    assert "OPEN SLOTS" in ok(["pools", "list"]).stdout
    assert run(["pools", "set", "etl", "-5"]).exit_code == 2
    ok(["pools", "delete", "etl", "-y"])
    assert run(["pools", "get", "etl"]).exit_code == 4


@MAJORS
def test_connections(serve: Any, major: int) -> None:
    fake = serve(major)
    extra = json.dumps({"token": SECRET, "timeout": 5})
    added = ok(
        ["--json", "connections", "add", "db", "--conn-type", "postgres", "--host", "db.local",
         "--port", "5432", "--extra", extra, "--password-from-stdin"],
        input=f"{SECRET}\n",
    )  # fmt: skip
    assert fake.connections["db"]["password"] == SECRET
    doc = json.loads(added.stdout)
    assert doc["password"] == (None if major == 2 else "***")
    assert json.loads(doc["extra"]) == {"token": "***", "timeout": 5}
    assert ok(["-o", "plain", "connections", "list"]).stdout == "db\n"
    table = ok(["connections", "get", "db"]).stdout
    assert "db.local" in table
    assert SECRET not in table
    shown = ok(["--json", "connections", "get", "db", "--show-secrets"]).stdout
    assert SECRET in shown  # the extra as the server sends it
    assert run(["connections", "add", "db", "--conn-type", "http"]).exit_code == 2  # exists
    assert run(["connections", "add", "x", "--conn-type", "http", "--extra", "{"]).exit_code == 2
    updated = ok(["--json", "connections", "update", "db", "--host", "db2.local"]).stdout
    assert json.loads(updated)["host"] == "db2.local"
    assert fake.connections["db"]["password"] == SECRET  # kept
    assert ok(["connections", "update", "db", "--port", "6543"]).stdout == (
        "connection db: updated\n"
    )
    assert run(["connections", "update", "db"]).exit_code == 2  # nothing to change
    assert run(["connections", "update", "nope", "--host", "x"]).exit_code == 4
    ok(["connections", "delete", "db", "--yes"])
    assert run(["connections", "get", "db"]).exit_code == 4


@MAJORS
def test_connections_test(serve: Any, major: int) -> None:
    fake = serve(major)
    fake.connections["web"] = {"connection_id": "web", "conn_type": "http", "host": "example"}
    assert ok(["connections", "test", "web"]).stdout.startswith("connection web: ok")
    sent = fake.writes()[-1]
    assert sent.path.endswith("/connections/test")
    assert sent.body["host"] == "example"
    failed = run(["connections", "test", "web", "--host", "unreachable"])
    assert failed.exit_code == 1
    assert "connection web: failed" in failed.stdout
    fake.test_connection_enabled = False
    refused = run(["connections", "test", "web"])
    assert refused.exit_code == 3
    assert "test_connection setting is not 'Enabled'" in refused.stderr


# -- xcom and config --------------------------------------------------------------------
@MAJORS
def test_xcom(serve: Any, major: int) -> None:
    serve(major)
    assert ok(["-o", "plain", "xcom", "list", "etl", "r1"]).stdout == "extract\t-1\treturn_value\n"
    assert "return_value" in ok(["xcom", "list", "etl", "r1", "--task", "extract"]).stdout
    value = ok(["-o", "plain", "xcom", "get", "etl", "r1", "extract"]).stdout
    assert value == ('{"rows": 3}\n' if major == 3 else "{'rows': 3}\n")


@MAJORS
def test_config_get(serve: Any, major: int) -> None:
    fake = serve(major)
    assert ok(["-o", "plain", "config", "get", "core", "parallelism"]).stdout == "32\n"
    section = ok(["-o", "plain", "config", "get", "core"]).stdout
    assert section == "parallelism\t32\nfernet_key\t***\n"
    assert "fernet-secret" in ok(["-o", "plain", "config", "get", "core", "--show-secrets"]).stdout
    fake.expose_config = False
    hidden = run(["config", "get", "core"])
    assert hidden.exit_code == 3
    assert "expose_config" in hidden.stderr


# -- completion -------------------------------------------------------------------------
@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o"), ("zsh", "compdef"),
                                                ("fish", "complete --no-files")])  # fmt: skip
def test_completion_scripts(shell: str, marker: str) -> None:
    result = run(["completion", shell])
    assert result.exit_code == 0
    assert marker in result.stdout
    assert "_AIRFLOW_CLIENT_EXT_COMPLETE" in result.stdout
    assert run(["completion", "powershell"]).exit_code == 2


def complete(args: list[str], incomplete: str) -> list[str]:
    shell = ShellComplete(cli_module.cli, {}, "airflow-client-ext", "_X_COMPLETE")
    return [item.value for item in shell.get_completions(args, incomplete)]


def test_dag_ids_complete_from_the_server(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = serve(3)
    monkeypatch.setenv("AIRFLOW_URL", "http://airflow.test:8080")
    monkeypatch.setenv("AIRFLOW_AUTH", "none")
    assert complete(["trigger"], "e") == ["etl"]
    assert complete(["dags", "get"], "") == ["etl"]
    assert complete(["pause"], "x") == []
    assert any(s.path.endswith("/dags") for s in fake.sent)


def test_completion_fails_silently(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = serve(3)
    assert complete(["trigger"], "e") == []  # no URL
    monkeypatch.setenv("AIRFLOW_URL", "http://airflow.test:8080")
    monkeypatch.setenv("AIRFLOW_USERNAME", "ci")  # a password would have to be asked
    assert complete(["trigger"], "e") == []
    assert not fake.sent
    monkeypatch.delenv("AIRFLOW_USERNAME")
    monkeypatch.setenv("AIRFLOW_AUTH", "none")
    fake.route = lambda *a: (_ for _ in ()).throw(OSError("down"))  # type: ignore[method-assign]
    assert complete(["trigger"], "e") == []


def test_dag_ids_complete_through_a_profile_and_its_keyring_entry(
    serve: Any, monkeypatch: pytest.MonkeyPatch, config_dir: Any, memory_keyring: Any
) -> None:
    from airflow_client_ext.profiles import Profile, save_profile, store_secret

    fake = serve(3)
    made = fake.client()
    seen: list[dict[str, str]] = []

    def from_env(environ: dict[str, str] | None = None, **options: Any) -> Any:
        seen.append(dict(environ or {}))
        return made

    monkeypatch.setattr(AirflowClient, "from_env", staticmethod(from_env))
    monkeypatch.setenv("AIRFLOW_CLIENT_EXT_CONFIG_DIR", str(config_dir))
    save_profile(Profile(name="prod", url="http://airflow.test:8080", username="ci"))
    assert complete(["-p", "prod", "trigger"], "e") == []  # no secret: a prompt would be needed
    assert not seen
    store_secret("prod", "prod:ci", SECRET)
    assert complete(["-p", "prod", "trigger"], "e") == ["etl"]
    [environ] = seen
    assert (environ["AIRFLOW_URL"], environ["AIRFLOW_USERNAME"]) == (
        "http://airflow.test:8080",
        "ci",
    )
    assert environ["AIRFLOW_PASSWORD"] == SECRET
