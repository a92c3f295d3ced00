"""Backfills: a batch of runs of one DAG over a range of logical dates, one call on Airflow 2
and 3 (``client.backfill``), followed to the end by ``client.wait_backfill``.

- **Airflow 3** has a backfill API: the client asks for a dry run (the dates the server will
  run), applies ``limit``/``partial`` to it, then creates the backfill; Airflow names the
  runs. One backfill may be active per DAG: a second one is a
  :class:`~airflow_client_ext.errors.BackfillConflictError` naming the active one.
- **Airflow 2** has none: the client works the dates out from the DAG's schedule
  (:mod:`airflow_client_ext._schedule`), lists the runs already there, and per date creates
  a run named ``<prefix><n:07d>_<logical date>`` (with the data interval a scheduled run
  would have), clears a run to re-run it, or leaves it alone.

Per date, both majors decide alike (:func:`decide`): no run -> create one; a queued or
running run -> leave it; a finished run -> re-run it if ``reprocess`` says so (``"failed"``:
failed runs; ``"completed"``: failed and successful runs), else leave it. Airflow keeps one
run per logical date, so re-running means clearing the run there (all its task instances
run again); on Airflow 3 the server does it, and also sets the backfill's conf on it; on
Airflow 2 a cleared run keeps its own conf (the API cannot change it).

Options a major cannot honour are refused before anything is sent, never ignored:
``prefix`` on Airflow 3 (the server names backfill runs), ``max_active_runs`` and
``run_backwards`` on Airflow 2 (its scheduler starts queued runs oldest first, bounded by
the DAG's own ``max_active_runs``).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from . import _checks
from ._runs import OnUpdate, _Observer, _RunWorkflows
from ._schedule import backfill_intervals, check_next_run, schedule_from_details
from ._versions import VersionAdapter, enum_value
from ._workflow_base import _renamed
from .errors import (
    BackfillConflictError,
    BackfillFailedError,
    BackfillIncompleteError,
    ConflictError,
    DagPausedError,
    DagRunFailedError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    UnsupportedScheduleError,
    WaitTimeoutError,
)
from .models import Backfill, BackfillEntry, DagRun, utc

logger = logging.getLogger("airflow_client_ext.workflows")

#: The prefix of the run ids of an Airflow 2 backfill (``batch_0000001_2026-01-01T00:00...``).
DEFAULT_PREFIX = "batch_"
#: The most runs one call creates or re-runs, unless told otherwise.
DEFAULT_LIMIT = 500
#: Failed runs of a backfill whose task logs :class:`BackfillFailedError` reads (every
#: failed run is listed with its failed tasks).
MAX_FAILED_RUN_LOGS = 3


# -- pure pieces (unit-tested) --------------------------------------------------------------
def run_id_for(prefix: str, number: int, logical_date: datetime) -> str:
    """``batch_0000003_2026-01-03T00:00:00+00:00``: the id of the ``number``-th date (from
    1, in logical date order) of an Airflow 2 backfill's range. It depends on the range and
    the date only, so a retried or repeated call names the run alike."""
    return f"{prefix}{number:07d}_{logical_date.astimezone(timezone.utc).isoformat()}"


def decide(state: str | None, reprocess: str) -> str:
    """What a backfill does at a date whose run is in ``state`` (None: no run):
    ``"create"``, ``"clear"`` (re-run it) or ``"skip"``; as Airflow 3's backfill decides."""
    if state is None:
        return "create"
    if state not in ("success", "failed"):
        return "skip"  # queued or running: in flight
    if reprocess == "completed" or (reprocess == "failed" and state == "failed"):
        return "clear"
    return "skip"


def cut(
    acted: list[datetime], limit: int, partial: bool, dag_id: str
) -> tuple[list[datetime], int]:
    """The first ``limit`` dates of ``acted`` (in the order they run) and how many are left
    over; more than ``limit`` without ``partial`` is an :class:`InvalidArgumentError`."""
    if len(acted) <= limit:
        return acted, 0
    if not partial:
        raise InvalidArgumentError(
            f"limit: the backfill of DAG {dag_id!r} would create or re-run {len(acted)} runs, "
            f"more than limit={limit}: pass partial=True to run the first {limit} now (a later "
            "call with the same range goes on with the rest), raise limit, or narrow the range",
            argument="limit",
        )
    return acted[:limit], len(acted) - limit


