"""Commands for backfills: ``backfill`` (Airflow 2 and 3), and ``pause-backfill``,
``unpause-backfill``, ``cancel-backfill`` (Airflow 3's backfills, by id)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from .. import _checks
from ._output import FINISHED, STYLES, fmt_time, runs_table, state_of, state_text, task_label
from ._params import DAG_ID, SECONDS, Checked, parse_conf, parse_day_or_datetime
from ._root import cli
from ._runs import DEFAULT_WAIT_TIMEOUT
from ._state import CliState, pass_state

if TYPE_CHECKING:
    from ..client import AirflowClient
    from ..models import Backfill

PREFIX = Checked("prefix", _checks.check_run_id_prefix)


# -- the backfill command -------------------------------------------------------------------
@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.option(
    "--from",
    "start",
    required=True,
    callback=parse_day_or_datetime,
    metavar="DATE",
    help="The first logical date, included: a day (YYYY-MM-DD, from its 00:00 UTC) or an "
    "ISO 8601 date-time (UTC when no zone is given).",
)
@click.option(
    "--to",
    "end",
    required=True,
    callback=parse_day_or_datetime,
    metavar="DATE",
    help="The last logical date, included: a day (YYYY-MM-DD, the whole day in UTC) or an "
    "ISO 8601 date-time (UTC when no zone is given).",
)
@click.option("--dry-run", is_flag=True, help="Show the dates (and run ids); create nothing.")
@click.option("--wait", is_flag=True, help="Wait for every run to end, showing progress.")
@click.option(
    "--timeout",
    type=SECONDS,
    metavar="SECONDS",
    help=f"With --wait: how long to wait (default {DEFAULT_WAIT_TIMEOUT:.0f}); exit 5 after.",
)
@click.option(
    "--reprocess",
    type=click.Choice(_checks.REPROCESS_BEHAVIORS),
    default="none",
    show_default=True,
    help="Also re-run dates whose run failed (failed) or ended (completed).",
)
@click.option(
    "--max-active-runs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Airflow 3: at most N of the backfill's runs at once (the server's default: 10).",
)
@click.option(
    "--conf",
    callback=parse_conf,
    metavar="JSON|@FILE",
    help="The conf of the runs: a JSON object, @file.json, or @- (stdin).",
)
@click.option(
    "--prefix",
    type=PREFIX,
    help="Airflow 2: the runs are named <prefix><n:07d>_<logical date> (default batch_).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="At most N runs created or re-run; more is an error unless --partial.",
)
@click.option("--partial", is_flag=True, help="Past --limit: run the first N; the rest later.")
@click.option("--backwards", "run_backwards", is_flag=True, help="Airflow 3: newest date first.")
@click.option("--unpause", is_flag=True, help="Unpause the DAG first if it is paused.")
@pass_state
def backfill(
    state: CliState,
    dag_id: str,
    start: datetime,
    end: datetime,
    dry_run: bool,
    wait: bool,
    timeout: float | None,
    reprocess: str,
    max_active_runs: int | None,
    conf: dict[str, Any] | None,
    prefix: str | None,
    limit: int,
    partial: bool,
    run_backwards: bool,
    unpause: bool,
) -> None:
    """Run DAG_ID once per logical date of its schedule from --from to --to (both included),
    on Airflow 2 (the client makes the runs) and 3 (its backfill API).

    Dates that already have a run are left alone unless --reprocess re-runs them. With
    --wait the exit code says how the runs ended: 0 all succeeded, 1 some failed (they are
    listed with their failed tasks), 5 still not done after --timeout seconds.
    """
    if timeout is not None and not wait:
        raise click.UsageError("--timeout is the time to wait: it needs --wait")
    if wait and dry_run:
        raise click.UsageError("--dry-run creates no runs to --wait for")
    client = state.client()
    made = client.backfill(
        dag_id,
        start,
        end,
        conf=conf,
        reprocess=reprocess,
        max_active_runs=max_active_runs,
        run_backwards=run_backwards,
        dry_run=dry_run,
        prefix=prefix,
        limit=limit,
        partial=partial,
        unpause=unpause,
    )
    if not wait or not made.dates:
        state.emit(made, lambda: backfill_view(made))
        return
    state.note(made.summary())
    follow_backfill(state, client, made, timeout or DEFAULT_WAIT_TIMEOUT)


def backfill_view(backfill: Backfill) -> Group:
    """The summary line and a table of the dates: what the backfill does at each."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("LOGICAL DATE", "ACTION", "RUN ID", "RUN STATE"):
        table.add_column(column, overflow="fold")
    for entry in backfill.entries:
        table.add_row(
            Text(fmt_time(entry.logical_date)),
            Text(entry.action, style="dim" if entry.action == "skip" else ""),
            Text(entry.run_id or "(named by Airflow)"),
            state_text(entry.state) if entry.state else Text(""),
        )
    return Group(Text(backfill.summary()), table)


