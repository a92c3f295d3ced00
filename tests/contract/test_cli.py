"""The ``airflow-client-ext`` command, run as a subprocess (the installed console script)
against the real Airflow 2 and 3 servers of the ``airflow_server`` fixture.

The DAGs come from ``tests/dags`` (copied for the session by ``tests/conftest.py``):
``quick_success``, ``always_fails``, ``slow`` and ``echo_conf``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from airflow_client_ext.testing import AirflowInstance, AirflowServerError

#: a password no real user has: easy to find anywhere it leaks
WRONG_PASSWORD = "S3cret-Wrong-cli-pw-xyz"
PLAIN_LINE = re.compile(r"^\d\d:\d\d:\d\d  (\S+)\s+(\S+)$", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
CLI_ENV = (
    "AIRFLOW_URL",
    "AIRFLOW_USERNAME",
    "AIRFLOW_PASSWORD",
    "AIRFLOW_TOKEN",
    "AIRFLOW_AUTH",
    "AIRFLOW_API_VERSION",
    "AIRFLOW_TIMEOUT",
    "AIRFLOW_CA_BUNDLE",
    "AIRFLOW_VERIFY",
)
RUN_TIMEOUT = 240  # seconds for a run of a small DAG, on a busy 2-core machine


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("airflow-client-ext")
    assert script.exists(), f"the console script is not installed next to {sys.executable}"
    return [str(script)]


def cli_env(server: AirflowInstance, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLI_ENV}
    env.update(
        AIRFLOW_URL=server.url, AIRFLOW_USERNAME=server.username, AIRFLOW_PASSWORD=server.password
    )
    env.update(overrides)
    env.pop("COLUMNS", None)
    return env


@dataclass(repr=False)
class Outcome:
    code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:  # what an assertion message shows: all of it
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        """The JSON error document: the last line of stderr."""
        doc: dict[str, Any] = json.loads(self.stderr.strip().splitlines()[-1])
        return doc


def shown(args: tuple[str, ...], outcome: Outcome) -> Outcome:
    """Print what the command showed: the secrets guard (--airflow-secrets-guard) watches the
    test's output, so every CLI run of the suite is checked for leaks."""
    print(f"$ airflow-client-ext {' '.join(args)}\n{outcome!r}")
    return outcome


