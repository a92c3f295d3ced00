"""The ``airflow-client-ext`` command without a server: parsing, exit codes, output, secrets.

A fake client stands in for ``AirflowClient`` (``AirflowClient.from_env`` is patched to
return it and to record the environment the CLI built); the workflows themselves are
tested against real servers in ``tests/contract/test_cli*.py``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from airflow_client_ext import cli as cli_module
from airflow_client_ext.auth import Auth, BearerAuth, NoAuth, TokenAuth
from airflow_client_ext.cli import _state as cli_state
from airflow_client_ext.cli._exit import ExitCode, exit_code_for
from airflow_client_ext.cli._output import LiveProgress, PlainProgress, to_jsonable
from airflow_client_ext.client import AirflowClient
from airflow_client_ext.errors import (
    AirflowClientError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    DagPausedError,
    DagRunFailedError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from airflow_client_ext.models import Dag, DagRun, Health, ImportItem, ImportReport, TaskInstance

cli = cli_module.cli
PASSWORD = "Pa55-word-never-shown"
TOKEN = "tok-3n-never-shown-abcdef"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
PLAIN_LINE = re.compile(r"^\d\d:\d\d:\d\d  \S+\s+\S+$")


# -- a fake client ------------------------------------------------------------------------
def make_run(state: str = "queued", run_id: str = "manual__1", **kw: Any) -> DagRun:
    fields: dict[str, Any] = {"dag_id": "etl", "run_id": run_id, "state": state}
    if state in ("success", "failed"):
        fields.update(start_date=T0, end_date=T0 + timedelta(seconds=12))
    fields.update(kw)
    return DagRun(**fields)


def make_ti(task_id: str, state: str | None, map_index: int = -1, tries: int = 1) -> TaskInstance:
    return TaskInstance("etl", "manual__1", task_id, map_index, tries, state)


class FakeClient:
    """Answers like AirflowClient's workflows; records every call."""

    def __init__(self, auth: Auth | None = None) -> None:
        self.auth = auth or NoAuth()
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.base_url = "http://airflow.test:8080"
        self.api_version = "v2"
        self.server_version = "3.3.2"
        self.final_state = "success"
        self.raise_on: dict[str, BaseException] = {}
        self.health_report = Health({"metadatabase": "healthy", "scheduler": "healthy"})

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if name in self.raise_on:
            raise self.raise_on[name]

    def called(self, name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        for call_name, args, kwargs in self.calls:
            if call_name == name:
                return args, kwargs
        raise AssertionError(f"{name} was not called: {self.calls}")

    def trigger(self, dag_id: str, **kwargs: Any) -> DagRun:
        self._record("trigger", dag_id, **kwargs)
        return make_run(
            "queued", kwargs.get("run_id") or "manual__1", conf=kwargs.get("conf") or {}
        )

    def wait(
        self,
        dag_id: str,
        run_id: str,
        timeout: float | None = 600.0,
        on_update: Callable[[DagRun, Sequence[TaskInstance]], None] | None = None,
        raise_on_failure: bool = False,
    ) -> DagRun:
        self._record("wait", dag_id, run_id, timeout=timeout, raise_on_failure=raise_on_failure)
        steps: list[tuple[str, list[TaskInstance]]] = [
            ("queued", [make_ti("extract", None), make_ti("load", None)]),
            ("running", [make_ti("extract", "running"), make_ti("load", None)]),
            ("running", [make_ti("extract", "success"), make_ti("load", "running")]),
        ]
        last = "failed" if self.final_state == "failed" else "success"
        steps.append((self.final_state, [make_ti("extract", "success"), make_ti("load", last)]))
        for state, tis in steps:
            if on_update is not None:
                on_update(make_run(state, run_id), tis)
        final = make_run(self.final_state, run_id)
        if raise_on_failure and final.failed:  # as AirflowClient.wait does
            raise DagRunFailedError(
                f"DAG run etl/{run_id} failed. Failed tasks: load: ValueError: load failed",
                run=final,
                failed_task_instances=[make_ti("load", "failed")],
                log_tails={"load": self.task_log("etl", run_id, "load")},
            )
        return final

    def iter_dag_runs(self, dag_id: str, **kwargs: Any) -> Iterator[DagRun]:
        self._record("iter_dag_runs", dag_id, **kwargs)
        for i in range(50):
            yield make_run("success", f"scheduled__{i:02d}", run_type="scheduled")

    def iter_task_instances(self, dag_id: str, run_id: str, **kw: Any) -> Iterator[TaskInstance]:
        self._record("iter_task_instances", dag_id, run_id)
        yield make_ti("extract", "success")
        yield make_ti("load", "failed" if self.final_state == "failed" else "success")

    def task_log(self, dag_id: str, run_id: str, task_id: str, **kwargs: Any) -> str:
        self._record("task_log", dag_id, run_id, task_id, **kwargs)
        return "line 1\n[red]not markup[/red]\nValueError: load failed\n"

    def pause(self, dag_id: str) -> Dag:
        self._record("pause", dag_id)
        return Dag(dag_id, is_paused=True, tags=("t",))

    def unpause(self, dag_id: str) -> Dag:
        self._record("unpause", dag_id)
        return Dag(dag_id, is_paused=False, tags=("t",))

    def health(self) -> Health:
        self._record("health")
        return self.health_report

    def wait_until_healthy(self, timeout: float = 60) -> Health:
        self._record("wait_until_healthy", timeout=timeout)
        return self.health_report

    def export_config(self, **kwargs: Any) -> dict[str, Any]:
        self._record("export_config", **kwargs)
        doc: dict[str, Any] = {"format": "airflow-client-ext/config", "version": 1}
        if kwargs.get("variables", True):
            doc["variables"] = [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
        if kwargs.get("pools", True):
            doc["pools"] = [{"name": "default_pool", "slots": 128}]
        if kwargs.get("connections", True):
            doc["connections"] = []
        return doc

    def import_config(self, doc: dict[str, Any], **kwargs: Any) -> ImportReport:
        self._record("import_config", doc, **kwargs)
        return ImportReport(
            created=(ImportItem("variable", "a", ("value",)),),
            updated=(ImportItem("pool", "p1", ("slots",)),),
            unchanged=(ImportItem("variable", "b"),),
            missing=(ImportItem("connection", "db", ("password",), "masked"),),
            mode=kwargs.get("mode", "upsert"),
            dry_run=kwargs.get("dry_run", False),
        )

    def close(self) -> None:
        self._record("close")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClient]:
    """Patches AirflowClient.from_env: the CLI gets a FakeClient whose auth is the one the
    real auth_from_env makes of the environment the CLI built (kept in ``fake.env``)."""
    from airflow_client_ext.client import auth_from_env

    client = FakeClient()

    def from_env(environ: dict[str, str] | None = None, **options: Any) -> FakeClient:
        assert environ is not None
        client.env = dict(environ)  # type: ignore[attr-defined]
        if not environ.get("AIRFLOW_URL"):
            raise ConfigurationError("AIRFLOW_URL is not set")
        client.auth = auth_from_env(environ)
        return client

    monkeypatch.setattr(AirflowClient, "from_env", staticmethod(from_env))
    for name in list(os.environ):
        if name.startswith("AIRFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: False)
    return client


ENV = {
    "AIRFLOW_URL": "http://airflow.test:8080",
    "AIRFLOW_USERNAME": "ci",
    "AIRFLOW_PASSWORD": PASSWORD,
}


def run(args: Sequence[str], env: dict[str, str] | None = None, input: str | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(cli, list(args), env=ENV if env is None else env, input=input)


def no_secret(result: Result) -> None:
    for text in (result.stdout, result.stderr):
        assert PASSWORD not in text
        assert TOKEN not in text


# -- packaging ----------------------------------------------------------------------------
def test_importing_the_package_does_not_import_click_or_rich() -> None:
    code = (
        "import sys, airflow_client_ext, airflow_client_ext.errors, airflow_client_ext.models\n"
        "bad = [m for m in ('click', 'rich', 'airflow_client_ext.cli') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_console_script_is_declared() -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert 'airflow-client-ext = "airflow_client_ext.cli:main"' in pyproject.read_text()


def test_main_exits_with_the_command_code(
    fake: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    fake.raise_on["pause"] = NotFoundError("no dag", status=404, method="PATCH", path="/x")
    with pytest.raises(SystemExit) as info:
        cli_module.main(["pause", "nope"])
    assert info.value.code == 4
    with pytest.raises(SystemExit) as info:
        cli_module.main(["unpause", "etl"])
    assert info.value.code == 0


# -- help and usage -----------------------------------------------------------------------
def test_help_documents_commands_options_and_exit_codes() -> None:
    result = run(["--help"], env={})
    assert result.exit_code == 0
    for word in (
        "trigger",
        "wait",
        "runs",
        "logs",
        "pause",
        "unpause",
        "health",
        "version",
        "export",
        "import",
        "--url",
        "--username",
        "--auth",
        "--api-version",
        "--timeout",
        "--json",
        "--verbose",
        "--password-stdin",
        "AIRFLOW_URL",
    ):
        assert word in result.stdout, word
    codes = dict(re.findall(r"^\s+(\d+)  (.+)$", result.stdout, re.MULTILINE))
    assert set(codes) >= {"0", "1", "2", "3", "4", "5", "6"}
    assert "failed" in codes["1"]
    assert "usage" in codes["2"]
    assert "authentication" in codes["3"]
    assert "not found" in codes["4"]
    assert "timeout" in codes["5"]
    assert "server" in codes["6"]
    assert "--password " not in result.stdout


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "trigger",
            ["--conf", "--run-id", "--logical-date", "--note", "--unpause", "--wait", "--timeout"],
        ),
        ("wait", ["--timeout"]),
        ("runs", ["--state", "--limit"]),
        ("logs", ["--try", "--map-index"]),
        ("health", ["--wait"]),
        ("export", ["--no-variables", "--no-pools", "--no-connections", "--output"]),
        ("import", ["--mode", "--dry-run", "upsert", "skip-existing"]),
    ],
)
def test_command_help(command: str, options: list[str]) -> None:
    result = run([command, "--help"], env={})
    assert result.exit_code == 0, result.output
    for option in options:
        assert option in result.stdout


def test_version_option() -> None:
    result = run(["--version"], env={})
    assert result.exit_code == 0
    assert result.stdout.startswith("airflow-client-ext ")


@pytest.mark.parametrize(
    "args",
    [
        ["nope"],
        ["trigger"],
        ["trigger", "etl", "--conf", "{not json"],
        ["trigger", "etl", "--conf", "[1, 2]"],
        ["trigger", "etl", "--conf", "@/does/not/exist.json"],
        ["trigger", "etl", "--logical-date", "yesterday"],
        ["trigger", "etl", "--timeout", "5"],
        ["trigger", "etl", "--wait", "--timeout", "-1"],
        ["runs", "etl", "--state", "exploded"],
        ["runs", "etl", "--limit", "0"],
        ["logs", "etl", "r1"],
        ["import", "--mode", "merge", "x.json"],
        ["--auth", "ntlm", "health"],
        ["--api-version", "v3", "health"],
    ],
)
def test_usage_errors_exit_2(fake: FakeClient, args: list[str]) -> None:
    result = run(args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.stderr
    assert not [c for c in fake.calls if c[0] in ("trigger", "iter_dag_runs", "task_log")]


def test_usage_error_as_json(fake: FakeClient) -> None:
    result = run(["--json", "trigger", "etl", "--conf", "[]"])
    assert result.exit_code == 2
    assert result.stdout == ""
    doc = json.loads(result.stderr)
    assert doc["exit_code"] == 2
    assert doc["error"] == "BadParameter"
    assert "JSON object" in doc["message"]


def test_no_url_is_a_usage_error(fake: FakeClient) -> None:
    result = run(["pause", "etl"], env={"AIRFLOW_USERNAME": "ci", "AIRFLOW_PASSWORD": "x"})
    assert result.exit_code == 2
    assert "AIRFLOW_URL" in result.stderr
    assert "--url" in result.stderr


# -- settings and credentials -------------------------------------------------------------
def test_environment_gives_the_defaults(fake: FakeClient) -> None:
    env = {**ENV, "AIRFLOW_API_VERSION": "v1", "AIRFLOW_TIMEOUT": "7"}
    result = run(["pause", "etl"], env=env)
    assert result.exit_code == 0, result.output
    built = fake.env  # type: ignore[attr-defined]
    assert built["AIRFLOW_URL"] == ENV["AIRFLOW_URL"]
    assert built["AIRFLOW_API_VERSION"] == "v1"
    assert float(built["AIRFLOW_TIMEOUT"]) == 7
    assert isinstance(fake.auth, TokenAuth)
    assert fake.auth.username == "ci"


def test_options_override_the_environment(fake: FakeClient) -> None:
    args = [
        "--url",
        "https://other.test",
        "--username",
        "bob",
        "--auth",
        "basic",
        "--api-version",
        "v2",
        "--timeout",
        "3",
        "pause",
        "etl",
    ]
    result = run(args)
    assert result.exit_code == 0, result.output
    built = fake.env  # type: ignore[attr-defined]
    assert built["AIRFLOW_URL"] == "https://other.test"
    assert built["AIRFLOW_USERNAME"] == "bob"
    assert built["AIRFLOW_AUTH"] == "basic"
    assert built["AIRFLOW_API_VERSION"] == "v2"
    assert float(built["AIRFLOW_TIMEOUT"]) == 3
    assert fake.auth.principal == "bob"


def test_password_from_stdin(fake: FakeClient) -> None:
    env = {"AIRFLOW_URL": "http://a.test", "AIRFLOW_USERNAME": "ci"}
    result = run(["--password-stdin", "pause", "etl"], env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert fake.env["AIRFLOW_PASSWORD"] == PASSWORD  # type: ignore[attr-defined]
    no_secret(result)


def test_password_stdin_wins_over_the_environment(fake: FakeClient) -> None:
    result = run(["--password-stdin", "pause", "etl"], input="from-stdin-pw\n")
    assert result.exit_code == 0
    assert fake.env["AIRFLOW_PASSWORD"] == "from-stdin-pw"  # type: ignore[attr-defined]


def test_empty_password_stdin_is_a_usage_error(fake: FakeClient) -> None:
    result = run(["--password-stdin", "pause", "etl"], input="")
    assert result.exit_code == 2
    assert "stdin" in result.stderr


def test_no_password_without_a_terminal_is_a_usage_error(fake: FakeClient) -> None:
    env = {"AIRFLOW_URL": "http://a.test", "AIRFLOW_USERNAME": "ci"}
    result = run(["pause", "etl"], env=env)
    assert result.exit_code == 2
    assert "AIRFLOW_PASSWORD" in result.stderr
    assert "--password-stdin" in result.stderr
    assert fake.calls == []


def test_password_is_prompted_hidden_on_a_terminal(
    fake: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: True)
    env = {"AIRFLOW_URL": "http://a.test", "AIRFLOW_USERNAME": "ci"}
    result = run(["pause", "etl"], env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Password for ci" in result.stderr
    assert fake.env["AIRFLOW_PASSWORD"] == PASSWORD  # type: ignore[attr-defined]
    no_secret(result)  # hidden: not echoed


def test_health_and_version_do_not_ask_for_a_password(fake: FakeClient) -> None:
    env = {"AIRFLOW_URL": "http://a.test", "AIRFLOW_USERNAME": "ci"}
    for command in (["health"], ["version"]):
        result = run(command, env=env)
        assert result.exit_code == 0, result.output
        assert isinstance(fake.auth, NoAuth)


def test_bearer_token_from_environment_or_stdin(fake: FakeClient) -> None:
    env = {"AIRFLOW_URL": "http://a.test", "AIRFLOW_TOKEN": TOKEN}
    result = run(["pause", "etl"], env=env)
    assert result.exit_code == 0
    assert isinstance(fake.auth, BearerAuth)
    env = {"AIRFLOW_URL": "http://a.test", "AIRFLOW_AUTH": "bearer"}
    result = run(["--password-stdin", "pause", "etl"], env=env, input=TOKEN + "\n")
    assert result.exit_code == 0
    assert fake.env["AIRFLOW_TOKEN"] == TOKEN  # type: ignore[attr-defined]
    no_secret(result)


def test_auth_none_sends_no_credentials(fake: FakeClient) -> None:
    result = run(["--auth", "none", "pause", "etl"], env={"AIRFLOW_URL": "http://a.test"})
    assert result.exit_code == 0
    assert isinstance(fake.auth, NoAuth)


def test_auth_kerberos_asks_for_no_password(
    fake: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import airflow_client_ext.kerberos as kerberos

    monkeypatch.setattr(kerberos, "_require_spnego", lambda: None)  # the extra may be absent
    env = {
        "AIRFLOW_URL": "http://a.test",
        "AIRFLOW_USERNAME": "ci",
        "AIRFLOW_KERBEROS_PRINCIPAL": "ci@EXAMPLE.TEST",
    }
    result = run(["--auth", "kerberos", "pause", "etl"], env=env)
    assert result.exit_code == 0, result.output
    assert isinstance(fake.auth, kerberos.KerberosAuth)
    assert fake.auth.principal == "ci@EXAMPLE.TEST"
    assert "AIRFLOW_PASSWORD" not in fake.env  # type: ignore[attr-defined]


def test_conf_stdin_and_password_stdin_conflict(fake: FakeClient) -> None:
    result = run(["--password-stdin", "trigger", "etl", "--conf", "@-"], input="pw\n{}")
    assert result.exit_code == 2
    assert "stdin" in result.stderr


# -- secrets never shown ------------------------------------------------------------------
def test_a_secret_in_an_error_message_is_redacted(fake: FakeClient) -> None:
    fake.raise_on["pause"] = AuthenticationError(
        f"login as 'ci' with {PASSWORD} failed", status=401, method="POST", path="/auth/token"
    )
    for args in (["pause", "etl"], ["--json", "pause", "etl"], ["-vv", "pause", "etl"]):
        result = run(args)
        assert result.exit_code == 3
        assert "***" in result.stderr
        no_secret(result)


def test_verbose_logs_go_to_stderr_redacted(
    fake: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pause(dag_id: str) -> Dag:
        log = logging.getLogger("airflow_client_ext.transport")
        log.info("retrying PATCH /api/v2/dags/%s", dag_id)
        log.debug("sent Authorization: Basic %s and %s", PASSWORD, fake.auth.secrets())
        return Dag(dag_id, is_paused=True)

    monkeypatch.setattr(fake, "pause", pause)
    result = run(["-vv", "pause", "etl"])
    assert result.exit_code == 0, result.output
    assert "retrying PATCH /api/v2/dags/etl" in result.stderr
    assert "sent Authorization" in result.stderr
    no_secret(result)
    quiet = run(["pause", "etl"])
    assert "retrying" not in quiet.stderr
    assert not logging.getLogger("airflow_client_ext").handlers  # removed after the command


# -- exit codes ---------------------------------------------------------------------------
def api_error(cls: type[Exception], status: int) -> Exception:
    return cls(f"{status} from server", status=status, method="GET", path="/api/v2/x")


ERRORS: list[tuple[BaseException, int]] = [
    (DagRunFailedError("failed", run=make_run("failed")), 1),
    (WaitTimeoutError("too slow", timeout=5), 5),
    (api_error(AuthenticationError, 401), 3),
    (api_error(PermissionDeniedError, 403), 3),
    (api_error(NotFoundError, 404), 4),
    (api_error(BadRequestError, 422), 2),
    (api_error(ConflictError, 409), 2),
    (ConfigurationError("bad url"), 2),
    (InvalidArgumentError("naive date"), 2),
    (DagPausedError("paused", dag_id="etl"), 2),
    (api_error(RateLimitError, 429), 6),
    (api_error(ServerError, 503), 6),
    (UnexpectedResponseError("html", status=200, method="GET", path="/", body_excerpt=""), 6),
    (TransportError("connection refused"), 6),
    (AirflowClientError("other"), 6),
    (RuntimeError("a bug"), 6),
    (KeyboardInterrupt(), 130),
]


@pytest.mark.parametrize(("exc", "code"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_exit_code_mapping(exc: BaseException, code: int) -> None:
    assert exit_code_for(exc) == code


@pytest.mark.parametrize(
    ("exc", "code"), ERRORS[:-1], ids=[type(e).__name__ for e, _ in ERRORS[:-1]]
)
def test_errors_exit_with_their_code(fake: FakeClient, exc: BaseException, code: int) -> None:
    fake.raise_on["pause"] = exc
    result = run(["pause", "etl"])
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("Error: ")
    assert result.stdout == ""
    result = run(["--json", "pause", "etl"])
    assert result.exit_code == code
    doc = json.loads(result.stderr)
    assert doc["exit_code"] == code
    assert doc["error"] == type(exc).__name__
    if isinstance(exc, NotFoundError):
        assert doc["status"] == 404
        assert doc["path"] == "/api/v2/x"


def test_keyboard_interrupt_exits_130(
    fake: FakeClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    fake.raise_on["pause"] = KeyboardInterrupt()
    with pytest.raises(SystemExit) as info:
        cli_module.main(["pause", "etl"])
    assert info.value.code == 130
    assert "Aborted" in capsys.readouterr().err


# -- trigger and wait ---------------------------------------------------------------------
def test_trigger_passes_every_option(fake: FakeClient, tmp_path: Path) -> None:
    conf = tmp_path / "conf.json"
    conf.write_text('{"day": "2026-01-01", "n": 3}')
    args = [
        "trigger",
        "etl",
        "--conf",
        f"@{conf}",
        "--run-id",
        "r1",
        "--logical-date",
        "2026-01-01T05:00:00Z",
        "--note",
        "from CI",
        "--unpause",
    ]
    result = run(args)
    assert result.exit_code == 0, result.output
    (dag_id,), kwargs = fake.called("trigger")
    assert dag_id == "etl"
    assert kwargs == {
        "conf": {"day": "2026-01-01", "n": 3},
        "run_id": "r1",
        "logical_date": datetime(2026, 1, 1, 5, tzinfo=timezone.utc),
        "note": "from CI",
        "unpause": True,
    }
    assert "r1" in result.stdout
    assert "queued" in result.stdout
    assert not [c for c in fake.calls if c[0] == "wait"]


def test_trigger_defaults_and_naive_dates_are_utc(fake: FakeClient) -> None:
    result = run(["trigger", "etl", "--conf", '{"a": 1}', "--logical-date", "2026-01-01"])
    assert result.exit_code == 0, result.output
    _, kwargs = fake.called("trigger")
    assert kwargs["conf"] == {"a": 1}
    assert kwargs["run_id"] is None
    assert kwargs["note"] is None
    assert kwargs["unpause"] is False
    assert kwargs["logical_date"] == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_trigger_conf_from_stdin(fake: FakeClient) -> None:
    result = run(["trigger", "etl", "--conf", "@-"], input='{"from": "stdin"}')
    assert result.exit_code == 0, result.output
    assert fake.called("trigger")[1]["conf"] == {"from": "stdin"}


def test_trigger_json(fake: FakeClient) -> None:
    result = run(["--json", "trigger", "etl", "--run-id", "r2"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["run_id"] == "r2"
    assert doc["state"] == "queued"
    assert doc["dag_id"] == "etl"
    assert "raw" not in doc


def test_trigger_wait_plain_progress(fake: FakeClient) -> None:
    result = run(["trigger", "etl", "--wait", "--timeout", "30"])
    assert result.exit_code == 0, result.output
    _, kwargs = fake.called("wait")
    assert kwargs["timeout"] == 30
    lines = result.stdout.splitlines()
    progress = [line for line in lines if PLAIN_LINE.match(line)]
    changes = [line.split()[1:] for line in progress]
    assert changes == [
        ["extract", "none"],
        ["load", "none"],
        ["run", "queued"],
        ["extract", "running"],
        ["run", "running"],
        ["extract", "success"],
        ["load", "running"],
        ["load", "success"],
        ["run", "success"],
    ]
    assert "triggered etl: run manual__1" in result.stdout
    assert lines[-1] == "etl  manual__1  success in 12.0 s"


def test_wait_default_timeout_and_json(fake: FakeClient) -> None:
    result = run(["--json", "wait", "etl", "manual__1"])
    assert result.exit_code == 0, result.output
    assert fake.called("wait")[1]["timeout"] == 600
    doc = json.loads(result.stdout)  # stdout is one JSON document
    assert doc["state"] == "success"
    assert [t["task_id"] for t in doc["task_instances"]] == ["extract", "load"]
    assert any(PLAIN_LINE.match(line) for line in result.stderr.splitlines())


def test_quiet_wait_shows_no_progress(fake: FakeClient) -> None:
    result = run(["-q", "trigger", "etl", "--wait"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["etl  manual__1  success in 12.0 s"]


def test_failed_run_exits_1_with_failed_tasks_and_log_tails(fake: FakeClient) -> None:
    failed = make_ti("load", "failed", tries=2)
    fake.raise_on["wait"] = DagRunFailedError(
        "run manual__1 of etl failed",
        run=make_run("failed"),
        failed_task_instances=[failed, make_ti("transform", "failed", map_index=3)],
        log_tails={"load": "x\n" * 50 + "ValueError: load failed", "transform[3]": "boom"},
    )
    result = run(["trigger", "etl", "--wait"])
    assert result.exit_code == 1
    err = result.stderr
    assert "Error: run manual__1 of etl failed" in err
    assert re.search(r"^  load\s+failed  \(try 2\)$", err, re.MULTILINE)
    assert re.search(r"^  transform\[3\]\s+failed", err, re.MULTILINE)
    assert "--- log of load (last lines) ---" in err
    assert "ValueError: load failed" in err
    assert err.count("x\n") == cli_module.LOG_TAIL_LINES - 1  # bounded
    result = run(["--json", "trigger", "etl", "--wait"])
    assert result.exit_code == 1
    assert result.stdout == ""
    doc = json.loads(result.stderr.splitlines()[-1])  # progress lines come before it
    assert doc["exit_code"] == 1
    assert doc["run"]["state"] == "failed"
    assert [t["task_id"] for t in doc["failed_task_instances"]] == ["load", "transform"]
    assert doc["log_tails"]["transform[3]"] == "boom"


def test_wait_asks_for_the_failure_details(fake: FakeClient) -> None:
    fake.final_state = "failed"
    result = run(["wait", "etl", "manual__1"])
    assert fake.called("wait")[1]["raise_on_failure"] is True
    assert result.exit_code == 1
    assert re.search(r"^  load\s+failed", result.stderr, re.MULTILINE)
    assert "ValueError: load failed" in result.stderr
    assert "[red]not markup[/red]" in result.stderr  # log text printed as it is


def test_wait_timeout_exits_5(fake: FakeClient) -> None:
    fake.raise_on["wait"] = WaitTimeoutError(
        "run manual__1 of etl still running after 3 s", timeout=3, last_run=make_run("running")
    )
    result = run(["wait", "etl", "manual__1", "--timeout", "3"])
    assert result.exit_code == 5
    assert "still running after 3 s" in result.stderr
    doc = json.loads(run(["--json", "-q", "wait", "etl", "manual__1"]).stderr)
    assert doc["exit_code"] == 5
    assert doc["run"]["state"] == "running"
    assert doc["timeout"] == 3
    assert doc["last_state"] == "running"


def test_plain_progress_lines() -> None:
    lines: list[str] = []
    clock = iter([datetime(2026, 1, 1, 9, 5, s) for s in range(10)])
    progress = PlainProgress(lines.append, clock=lambda: next(clock))
    tis = [make_ti("extract", "running"), make_ti("double", "queued", map_index=7)]
    progress(make_run("running"), tis)
    progress(make_run("running"), tis)  # no change, no line
    assert lines == [
        "09:05:00  extract    running",
        "09:05:01  double[7]  queued",
        "09:05:02  run        running",
    ]


def test_live_progress_on_a_terminal() -> None:
    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, height=30)
    assert cli_module.progress_for(console, "etl", "manual__1", 60).__class__ is LiveProgress
    progress = LiveProgress(console, "etl", "manual__1", 60)
    progress(make_run("running"), [make_ti("extract", "success"), make_ti("load", "running")])
    progress.close()
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    assert "etl" in screen
    assert "manual__1" in screen
    assert "running" in screen
    assert "1/2 tasks done" in screen
    assert "extract" in screen
    assert "load" in screen
    assert "success 1" in screen


def test_progress_is_plain_when_not_a_terminal() -> None:
    console = Console(file=StringIO(), force_terminal=False)
    assert isinstance(cli_module.progress_for(console, "etl", "r", 5), PlainProgress)


# -- runs, logs, pause --------------------------------------------------------------------
def test_runs_table_limit_and_states(fake: FakeClient) -> None:
    result = run(["runs", "etl", "--state", "failed,running", "--state", "success", "--limit", "3"])
    assert result.exit_code == 0, result.output
    (dag_id,), kwargs = fake.called("iter_dag_runs")
    assert dag_id == "etl"
    assert kwargs["state"] == ["failed", "running", "success"]
    assert "RUN ID" in result.stdout
    assert "scheduled__02" in result.stdout
    assert "scheduled__03" not in result.stdout


def test_runs_are_asked_newest_first(fake: FakeClient) -> None:
    assert run(["runs", "etl"]).exit_code == 0
    assert fake.called("iter_dag_runs")[1]["order_by"] == ["-id"]  # /api/v2: a list
    fake.api_version = "v1"
    assert run(["runs", "etl"]).exit_code == 0
    assert fake.calls[-1][2]["order_by"] == "-id"  # /api/v1: one field


def test_tables_have_no_trailing_blanks_in_a_pipe(fake: FakeClient) -> None:
    result = run(["runs", "etl", "--limit", "2"])
    assert result.stdout.splitlines()[0].split() == [
        "RUN",
        "ID",
        "STATE",
        "TYPE",
        "LOGICAL",
        "DATE",
        "STARTED",
        "DURATION",
    ]
    assert all(line == line.rstrip() for line in result.stdout.splitlines())


def test_runs_json(fake: FakeClient) -> None:
    result = run(["--json", "runs", "etl"])
    assert result.exit_code == 0
    docs = json.loads(result.stdout)
    assert len(docs) == 20
    assert docs[0]["run_id"] == "scheduled__00"
    assert docs[0]["start_date"] == "2026-01-01T12:00:00+00:00"
    assert fake.called("iter_dag_runs")[1]["state"] is None


def test_logs(fake: FakeClient) -> None:
    result = run(["logs", "etl", "manual__1", "load", "--try", "2", "--map-index", "4"])
    assert result.exit_code == 0, result.output
    args, kwargs = fake.called("task_log")
    assert args == ("etl", "manual__1", "load")
    assert kwargs == {"try_number": 2, "map_index": 4}
    assert "[red]not markup[/red]" in result.stdout
    doc = json.loads(run(["--json", "logs", "etl", "manual__1", "load"]).stdout)
    assert doc["log"].startswith("line 1")
    assert doc["task_id"] == "load"
    assert fake.calls[-1][2] == {"try_number": None, "map_index": -1}


def test_pause_and_unpause(fake: FakeClient) -> None:
    assert run(["pause", "etl"]).stdout == "etl: paused\n"
    assert fake.called("pause")[0] == ("etl",)
    doc = json.loads(run(["--json", "unpause", "etl"]).stdout)
    assert doc["dag_id"] == "etl"
    assert doc["is_paused"] is False
    assert doc["tags"] == ["t"]


# -- health and version -------------------------------------------------------------------
def test_health(fake: FakeClient) -> None:
    result = run(["health"])
    assert result.exit_code == 0
    assert "healthy" in result.stdout
    assert "scheduler" in result.stdout
    fake.health_report = Health(
        {"metadatabase": "healthy", "scheduler": "unhealthy", "triggerer": None}
    )
    result = run(["--json", "health"])
    assert result.exit_code == 6
    doc = json.loads(result.stdout)
    assert doc["healthy"] is False
    assert doc["unhealthy"] == ["scheduler"]
    assert doc["components"]["triggerer"] is None
    result = run(["health", "--wait", "9"])
    assert result.exit_code == 6
    assert fake.called("wait_until_healthy")[1] == {"timeout": 9}


def test_version(fake: FakeClient) -> None:
    result = run(["--json", "version"], env={})
    assert json.loads(result.stdout) == {"client": cli_module.__version__}
    assert fake.calls == []
    result = run(["--json", "version"])
    doc = json.loads(result.stdout)
    assert doc["server"] == "3.3.2"
    assert doc["api_version"] == "v2"
    assert "3.3.2" in run(["version"]).stdout


# -- export and import --------------------------------------------------------------------
def test_export_to_stdout_and_file(fake: FakeClient, tmp_path: Path) -> None:
    result = run(["export", "--no-connections"])
    assert result.exit_code == 0
    assert fake.called("export_config")[1] == {
        "variables": True,
        "pools": True,
        "connections": False,
    }
    assert json.loads(result.stdout)["pools"][0]["name"] == "default_pool"
    target = tmp_path / "config.json"
    result = run(["export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["variables"][1]["key"] == "b"
    assert "2 variables" in result.stdout
    assert "1 pools" in result.stdout
    doc = json.loads(run(["--json", "export", "--output", str(target)]).stdout)
    assert doc == {"file": str(target), "variables": 2, "pools": 1, "connections": 0}


def test_import(fake: FakeClient, tmp_path: Path) -> None:
    source = tmp_path / "config.json"
    source.write_text(json.dumps({"format": "airflow-client-ext/config", "variables": []}))
    result = run(["import", str(source), "--dry-run", "--mode", "skip-existing"])
    assert result.exit_code == 0, result.output
    (doc,), kwargs = fake.called("import_config")
    assert doc["format"] == "airflow-client-ext/config"
    assert kwargs == {"mode": "skip-existing", "dry_run": True}
    assert "would be created" in result.stdout
    assert "missing secret" in result.stdout
    assert "dry run" in result.stdout
    report = json.loads(run(["--json", "import", str(source)]).stdout)
    assert report["counts"]["created"] == 1
    assert report["dry_run"] is False
    from_stdin = run(["import", "-"], input=source.read_text())
    assert from_stdin.exit_code == 0
    for bad in ("[1]", "{nope"):
        source.write_text(bad)
        assert run(["import", str(source)]).exit_code == 2
    assert run(["import", str(tmp_path / "missing.json")]).exit_code == 2


# -- JSON of the workflow types ------------------------------------------------------------
def test_to_jsonable_leaves_raw_out() -> None:
    run_ = DagRun("etl", "r", "success", logical_date=T0, conf={"a": [1]}, raw=object())
    doc = to_jsonable(run_)
    assert "raw" not in doc
    assert doc["logical_date"] == "2026-01-01T12:00:00+00:00"
    assert doc["conf"] == {"a": [1]}
    json.dumps(to_jsonable([make_ti("x", None), Health({"scheduler": None})]))


def test_exit_code_enum_is_what_help_says() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 5, 6, 130]