def follow_backfill(
    state: CliState, client: AirflowClient, backfill: Backfill, timeout: float
) -> None:
    """Wait for every run with progress and print them; failed runs raise
    BackfillFailedError (exit 1), a timeout WaitTimeoutError (exit 5)."""
    console = state.progress_console
    progress: BackfillProgress
    if console is None:
        progress = BackfillProgress(None)
    elif console.is_terminal and not console.is_dumb_terminal:
        progress = LiveBackfillProgress(console, backfill, timeout)
    else:
        progress = BackfillProgress(lambda line: _write(console, line))
    try:
        done = client.wait_backfill(backfill, timeout=timeout, on_update=progress)
    finally:
        progress.close()
    state.emit(done, lambda: Group(Text(done.summary()), runs_table(list(done.runs))))


def _write(console: Console, line: str) -> None:
    console.file.write(line + "\n")
    console.file.flush()


# -- progress -------------------------------------------------------------------------------
class BackfillProgress:
    """``HH:MM:SS  <run id>  <state>`` lines, and ``<run id>:<task>`` ones for its tasks,
    one per change (for logs and pipes); nothing with ``write=None``."""

    def __init__(
        self,
        write: Callable[[str], None] | None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._write = write
        self._clock = clock or datetime.now
        self._seen: dict[str, str] = {}
        self.runs: dict[str, Any] = {}
        self.tasks: dict[str, list[Any]] = {}

    def _line(self, name: str, state: str) -> None:
        if self._seen.get(name) == state:
            return
        self._seen[name] = state
        if self._write is not None:
            self._write(f"{self._clock():%H:%M:%S}  {name}  {state}")

    def __call__(self, run: Any, task_instances: Sequence[Any]) -> None:
        self.runs[run.run_id] = run
        self.tasks[run.run_id] = list(task_instances)
        for ti in task_instances:
            self._line(f"{run.run_id}:{task_label(ti)}", state_of(ti))
        self._line(str(run.run_id), state_of(run))

    def close(self) -> None:
        return None


class _BackfillView:
    def __init__(self, progress: LiveBackfillProgress) -> None:
        self.progress = progress

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        p = self.progress
        runs = list(p.runs.values())
        counts = Counter(state_of(run) for run in runs)
        done = sum(n for state, n in counts.items() if state in FINISHED)
        total = len(p.backfill.dates)
        summary = Text.assemble((p.backfill.dag_id, "bold"), f"  {done}/{total} runs ended  ")
        for state, n in sorted(counts.items()):
            summary.append(f"{state} {n}  ", style=STYLES.get(state, ""))
        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in ("RUN ID", "STATE", "TASKS DONE"):
            table.add_column(column, overflow="fold")
        moving = [r for r in runs if state_of(r) not in FINISHED]
        shown = (moving + [r for r in runs if state_of(r) in FINISHED])[
            : max(console.height - 5, 5)
        ]
        for run in shown:
            tis = p.tasks.get(run.run_id, [])
            ended = sum(1 for ti in tis if state_of(ti) in FINISHED)
            table.add_row(
                Text(str(run.run_id)), state_text(state_of(run)), Text(f"{ended}/{len(tis)}")
            )
        yield Group(summary, ProgressBar(total=max(total, 1), completed=done, width=40), table)


class LiveBackfillProgress(BackfillProgress):
    """A rich live display: runs ended of all, a bar, the runs still moving first."""

    def __init__(self, console: Console, backfill: Backfill, timeout: float | None) -> None:
        super().__init__(None)
        self.backfill = backfill
        self.live = Live(_BackfillView(self), console=console, refresh_per_second=4)
        self.live.start()

    def __call__(self, run: Any, task_instances: Sequence[Any]) -> None:
        super().__call__(run, task_instances)
        self.live.refresh()

    def close(self) -> None:
        self.live.stop()


# -- Airflow 3's backfills by id ------------------------------------------------------------
def _by_id(name: str, verb: str) -> None:
    @cli.command(name=f"{name}-backfill", help=f"Airflow 3: {verb} backfill BACKFILL_ID.")
    @click.argument("backfill_id", type=click.IntRange(min=0))
    @pass_state
    def command(state: CliState, backfill_id: int) -> None:
        client = state.client()
        found = getattr(client, f"{name}_backfill")(backfill_id)
        state.emit(found, lambda: found.summary())


_by_id("pause", "pause (no more of its runs start)")
_by_id("unpause", "unpause")
_by_id("cancel", "cancel (its queued runs fail; running ones go on)")