def run_cli(server: AirflowInstance, *args: str, timeout: float = 120, **env: str) -> Outcome:
    proc = subprocess.run(
        [*cli_command(), *args],
        env=cli_env(server, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return shown(args, Outcome(proc.returncode, proc.stdout, proc.stderr))


def run_cli_in_terminal(server: AirflowInstance, *args: str, timeout: float = 120) -> Outcome:
    """Run the command on a pseudo-terminal (120x40), as a person would; returns what the
    terminal received, escape sequences removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = cli_env(server, TERM="xterm-256color")
    proc = subprocess.Popen(
        [*cli_command(), *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        else:
            proc.kill()
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
    screen = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    return shown(args, Outcome(code, screen, ""))


def unique(prefix: str) -> str:
    return f"{prefix}__{uuid.uuid4().hex[:10]}"


def run_path(dag_id: str, run_id: str) -> str:
    return f"dags/{dag_id}/dagRuns/{quote(run_id, safe='')}"


def is_paused(server: AirflowInstance, dag_id: str) -> bool:
    return bool(server.api("GET", f"dags/{dag_id}")["is_paused"])


@pytest.fixture(scope="module")
def dags(airflow_server: AirflowInstance) -> AirflowInstance:
    """The server, once the DAGs these tests use are parsed and it has run one task.

    The warm-up run's outcome is not checked: on a loaded machine the first task of a fresh
    Airflow 3 server can fail before it starts, because the api-server's first call of its
    execution API (``PATCH /execution/task-instances/{id}/run``) takes longer (40 s seen)
    than the task supervisor waits; later tasks start in well under a second.
    """
    for dag_id in ("quick_success", "always_fails", "slow", "echo_conf"):
        airflow_server.wait_for_dag(dag_id, timeout=180)
    run_cli(
        airflow_server,
        "-q",
        "trigger",
        "echo_conf",
        "--unpause",
        "--wait",
        "--timeout",
        "240",
        timeout=300,
    )
    return airflow_server


@dataclass
class SuccessfulRun:
    run_id: str
    outcome: Outcome


@pytest.fixture(scope="module")
def success_run(dags: AirflowInstance) -> SuccessfulRun:
    """``trigger quick_success --unpause --wait`` with output to a pipe: plain lines."""
    run_id = unique("cli_ok")
    outcome = run_cli(
        dags,
        "trigger",
        "quick_success",
        "--unpause",
        "--wait",
        "--run-id",
        run_id,
        "--conf",
        '{"source": "cli"}',
        "--timeout",
        str(RUN_TIMEOUT),
        timeout=RUN_TIMEOUT + 60,
    )
    return SuccessfulRun(run_id, outcome)


# -- trigger and wait ---------------------------------------------------------------------
def test_trigger_wait_success_exits_0_with_plain_progress(success_run: SuccessfulRun) -> None:
    out = success_run.outcome
    assert out.code == 0, out
    lines = PLAIN_LINE.findall(out.stdout)
    assert ("first", "success") in lines, out
    assert ("second", "success") in lines, out
    assert ("run", "success") in lines
    assert (
        out.stdout.rstrip()
        .splitlines()[-1]
        .startswith(f"quick_success  {success_run.run_id}  success")
    )
    assert f"triggered quick_success: run {success_run.run_id}" in out.stdout


def test_trigger_wait_on_a_terminal_shows_a_live_display(dags: AirflowInstance) -> None:
    out = run_cli_in_terminal(
        dags,
        "trigger",
        "quick_success",
        "--unpause",
        "--wait",
        "--timeout",
        str(RUN_TIMEOUT),
        timeout=RUN_TIMEOUT + 60,
    )
    assert out.code == 0, out
    assert "2/2 tasks done" in out.stdout, out
    assert re.search(r"first\s+success", out.stdout)
    assert re.search(r"second\s+success", out.stdout)
    assert not PLAIN_LINE.search(out.stdout)  # a live display, not log lines


def test_trigger_wait_failure_exits_1_with_failed_tasks_and_log_tail(
    dags: AirflowInstance,
) -> None:
    out = run_cli(
        dags,
        "trigger",
        "always_fails",
        "--unpause",
        "--wait",
        "--timeout",
        str(RUN_TIMEOUT),
        timeout=RUN_TIMEOUT + 60,
    )
    assert out.code == 1, out
    assert "failed" in out.stderr.splitlines()[0]
    assert re.search(r"^  boom\s+failed", out.stderr, re.MULTILINE), out
    assert "--- log of boom" in out.stderr
    assert "always_fails: this task fails on purpose" in out.stderr, out


def test_failure_as_json(dags: AirflowInstance) -> None:
    run_id = unique("cli_fail")
    out = run_cli(
        dags,
        "--json",
        "-q",
        "trigger",
        "always_fails",
        "--unpause",
        "--wait",
        "--run-id",
        run_id,
        "--timeout",
        str(RUN_TIMEOUT),
        timeout=RUN_TIMEOUT + 60,
    )
    assert out.code == 1, out
    assert out.stdout == ""
    doc = json.loads(out.stderr)
    assert doc["exit_code"] == 1
    assert doc["error"] == "DagRunFailedError"
    assert doc["run"]["run_id"] == run_id
    assert doc["run"]["state"] == "failed"
    assert [t["task_id"] for t in doc["failed_task_instances"]] == ["boom"]
    assert "fails on purpose" in doc["log_tails"]["boom"]
    # `wait` on the finished run says the same
    again = run_cli(dags, "wait", "always_fails", run_id, "--timeout", "60")
    assert again.code == 1, again


def test_trigger_wait_timeout_exits_5(dags: AirflowInstance) -> None:
    run_id = unique("cli_slow")
    try:
        out = run_cli(
            dags,
            "trigger",
            "slow",
            "--unpause",
            "--wait",
            "--run-id",
            run_id,
            "--conf",
            '{"seconds": 30}',
            "--timeout",
            "3",
        )
        assert out.code == 5, out
        assert run_id in out.stderr
        waited = run_cli(dags, "--json", "-q", "wait", "slow", run_id, "--timeout", "1")
        assert waited.code == 5, waited
        doc = waited.error()
        assert doc["exit_code"] == 5
        assert doc["timeout"] == 1
        assert doc["run"]["run_id"] == run_id
        assert doc["run"]["state"] in ("queued", "running")
    finally:  # do not leave a 30 s task holding the executor
        with contextlib.suppress(AirflowServerError):
            dags.api("PATCH", run_path("slow", run_id), {"state": "failed"})


# -- not found, bad credentials -----------------------------------------------------------
def test_not_found_exits_4(dags: AirflowInstance) -> None:
    for args in (
        ("trigger", "no_such_dag_cli"),
        ("pause", "no_such_dag_cli"),
        ("wait", "quick_success", "no_such_run_cli", "--timeout", "10"),
        ("logs", "quick_success", "no_such_run_cli", "first"),
    ):
        out = run_cli(dags, *args)
        assert out.code == 4, out
        assert out.stderr.startswith("Error: "), out
    doc = run_cli(dags, "--json", "trigger", "no_such_dag_cli").error()
    assert doc["exit_code"] == 4
    assert doc["status"] == 404
    assert doc["error"] == "NotFoundError"


def test_bad_password_exits_3_and_never_shows_it(dags: AirflowInstance) -> None:
    for args in (("runs", "quick_success"), ("-vv", "--json", "trigger", "quick_success")):
        out = run_cli(dags, *args, AIRFLOW_PASSWORD=WRONG_PASSWORD)
        assert out.code == 3, out
        assert WRONG_PASSWORD not in out.stdout + out.stderr
    out = run_cli(dags, "-vv", "runs", "quick_success", AIRFLOW_PASSWORD=WRONG_PASSWORD)
    assert out.code == 3
    assert dags.username in out.stderr
    assert WRONG_PASSWORD not in out.stdout + out.stderr


def test_verbose_logs_show_requests_but_no_credentials(dags: AirflowInstance) -> None:
    out = run_cli(dags, "-vv", "--json", "runs", "quick_success", "--limit", "1")
    assert out.code == 0, out
    assert "GET /api/" in out.stderr
    assert "Authorization" in out.stderr, out  # the header is logged, its value redacted
    basic = base64.b64encode(f"{dags.username}:{dags.password}".encode()).decode()
    assert basic not in out.stderr
    assert not re.search(r"Bearer\s+ey", out.stderr)


def test_password_from_stdin(dags: AirflowInstance) -> None:
    env = cli_env(dags)
    env.pop("AIRFLOW_PASSWORD")
    proc = subprocess.run(
        [*cli_command(), "--password-stdin", "--json", "runs", "quick_success", "--limit", "1"],
        env=env,
        input=dags.password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert isinstance(json.loads(proc.stdout), list)
    proc = subprocess.run(
        [*cli_command(), "runs", "quick_success"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "AIRFLOW_PASSWORD" in proc.stderr


# -- runs, logs ---------------------------------------------------------------------------
def test_runs(dags: AirflowInstance, success_run: SuccessfulRun) -> None:
    assert success_run.outcome.code == 0, success_run.outcome
    out = run_cli(dags, "--json", "runs", "quick_success", "--state", "success", "--limit", "100")
    assert out.code == 0, out
    docs = out.json()
    mine = [d for d in docs if d["run_id"] == success_run.run_id]
    assert len(mine) == 1, docs
    assert mine[0]["state"] == "success"
    assert mine[0]["conf"] == {"source": "cli"}
    assert {d["state"] for d in docs} == {"success"}
    table = run_cli(dags, "runs", "quick_success", "--limit", "100")
    assert table.code == 0
    assert "RUN ID" in table.stdout
    assert success_run.run_id in table.stdout
    failed_only = run_cli(dags, "--json", "runs", "quick_success", "--state", "failed")
    assert success_run.run_id not in failed_only.stdout


def test_logs(dags: AirflowInstance, success_run: SuccessfulRun) -> None:
    assert success_run.outcome.code == 0, success_run.outcome
    out = run_cli(dags, "logs", "quick_success", success_run.run_id, "second")
    assert out.code == 0, out
    assert out.stdout.strip(), out
    doc = run_cli(
        dags, "--json", "logs", "quick_success", success_run.run_id, "first", "--try", "1"
    ).json()
    assert doc["task_id"] == "first"
    assert doc["try_number"] == 1
    assert doc["log"].strip()


# -- pause, health, version ---------------------------------------------------------------
def test_pause_and_unpause(dags: AirflowInstance) -> None:
    before = is_paused(dags, "echo_conf")
    try:
        out = run_cli(dags, "pause", "echo_conf")
        assert out.code == 0, out
        assert out.stdout == "echo_conf: paused\n"
        assert is_paused(dags, "echo_conf") is True
        out = run_cli(dags, "--json", "unpause", "echo_conf")
        assert out.code == 0, out
        doc = out.json()
        assert doc["dag_id"] == "echo_conf"
        assert doc["is_paused"] is False
        assert is_paused(dags, "echo_conf") is False
    finally:
        dags.api("PATCH", "dags/echo_conf", {"is_paused": before})


def test_health(dags: AirflowInstance) -> None:
    out = run_cli(dags, "--json", "health")
    assert out.code == 0, out
    doc = out.json()
    assert doc["healthy"] is True
    assert doc["components"]["metadatabase"] == "healthy"
    assert doc["components"]["scheduler"] == "healthy"
    table = run_cli(dags, "health", "--wait", "30")
    assert table.code == 0, table
    assert "scheduler" in table.stdout


def test_version(dags: AirflowInstance) -> None:
    out = run_cli(dags, "--json", "version")
    assert out.code == 0, out
    doc = out.json()
    assert doc["server"] == dags.version
    assert doc["api_version"] == dags.api_version
    assert doc["client"]
    assert dags.version in run_cli(dags, "version").stdout


# -- export, import -----------------------------------------------------------------------
@pytest.fixture
def variable(dags: AirflowInstance) -> Iterator[str]:
    key = unique("cli_var")
    dags.api("POST", "variables", {"key": key, "value": "original"})
    yield key
    with contextlib.suppress(AirflowServerError):
        dags.api("DELETE", f"variables/{key}")


def test_export_then_import_dry_run(dags: AirflowInstance, variable: str, tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    out = run_cli(dags, "export", "--no-connections", "-o", str(target))
    assert out.code == 0, out
    assert str(target) in out.stdout
    doc = json.loads(target.read_text())
    keys = [v.get("key") for v in doc.get("variables", [])]
    assert variable in keys, doc
    assert "connections" not in doc or not doc["connections"]

    same = run_cli(dags, "--json", "import", str(target), "--dry-run")
    assert same.code == 0, same
    report = same.json()
    assert report["dry_run"] is True
    assert report["counts"]["created"] == 0, report
    assert report["counts"]["updated"] == 0, report

    new_key = unique("cli_new")
    for item in doc["variables"]:
        if item.get("key") == variable:
            item["value"] = "changed"
    doc["variables"].append({**doc["variables"][0], "key": new_key, "value": "fresh"})
    target.write_text(json.dumps(doc))
    changed = run_cli(dags, "--json", "import", str(target), "--dry-run")
    assert changed.code == 0, changed
    report = changed.json()
    assert [i["name"] for i in report["updated"]] == [variable], report
    assert [i["name"] for i in report["created"]] == [new_key], report
    human = run_cli(dags, "import", str(target), "--dry-run", "--mode", "skip-existing")
    assert human.code == 0, human
    assert "dry run" in human.stdout
    # nothing was written
    assert dags.api("GET", f"variables/{variable}")["value"] == "original"
    assert dags.request("GET", f"variables/{new_key}").status == 404


def test_backfill_dry_run_then_wait_exits_0_and_runs_by_prefix(dags: AirflowInstance) -> None:
    """``backfill`` on the real server: the dry run's dates, a waited backfill of two days,
    then ``runs --prefix`` listing them (Airflow 2: the client's names; 3: the server's)."""
    dags.wait_for_dag("backfill_daily", timeout=240)
    span = ("backfill_daily", "--from", "2026-09-01", "--to", "2026-09-02")
    dry = run_cli(dags, "backfill", *span, "--dry-run")
    assert dry.code == 0, dry
    assert dry.stdout.splitlines()[0].startswith("backfill_daily: 2 dates, would create 2"), dry
    made = run_cli(
        dags, "--json", "backfill", *span, "--wait", "--unpause", "--timeout", "600", timeout=700
    )
    try:
        assert made.code == 0, made
        doc = json.loads(made.stdout)
        assert doc["dates"] == ["2026-09-01T00:00:00+00:00", "2026-09-02T00:00:00+00:00"]
        assert [run["state"] for run in doc["runs"]] == ["success", "success"]
        run_ids = [run["run_id"] for run in doc["runs"]]
        prefix = "batch_" if dags.api_version == "v1" else "backfill__"
        listed = run_cli(dags, "--json", "runs", "backfill_daily", "--prefix", prefix)
        assert listed.code == 0, listed
        assert set(run_ids) <= {run["run_id"] for run in json.loads(listed.stdout)}
        again = run_cli(dags, "backfill", *span)
        assert again.code == 0, again
        assert "create 0" in again.stdout.splitlines()[0], again
    finally:
        dags.request("PATCH", "dags/backfill_daily", {"is_paused": True})
        for run_id in [r["run_id"] for r in json.loads(made.stdout or "{}").get("runs", [])]:
            dags.request("DELETE", run_path("backfill_daily", run_id))
