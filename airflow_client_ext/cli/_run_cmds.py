"""The ``run`` group: one DAG run (``get``, ``clear``, ``delete``, ``mark-success``,
``mark-failed``), and ``run list`` (the ``runs`` command under another name).

``runs DAG_ID`` stays the listing it always was; the commands on one run live in a group of
their own, ``run``, rather than as subcommands of ``runs``: a group with a default command
would read ``runs delete`` as the runs of a DAG named ``delete``.
"""

from __future__ import annotations

import click

from ._options import confirm, yes_option
from ._output import run_summary, run_table
from ._params import DAG_ID, RUN_ID
from ._root import cli
from ._runs import runs
from ._state import CliState, pass_state


@cli.group("run")
def run_() -> None:
    """Read, clear, delete and mark one DAG run (list: the runs command)."""


run_.add_command(runs, "list")


@run_.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@pass_state
def get(state: CliState, dag_id: str, run_id: str) -> None:
    """Show run RUN_ID of DAG_ID."""
    found = state.client().get_dag_run(dag_id, run_id)
    state.emit(found, lambda: run_table(found))


@run_.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.option(
    "--all", "all_tasks", is_flag=True, help="Clear every task (default: the failed ones)."
)
@yes_option
@pass_state
def clear(state: CliState, dag_id: str, run_id: str, all_tasks: bool, yes: bool) -> None:
    """Clear the failed (--all: all) task instances of a run so that they run again."""
    which = "all" if all_tasks else "the failed"
    confirm(yes, f"clear {which} task instances of run {run_id} of {dag_id}")
    found = state.client().clear_run(dag_id, run_id, only_failed=not all_tasks)
    state.emit(found, lambda: f"cleared: {run_summary(found)}")


@run_.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@yes_option
@pass_state
def delete(state: CliState, dag_id: str, run_id: str, yes: bool) -> None:
    """Delete run RUN_ID of DAG_ID with its task instances."""
    confirm(yes, f"delete run {run_id} of {dag_id}")
    state.client().delete_dag_run(dag_id, run_id)
    doc = {"dag_id": dag_id, "run_id": run_id, "deleted": True}
    state.emit(doc, lambda: f"{dag_id}  {run_id}  deleted")


def _mark(name: str, mark: str) -> None:
    @run_.command(name, help=f"Mark run RUN_ID of DAG_ID {mark}.")
    @click.argument("dag_id", type=DAG_ID)
    @click.argument("run_id", type=RUN_ID)
    @yes_option
    @pass_state
    def command(state: CliState, dag_id: str, run_id: str, yes: bool) -> None:
        confirm(yes, f"mark run {run_id} of {dag_id} {mark}")
        found = state.client().set_dag_run_state(dag_id, run_id, mark)
        state.emit(found, lambda: run_summary(found))


_mark("mark-success", "success")
_mark("mark-failed", "failed")
