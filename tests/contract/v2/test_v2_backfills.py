"""Backfills of the daily ``v2_daily``: dry run, create, list, get, pause, unpause, cancel."""

from __future__ import annotations

import datetime
import time
from types import ModuleType
from typing import Any

import pytest
from v2_support import status_of, value, wait_for_dag

pytestmark = pytest.mark.contract

UTC = datetime.timezone.utc
FROM = datetime.datetime(2024, 2, 1, tzinfo=UTC)
TO = datetime.datetime(2024, 2, 3, tzinfo=UTC)
DATES = [FROM, datetime.datetime(2024, 2, 2, tzinfo=UTC), TO]


def body(v2: ModuleType) -> Any:
    return v2.BackfillPostBody(
        dag_id="v2_daily",
        from_date=FROM,
        to_date=TO,
        max_active_runs=1,
        dag_run_conf={"origin": "v2-backfill"},
        reprocess_behavior=v2.ReprocessBehavior.FAILED,
    )


def create_backfill(v2: ModuleType, api: Any) -> Any:
    """``create_backfill``, again after the 503 Airflow 3 answers on SQLite ("Database is
    locked. Backfill creation is not supported on SQLite under concurrent access") when
    the session's server runs SQLite (the harness's default; CI's runs PostgreSQL) and the
    scheduler writes at the same time. Nothing was made."""
    for attempt in range(5):
        try:
            return api.create_backfill(body(v2))
        except v2.ApiException as exc:
            if exc.status != 503 or "Database is locked" not in str(exc.body) or attempt == 4:
                raise
            time.sleep(1 + attempt)
    raise AssertionError("unreachable")


def delete_backfill_runs(v2: ModuleType, client: Any) -> None:
    runs = v2.DagRunApi(client)
    for run in runs.get_dag_runs("v2_daily", run_type=["backfill"], limit=100).dag_runs:
        runs.delete_dag_run("v2_daily", run.dag_run_id)


def test_backfill_dry_run_lists_the_dates(v2: ModuleType, v2_client: Any) -> None:
    wait_for_dag(v2, v2_client, "v2_daily")
    dry = v2.BackfillApi(v2_client).create_backfill_dry_run(body(v2))
    assert [b.logical_date for b in dry.backfills] == DATES
    assert dry.total_entries == 3


def test_backfill_life_cycle(v2: ModuleType, v2_client: Any) -> None:
    api = v2.BackfillApi(v2_client)
    runs = v2.DagRunApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_daily")
    delete_backfill_runs(v2, v2_client)
    created = create_backfill(v2, api)
    try:
        assert (created.dag_id, created.from_date, created.to_date) == ("v2_daily", FROM, TO)
        assert created.dag_run_conf == {"origin": "v2-backfill"}
        assert created.reprocess_behavior == v2.ReprocessBehavior.FAILED
        assert created.max_active_runs == 1
        assert created.completed_at is None

        paused = api.pause_backfill(created.id)
        assert paused.is_paused is True
        assert api.get_backfill(created.id).is_paused is True
        listed = api.list_backfills("v2_daily", limit=100)
        assert created.id in {b.id for b in listed.backfills}

        backfill_runs = runs.get_dag_runs("v2_daily", run_type=["backfill"], limit=100)
        assert sorted(r.logical_date for r in backfill_runs.dag_runs) == DATES
        assert all(r.conf == {"origin": "v2-backfill"} for r in backfill_runs.dag_runs)

        # a second backfill of the same DAG while this one is active is refused
        assert status_of(lambda: api.create_backfill(body(v2))) == 409

        unpaused = api.unpause_backfill(created.id)
        assert unpaused.is_paused is False
    finally:
        cancelled = api.cancel_backfill(created.id)
    assert cancelled.completed_at is not None
    assert api.get_backfill(created.id).completed_at is not None
    left = runs.get_dag_runs("v2_daily", run_type=["backfill"], state=["queued"], limit=100)
    assert left.total_entries == 0  # cancelling fails the runs not started
    states = {value(r.state) for r in runs.get_dag_runs("v2_daily", run_type=["backfill"]).dag_runs}
    assert states <= {"failed", "success", "running"}
    delete_backfill_runs(v2, v2_client)
