"""Version-neutral results of the workflows: the same types on Airflow 2 and 3.

Each object is a small frozen dataclass with the fields that mean the same thing on both
majors (``logical_date`` whatever the server calls it, ``run_id`` for ``dag_run_id``, states
as plain strings, timezone-aware datetimes) and keeps the generated model it was made from
as ``.raw`` for everything else::

    run = client.trigger("etl")
    run.state, run.logical_date, run.raw          # "queued", None, DAGRunResponse(...)

A ``DagRun`` or ``TaskInstance`` the workflows read (one, or a listing's) is read straight
from the answer's bytes (only its fields, each checked as the generated model checks it)
and makes its ``.raw`` when it is first read, from the same answer: the answer's other
fields are checked then, and a bad one raises
:class:`~airflow_client_ext.errors.InvalidResponseError` there.

The mapping from each API version's models lives in :mod:`airflow_client_ext._versions`.
Nothing here imports a generated module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

#: Run states after which nothing changes on its own.
TERMINAL_RUN_STATES = frozenset({"success", "failed"})
#: Task instance states after which the task instance does not run again by itself.
TERMINAL_TASK_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


def utc(value: datetime | str | None) -> datetime | None:
    """A timezone-aware datetime from what either API sends (a datetime or an ISO string).

    A naive value is taken as UTC (Airflow stores UTC); ``None`` and ``""`` give ``None``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):  # first: the common case, an aware datetime, is kept
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if value == "":
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


_Result = TypeVar("_Result")


def from_fields(cls: type[_Result], fields: dict[str, Any]) -> _Result:
    """An instance of one of the result classes below from a dict of *all* its fields,
    already converted (aware datetimes, plain strings): what its ``__init__`` makes, without
    the ``object.__setattr__`` per field of a frozen dataclass. The adapters of
    :mod:`airflow_client_ext._versions` make thousands of them per listing."""
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", fields)
    return made


class RawOnFirstUse:
    """A result whose ``raw`` is made when it is first read: one made by a listing holds,
    instead of its generated model, how to make it (``_raw_later``, a callable)."""

    __slots__ = ()

    if TYPE_CHECKING:
        raw: Any
    else:  # a type checker would take every attribute for one with a __getattr__

        def __getattr__(self, name: str) -> Any:
            later = self.__dict__.get("_raw_later") if name == "raw" else None
            if later is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            raw = self.__dict__["raw"] = later()
            self.__dict__.pop("_raw_later", None)
            return raw

    def __getstate__(self) -> dict[str, Any]:
        self.raw  # noqa: B018  made now: how to make it holds the answer, not for a pickle
        return {k: v for k, v in self.__dict__.items() if k != "_raw_later"}


def _no_raw() -> Any:
    return None


