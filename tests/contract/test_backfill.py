"""``client.backfill`` on real Airflow 2 (runs the client makes, one per logical date) and 3
(the server's backfill API), through the same calls.

DAGs: ``backfill_daily`` (``@daily``; its task fails on the 13th of a month) and
``backfill_cron`` (weekdays at 06:30 UTC). Each test takes dates of its own (2026, before
today) and deletes the runs it made, so that the tests hold in any order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from workflows_support import admin_client, run_api

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import (
    BackfillConflictError,
    BackfillFailedError,
    InvalidArgumentError,
    UnsupportedFeatureError,
)
from airflow_client_ext.models import Backfill
from airflow_client_ext.testing import AirflowInstance
from airflow_client_ext.workflows import RUN_ID_PATTERN

DAILY = "backfill_daily"
CRON = "backfill_cron"
WAIT = 600


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def days(first: datetime, count: int) -> list[datetime]:
    return [first + timedelta(days=i) for i in range(count)]


@pytest.fixture(scope="module")
def client(airflow_server: AirflowInstance) -> Iterator[AirflowClient]:
    made = admin_client(airflow_server)
    for dag_id in (DAILY, CRON):
        made.wait_for_dag(dag_id, timeout=300)
    yield made
    made.close()


class Cleanup:
    """Deletes, after the test, the runs of the DAGs between the dates it was given."""

    def __init__(self, client: AirflowClient) -> None:
        self.client = client
        self.spans: list[tuple[str, datetime, datetime]] = []

    def span(self, dag_id: str, first: datetime, last: datetime) -> None:
        self.spans.append((dag_id, first, last + timedelta(days=1)))

    def runs(self, dag_id: str, first: datetime, last: datetime) -> list[str]:
        return sorted(
            run.run_id
            for run in self.client.iter_dag_runs(dag_id)
            if run.logical_date is not None and first <= run.logical_date <= last
        )

    def delete(self) -> None:
        api = run_api(self.client)
        for dag_id, first, last in self.spans:
            for run_id in self.runs(dag_id, first, last):
                api.delete_dag_run(dag_id, run_id)


@pytest.fixture
def cleanup(client: AirflowClient) -> Iterator[Cleanup]:
    made = Cleanup(client)
    try:
        yield made
    finally:
        made.delete()


def finished(client: AirflowClient, backfill: Backfill) -> Backfill:
    return client.wait_backfill(backfill, timeout=WAIT)


def test_a_dry_run_lists_the_dates_of_the_schedule_and_creates_nothing(
    client: AirflowClient, cleanup: Cleanup
) -> None:
    cleanup.span(DAILY, utc(2026, 3, 1), utc(2026, 3, 5))
    daily = client.backfill(DAILY, "2026-03-01", "2026-03-05", dry_run=True)
    assert list(daily.dates) == days(utc(2026, 3, 1), 5)  # both ends included
    # weekdays at 06:30 from Monday 2 March to Sunday 8 March
    cron = client.backfill(CRON, utc(2026, 3, 2), utc(2026, 3, 8, 23, 59), dry_run=True)
    assert list(cron.dates) == [utc(2026, 3, d, 6, 30) for d in range(2, 7)]
    for backfill in (daily, cron):
        assert backfill.dry_run
        assert backfill.id is None
        if client.api_version == "v1":  # the client names the runs it would make
            assert all(run_id and RUN_ID_PATTERN.fullmatch(run_id) for run_id in backfill.run_ids)
            assert backfill.run_ids[0] == "batch_0000001_" + backfill.dates[0].isoformat()
    assert cleanup.runs(DAILY, utc(2026, 3, 1), utc(2026, 3, 6)) == []
    assert cleanup.runs(CRON, utc(2026, 3, 2), utc(2026, 3, 9)) == []


def test_a_backfill_makes_one_run_per_date_and_a_second_one_makes_none(
    client: AirflowClient, cleanup: Cleanup
) -> None:
    first, last = utc(2026, 4, 1), utc(2026, 4, 4)
    cleanup.span(DAILY, first, last)
    made = client.backfill(DAILY, first, last, unpause=True)
    assert list(made.created) == days(first, 4)
    done = finished(client, made)
    assert [run.state for run in done.runs] == ["success"] * 4
    assert [run.logical_date for run in done.runs] == days(first, 4)
    runs = cleanup.runs(DAILY, first, last)
    assert len(runs) == 4  # one per date
    if client.api_version == "v1":
        assert runs == sorted(done.run_ids)  # the client's names
        assert all(run_id.startswith("batch_") for run_id in runs)
    else:
        assert done.id is not None

    again = client.backfill(DAILY, first, last)
    assert again.created == ()
    assert list(again.skipped) == days(first, 4)
    assert cleanup.runs(DAILY, first, last) == runs  # nothing new

    # reprocess: "failed" has nothing to re-run; "completed" would re-run all four
    assert client.backfill(DAILY, first, last, reprocess="failed", dry_run=True).cleared == ()
    everything = client.backfill(DAILY, first, last, reprocess="completed", dry_run=True)
    assert list(everything.cleared) == days(first, 4)


def test_a_failed_date_is_reported_with_its_task_and_log_tail_and_rerun_alone(
    client: AirflowClient, cleanup: Cleanup
) -> None:
    first, last = utc(2026, 5, 12), utc(2026, 5, 14)
    cleanup.span(DAILY, first, last)
    made = client.backfill(DAILY, first, last, unpause=True)
    with pytest.raises(BackfillFailedError) as caught:
        finished(client, made)
    error = caught.value
    assert [f.run.logical_date for f in error.failures] == [utc(2026, 5, 13)]
    failure = error.failures[0]
    assert [ti.task_id for ti in failure.failed_task_instances] == ["work"]
    assert "the 13th fails on purpose" in next(iter(failure.log_tails.values()))
    assert failure.run.run_id in str(error)

    rerun = client.backfill(DAILY, first, last, reprocess="failed")
    assert list(rerun.cleared) == [utc(2026, 5, 13)]  # the failed date only
    assert list(rerun.skipped) == [utc(2026, 5, 12), utc(2026, 5, 14)]
    with pytest.raises(BackfillFailedError):  # it fails again, on purpose
        finished(client, rerun)
    assert len(cleanup.runs(DAILY, first, last)) == 3  # re-run, not a second run


def test_limit_refuses_a_larger_batch_and_partial_makes_the_first_ones(
    client: AirflowClient, cleanup: Cleanup
) -> None:
    first, last = utc(2026, 6, 1), utc(2026, 6, 7)  # Monday to Sunday: five weekdays
    cleanup.span(CRON, first, last)
    with pytest.raises(InvalidArgumentError, match="limit"):
        client.backfill(CRON, first, last, limit=2)
    assert cleanup.runs(CRON, first, last + timedelta(days=1)) == []  # nothing sent
    weekdays = [utc(2026, 6, d, 6, 30) for d in range(1, 6)]
    part = client.backfill(CRON, first, last, limit=2, partial=True, unpause=True)
    assert list(part.created) == weekdays[:2]
    assert part.remaining == 3
    finished(client, part)
    rest = client.backfill(CRON, first, last, limit=3, unpause=True)  # the same call goes on
    assert list(rest.created) == weekdays[2:]
    assert list(rest.skipped) == weekdays[:2]
    finished(client, rest)
    assert len(cleanup.runs(CRON, first, last + timedelta(days=1))) == 5


def test_airflow_3_one_backfill_at_a_time_and_its_controls(
    client: AirflowClient, cleanup: Cleanup
) -> None:
    first, last = utc(2026, 7, 1), utc(2026, 7, 10)
    cleanup.span(DAILY, first, last)
    if client.api_version == "v1":
        with pytest.raises(UnsupportedFeatureError, match=r"3\.0\.0"):
            client.cancel_backfill(1)
        with pytest.raises(InvalidArgumentError, match="max_active_runs"):
            client.backfill(DAILY, first, last, max_active_runs=1)
        return
    with pytest.raises(InvalidArgumentError, match="prefix"):
        client.backfill(DAILY, first, last, prefix="mine_")
    running = client.backfill(DAILY, first, last, max_active_runs=1, unpause=True)
    assert running.id is not None
    with pytest.raises(BackfillConflictError) as caught:
        client.backfill(DAILY, utc(2026, 7, 20), utc(2026, 7, 21))
    assert caught.value.backfill_id == running.id
    assert f"cancel_backfill({running.id})" in str(caught.value)
    paused = client.pause_backfill(running)
    assert paused.state == "paused" or paused.raw.is_paused
    client.unpause_backfill(running)
    cancelled = client.cancel_backfill(running)
    assert cancelled.completed_at is not None
    with pytest.raises(BackfillFailedError):  # its queued runs end failed
        client.wait_backfill(running, timeout=WAIT)