def _latest(runs: Iterable[DagRun]) -> dict[datetime, DagRun]:
    """The run of each logical date (the latest started if a date has several)."""
    found: dict[datetime, DagRun] = {}
    floor = datetime.min.replace(tzinfo=timezone.utc)
    for run in runs:
        if run.logical_date is None:
            continue
        held = found.get(run.logical_date)
        if held is None or (run.start_date or floor) >= (held.start_date or floor):
            found[run.logical_date] = run
    return found


@dataclass(frozen=True)
class _Ask:
    """The checked arguments of one ``backfill`` call."""

    dag_id: str
    start: datetime
    end: datetime
    conf: dict[str, Any] | None
    reprocess: str
    max_active_runs: int | None
    run_backwards: bool
    dry_run: bool
    prefix: str | None
    limit: int
    partial: bool
    unpause: bool
    run_on_latest_version: bool | None


# -- one strategy per major -----------------------------------------------------------------
class _Strategy:
    """What differs between the majors; the workflow mixin below drives it."""

    def __init__(self, flows: _BackfillWorkflows, adapter: VersionAdapter) -> None:
        self.flows = flows
        self.adapter = adapter
        self.client = flows._client

    def check(self, ask: _Ask) -> None:
        """Refuse what this major cannot do, before anything is sent."""
        raise NotImplementedError

    def create(self, ask: _Ask) -> Backfill:
        raise NotImplementedError

    def date_filters(self, first: datetime, last: datetime) -> dict[str, Any]:
        raise NotImplementedError

    def runs_between(self, dag_id: str, first: datetime, last: datetime) -> dict[datetime, DagRun]:
        """The run of each logical date in ``[first, last]``."""
        return _latest(self.flows.iter_dag_runs(dag_id, **self.date_filters(first, last)))

    def details(self, dag_id: str) -> dict[str, Any]:
        """The JSON of ``GET /dags/{dag_id}/details`` (read as JSON: the generated v1 model
        loses a RelativeDelta schedule's fields)."""
        try:
            response = self.adapter.api("DAGApi").get_dag_details_without_preload_content(dag_id)
        except NotFoundError as exc:
            raise _renamed(
                exc, f"DAG {dag_id!r} not found: it does not exist, or is not parsed yet"
            ) from exc
        doc = json.loads(response.data)
        return doc if isinstance(doc, dict) else {}

    def unpaused(self, ask: _Ask, details: Mapping[str, Any]) -> None:
        """A paused DAG's runs sit queued on both majors: refuse, or unpause it first."""
        if ask.dry_run or not details.get("is_paused"):
            return
        if not ask.unpause:
            raise DagPausedError(
                f"DAG {ask.dag_id!r} is paused: the backfill's runs would sit queued until "
                "someone unpauses it. Unpause it first (client.unpause), or pass unpause=True.",
                dag_id=ask.dag_id,
            )
        logger.info("unpausing DAG %r before its backfill", ask.dag_id)
        self.adapter.set_paused(ask.dag_id, False)

    def backfill_entries(self, backfill: Backfill) -> tuple[BackfillEntry, ...]:
        """The entries of a backfill known by its id only (Airflow 3)."""
        return backfill.entries


