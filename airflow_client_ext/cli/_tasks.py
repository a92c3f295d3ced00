"""``tasks list|clear|mark``: the task instances of one run (each map index of a mapped
task its own row)."""

from __future__ import annotations

import click

from .._admin import TASK_MARK_STATES
from .._checks import TASK_INSTANCE_STATES
from ._formats import records_table
from ._options import confirm, limit_option, limited, yes_option
from ._output import tasks_table, to_jsonable
from ._params import DAG_ID, MAP_INDEX, RUN_ID, TASK_ID
from ._root import cli
from ._state import CliState, pass_state


def _task_states(value: tuple[str, ...]) -> list[str]:
    """``--state failed --state running`` or ``--state failed,running``."""
    states: list[str] = []
    for part in (p.strip().lower() for item in value for p in item.split(",")):
        if part and part not in TASK_INSTANCE_STATES:
            raise click.BadParameter(f"{part!r} is not one of {', '.join(TASK_INSTANCE_STATES)}")
        if part and part not in states:
            states.append(part)
    return states


@cli.group()
def tasks() -> None:
    """List, clear and mark the task instances of a run."""


@tasks.command("list")
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.option(
    "--state",
    "states",
    multiple=True,
    callback=lambda ctx, param, value: _task_states(value),
    metavar="STATE",
    help="Only task instances in these states; repeatable or a comma list.",
)
@limit_option
@pass_state
def list_(state: CliState, dag_id: str, run_id: str, states: list[str], limit: int | None) -> None:
    """List the task instances of run RUN_ID of DAG_ID (mapped ones as task[index])."""
    listing = state.client().iter_task_instances(dag_id, run_id, state=states or None)
    found = limited(listing, limit)
    state.emit(
        found,
        lambda: tasks_table(found) if found else f"no task instances in run {run_id}",
        plain=("task_id", "map_index", "state"),
    )


@tasks.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.argument("task_ids", nargs=-1, type=TASK_ID)
@click.option("--only-failed", is_flag=True, help="Only failed and upstream-failed ones.")
@click.option("--downstream", is_flag=True, help="Their downstream tasks too.")
@click.option("--dry-run", is_flag=True, help="Show what would be cleared; change nothing.")
@yes_option
@pass_state
def clear(
    state: CliState,
    dag_id: str,
    run_id: str,
    task_ids: tuple[str, ...],
    only_failed: bool,
    downstream: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """Clear TASK_IDS (default: every task) of run RUN_ID so that they run again."""
    if not dry_run:
        which = ", ".join(task_ids) if task_ids else "every task"
        confirm(yes, f"clear {which} in run {run_id} of {dag_id}")
    cleared = state.client().clear_task_instances(
        dag_id,
        run_id,
        list(task_ids) or None,
        only_failed=only_failed,
        include_downstream=downstream,
        dry_run=dry_run,
    )
    found = to_jsonable(cleared)
    verb = "would clear" if dry_run else "cleared"
    state.emit(
        found,
        lambda: (
            records_table(found, ("task_id", "map_index", "run_id"))
            if found
            else f"nothing to clear in run {run_id}"
        ),
        plain=("task_id", "map_index"),
    )
    state.note(f"{verb} {len(found)} task instance(s)")


@tasks.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.argument("task_id", type=TASK_ID)
@click.option(
    "--state", "new_state", type=click.Choice(TASK_MARK_STATES), required=True, help="The state."
)
@MAP_INDEX
@yes_option
@pass_state
def mark(
    state: CliState,
    dag_id: str,
    run_id: str,
    task_id: str,
    new_state: str,
    map_index: int,
    yes: bool,
) -> None:
    """Set the state of task TASK_ID in run RUN_ID."""
    label = f"{task_id}[{map_index}]" if map_index >= 0 else task_id
    confirm(yes, f"mark {label} in run {run_id} of {dag_id} {new_state}")
    ti = state.client().set_task_instance_state(
        dag_id, run_id, task_id, new_state, map_index=map_index
    )
    state.emit(ti, lambda: tasks_table([ti]), plain=("task_id", "map_index", "state"))
