"""Commands on DAGs: ``pause``, ``unpause``."""

from __future__ import annotations

import click

from ._params import DAG_ID
from ._root import cli
from ._state import CliState, pass_state


@cli.command()
@click.argument("dag_id", type=DAG_ID)
@pass_state
def pause(state: CliState, dag_id: str) -> None:
    """Pause DAG_ID: no new runs are scheduled."""
    dag = state.client().pause(dag_id)
    state.emit(dag, lambda: f"{dag_id}: paused")


@cli.command()
@click.argument("dag_id", type=DAG_ID)
@pass_state
def unpause(state: CliState, dag_id: str) -> None:
    """Unpause DAG_ID."""
    dag = state.client().unpause(dag_id)
    state.emit(dag, lambda: f"{dag_id}: unpaused")