class _V1Backfills(_Strategy):
    """Airflow 2: the client computes the dates and makes the runs."""

    def check(self, ask: _Ask) -> None:
        for name, value, why in (
            ("max_active_runs", ask.max_active_runs, "the DAG's own max_active_runs bounds"),
            ("run_backwards", ask.run_backwards or None, "its scheduler starts oldest first"),
            ("run_on_latest_version", ask.run_on_latest_version, "it has no DAG versions"),
        ):
            if value is not None:
                raise InvalidArgumentError(
                    f"{name} needs Airflow 3's backfill API; Airflow 2 cannot honour it ({why} "
                    f"the runs of a backfill there): leave it out on Airflow "
                    f"{self.client.server_version}",
                    argument=name,
                )
        if not ask.dry_run:
            self.client.require(
                "trigger_data_interval", action="create backfill runs with their data interval"
            )

    def date_filters(self, first: datetime, last: datetime) -> dict[str, Any]:
        return {"execution_date_gte": first, "execution_date_lte": last}

    def create(self, ask: _Ask) -> Backfill:
        details = self.details(ask.dag_id)
        schedule = schedule_from_details(details)
        check_next_run(schedule, details)
        intervals = backfill_intervals(
            schedule,
            ask.start,
            ask.end,
            dag_start=utc(details.get("start_date")),
            dag_end=utc(details.get("end_date")),
            now=self.flows._now(),
        )
        ends = dict(intervals)
        existing = (
            self.runs_between(ask.dag_id, intervals[0][0], intervals[-1][0]) if intervals else {}
        )
        prefix = ask.prefix or DEFAULT_PREFIX
        entries: list[BackfillEntry] = []
        for number, (date, _) in enumerate(intervals, 1):
            run = existing.get(date)
            action = decide(run.state if run else None, ask.reprocess)
            run_id = run.run_id if run else run_id_for(prefix, number, date)
            entries.append(BackfillEntry(date, action, run_id, run.state if run else None))
        acted = [e.logical_date for e in entries if e.action != "skip"]
        kept, remaining = cut(acted, ask.limit, ask.partial, ask.dag_id)
        if remaining:
            entries = [e for e in entries if e.logical_date <= kept[-1]]
        backfill = Backfill(
            dag_id=ask.dag_id,
            entries=tuple(entries),
            from_date=ask.start,
            to_date=kept[-1] if remaining else ask.end,
            dry_run=ask.dry_run,
            reprocess=ask.reprocess,
            remaining=remaining,
        )
        if ask.dry_run:
            return backfill
        if any(entry.action != "skip" for entry in entries):
            self.unpaused(ask, details)  # after every refusal: a refused call changes nothing
        done = [self._act(ask, entry, ends.get(entry.logical_date)) for entry in entries]
        return replace(backfill, entries=tuple(done))

    def _act(self, ask: _Ask, entry: BackfillEntry, end: datetime | None) -> BackfillEntry:
        if entry.action == "clear":
            assert entry.run_id is not None
            self.adapter.clear(ask.dag_id, entry.run_id, only_failed=False)
            logger.info("backfill %s: cleared %s to run again", ask.dag_id, entry.run_id)
        elif entry.action == "create":
            body = self.adapter.model("DAGRun")(
                dag_run_id=entry.run_id,
                logical_date=entry.logical_date,
                data_interval_start=entry.logical_date,
                data_interval_end=end,
                conf=ask.conf or {},
            )
            try:
                self.adapter.api("DAGRunApi").post_dag_run(ask.dag_id, body)
            except ConflictError:
                # a run appeared at that date meanwhile (the scheduler's, another call's):
                # Airflow 2 keeps one per date, so the date is done; anything else is raised
                found = self.runs_between(ask.dag_id, entry.logical_date, entry.logical_date)
                run = found.get(entry.logical_date)
                if run is None:
                    raise
                logger.info("backfill %s: %s appeared meanwhile", ask.dag_id, run.run_id)
                return BackfillEntry(entry.logical_date, "skip", run.run_id, run.state)
            logger.info("backfill %s: created %s", ask.dag_id, entry.run_id)
        return entry


