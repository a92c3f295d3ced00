"""Output of the ``airflow-client-ext`` command: JSON documents, rich tables, wait progress.

Imported by the :mod:`airflow_client_ext.cli` package only (it needs the ``cli`` extra: rich).
Values that come from the server are rendered as :class:`rich.text.Text`, never as markup,
so a ``[red]`` in a run id or a log line is printed as it is.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

#: Task instance states after which a task will not change any more (in this try).
FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
FAILED = frozenset({"failed", "upstream_failed"})
STYLES = {
    "success": "green",
    "failed": "bold red",
    "upstream_failed": "red",
    "running": "cyan",
    "queued": "yellow",
    "scheduled": "yellow",
    "deferred": "magenta",
    "up_for_retry": "yellow",
    "up_for_reschedule": "yellow",
    "restarting": "yellow",
    "skipped": "dim",
    "removed": "dim",
    "none": "dim",
}


# -- JSON ---------------------------------------------------------------------------------
def to_jsonable(value: Any) -> Any:
    """Plain JSON data from the workflow types (``raw`` models left out), datetimes as ISO
    8601 strings, enums as their values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # a generated (pydantic) model
        return to_jsonable(dump(mode="json", by_alias=True))
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "raw" and not f.name.startswith("_")
        }
    if hasattr(value, "__dict__"):
        return {
            k: to_jsonable(v)
            for k, v in vars(value).items()
            if k != "raw" and not k.startswith("_")
        }
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, sort_keys=False)


# -- small formatting helpers -------------------------------------------------------------
def state_of(obj: Any) -> str:
    """The state of a run or task instance as a plain string (``"none"`` when unset)."""
    state = getattr(obj, "state", None)
    if isinstance(state, Enum):
        state = state.value
    return str(state) if state else "none"


def state_text(state: str) -> Text:
    return Text(state, style=STYLES.get(state, ""))


def task_label(ti: Any) -> str:
    """``extract``, or ``transform[2]`` for a mapped task instance."""
    index = getattr(ti, "map_index", None)
    label = str(getattr(ti, "task_id", "?"))
    return f"{label}[{index}]" if isinstance(index, int) and index >= 0 else label


def fmt_time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else str(value)


def duration(start: Any, end: Any) -> str:
    if not isinstance(start, datetime):
        return ""
    if not isinstance(end, datetime):
        return ""
    return f"{(end - start).total_seconds():.1f} s"


def run_summary(run: Any) -> str:
    took = duration(getattr(run, "start_date", None), getattr(run, "end_date", None))
    return f"{run.dag_id}  {run.run_id}  {state_of(run)}" + (f" in {took}" if took else "")


# -- tables -------------------------------------------------------------------------------
def runs_table(runs: Sequence[Any]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("RUN ID", "STATE", "TYPE", "LOGICAL DATE", "STARTED", "DURATION"):
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(
            Text(str(run.run_id)),
            state_text(state_of(run)),
            Text(str(getattr(run, "run_type", "") or "")),
            Text(fmt_time(getattr(run, "logical_date", None))),
            Text(fmt_time(getattr(run, "start_date", None))),
            Text(duration(getattr(run, "start_date", None), getattr(run, "end_date", None))),
        )
    return table


def run_table(run: Any) -> Table:
    """One run, as a two-column table of its fields."""
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows: list[tuple[str, Text]] = [
        ("dag_id", Text(str(run.dag_id))),
        ("run_id", Text(str(run.run_id))),
        ("state", state_text(state_of(run))),
    ]
    for name in ("run_type", "logical_date", "start_date", "end_date", "note"):
        value = getattr(run, name, None)
        if value not in (None, ""):
            rows.append((name, Text(fmt_time(value))))
    conf = getattr(run, "conf", None)
    if conf:
        rows.append(("conf", Text(json.dumps(to_jsonable(conf), sort_keys=True))))
    for name, value in rows:
        table.add_row(name, value)
    return table


def tasks_table(tis: Sequence[Any], limit: int | None = None) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("TASK", "STATE", "TRY", "DURATION"):
        table.add_column(column, overflow="fold")
    shown = list(tis)
    if limit is not None and len(shown) > limit:
        # the tasks still moving first, then the latest finished ones
        moving = [ti for ti in shown if state_of(ti) not in FINISHED]
        done = [ti for ti in shown if state_of(ti) in FINISHED]
        shown = (moving + done)[:limit]
    for ti in shown:
        table.add_row(
            Text(task_label(ti)),
            state_text(state_of(ti)),
            Text(str(getattr(ti, "try_number", "") or "")),
            Text(duration(getattr(ti, "start_date", None), getattr(ti, "end_date", None))),
        )
    if limit is not None and len(tis) > limit:
        table.add_row(Text(f"... {len(tis) - limit} more", style="dim"), "", "", "")
    return table


def kv_table(rows: Iterable[tuple[str, Any]], headers: tuple[str, str] | None = None) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, show_header=bool(headers))
    for column in headers or ("", ""):
        table.add_column(column, overflow="fold")
    for key, value in rows:
        table.add_row(Text(str(key)), value if isinstance(value, Text) else Text(str(value)))
    return table


