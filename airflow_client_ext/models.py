"""Version-neutral results of the workflows: the same types on Airflow 2 and 3.

Each object is a small frozen dataclass with the fields that mean the same thing on both
majors (``logical_date`` whatever the server calls it, ``run_id`` for ``dag_run_id``, states
as plain strings, timezone-aware datetimes) and keeps the generated model it was made from
as ``.raw`` for everything else::

    run = client.trigger("etl")
    run.state, run.logical_date, run.raw          # "queued", None, DAGRunResponse(...)

The mapping from each API version's models lives in :mod:`airflow_client_ext._versions`.
Nothing here imports a generated module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

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


@dataclass(frozen=True)
class DagRun:
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
    raw: Any = field(default=None, repr=False, compare=False, hash=False)

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
class TaskInstance:
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
    raw: Any = field(default=None, repr=False, compare=False, hash=False)

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
class ImportItem:
    """One variable, pool or connection in an :class:`ImportReport`."""

    kind: str  # "variable", "pool" or "connection"
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


@dataclass(frozen=True)
class ImportReport:
    """What ``import_config`` did (or, with ``dry_run``, would do).

    - ``created``: items that did not exist;
    - ``updated``: existing items whose fields differed (``fields`` names them);
    - ``unchanged``: existing items equal to the document (nothing sent);
    - ``skipped``: items left alone: existing ones with ``mode="skip-existing"``, and items
      that cannot be written because the document lacks a required value (a masked one);
    - ``missing``: secrets the document does not carry (the API never returned them); an
      item created without one needs it set by hand. Not a count of items.
    """

    created: tuple[ImportItem, ...] = ()
    updated: tuple[ImportItem, ...] = ()
    unchanged: tuple[ImportItem, ...] = ()
    skipped: tuple[ImportItem, ...] = ()
    missing: tuple[ImportItem, ...] = ()
    mode: str = "upsert"
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "missing": len(self.missing),
        }

    @property
    def changed(self) -> bool:
        """True if the import wrote (or, in a dry run, would write) anything."""
        return bool(self.created or self.updated)

    @property
    def total(self) -> int:
        """Items of the document that were looked at."""
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.skipped)

    def summary(self) -> str:
        """One line: ``created 2, updated 1, unchanged 40, skipped 0 (1 missing secret)``."""
        c = self.counts
        text = (
            f"created {c['created']}, updated {c['updated']}, unchanged {c['unchanged']}, "
            f"skipped {c['skipped']}"
        )
        if c["missing"]:
            text += f" ({c['missing']} missing secret{'s' if c['missing'] != 1 else ''})"
        if self.dry_run:
            text += " [dry run: nothing was written]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, for a CLI or a CI log."""
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "created": [i.to_dict() for i in self.created],
            "updated": [i.to_dict() for i in self.updated],
            "unchanged": [i.to_dict() for i in self.unchanged],
            "skipped": [i.to_dict() for i in self.skipped],
            "missing": [i.to_dict() for i in self.missing],
        }

    def __str__(self) -> str:
        return self.summary()


__all__ = [
    "CONFIG_FORMAT",
    "CONFIG_FORMAT_VERSION",
    "MASK",
    "TERMINAL_RUN_STATES",
    "TERMINAL_TASK_STATES",
    "Dag",
    "DagRun",
    "Health",
    "ImportItem",
    "ImportReport",
    "TaskInstance",
    "utc",
]