class _V2Backfills(_Strategy):
    """Airflow 3: the server's backfill API."""

    def check(self, ask: _Ask) -> None:
        if ask.prefix is not None:
            raise InvalidArgumentError(
                "prefix names the runs of an Airflow 2 backfill; Airflow 3 names the runs of "
                f"its backfills itself (backfill__<logical date>): leave it out on Airflow "
                f"{self.client.server_version}",
                argument="prefix",
            )
        self.client.require("backfill_api", action="create a backfill")
        if ask.run_on_latest_version is not None:
            self.client.require(
                "backfill_run_on_latest_version", action="choose the DAG version of a backfill"
            )

    def date_filters(self, first: datetime, last: datetime) -> dict[str, Any]:
        return {"logical_date_gte": first, "logical_date_lte": last}

    def body(self, ask: _Ask, start: datetime, end: datetime) -> Any:
        fields: dict[str, Any] = {
            "dag_id": ask.dag_id,
            "from_date": start.astimezone(timezone.utc),
            "to_date": end.astimezone(timezone.utc),
            "run_backwards": ask.run_backwards,
            # 3.0.x refuses a null conf (422 "Input should be a valid dictionary")
            "dag_run_conf": {} if ask.conf is None else ask.conf,
            "reprocess_behavior": self.adapter.model("ReprocessBehavior")(ask.reprocess),
        }
        if ask.max_active_runs is not None:
            fields["max_active_runs"] = ask.max_active_runs
        if ask.run_on_latest_version is not None:
            fields["run_on_latest_version"] = ask.run_on_latest_version
        return self.adapter.model("BackfillPostBody")(**fields)

    def create(self, ask: _Ask) -> Backfill:
        details = self.details(ask.dag_id)
        # the DAG's own start and end dates bound the range, as on Airflow 2
        dag_start, dag_end = utc(details.get("start_date")), utc(details.get("end_date"))
        start = max(ask.start, dag_start) if dag_start else ask.start
        end = min(ask.end, dag_end) if dag_end else ask.end
        base = Backfill(
            dag_id=ask.dag_id,
            from_date=start,
            to_date=end,
            dry_run=ask.dry_run,
            reprocess=ask.reprocess,
            run_backwards=ask.run_backwards,
            max_active_runs=ask.max_active_runs,
        )
        if start > end:
            return base  # nothing of the range is in the DAG's life
        api = self.adapter.api("BackfillApi")
        planned = self._dates(api.create_backfill_dry_run(self.body(ask, start, end)), ask)
        kept, remaining = cut(planned, ask.limit, ask.partial, ask.dag_id)
        if remaining:  # cut the range so that the server runs exactly the kept dates
            start, end = (min(kept), end) if ask.run_backwards else (start, max(kept))
        existing = self.runs_between(ask.dag_id, start, end)
        entries = self._entries(set(kept), existing)
        base = replace(base, entries=entries, from_date=start, to_date=end, remaining=remaining)
        if ask.dry_run or not kept:
            return base  # nothing to run: no backfill is made (it would block the DAG)
        self.unpaused(ask, details)  # after every refusal: a refused call changes nothing
        response = self._post(api, ask, start, end)
        logger.info("backfill %s of %s created: %d runs", response.id, ask.dag_id, len(kept))
        named = self.runs_between(ask.dag_id, start, end)
        entries = tuple(
            replace(e, run_id=named[e.logical_date].run_id)
            if e.run_id is None and e.logical_date in named
            else e
            for e in entries
        )
        made = replace(_from_response(response, base), entries=entries)
        missing = [e.logical_date for e in entries if e.action != "skip" and e.run_id is None]
        if missing:  # its POST failed part-way (the 5xx that _post made good)
            raise incomplete(made, missing, "its creation failed part-way")
        return made

    def _post(self, api: Any, ask: _Ask, start: datetime, end: datetime) -> Any:
        """``POST /backfills``. A 5xx (SQLite's "database is locked" under a busy scheduler
        is one) leaves it unknown whether the backfill was made: the active backfill of the
        DAG over this very range is then ours (Airflow 3 allows one per DAG), and without
        one nothing was made, so the POST is sent again, within the retry policy's
        attempts. Never a second backfill."""
        policy = self.client.transport.retry
        attempt = 0
        while True:
            try:
                return api.create_backfill(self.body(ask, start, end))
            except ConflictError as exc:
                raise self._conflict(ask.dag_id, exc) from exc
            except ServerError as exc:
                made = self._made(ask.dag_id, start, end)
                if made is not None:
                    logger.info("backfill %s of %s was made despite a %s", made.id,
                                ask.dag_id, exc.status)  # fmt: skip
                    return made
                if attempt >= policy.total:
                    raise
                delay = policy.backoff(attempt)
                logger.info("backfill of %s not made (%s): again in %.2f s", ask.dag_id,
                            exc.status, delay)  # fmt: skip
                self.flows._sleep(delay)
                attempt += 1

    def _made(self, dag_id: str, start: datetime, end: datetime) -> Any | None:
        """The raw answer of the DAG's active backfill over ``start``..``end``, or None."""
        api = self.adapter.api("BackfillApi")
        for raw in self.flows.paginate(api.list_backfills, dag_id=dag_id):
            if raw.completed_at is None and (utc(raw.from_date), utc(raw.to_date)) == (start, end):
                return raw
        return None

    def _dates(self, dry: Any, ask: _Ask) -> list[datetime]:
        """The dates of a dry run, in the order they run."""
        dates = []
        for item in dry.backfills or ():
            date = utc(item.logical_date)
            if date is None:
                raise UnsupportedScheduleError(
                    f"DAG {ask.dag_id!r} is partitioned: its backfill runs are named by "
                    "partition keys, not logical dates, which client.backfill does not handle; "
                    'use the API directly (client.api("BackfillApi"))',
                    dag_id=ask.dag_id,
                )
            dates.append(date)
        return sorted(dates, reverse=ask.run_backwards)

    @staticmethod
    def _entries(
        kept: set[datetime], existing: Mapping[datetime, DagRun]
    ) -> tuple[BackfillEntry, ...]:
        entries = []
        for date in sorted(kept | set(existing)):
            run = existing.get(date)
            state = run.state if run else None
            action = ("clear" if run else "create") if date in kept else "skip"
            entries.append(BackfillEntry(date, action, run.run_id if run else None, state))
        return tuple(entries)

    def _conflict(self, dag_id: str, exc: ConflictError) -> BackfillConflictError:
        active = [b for b in self.flows.list_backfills(dag_id) if b.state != "completed"]
        if active:
            b = active[0]
            which = f"backfill {b.id} ({_day(b.from_date)} to {_day(b.to_date)}, {b.state})"
            how = (
                f"wait for it (client.wait_backfill(client.get_backfill({b.id}))) or cancel it "
                f"(client.cancel_backfill({b.id}); CLI: airflow-client-ext cancel-backfill "
                f"{b.id}), then call again"
            )
        else:
            which, how = "a backfill that has ended since", "call again"
        error = BackfillConflictError(
            f"DAG {dag_id!r} already has a running backfill: {which}. Airflow 3 runs one "
            f"backfill per DAG: {how}.",
            status=exc.status,
            method=exc.method,
            path=exc.path,
            title=exc.title,
            detail=exc.detail,
            type=exc.type,
            body_excerpt=exc.body_excerpt,
            headers=exc.headers,
        )
        error.backfill_id = active[0].id if active else None
        return error

    def backfill_entries(self, backfill: Backfill) -> tuple[BackfillEntry, ...]:
        if backfill.entries or backfill.from_date is None or backfill.to_date is None:
            return backfill.entries
        # known by its id only: its runs are the backfill runs of its range
        runs = self.flows.iter_dag_runs(
            backfill.dag_id,
            run_type=["backfill"],
            **self.date_filters(backfill.from_date, backfill.to_date),
        )
        return tuple(
            BackfillEntry(date, "create", run.run_id) for date, run in sorted(_latest(runs).items())
        )