@dataclass(frozen=True)
class DagRun(RawOnFirstUse):
    """A DAG run. ``state`` is ``"queued"``, ``"running"``, ``"success"`` or ``"failed"``."""

    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    queued_at: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    run_type: str | None = None
    conf: Mapping[str, Any] = field(default_factory=dict, hash=False)
    note: str | None = None
    #: the generated model (``DAGRun`` on /api/v1, ``DAGRunResponse`` on /api/v2)
    raw: Any = field(default_factory=_no_raw, repr=False, compare=False, hash=False)

    @property
    def finished(self) -> bool:
        """True in a terminal state (success or failed)."""
        return self.state in TERMINAL_RUN_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, once both are known."""
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).total_seconds()


@dataclass(frozen=True)
class TaskInstance(RawOnFirstUse):
    """One try-able unit of a run: a task, or one index of a mapped task.

    ``state`` is None for a task instance that has not been scheduled yet (Airflow 2's
    ``"none"`` included); ``map_index`` is -1 for an unmapped task; ``try_number`` is the
    latest try (0 before the first one).
    """

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    try_number: int = 0
    state: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    max_tries: int | None = None
    operator: str | None = None
    hostname: str | None = None
    pool: str | None = None
    queue: str | None = None
    note: str | None = None
    rendered_map_index: str | None = None
    #: the generated model (``TaskInstance`` on /api/v1, ``TaskInstanceResponse`` on /api/v2)
    raw: Any = field(default_factory=_no_raw, repr=False, compare=False, hash=False)

    @property
    def key(self) -> str:
        """``"extract"``, or ``"double[7]"`` for index 7 of a mapped task."""
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_TASK_STATES

    @property
    def failed(self) -> bool:
        return self.state == "failed"


@dataclass(frozen=True)
class Dag:
    """A DAG as the API lists it (not its tasks)."""

    dag_id: str
    is_paused: bool | None = None
    #: False once the DAG's file is gone (Airflow 2 ``is_active``, Airflow 3 ``not is_stale``)
    is_active: bool | None = None
    fileloc: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    has_import_errors: bool | None = None
    raw: Any = field(default=None, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class Health:
    """The server's health: each component's status (``"healthy"``, ``"unhealthy"`` or None
    when the component has never reported, e.g. no triggerer running)."""

    components: Mapping[str, str | None] = field(default_factory=dict, hash=False)
    raw: Any = field(default=None, repr=False, compare=False, hash=False)

    #: components that must be healthy for the server to run DAGs
    REQUIRED = ("metadatabase", "scheduler")

    @property
    def healthy(self) -> bool:
        """The database and scheduler are healthy, and no other component that reports a
        status reports anything else."""
        for name, status in self.components.items():
            if name in self.REQUIRED and status != "healthy":
                return False
            if status is not None and status != "healthy":
                return False
        return all(name in self.components for name in self.REQUIRED)

    @property
    def unhealthy(self) -> list[str]:
        """Names of the components that are not healthy (required ones missing included)."""
        bad = [n for n, s in self.components.items() if s is not None and s != "healthy"]
        bad += [n for n in self.REQUIRED if self.components.get(n) is None and n not in bad]
        return bad


# -- export/import --------------------------------------------------------------------------
#: The ``format`` and ``version`` of the documents of ``export_config``.
CONFIG_FORMAT = "airflow-client-ext/config"
CONFIG_FORMAT_VERSION = 1
#: How each API marks a value it will not show (a secret).
MASK = "***"


@dataclass(frozen=True)
class ConfigItem:
    """One thing an import or a migration looked at: a ``variable``, ``pool`` or
    ``connection`` (and, in a migration, a ``pause_state``, a ``dag_run``, a ``dag`` or the
    ``history`` as a whole). :data:`ImportItem` and
    :data:`~airflow_client_ext.migration.MigrationItem` are this class."""

    kind: str
    name: str
    #: the fields written (created/updated), that differ (skipped), or that are missing
    fields: tuple[str, ...] = ()
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "fields": list(self.fields),
            "reason": self.reason,
        }


#: An item of an :class:`ImportReport`.
ImportItem = ConfigItem


class ConfigReport:
    """What the reports of ``import_config`` and ``migrate`` share: items by outcome
    (``OUTCOMES``, in the order the summary names them), the counts, the summary line and the
    JSON-able form. ``missing`` lists secrets the source would not give, with what was done
    instead; it is not a count of items."""

    OUTCOMES: ClassVar[tuple[str, ...]]
    mode: str
    dry_run: bool
    created: Sequence[ConfigItem]
    updated: Sequence[ConfigItem]
    unchanged: Sequence[ConfigItem]
    skipped: Sequence[ConfigItem]
    missing: Sequence[ConfigItem]

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.OUTCOMES}

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        """``{"variable": {"created": 2, ...}, ...}``."""
        table: dict[str, dict[str, int]] = {}
        for outcome in self.OUTCOMES:
            for item in getattr(self, outcome):
                row = table.setdefault(item.kind, dict.fromkeys(self.OUTCOMES, 0))
                row[outcome] += 1
        return table

    @property
    def changed(self) -> bool:
        """True if anything was written (or, in a dry run, would be)."""
        return bool(self.created or self.updated)

    def summary(self) -> str:
        """One line: ``created 2, updated 1, unchanged 40, skipped 0 (1 missing secret)``."""
        c = self.counts
        text = ", ".join(f"{name} {c[name]}" for name in self.OUTCOMES if name != "missing")
        if c["missing"]:
            text += f" ({c['missing']} missing secret{'s' if c['missing'] != 1 else ''})"
        if self.dry_run:
            text += " [dry run: nothing was written]"
        interrupted = getattr(self, "interrupted", None)
        if interrupted:
            text += f" [interrupted: {interrupted}]"
        return text

    def _head(self) -> dict[str, Any]:
        """What :meth:`to_dict` shows before the counts."""
        return {"mode": self.mode, "dry_run": self.dry_run}

    def _after_counts(self) -> dict[str, Any]:
        """What :meth:`to_dict` shows between the counts and the items."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, for a CLI or a CI log."""
        return {
            **self._head(),
            "counts": self.counts,
            **self._after_counts(),
            **{name: [i.to_dict() for i in getattr(self, name)] for name in self.OUTCOMES},
        }

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class ImportReport(ConfigReport):
    """What ``import_config`` did (or, with ``dry_run``, would do).

    - ``created``: items that did not exist;
    - ``updated``: existing items whose fields differed (``fields`` names them);
    - ``unchanged``: existing items equal to the document (nothing sent);
    - ``skipped``: items left alone: existing ones with ``mode="skip-existing"``, and items
      that cannot be written because the document lacks a required value (a masked one);
    - ``missing``: secrets the document does not carry (the API never returned them); an
      item created without one needs it set by hand. Not a count of items.

    A write the server refuses is raised (the import stops there), so an import report has
    no ``failed`` items; a :class:`MigrationReport` has.
    """

    OUTCOMES: ClassVar[tuple[str, ...]] = ("created", "updated", "unchanged", "skipped", "missing")

    created: tuple[ConfigItem, ...] = ()
    updated: tuple[ConfigItem, ...] = ()
    unchanged: tuple[ConfigItem, ...] = ()
    skipped: tuple[ConfigItem, ...] = ()
    missing: tuple[ConfigItem, ...] = ()
    mode: str = "upsert"
    dry_run: bool = False

    @property
    def total(self) -> int:
        """Items of the document that were looked at."""
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.skipped)


