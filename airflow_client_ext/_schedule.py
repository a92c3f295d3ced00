"""The logical dates of an Airflow 2 DAG in a range, computed the way Airflow 2 does.

Airflow 2's REST API has no backfill: ``client.backfill`` on Airflow 2 reads the DAG's
schedule from ``GET /api/v1/dags/{dag_id}/details`` and works the dates out here. This
module is pure (no request, no generated code) and follows Airflow 2.11's own timetables:

- a cron expression or preset (``schedule_interval`` ``{"__type": "CronExpression",
  "value": ...}``): ``CronDataIntervalTimetable``, evaluated with croniter in the DAG's
  time zone (``airflow.timetables._cron.CronMixin``): a schedule that does not fire every
  hour keeps its wall-clock time across a DST change (a time the change skips moves
  forward by the gap; a repeated time is its second occurrence); one that fires every hour
  steps in absolute time, so the repeated hour is not skipped;
- a ``TimeDelta`` or ``RelativeDelta`` (``DeltaDataIntervalTimetable``): the dates are
  ``start``, ``start + delta``, ... (anchored at the range's start, as ``airflow dags
  backfill -s`` anchors them), in UTC;
- anything else cannot be computed here and raises
  :class:`~airflow_client_ext.errors.UnsupportedScheduleError`: no schedule (``None``),
  ``@once``, ``@continuous``, dataset-triggered DAGs and custom timetables (their
  ``schedule_interval`` is the timetable's summary, which is not a cron expression; and a
  timetable whose next run disagrees with its cron expression, such as
  ``CronTriggerTimetable``, is caught by :func:`check_next_run`).

What :func:`backfill_intervals` yields (``airflow dags backfill -s START -e END``): every
data interval whose start (the run's logical date) is in ``[start, end]``, both ends
inclusive, in logical date order, except those before the DAG's ``start_date`` or after its
``end_date``, and those whose interval has not ended by ``now`` (Airflow 3's backfill does
not create them either).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cached_property
from typing import Any

from .errors import InvalidArgumentError, UnsupportedScheduleError
from .models import utc

#: Airflow 2's cron presets (``airflow.utils.dates.cron_presets``); croniter reads the
#: others (``@annually``, ``@midnight``) itself.
CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
}
#: Schedules that have no periodic logical dates, and what they mean.
NOT_PERIODIC = {
    "@once": "@once (a single run)",
    "@continuous": "@continuous (a new run as soon as the last one ends)",
    "Dataset": "dataset-triggered (runs when its datasets are updated)",
}
#: The most logical dates one range may hold: a finer schedule over a longer range is refused
#: (computing 10 000 dates takes about 3 s; ``limit`` caps the runs of one call at 500 anyway).
MAX_DATES = 10_000

_FIXED = re.compile(r'name="([+-]\d\d:\d\d)"')
_OFFSET = re.compile(r"^([+-])(\d\d):(\d\d)$")
_WRAPPED = re.compile(r"^Timezone\('(.+)'\)$")


# -- the DAG's time zone --------------------------------------------------------------------
def parse_timezone(text: str | None) -> tzinfo:
    """The DAG's time zone from the ``timezone`` of its details: an IANA name (``"UTC"``,
    ``"Europe/Amsterdam"``), a pendulum repr (``"Timezone('UTC')"``, ``FixedTimezone(3600,
    name="+01:00")``) or an offset (``"+01:00"``). None is UTC (Airflow's default)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if text is None or not text.strip():
        return timezone.utc
    name = text.strip()
    wrapped = _WRAPPED.match(name)
    if wrapped:
        name = wrapped.group(1)
    fixed = _FIXED.search(name)
    if fixed:
        name = fixed.group(1)
    offset = _OFFSET.match(name)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnsupportedScheduleError(
            f"the DAG's time zone {text!r} is not a time zone this machine knows (an IANA name "
            "such as Europe/Amsterdam, or an offset such as +01:00): install the tzdata package",
            schedule=text,
        ) from None


# -- schedules ------------------------------------------------------------------------------
def _croniter(expression: str, start: datetime | None = None) -> Any:
    from croniter import croniter  # type: ignore[import-untyped]  # lazy: only Airflow 2 needs it

    return croniter(expression, start_time=start)


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    """``airflow.utils.timezone.make_aware`` with pendulum 3: a wall-clock time in ``zone``;
    a time a DST change skips moves forward by the gap, a repeated time is its second
    occurrence (``fold=1``)."""
    value = naive.replace(fold=1)
    before = zone.utcoffset(value.replace(fold=0))
    after = zone.utcoffset(value)
    if before is not None and after is not None and after > before:  # skipped by the change
        value = value + (after - before)
    return value.replace(tzinfo=zone)


def _naive(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


@dataclass(frozen=True)
class CronSchedule:
    """A cron expression in a time zone, stepped like Airflow 2's ``CronMixin``."""

    expression: str
    zone: tzinfo

    @cached_property
    def _iter(self) -> Any:
        return _croniter(self.expression)  # one parse; each step sets its start

    @cached_property
    def _every_hour(self) -> bool:
        # Airflow's _covers_every_hour: croniter normalises the hour field to ["*"]
        return bool(self._iter.expanded[1] == ["*"])

    def _step(self, naive: datetime, forward: bool) -> datetime:
        cron = self._iter
        cron.set_current(naive, force=True)
        found: datetime = cron.get_next(datetime) if forward else cron.get_prev(datetime)
        return found

    def next(self, current: datetime) -> datetime:
        """The first fire time after ``current``."""
        naive = _naive(current, self.zone)
        scheduled = self._step(naive, forward=True)
        if not self._every_hour:
            return _localize(scheduled, self.zone).astimezone(timezone.utc)
        return current.astimezone(timezone.utc) + (scheduled - naive)

    def prev(self, current: datetime) -> datetime:
        """The last fire time before ``current``."""
        naive = _naive(current, self.zone)
        scheduled = self._step(naive, forward=False)
        if not self._every_hour:
            return _localize(scheduled, self.zone).astimezone(timezone.utc)
        return current.astimezone(timezone.utc) - (naive - scheduled)

    def align_next(self, current: datetime) -> datetime:
        """``current`` if it is a fire time, else the next one."""
        following = self.next(current)
        return following if self.prev(following) != current else current

    def align_prev(self, current: datetime) -> datetime:
        """``current`` if it is a fire time, else the previous one."""
        previous = self.prev(current)
        return previous if self.next(previous) != current else current

    def __str__(self) -> str:
        return f"cron {self.expression!r} in {self.zone}"


@dataclass(frozen=True)
class DeltaSchedule:
    """A fixed ``timedelta`` or calendar ``relativedelta`` between logical dates (UTC)."""

    #: a ``datetime.timedelta`` or a ``dateutil.relativedelta.relativedelta``
    delta: Any

    def next(self, current: datetime) -> datetime:
        moved: datetime = current.astimezone(timezone.utc) + self.delta
        return moved.astimezone(timezone.utc)

    def prev(self, current: datetime) -> datetime:
        moved: datetime = current.astimezone(timezone.utc) - self.delta
        return moved.astimezone(timezone.utc)

    def align_next(self, current: datetime) -> datetime:
        return current

    def align_prev(self, current: datetime) -> datetime:
        return current

    def __str__(self) -> str:
        return f"every {self.delta}"


Schedule = CronSchedule | DeltaSchedule

#: The fields of a RelativeDelta schedule (all of ``dateutil.relativedelta``'s arguments).
_RELATIVE_FIELDS = (
    "years", "months", "days", "leapdays", "hours", "minutes", "seconds", "microseconds",
    "year", "month", "day", "hour", "minute", "second", "microsecond",
)  # fmt: skip


def schedule_from_details(details: Mapping[str, Any]) -> Schedule:
    """The schedule of an Airflow 2 DAG from the JSON of ``GET /dags/{dag_id}/details``
    (``schedule_interval`` and ``timezone``); :class:`UnsupportedScheduleError` for one
    whose logical dates the client cannot compute."""
    dag_id = str(details.get("dag_id") or "?")
    interval = details.get("schedule_interval")
    summary = str(details.get("timetable_description") or "")
    if interval is None:
        raise _unsupported(dag_id, "has no schedule (None): it runs only when triggered", None)
    if not isinstance(interval, Mapping):
        raise _unsupported(dag_id, f"has a schedule_interval the client cannot read: {interval!r}")
    kind = interval.get("__type")
    if kind == "CronExpression":
        return _cron(dag_id, str(interval.get("value") or ""), details.get("timezone"), summary)
    if kind == "TimeDelta":
        delta = timedelta(
            days=int(interval.get("days") or 0),
            seconds=int(interval.get("seconds") or 0),
            microseconds=int(interval.get("microseconds") or 0),
        )
        if delta <= timedelta(0):
            raise _unsupported(dag_id, f"has a schedule of {delta}, which is not positive")
        return DeltaSchedule(delta)
    if kind == "RelativeDelta":
        from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

        fields = {k: interval[k] for k in _RELATIVE_FIELDS if interval.get(k) is not None}
        relative = relativedelta(**fields)
        probe = datetime(2000, 1, 1, tzinfo=timezone.utc)
        if probe + relative <= probe:
            raise _unsupported(dag_id, f"has a schedule of {relative}, which is not positive")
        return DeltaSchedule(relative)
    raise _unsupported(dag_id, f"has a schedule_interval of type {kind!r}")


def _cron(dag_id: str, value: str, zone_text: Any, summary: str) -> CronSchedule:
    if value in NOT_PERIODIC:
        raise _unsupported(dag_id, f"is scheduled {NOT_PERIODIC[value]}: it has no logical dates")
    expression = CRON_PRESETS.get(value, value)
    try:
        fields = _croniter(expression).expanded
    except (ValueError, KeyError, TypeError, AttributeError):  # croniter's errors are ValueErrors
        what = f" ({summary})" if summary and summary != value else ""
        raise _unsupported(
            dag_id,
            f"has the schedule {value!r}{what}, which is not a cron expression: a custom "
            "timetable (or a dataset schedule)",
            value,
        ) from None
    if len(fields) != 5:
        raise _unsupported(dag_id, f"has the cron expression {value!r}, which has not 5 fields")
    return CronSchedule(expression, parse_timezone(None if zone_text is None else str(zone_text)))


def _unsupported(dag_id: str, what: str, schedule: str | None = "") -> UnsupportedScheduleError:
    return UnsupportedScheduleError(
        f"DAG {dag_id!r} {what}. On Airflow 2 the client works out a backfill's logical dates "
        "from a cron expression, a preset (@hourly, @daily, @weekly, @monthly, @quarterly, "
        "@yearly) or a timedelta schedule; trigger runs with explicit logical dates "
        "(client.trigger(..., logical_date=...)) for any other.",
        dag_id=dag_id,
        schedule=schedule,
    )


def check_next_run(schedule: Schedule, details: Mapping[str, Any]) -> None:
    """Raise :class:`UnsupportedScheduleError` if the server's next run of the DAG
    (``next_dagrun_data_interval_start``/``_end`` of its details) is not what
    ``schedule`` gives: the DAG then has a timetable of its own (``CronTriggerTimetable``,
    ``[scheduler] create_cron_data_intervals = False``, a custom one with a cron-like
    summary) whose dates the client would get wrong. Nothing to compare: no check."""
    start = utc(details.get("next_dagrun_data_interval_start"))
    end = utc(details.get("next_dagrun_data_interval_end"))
    if start is None or end is None:
        return
    expected = (schedule.align_next(start), schedule.next(start))
    if (start, end) != expected:
        dag_id = str(details.get("dag_id") or "?")
        raise UnsupportedScheduleError(
            f"DAG {dag_id!r}: the server's next run covers {start.isoformat()} to "
            f"{end.isoformat()}, but {schedule} gives {expected[0].isoformat()} to "
            f"{expected[1].isoformat()}: the DAG has a timetable of its own (for example "
            "CronTriggerTimetable, or [scheduler] create_cron_data_intervals = False), whose "
            "logical dates the client cannot compute on Airflow 2. Trigger runs with explicit "
            "logical dates instead (client.trigger(..., logical_date=...)).",
            dag_id=dag_id,
            schedule=str(schedule),
        )


# -- the dates ------------------------------------------------------------------------------
def data_intervals(
    schedule: Schedule, earliest: datetime, latest: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """``(start, end)`` of every data interval whose start is in ``[earliest, latest]``, in
    order: Airflow 2's ``DAG.iter_dagrun_infos_between(earliest, latest)`` (``align=True``)."""
    first = schedule.align_next(earliest.astimezone(timezone.utc))
    latest = latest.astimezone(timezone.utc)
    start = first
    while start <= latest:
        end = schedule.next(start)
        yield start, end
        start = max(schedule.align_prev(end), first)


def backfill_intervals(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    dag_start: datetime | None = None,
    dag_end: datetime | None = None,
    now: datetime,
) -> list[tuple[datetime, datetime]]:
    """The data intervals a backfill from ``start`` to ``end`` runs, in logical date order:
    those whose start (the logical date) is in ``[start, end]`` (both inclusive), not
    before ``dag_start`` nor after ``dag_end``, and whose end is before ``now``.

    More than :data:`MAX_DATES` raises :class:`InvalidArgumentError` (narrow the range)."""
    found: list[tuple[datetime, datetime]] = []
    for interval in data_intervals(schedule, start, end):
        logical, interval_end = interval
        if interval_end >= now:
            break  # later intervals end later still
        if dag_end is not None and logical > dag_end:
            break
        if dag_start is not None and logical < dag_start:
            continue
        found.append(interval)
        if len(found) > MAX_DATES:
            raise InvalidArgumentError(
                f"end: the range from {start.isoformat()} to {end.isoformat()} holds more than "
                f"{MAX_DATES} logical dates of a DAG scheduled {schedule}: narrow it",
                argument="end",
            )
    return found


__all__ = [
    "CRON_PRESETS",
    "MAX_DATES",
    "NOT_PERIODIC",
    "CronSchedule",
    "DeltaSchedule",
    "Schedule",
    "backfill_intervals",
    "check_next_run",
    "data_intervals",
    "parse_timezone",
    "schedule_from_details",
]
