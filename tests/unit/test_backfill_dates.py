"""The logical dates of an Airflow 2 backfill, computed by the client (``_schedule``): the
same as Airflow 2.11.2's own timetables give (``data/airflow2-backfill-dates.json`` was
written by ``scripts/airflow2_dates.py`` running Airflow 2.11.2's code), both ends of the
range inclusive, the DAG's start and end dates, and the schedules that cannot be done."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from airflow_client_ext import _schedule
from airflow_client_ext._schedule import (
    MAX_DATES,
    CronSchedule,
    DeltaSchedule,
    backfill_intervals,
    check_next_run,
    data_intervals,
    parse_timezone,
    schedule_from_details,
)
from airflow_client_ext.errors import InvalidArgumentError, UnsupportedScheduleError

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "airflow2-backfill-dates.json").read_text()
)
UTC = timezone.utc
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def iso(moments: list[datetime]) -> list[str]:
    return [m.isoformat() for m in moments]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- the same dates as Airflow 2 --------------------------------------------------------------
def test_the_reference_was_made_by_airflow_2_and_covers_every_kind_of_schedule() -> None:
    assert REFERENCE["airflow"] == "2.11.2"
    kinds = {c["details"]["schedule_interval"]["__type"] for c in REFERENCE["cases"]}
    assert kinds == {"CronExpression", "TimeDelta", "RelativeDelta"}
    zones = {c["details"]["timezone"] for c in REFERENCE["cases"]}
    assert {"UTC", "Europe/Amsterdam", "America/New_York"} <= zones
    assert any(z.startswith("FixedTimezone(") for z in zones)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["name"])
def test_data_intervals_are_airflow_2s(case: dict[str, Any]) -> None:
    schedule = schedule_from_details(case["details"])
    found = list(data_intervals(schedule, at(case["start"]), at(case["end"])))
    assert [[a.isoformat(), b.isoformat()] for a, b in found] == case["intervals"]
    assert case["intervals"], "a case with no dates proves little"


def test_a_daily_cron_keeps_local_midnight_across_both_dst_changes() -> None:
    schedule = CronSchedule("0 0 * * *", ZoneInfo("Europe/Amsterdam"))
    spring = [
        s
        for s, _ in data_intervals(
            schedule, at("2026-03-28T00:00+01:00"), at("2026-03-30T12:00+02:00")
        )
    ]
    # midnight CET is 23:00 UTC, midnight CEST 22:00 UTC; the 23-hour day is one interval
    assert iso(spring) == [
        "2026-03-27T23:00:00+00:00",
        "2026-03-28T23:00:00+00:00",
        "2026-03-29T22:00:00+00:00",
    ]
    autumn = list(
        data_intervals(schedule, at("2026-10-25T00:00+02:00"), at("2026-10-25T00:00+02:00"))
    )
    assert [(e - s) for s, e in autumn] == [timedelta(hours=25)]


def test_an_hourly_cron_steps_in_absolute_time_through_the_repeated_hour() -> None:
    schedule = CronSchedule("0 * * * *", ZoneInfo("Europe/Amsterdam"))
    found = [
        s for s, _ in data_intervals(schedule, at("2026-10-25T00:00Z"), at("2026-10-25T02:00Z"))
    ]
    # 02:00 CEST, 02:00 CET (the repeated hour) and 03:00 CET: three runs an hour apart
    assert iso(found) == [
        "2026-10-25T00:00:00+00:00",
        "2026-10-25T01:00:00+00:00",
        "2026-10-25T02:00:00+00:00",
    ]


def test_a_wall_clock_time_the_dst_change_skips_runs_an_hour_later() -> None:
    schedule = CronSchedule("30 2 * * *", ZoneInfo("America/New_York"))
    (day,) = [
        s
        for s, _ in data_intervals(
            schedule, at("2026-03-08T00:00-05:00"), at("2026-03-08T12:00-04:00")
        )
    ]
    assert day.astimezone(ZoneInfo("America/New_York")).isoformat() == "2026-03-08T03:30:00-04:00"


# -- the range of a backfill ------------------------------------------------------------------
def daily() -> CronSchedule:
    return CronSchedule("0 0 * * *", UTC)


def test_both_ends_of_the_range_are_included() -> None:
    found = backfill_intervals(daily(), at("2026-01-01T00:00Z"), at("2026-01-03T00:00Z"), now=FAR)
    assert iso([s for s, _ in found]) == [
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
        "2026-01-03T00:00:00+00:00",
    ]
    # the last interval ends after `end`: it is still run (its logical date is in range)
    assert found[-1][1] == at("2026-01-04T00:00Z")


def test_ends_between_fire_times_take_the_fire_times_inside() -> None:
    found = backfill_intervals(daily(), at("2026-01-01T00:01Z"), at("2026-01-03T23:59Z"), now=FAR)
    assert [s.day for s, _ in found] == [2, 3]
    assert (
        backfill_intervals(daily(), at("2026-01-01T01:00Z"), at("2026-01-01T23:00Z"), now=FAR) == []
    )


def test_dates_outside_the_dags_start_and_end_dates_are_left_out() -> None:
    found = backfill_intervals(
        daily(),
        at("2026-01-01T00:00Z"),
        at("2026-01-10T00:00Z"),
        dag_start=at("2026-01-03T12:00Z"),
        dag_end=at("2026-01-06T00:00Z"),
        now=FAR,
    )
    assert [s.day for s, _ in found] == [4, 5, 6]


def test_intervals_that_have_not_ended_are_left_out() -> None:
    now = at("2026-01-05T00:00Z")
    found = backfill_intervals(daily(), at("2026-01-01T00:00Z"), at("2026-01-09T00:00Z"), now=now)
    assert [s.day for s, _ in found] == [1, 2, 3]  # [Jan 4, Jan 5) ends exactly now: not yet


def test_a_delta_schedule_is_anchored_at_the_start_of_the_range() -> None:
    schedule = DeltaSchedule(timedelta(hours=8))
    found = backfill_intervals(schedule, at("2026-01-01T05:00Z"), at("2026-01-02T05:00Z"), now=FAR)
    assert [s.hour for s, _ in found] == [5, 13, 21, 5]


def test_too_many_dates_is_an_error_naming_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_DATES == 10_000
    monkeypatch.setattr(_schedule, "MAX_DATES", 50)
    every_minute = CronSchedule("* * * * *", UTC)
    assert (
        len(
            backfill_intervals(
                every_minute, at("2026-01-01T00:00Z"), at("2026-01-01T00:49Z"), now=FAR
            )
        )
        == 50
    )
    with pytest.raises(InvalidArgumentError, match="more than 50 logical dates") as info:
        backfill_intervals(every_minute, at("2026-01-01T00:00Z"), at("2026-12-31T00:00Z"), now=FAR)
    assert info.value.argument == "end"


# -- schedules that cannot be backfilled ------------------------------------------------------
@pytest.mark.parametrize(
    ("interval", "words"),
    [
        (None, "no schedule"),
        ({"__type": "CronExpression", "value": "@once"}, "@once"),
        ({"__type": "CronExpression", "value": "@continuous"}, "@continuous"),
        ({"__type": "CronExpression", "value": "Dataset"}, "dataset-triggered"),
        ({"__type": "CronExpression", "value": "after_workday"}, "custom timetable"),
        ({"__type": "CronExpression", "value": "1 day, 0:00:00"}, "custom timetable"),
        ({"__type": "CronExpression", "value": "0 0 * * * 30"}, "not 5 fields"),
        ({"__type": "TimeDelta", "days": 0, "seconds": 0, "microseconds": 0}, "not positive"),
        ({"__type": "Weird"}, "'Weird'"),
    ],
)
def test_schedules_without_computable_dates_are_a_clear_error(interval: Any, words: str) -> None:
    details = {"dag_id": "etl", "schedule_interval": interval, "timezone": "UTC"}
    with pytest.raises(UnsupportedScheduleError, match=words) as info:
        schedule_from_details(details)
    assert "DAG 'etl'" in str(info.value)
    assert "logical_date" in str(info.value)  # what to do instead
    assert info.value.dag_id == "etl"


def test_a_timetable_whose_next_run_disagrees_with_its_cron_is_refused() -> None:
    schedule = daily()
    good = {
        "dag_id": "etl",
        "next_dagrun_data_interval_start": "2026-01-05T00:00:00+00:00",
        "next_dagrun_data_interval_end": "2026-01-06T00:00:00+00:00",
    }
    check_next_run(schedule, good)
    check_next_run(schedule, {"dag_id": "etl"})  # nothing to compare with
    trigger_like = {
        **good,
        "next_dagrun_data_interval_end": good["next_dagrun_data_interval_start"],
    }
    with pytest.raises(UnsupportedScheduleError, match="CronTriggerTimetable"):
        check_next_run(schedule, trigger_like)
    off_grid = {**good, "next_dagrun_data_interval_start": "2026-01-05T06:00:00+00:00"}
    with pytest.raises(UnsupportedScheduleError, match="timetable of its own"):
        check_next_run(schedule, off_grid)
    check_next_run(
        DeltaSchedule(timedelta(days=1)),
        off_grid | {"next_dagrun_data_interval_end": "2026-01-06T06:00:00+00:00"},
    )


@pytest.mark.parametrize(
    ("text", "offset_in_january"),
    [
        (None, timedelta(0)),
        ("UTC", timedelta(0)),
        ("Timezone('UTC')", timedelta(0)),
        ("Europe/Amsterdam", timedelta(hours=1)),
        ("Timezone('America/New_York')", timedelta(hours=-5)),
        ('FixedTimezone(19800, name="+05:30")', timedelta(hours=5, minutes=30)),
        ("-03:00", timedelta(hours=-3)),
    ],
)
def test_the_dags_time_zone_in_every_form_airflow_2_shows(
    text: str | None, offset_in_january: timedelta
) -> None:
    zone = parse_timezone(text)
    assert datetime(2026, 1, 15, tzinfo=zone).utcoffset() == offset_in_january


def test_an_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedScheduleError, match="tzdata"):
        parse_timezone("Mars/Olympus_Mons")
