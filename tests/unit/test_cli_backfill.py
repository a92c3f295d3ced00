"""``airflow-client-ext backfill`` and the run id filters of ``runs``: the real client and
workflows behind the command, against the fake Airflow of ``backfill_support``."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any

import pytest
from backfill_support import FakeAirflow, day, iso
from click.testing import CliRunner, Result

from airflow_client_ext import cli as cli_module
from airflow_client_ext.cli import _state as cli_state
from airflow_client_ext.cli._exit import ExitCode, exit_code_for
from airflow_client_ext.client import AirflowClient
from airflow_client_ext.errors import UnsupportedScheduleError

PLAIN_LINE = re.compile(r"^\d\d:\d\d:\d\d  \S+  \S+$")
ENV = {"AIRFLOW_URL": "http://airflow.test:8080", "AIRFLOW_AUTH": "none"}


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``serve(fake)``: the command's client is ``fake.client()``."""
    for name in list(os.environ):
        if name.startswith("AIRFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: False)

    def use(fake: FakeAirflow) -> FakeAirflow:
        made = fake.client()
        monkeypatch.setattr(AirflowClient, "from_env", staticmethod(lambda *a, **k: made))
        fake.made = made  # type: ignore[attr-defined]
        return fake

    return use


def run(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli_module.cli, list(args), env=ENV)


def test_help_shows_the_backfill_commands_and_options() -> None:
    assert "backfill" in run(["--help"]).stdout
    assert "cancel-backfill" in run(["--help"]).stdout
    text = run(["backfill", "--help"]).stdout
    options = "--from --to --dry-run --wait --reprocess --max-active-runs --conf --prefix --limit"
    for option in [*options.split(), "--partial", "--backwards", "--unpause"]:
        assert option in text, option
    assert "--after" in run(["runs", "--help"]).stdout


def test_a_dry_run_shows_each_date_with_its_run_id(serve: Any) -> None:
    fake = serve(FakeAirflow(2))
    fake.add_run(day(2), "success")
    result = run(["backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-03", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "etl: 3 dates, would create 2, clear 0, skip 1 (dry run: nothing was created)"
    )
    assert "batch_0000001_2026-01-01T00:00:00+00:00" in result.stdout
    assert "scheduled__2026-01-02T00:00:00+00:00" in result.stdout
    assert fake.posts() == []
    result = run(["--json", "backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-03",
                  "--dry-run", "--prefix", "p_"])  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["dates"] == [iso(day(1)), iso(day(3))]
    assert doc["run_ids"] == [f"p_0000001_{iso(day(1))}", f"p_0000003_{iso(day(3))}"]
    assert [e["action"] for e in doc["entries"]] == ["create", "skip", "create"]
    assert doc["dry_run"] is True


def test_options_reach_the_call(serve: Any) -> None:
    fake = serve(FakeAirflow(3))
    result = run(["backfill", "etl", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-09",
                  "--reprocess", "failed", "--max-active-runs", "3", "--conf", '{"a": 1}',
                  "--limit", "2", "--partial", "--backwards"])  # fmt: skip
    assert result.exit_code == 0, result.output
    body = fake.posts("/backfills")[0].body
    assert (body["reprocess_behavior"], body["max_active_runs"], body["dag_run_conf"]) == (
        "failed",
        3,
        {"a": 1},
    )
    assert (body["run_backwards"], body["from_date"]) == (True, "2026-01-08T00:00:00+00:00")
    assert "7 more left for a later call" in result.stdout


def test_wait_shows_plain_progress_and_exits_0(serve: Any) -> None:
    fake = serve(FakeAirflow(2))
    listed = {"n": 0}

    def advance(fake: FakeAirflow) -> None:
        listed["n"] += 1
        for run in fake.runs.values():
            # listing 1 is the backfill's own look for runs; the wait's start at 2
            run["state"] = ["queued", "queued", "queued", "running", "success"][min(listed["n"], 4)]

    fake.on_list = advance
    result = run(["backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-02", "--wait"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "etl: 2 dates, create 2, clear 0, skip 0"
    progress = [line for line in lines if PLAIN_LINE.match(line)]
    run_id = f"batch_0000001_{iso(day(1))}"
    assert [line.split()[-1] for line in progress if line.split()[1] == run_id] == [
        "queued",
        "running",
        "success",
    ]
    assert any(line.split()[1] == f"{run_id}:extract" for line in progress)
    assert lines[-4] == "etl: 2 dates, create 2, clear 0, skip 0"  # then the runs' table
    assert lines[-3].split()[:3] == ["RUN", "ID", "STATE"]
    assert lines[-1].split()[:2] == [f"batch_0000002_{iso(day(2))}", "success"]


def test_failed_runs_exit_1_naming_each_run_and_task(serve: Any) -> None:
    fake = serve(FakeAirflow(2))

    def fail_all(fake: FakeAirflow) -> None:
        for run_id, run in fake.runs.items():
            run["state"] = "failed"
            fake.tis[run_id] = [("extract", "success"), ("load", "failed")]

    fake.on_list = fail_all
    result = run(["backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-02", "--wait"])
    assert result.exit_code == ExitCode.RUN_FAILED, result.output
    assert "2 of 2 runs failed" in result.stderr
    assert f"batch_0000002_{iso(day(2))}:load  failed" in result.stderr
    assert f"--- log of batch_0000001_{iso(day(1))}:load (last lines) ---" in result.stderr
    result = run(
        ["--json", "-q", "backfill", "etl", "--from", "2026-01-03", "--to", "2026-01-03", "--wait"]
    )
    doc = json.loads(result.stderr.splitlines()[-1])
    assert (doc["error"], doc["exit_code"]) == ("BackfillFailedError", 1)
    assert [r["run_id"] for r in doc["failed_runs"]] == [f"batch_0000001_{iso(day(3))}"]


def test_wait_timeout_exits_5(serve: Any) -> None:
    fake = serve(FakeAirflow(2))
    now = [0.0]
    fake.made._clock = lambda: now[0]
    fake.made._sleep = lambda s: now.__setitem__(0, now[0] + s)
    result = run(["backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-02", "--wait",
                  "--timeout", "3"])  # fmt: skip
    assert result.exit_code == ExitCode.TIMEOUT, result.output
    assert "0 of 2 runs ended (queued 2)" in result.stderr


@pytest.mark.parametrize(
    ("major", "args", "words"),
    [
        (2, ["--timeout", "5"], "it needs --wait"),
        (2, ["--dry-run", "--wait"], "no runs to --wait for"),
        (2, ["--prefix", "my_backfill"], "the word 'backfill'"),
        (2, ["--limit", "1"], "more than limit=1"),
        (2, ["--backwards"], "run_backwards needs Airflow 3"),
        (3, ["--prefix", "p_"], "Airflow 3 names the runs"),
    ],
)
def test_usage_errors_exit_2(serve: Any, major: int, args: list[str], words: str) -> None:
    fake = serve(FakeAirflow(major))
    result = run(["backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-02", *args])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert words in result.stderr
    assert fake.posts() == []


def test_a_second_backfill_exits_2_saying_how_to_cancel_the_first(serve: Any) -> None:
    fake = serve(FakeAirflow(3))
    assert run(["backfill", "etl", "--from", "2026-01-01", "--to", "2026-01-02"]).exit_code == 0
    result = run(["backfill", "etl", "--from", "2026-01-05", "--to", "2026-01-06"])
    assert result.exit_code == ExitCode.USAGE
    assert "airflow-client-ext cancel-backfill 1" in result.stderr
    result = run(["cancel-backfill", "1"])
    assert result.exit_code == 0, result.output
    assert "etl: backfill 1 from 2026-01-01T00:00:00+00:00 to" in result.stdout
    assert "(completed)" in result.stdout
    assert fake.posts()[-1].path == "/api/v2/backfills/1/cancel"
    assert run(["pause-backfill", "1"]).exit_code == 0
    assert exit_code_for(UnsupportedScheduleError("no schedule")) == ExitCode.USAGE


def test_runs_by_prefix_and_after_a_run_id(serve: Any) -> None:
    fake = serve(FakeAirflow(3))
    for n, run_id in enumerate(["batch_3", "batch_1", "other", "batch_2", "batch_4"], 1):
        fake.add_run(day(n), "success", run_id)
    result = run(
        ["--json", "runs", "etl", "--prefix", "batch_", "--after", "batch_1", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    assert [r["run_id"] for r in json.loads(result.stdout)] == ["batch_2", "batch_3"]
    listing = fake.sent[-1]
    assert listing.query["run_id_prefix_pattern"] == ["batch_"]
    assert "order_by" not in listing.query
    result = run(["--json", "runs", "etl", "--prefix", "batch_"])
    assert len(json.loads(result.stdout)) == 4
    assert fake.sent[-1].query["order_by"] == ["-id"]