@dataclass
class MigrationReport(ConfigReport):
    """What :func:`~airflow_client_ext.migration.migrate` did (or, with ``dry_run``, would
    do).

    ``created``/``updated``/``unchanged``/``skipped``/``failed``: items, each once;
    ``missing``: secrets the source would not give (a connection's password without
    Starship), with what was done instead; not a count of items. ``interrupted``: why the
    migration stopped before the end (None when it ran to the end). ``seconds``: time per
    kind.
    """

    OUTCOMES: ClassVar[tuple[str, ...]] = (
        "created", "updated", "unchanged", "skipped", "failed", "missing",
    )  # fmt: skip

    mode: str = "upsert"
    dry_run: bool = False
    what: tuple[str, ...] = ()
    source: str = ""
    target: str = ""
    starship: dict[str, bool] = field(default_factory=dict)
    created: list[ConfigItem] = field(default_factory=list)
    updated: list[ConfigItem] = field(default_factory=list)
    unchanged: list[ConfigItem] = field(default_factory=list)
    skipped: list[ConfigItem] = field(default_factory=list)
    failed: list[ConfigItem] = field(default_factory=list)
    missing: list[ConfigItem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    interrupted: str | None = None

    def add(self, outcome: str, item: ConfigItem) -> None:
        getattr(self, outcome).append(item)

    @property
    def complete(self) -> bool:
        """True when the migration ran to the end and nothing failed."""
        return self.interrupted is None and not self.failed

    def _head(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "what": list(self.what),
            "source": self.source,
            "target": self.target,
            "starship": dict(self.starship),
            "complete": self.complete,
            "interrupted": self.interrupted,
        }

    def _after_counts(self) -> dict[str, Any]:
        return {
            "counts_by_kind": self.counts_by_kind(),
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


__all__ = [
    "CONFIG_FORMAT",
    "CONFIG_FORMAT_VERSION",
    "MASK",
    "TERMINAL_RUN_STATES",
    "TERMINAL_TASK_STATES",
    "ConfigItem",
    "ConfigReport",
    "Dag",
    "DagRun",
    "Health",
    "ImportItem",
    "ImportReport",
    "MigrationReport",
    "TaskInstance",
    "utc",
]


# -- backfills ------------------------------------------------------------------------------
#: What a backfill does at a logical date: make a run, clear the run there so that it runs
#: again, or leave the run there alone.
BACKFILL_ACTIONS = ("create", "clear", "skip")


@dataclass(frozen=True)
class BackfillEntry:
    """One logical date of a :class:`Backfill` and what the backfill does there.

    ``action``: ``"create"`` (no run there: one is made), ``"clear"`` (the run there is
    cleared to run again, ``reprocess="failed"`` or ``"completed"``) or ``"skip"`` (the run
    there is left alone: it exists and is not to be re-run, or it is queued or running).
    ``run_id`` is the run's id (None for a run Airflow 3 has not named yet), ``state`` the
    state of the run found there before the backfill (None: there was none).
    """

    logical_date: datetime
    action: str
    run_id: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Backfill:
    """A batch of runs of one DAG over a range of logical dates, on Airflow 2 or 3.

    - ``id``: the backfill's id on Airflow 3 (its backfill API); None on Airflow 2 (the runs
      are all there is) and for dry runs.
    - ``entries``: every logical date the call looked at, in logical date order, with what
      it does there (see :class:`BackfillEntry`); :attr:`dates` and :attr:`run_ids` are
      those the backfill runs (created or cleared), in the order they run.
    - ``from_date`` / ``to_date``: the range as sent (both inclusive), after the DAG's own
      start and end dates and a ``partial`` cut; ``remaining``: the dates past ``limit``
      that ``partial=True`` left for a later call.
    - ``state`` (Airflow 3): ``"running"``, ``"paused"`` or ``"completed"`` (a cancelled
      backfill is completed); None on Airflow 2 and for dry runs.
    - ``runs``: the runs as :meth:`~airflow_client_ext.workflows.Workflows.wait_backfill`
      last saw them (empty before).
    """

    dag_id: str
    entries: tuple[BackfillEntry, ...] = ()
    id: int | None = None
    from_date: datetime | None = None
    to_date: datetime | None = None
    dry_run: bool = False
    reprocess: str = "none"
    run_backwards: bool = False
    max_active_runs: int | None = None
    remaining: int = 0
    state: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    runs: tuple[DagRun, ...] = field(default=(), compare=False)
    #: Airflow 3's ``BackfillResponse`` (None on Airflow 2)
    raw: Any = field(default=None, repr=False, compare=False, hash=False)

    def _acted(self) -> list[BackfillEntry]:
        acted = [e for e in self.entries if e.action != "skip"]
        return acted[::-1] if self.run_backwards else acted

    @property
    def dates(self) -> tuple[datetime, ...]:
        """The logical dates the backfill runs (created or cleared), in the order they run."""
        return tuple(e.logical_date for e in self._acted())

    @property
    def run_ids(self) -> tuple[str | None, ...]:
        """The ids of the runs at :attr:`dates` (None: not named by the server yet)."""
        return tuple(e.run_id for e in self._acted())

    def _with(self, action: str) -> tuple[datetime, ...]:
        return tuple(e.logical_date for e in self.entries if e.action == action)

    @property
    def created(self) -> tuple[datetime, ...]:
        """Dates that had no run: the backfill makes one."""
        return self._with("create")

    @property
    def cleared(self) -> tuple[datetime, ...]:
        """Dates whose run is cleared to run again."""
        return self._with("clear")

    @property
    def skipped(self) -> tuple[datetime, ...]:
        """Dates whose run is left alone."""
        return self._with("skip")

    @property
    def finished(self) -> bool:
        """True once every run of :attr:`dates` seen by ``wait_backfill`` has ended."""
        ends = {run.logical_date: run.finished for run in self.runs}
        return all(ends.get(date, False) for date in self.dates)

    def summary(self) -> str:
        """One line: ``etl: 10 dates, create 8, clear 1, skip 1 (backfill 7, running)``."""
        if not self.entries and self.id is not None:  # known by its id only
            start, end = (d.isoformat() if d else "?" for d in (self.from_date, self.to_date))
            return f"{self.dag_id}: backfill {self.id} from {start} to {end} ({self.state})"
        what = "would " if self.dry_run else ""
        text = (
            f"{self.dag_id}: {len(self.entries)} dates, {what}create {len(self.created)}, "
            f"clear {len(self.cleared)}, skip {len(self.skipped)}"
        )
        if self.remaining:
            text += f"; {self.remaining} more left for a later call (limit reached)"
        where = [f"backfill {self.id}"] if self.id is not None else []
        where += [self.state] if self.state else []
        where += ["dry run: nothing was created"] if self.dry_run else []
        return text + (f" ({', '.join(where)})" if where else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, for a CLI or a CI log (datetimes stay datetimes)."""
        return {
            "id": self.id,
            "dag_id": self.dag_id,
            "dry_run": self.dry_run,
            "state": self.state,
            "from_date": self.from_date,
            "to_date": self.to_date,
            "reprocess": self.reprocess,
            "run_backwards": self.run_backwards,
            "max_active_runs": self.max_active_runs,
            "remaining": self.remaining,
            "dates": list(self.dates),
            "run_ids": list(self.run_ids),
            "created": list(self.created),
            "cleared": list(self.cleared),
            "skipped": list(self.skipped),
            "entries": [
                {
                    "logical_date": e.logical_date,
                    "action": e.action,
                    "run_id": e.run_id,
                    "state": e.state,
                }
                for e in self.entries
            ],
            "runs": list(self.runs),
        }

    def __str__(self) -> str:
        return self.summary()


__all__ += ["BACKFILL_ACTIONS", "Backfill", "BackfillEntry"]


# -- variables, pools, connections, XComs (the resource helpers of _settings and _inspect) --
@dataclass(frozen=True)
class Variable:
    """A variable. ``value`` is what the server shows: Airflow 3 masks the value of a
    sensitive key (``***``); Airflow 2 sends it in clear."""

    key: str
    value: str | None = None
    description: str | None = None
    raw: Any = field(default=None, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class Pool:
    """A pool and its slots (``open_slots`` etc. as the server counts them)."""

    name: str
    slots: int
    description: str | None = None
    include_deferred: bool | None = None
    occupied_slots: int | None = None
    running_slots: int | None = None
    queued_slots: int | None = None
    open_slots: int | None = None
    raw: Any = field(default=None, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class Connection:
    """A connection as the API shows it: Airflow 2 never returns the password (None),
    Airflow 3 returns ``***`` for a set one; sensitive keys of ``extra`` come masked."""

    connection_id: str
    conn_type: str | None = None
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema: str | None = None
    port: int | None = None
    password: str | None = field(default=None, repr=False)
    extra: str | None = None
    raw: Any = field(default=None, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class ConnectionTest:
    """The server's answer to a connection test."""

    status: bool
    message: str


@dataclass(frozen=True)
class XCom:
    """One XCom entry (``value`` only when read one by one: listings leave it out)."""

    dag_id: str
    run_id: str
    task_id: str
    key: str
    map_index: int = -1
    timestamp: datetime | None = None
    value: Any = None
    raw: Any = field(default=None, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class TaskInstanceRef:
    """A task instance a clear named (Airflow 2 does not say which map index: None)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int | None = None
