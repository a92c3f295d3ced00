"""Commands that start and follow runs: ``trigger``, ``wait``, ``runs``, ``logs``."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

import click

from ._output import Progress, progress_for, run_summary, run_table, runs_table, to_jsonable
from ._params import (
    DAG_ID,
    DAG_ID_OR_ALL,
    MAP_INDEX,
    NEW_RUN_ID,
    NOTE,
    RUN_ID,
    RUN_STATES,
    SECONDS,
    TASK_ID,
    parse_conf,
    parse_datetime,
    split_states,
)
from ._root import cli
from ._state import CliState, pass_state

if TYPE_CHECKING:
    from ..client import AirflowClient

DEFAULT_WAIT_TIMEOUT = 600.0


# -- trigger and wait ---------------------------------------------------------------------
@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.option(
    "--conf",
    callback=parse_conf,
    metavar="JSON|@FILE",
    help="The run's conf: a JSON object, @file.json, or @- (stdin).",
)
@click.option(
    "--run-id",
    type=NEW_RUN_ID,
    help="The run id: letters, digits and _.~:+- (default: manual__<time>__<random>).",
)
@click.option(
    "--logical-date",
    callback=parse_datetime,
    metavar="ISO8601",
    help="The run's logical date (UTC when no zone is given; default: none on Airflow 3, now "
    "on Airflow 2).",
)
@click.option("--note", type=NOTE, help="A note on the run (at most 1000 characters).")
@click.option("--unpause", is_flag=True, help="Unpause the DAG first if it is paused.")
@click.option("--wait", is_flag=True, help="Wait for the run to end, showing task progress.")
@click.option(
    "--timeout",
    type=SECONDS,
    metavar="SECONDS",
    help=f"With --wait: how long to wait (default {DEFAULT_WAIT_TIMEOUT:.0f}); exit 5 after.",
)
@pass_state
def trigger(
    state: CliState,
    dag_id: str,
    conf: dict[str, Any] | None,
    run_id: str | None,
    logical_date: datetime | None,
    note: str | None,
    unpause: bool,
    wait: bool,
    timeout: float | None,
) -> None:
    """Trigger a run of DAG_ID (--wait: follow it to its end).

    With --wait the exit code says how the run ended: 0 success, 1 failed (the failed tasks
    and their log tails are shown), 5 still not done after --timeout seconds.
    """
    if timeout is not None and not wait:
        raise click.UsageError("--timeout is the time to wait: it needs --wait")
    client = state.client()
    run = client.trigger(
        dag_id, conf=conf, run_id=run_id, logical_date=logical_date, note=note, unpause=unpause
    )
    if not wait:
        state.emit(run, lambda: run_table(run))
        return
    state.note(f"triggered {dag_id}: run {run.run_id}")
    follow(state, client, dag_id, run.run_id, timeout or DEFAULT_WAIT_TIMEOUT)


@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.option(
    "--timeout",
    type=SECONDS,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait; exit 5 after.",
)
@pass_state
def wait(state: CliState, dag_id: str, run_id: str, timeout: float) -> None:
    """Wait for a run to end, showing task progress.

    Exit 0 when run RUN_ID of DAG_ID succeeds, 1 when it fails (the failed tasks and their
    log tails are shown), 5 when it is still not done after --timeout seconds.
    """
    follow(state, state.client(), dag_id, run_id, timeout)


def follow(
    state: CliState, client: AirflowClient, dag_id: str, run_id: str, timeout: float
) -> None:
    """Wait for a run with progress and print it; a failed run raises DagRunFailedError
    (with its failed task instances and their log tails), a timeout WaitTimeoutError."""
    progress: Progress = progress_for(state.progress_console, dag_id, run_id, timeout)
    last: list[Any] = []

    def on_update(run: Any, task_instances: Sequence[Any]) -> None:
        last[:] = list(task_instances)
        progress(run, task_instances)

    try:
        run = client.wait(
            dag_id, run_id, timeout=timeout, on_update=on_update, raise_on_failure=True
        )
    finally:
        progress.close()
    document = {**to_jsonable(run), "task_instances": to_jsonable(last)}
    state.emit(document, lambda: run_summary(run))


# -- runs and logs ------------------------------------------------------------------------
@cli.command()
@click.argument("dag_id", type=DAG_ID_OR_ALL)
@click.option(
    "--state",
    "states",
    multiple=True,
    callback=split_states,
    metavar="STATE",
    help=f"Only runs in these states ({', '.join(RUN_STATES)}); repeatable or a comma list.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many runs, newest first (with --after: the next ones by run id).",
)
@click.option("--prefix", metavar="P", help="Only runs whose id starts with P (as written).")
@click.option(
    "--after",
    metavar="RUN_ID",
    help="Only runs whose id sorts after RUN_ID, listed by run id: pass the last one shown to "
    "see the next ones.",
)
@pass_state
def runs(
    state: CliState,
    dag_id: str,
    states: list[str],
    limit: int,
    prefix: str | None,
    after: str | None,
) -> None:
    """List the runs of DAG_ID (~: of every DAG), newest first."""
    client = state.client()
    filters: dict[str, Any] = {"run_id_prefix": prefix, "start_after": after}
    if after is None:
        listing = client.iter_dag_runs(
            dag_id, state=states or None, **filters, **newest_first(client)
        )
        found = list(islice(listing, limit))
    else:  # by run id, as Python orders strings (a server's collation may not)
        listing = client.iter_dag_runs(dag_id, state=states or None, **filters)
        found = heapq.nsmallest(limit, listing, key=lambda run: run.run_id)
    state.emit(found, lambda: runs_table(found) if found else f"no runs of {dag_id}")


def newest_first(client: AirflowClient) -> dict[str, Any]:
    """The list filter that orders runs newest first: ``order_by`` is one field on
    /api/v1 and a list of fields on /api/v2."""
    return {"order_by": "-id" if client.api_version == "v1" else ["-id"]}


@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.argument("task_id", type=TASK_ID)
@click.option(
    "--try",
    "try_number",
    type=click.IntRange(min=1),
    metavar="N",
    help="The try to show (default: the latest).",
)
@MAP_INDEX
@pass_state
def logs(
    state: CliState, dag_id: str, run_id: str, task_id: str, try_number: int | None, map_index: int
) -> None:
    """Print the log of task TASK_ID in run RUN_ID of DAG_ID."""
    client = state.client()
    text = client.task_log(dag_id, run_id, task_id, try_number=try_number, map_index=map_index)
    document = {
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "map_index": map_index,
        "try_number": try_number,
        "log": text,
    }
    state.emit(document, lambda: text.rstrip("\n"))