def incomplete(
    backfill: Backfill, missing: Sequence[datetime], why: str
) -> BackfillIncompleteError:
    """The error of a backfill that has no run for some of its dates."""
    dates = ", ".join(_day(d) for d in sorted(missing))
    return BackfillIncompleteError(
        f"backfill {backfill.id} of {backfill.dag_id} has no run for {len(missing)} of its "
        f"{len(backfill.dates)} dates ({why}): {dates}. Wait for it to end "
        f"(client.wait_backfill(error.backfill)), then make the same backfill again: it "
        "creates only the missing runs",
        backfill=backfill,
        missing=missing,
    )


def _day(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "?"


def _from_response(raw: Any, base: Backfill | None = None) -> Backfill:
    """A :class:`Backfill` from Airflow 3's ``BackfillResponse`` (what ``base`` knows kept)."""
    state = "completed" if raw.completed_at else ("paused" if raw.is_paused else "running")
    known = base or Backfill(dag_id=str(raw.dag_id))
    return replace(
        known,
        id=int(raw.id),
        dag_id=str(raw.dag_id),
        from_date=utc(raw.from_date),
        to_date=utc(raw.to_date),
        reprocess=str(enum_value(raw.reprocess_behavior)),
        max_active_runs=raw.max_active_runs,
        state=state,
        created_at=utc(raw.created_at),
        completed_at=utc(raw.completed_at),
        dry_run=False,
        raw=raw,
    )


_STRATEGIES: dict[str, type[_Strategy]] = {"v1": _V1Backfills, "v2": _V2Backfills}


# -- the workflows --------------------------------------------------------------------------
class _BackfillWorkflows(_RunWorkflows):
    """Backfills of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    def _strategy(self, adapter: VersionAdapter | None = None) -> _Strategy:
        adapter = adapter or self._adapter()
        return _STRATEGIES[adapter.api_version](self, adapter)

    def backfill(
        self,
        dag_id: str,
        start: datetime | str,
        end: datetime | str,
        *,
        conf: Mapping[str, Any] | None = None,
        reprocess: str = "none",
        max_active_runs: int | None = None,
        run_backwards: bool = False,
        dry_run: bool = False,
        prefix: str | None = None,
        limit: int = DEFAULT_LIMIT,
        partial: bool = False,
        unpause: bool = False,
        run_on_latest_version: bool | None = None,
    ) -> Backfill:
        """Run ``dag_id`` once per logical date of its schedule from ``start`` to ``end``;
        return the :class:`~airflow_client_ext.models.Backfill` (follow it with
        :meth:`wait_backfill`).

        **Which dates**: those of the DAG's schedule from ``start`` to ``end``, **both
        included** (aware datetimes or ISO strings), as ``airflow dags backfill -s -e``: on
        Airflow 2 the start of each data interval that starts in ``[start, end]`` (see
        :mod:`airflow_client_ext._schedule`), on Airflow 3 the dates of the server's dry
        run. On both, dates before the DAG's ``start_date`` or after its ``end_date`` are
        left out, and so are intervals that have not ended yet. Dates run oldest first
        (``run_backwards=True``: newest first, Airflow 3 only).

        **What per date** (``reprocess``): a date without a run gets one; a queued or
        running run is left alone; a finished one is re-run (cleared) if ``reprocess`` is
        ``"failed"`` (failed runs) or ``"completed"`` (failed and successful ones), else left
        alone. A repeated or retried call never makes a second run for a date.

        **How many**: at most ``limit`` runs are created or re-run by one call; more is an
        :class:`InvalidArgumentError` unless ``partial=True``, which runs the first
        ``limit`` of them (in run order) and says how many are left (``remaining``): the
        same call again goes on with them.

        - ``dry_run=True`` creates nothing and returns what would be done (on Airflow 2 with
          the run ids).
        - ``conf`` goes to every run the backfill creates (Airflow 3 also sets it on the runs
          it re-runs; Airflow 2 cannot change a cleared run's conf).
        - ``prefix`` (Airflow 2 only) names the runs ``<prefix><n:07d>_<logical date>``, ``n``
          the date's position in the range (default ``batch_``); never ``backfill``.
        - ``max_active_runs`` (Airflow 3 only; its default is 10) bounds the backfill's runs
          at once; ``run_on_latest_version`` (Airflow >= 3.1.6) picks the DAG version.
        - A paused DAG raises :class:`DagPausedError` (its runs would sit queued) unless
          ``unpause=True``.
        - Airflow 3: a backfill already running for the DAG raises
          :class:`BackfillConflictError` naming it and how to cancel it. Airflow 2: a DAG
          without a cron or timedelta schedule raises :class:`UnsupportedScheduleError`;
          creating runs needs Airflow >= 2.9 (older ones cannot take a run's data interval).
          A call that fails midway leaves the runs it made; calling again goes on.
        """
        ask = self._backfill_ask(
            dag_id, start, end, conf, reprocess, max_active_runs, run_backwards, dry_run,
            prefix, limit, partial, unpause, run_on_latest_version,
        )  # fmt: skip
        strategy = self._strategy()
        strategy.check(ask)
        return strategy.create(ask)

    def _backfill_ask(
        self,
        dag_id: Any,
        start: Any,
        end: Any,
        conf: Any,
        reprocess: Any,
        max_active_runs: Any,
        run_backwards: Any,
        dry_run: Any,
        prefix: Any,
        limit: Any,
        partial: Any,
        unpause: Any,
        run_on_latest_version: Any,
    ) -> _Ask:
        _checks.check_dag_id(dag_id)
        first, last = _checks.check_backfill_range(start, end)
        body_conf = _checks.check_conf(conf) if conf is not None else None
        reprocess = _checks.check_choice("reprocess", reprocess, _checks.REPROCESS_BEHAVIORS)
        active = _checks.check_int(
            "max_active_runs", max_active_runs, minimum=1, none="the server's default"
        )
        for name, flag in (("run_backwards", run_backwards), ("dry_run", dry_run)):
            _checks.check_flag(name, flag)
        _checks.check_flag("partial", partial)
        _checks.check_flag("unpause", unpause)
        _checks.check_flag("run_on_latest_version", run_on_latest_version, none="the server's")
        prefix = _checks.check_run_id_prefix(prefix, none=f"{DEFAULT_PREFIX!r} on Airflow 2")
        most = _checks.check_int("limit", limit, minimum=1, meaning="runs one call makes")
        assert most is not None
        return _Ask(
            dag_id, first, last, body_conf, reprocess, active, run_backwards, dry_run,
            prefix, most, partial, unpause, run_on_latest_version,
        )  # fmt: skip

    # -- following a backfill ---------------------------------------------------------------
    def wait_backfill(
        self,
        backfill: Backfill,
        timeout: float | None = 600.0,
        on_update: OnUpdate | None = None,
        *,
        raise_on_failure: bool = True,
    ) -> Backfill:
        """Wait until every run of ``backfill`` has ended; return it with its final runs
        (``.runs``, in the order of ``.dates``).

        - ``on_update(run, task_instances)`` is called for each run when first seen and on
          each change of its state or of its task instances' states (like :meth:`wait`; task
          instances are read for running runs only).
        - ``timeout`` seconds (None: no limit) ends in :class:`WaitTimeoutError` saying how
          many runs are done.
        - Failed runs raise :class:`BackfillFailedError` listing every failed run with its
          failed task instances (and the log tails of the first few) unless
          ``raise_on_failure=False``.
        - A paused backfill (or DAG) waits until unpaused; a cancelled one ends once its
          running runs do (Airflow 3 fails its queued runs).
        """
        _checks.check_instance(
            "backfill", backfill, Backfill, "a Backfill (from client.backfill)", setting=False
        )
        if backfill.dry_run:
            raise InvalidArgumentError(
                "backfill is a dry run: it made no runs to wait for", argument="backfill"
            )
        self._check_wait(timeout, on_update, raise_on_failure, None)
        adapter = self._adapter()
        strategy = self._strategy(adapter)
        backfill = replace(backfill, entries=strategy.backfill_entries(backfill))
        dates = backfill.dates
        limit = math.inf if timeout is None else float(timeout)
        deadline = self._clock() + limit
        observers = {date: _Observer(on_update) for date in dates}
        runs: dict[datetime, DagRun] = {}
        schedule = self._schedule()
        while dates:
            found = strategy.runs_between(backfill.dag_id, min(dates), max(dates))
            changed = False
            for date in dates:
                run = found.get(date)
                if run is None:
                    continue
                observer = observers[date]
                moved = date not in runs or runs[date].state != run.state
                wanted = observer.wants_task_instances and (moved or run.state == "running")
                tis = self._tis_for(adapter, run, observer) if wanted else None
                changed = observer.observe(run, tis) or changed
                runs[date] = run
            if all(date in runs and runs[date].finished for date in dates):
                break
            if all(run.finished for run in runs.values()) and self._ended_without(backfill):
                missing = [date for date in dates if date not in runs]
                raise incomplete(backfill, missing, "the server ended it without them")
            if changed:
                schedule.reset()
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._backfill_timeout(backfill, runs, limit)
            self._sleep(min(schedule.next(), remaining))
        entries = tuple(
            replace(e, run_id=runs[e.logical_date].run_id) if e.logical_date in runs else e
            for e in backfill.entries
        )
        done = replace(backfill, entries=entries, runs=tuple(runs[d] for d in dates))
        if done.id is not None and done.completed_at is None:
            done = self._until_completed(done, deadline, limit)
        failed = [run for run in done.runs if run.failed]
        if failed and raise_on_failure:
            raise self._backfill_failure(adapter, done, failed)
        return done

    def _ended_without(self, backfill: Backfill) -> bool:
        """Whether Airflow 3 marked ``backfill`` completed (runs it lacks will not come)."""
        if backfill.id is None:
            return False
        api = self._backfill_api("read a backfill")
        return api.get_backfill(backfill.id).completed_at is not None

    def _until_completed(self, backfill: Backfill, deadline: float, limit: float) -> Backfill:
        """Airflow 3 marks a backfill completed a scheduler loop or two after its last run
        ends; until then it is still the DAG's running backfill and a new one gets a 409."""
        assert backfill.id is not None
        api = self._backfill_api("read a backfill")
        schedule = self._schedule()
        while True:
            latest = _from_response(api.get_backfill(backfill.id))
            if latest.completed_at is not None:
                return replace(
                    backfill, completed_at=latest.completed_at, state=latest.state, raw=latest.raw
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"the runs of backfill {backfill.id} of {backfill.dag_id} ended, but the "
                    f"server did not mark it completed within {limit:g} s",
                    timeout=limit,
                    last_state="runs ended, backfill not completed",
                )
            self._sleep(min(schedule.next(), remaining))

    def _backfill_timeout(
        self, backfill: Backfill, runs: Mapping[datetime, DagRun], limit: float
    ) -> WaitTimeoutError:
        states: dict[str, int] = {}
        for date in backfill.dates:
            state = runs[date].state if date in runs else "not found"
            states[state] = states.get(state, 0) + 1
        done = sum(1 for run in runs.values() if run.finished)
        counts = ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
        last = f"{done} of {len(backfill.dates)} runs ended ({counts})"
        return WaitTimeoutError(
            f"the backfill of {backfill.dag_id} did not finish within {limit:g} s: {last}",
            timeout=limit,
            last_state=last,
        )

    def _backfill_failure(
        self, adapter: VersionAdapter, backfill: Backfill, failed: list[DagRun]
    ) -> BackfillFailedError:
        failures: list[DagRunFailedError] = [
            self._failure(adapter, run, max_logs=10 if i < MAX_FAILED_RUN_LOGS else 0)
            for i, run in enumerate(failed)
        ]
        parts = []
        for failure in failures[:3]:
            tasks = ", ".join(ti.key for ti in failure.failed_task_instances[:3]) or "no task"
            parts.append(f"{failure.run.run_id} ({tasks})")
        more = f" (+{len(failures) - 3} more)" if len(failures) > 3 else ""
        which = f" (backfill {backfill.id})" if backfill.id is not None else ""
        return BackfillFailedError(
            f"backfill of DAG {backfill.dag_id}{which}: {len(failed)} of "
            f"{len(backfill.dates)} runs failed: {'; '.join(parts)}{more}",
            failures=failures,
            backfill=backfill,
        )

    # -- Airflow 3's backfills by id --------------------------------------------------------
    def _backfill_api(self, action: str) -> Any:
        self._client.require("backfill_api", action=action)
        return self._adapter().api("BackfillApi")

    def get_backfill(self, backfill_id: int) -> Backfill:
        """An Airflow 3 backfill by its id (its dates are found by :meth:`wait_backfill`)."""
        found = _checks.check_backfill_id(backfill_id)
        return _from_response(self._backfill_api("read a backfill").get_backfill(found))

    def list_backfills(self, dag_id: str) -> list[Backfill]:
        """The backfills of a DAG on Airflow 3, oldest first."""
        _checks.check_dag_id(dag_id)
        api = self._backfill_api("list backfills")
        return [_from_response(raw) for raw in self.paginate(api.list_backfills, dag_id=dag_id)]

    def _backfill_call(self, name: str, backfill: Backfill | int) -> Backfill:
        known = backfill if isinstance(backfill, Backfill) else None
        found = _checks.check_backfill_id(known.id if known is not None else backfill)
        raw = getattr(self._backfill_api(f"{name} a backfill"), f"{name}_backfill")(found)
        return _from_response(raw, known)

    def pause_backfill(self, backfill: Backfill | int) -> Backfill:
        """Pause an Airflow 3 backfill: no more of its runs start (running ones go on)."""
        return self._backfill_call("pause", backfill)

    def unpause_backfill(self, backfill: Backfill | int) -> Backfill:
        """Let a paused Airflow 3 backfill start its runs again."""
        return self._backfill_call("unpause", backfill)

    def cancel_backfill(self, backfill: Backfill | int) -> Backfill:
        """Cancel an Airflow 3 backfill: its queued runs fail, running ones go on; it is
        then completed (and the DAG free for another backfill)."""
        return self._backfill_call("cancel", backfill)