# -- wait progress ------------------------------------------------------------------------
class Progress(Protocol):
    """Receives ``on_update(run, task_instances)`` calls of a wait; closed at its end."""

    def __call__(self, run: Any, task_instances: Sequence[Any]) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def __call__(self, run: Any, task_instances: Sequence[Any]) -> None:
        return None

    def close(self) -> None:
        return None


class PlainProgress:
    """``HH:MM:SS  task  state`` lines, one per change: for logs and pipes."""

    def __init__(self, write: Callable[[str], None], clock: Callable[[], datetime] | None = None):
        self._write = write
        self._clock = clock or datetime.now
        self._run_state: str | None = None
        self._seen: dict[str, str] = {}

    def line(self, name: str, state: str, width: int = 0) -> None:
        self._write(f"{self._clock():%H:%M:%S}  {name:<{width}}  {state}".rstrip())

    def __call__(self, run: Any, task_instances: Sequence[Any]) -> None:
        labels = [task_label(ti) for ti in task_instances]
        width = max([len(label) for label in labels] + [3])
        for label, ti in zip(labels, task_instances, strict=True):
            state = state_of(ti)
            if self._seen.get(label) != state:
                self._seen[label] = state
                self.line(label, state, width)
        state = state_of(run)
        if state != self._run_state:
            self._run_state = state
            self.line("run", state, width)

    def close(self) -> None:
        return None


class _RunView:
    """What the live display shows; rendered anew on each refresh (the clock ticks)."""

    def __init__(self, dag_id: str, run_id: str, timeout: float | None) -> None:
        self.dag_id = dag_id
        self.run_id = run_id
        self.timeout = timeout
        self.started = time.monotonic()
        self.run_state = "queued"
        self.task_instances: list[Any] = []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        elapsed = time.monotonic() - self.started
        header = Text.assemble(
            (self.dag_id, "bold"),
            "  ",
            (self.run_id, ""),
            "  ",
            state_text(self.run_state),
            (f"  {elapsed:.0f} s", "dim"),
            (f" / {self.timeout:.0f} s" if self.timeout else "", "dim"),
        )
        tis = self.task_instances
        counts = Counter(state_of(ti) for ti in tis)
        done = sum(n for state, n in counts.items() if state in FINISHED)
        summary = Text(f"{done}/{len(tis)} tasks done  ")
        for state, n in sorted(counts.items()):
            summary.append(f"{state} {n}", style=STYLES.get(state, ""))
            summary.append("  ")
        bar = ProgressBar(total=max(len(tis), 1), completed=done, width=40)
        limit = max(console.height - 6, 5)
        yield Group(header, bar, summary, tasks_table(tis, limit=limit))


class LiveProgress:
    """A rich live display of the run: its state, a bar of finished tasks, tasks by state."""

    def __init__(
        self, console: Console, dag_id: str, run_id: str, timeout: float | None = None
    ) -> None:
        self.view = _RunView(dag_id, run_id, timeout)
        self.live = Live(self.view, console=console, refresh_per_second=4, transient=False)
        self.live.start()

    def __call__(self, run: Any, task_instances: Sequence[Any]) -> None:
        self.view.run_state = state_of(run)
        self.view.task_instances = list(task_instances)
        self.live.refresh()

    def close(self) -> None:
        self.live.stop()


def progress_for(
    console: Console | None, dag_id: str, run_id: str, timeout: float | None
) -> Progress:
    """Live display on a terminal, plain lines otherwise, nothing when ``console`` is None."""
    if console is None:
        return NoProgress()
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveProgress(console, dag_id, run_id, timeout)

    def write(line: str) -> None:
        console.file.write(line + "\n")
        console.file.flush()

    return PlainProgress(write)
