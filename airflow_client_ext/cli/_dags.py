"""Commands on DAGs: ``pause``, ``unpause``, and the ``dags`` group (``list``, ``get``,
``delete``, ``reparse``, and ``pause``/``unpause`` again)."""

from __future__ import annotations

from typing import Any

import click

from ._formats import fields_table, records_table
from ._options import confirm, limit_option, limited, yes_option
from ._output import to_jsonable
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


# -- the dags group -------------------------------------------------------------------------
DAG_COLUMNS = ("dag_id", "is_paused", "is_active", "tags", "owners", "has_import_errors")


@cli.group()
def dags() -> None:
    """List, read, delete and reparse DAGs (pause and unpause too)."""


@dags.command("list")
@click.option("--tag", "tags", multiple=True, help="Only DAGs with this tag (repeatable).")
@click.option("--pattern", help="Only DAGs whose id contains this (the server's match).")
@click.option("--paused/--unpaused", default=None, help="Only paused, or only unpaused, DAGs.")
@limit_option
@pass_state
def list_(
    state: CliState,
    tags: tuple[str, ...],
    pattern: str | None,
    paused: bool | None,
    limit: int | None,
) -> None:
    """List the DAGs the server has parsed."""
    filters: dict[str, Any] = {}
    if tags:
        filters["tags"] = list(tags)
    if pattern:
        filters["dag_id_pattern"] = pattern
    if paused is not None:
        filters["paused"] = paused
    found = to_jsonable(limited(state.client().iter_dags(**filters), limit))
    state.emit(found, lambda: records_table(found, DAG_COLUMNS) if found else "no DAGs")


@dags.command()
@click.argument("dag_id", type=DAG_ID)
@pass_state
def get(state: CliState, dag_id: str) -> None:
    """Show DAG_ID."""
    doc = to_jsonable(state.client().get_dag(dag_id))
    state.emit(doc, lambda: fields_table(doc))


@dags.command()
@click.argument("dag_id", type=DAG_ID)
@yes_option
@pass_state
def delete(state: CliState, dag_id: str, yes: bool) -> None:
    """Delete DAG_ID's metadata: its runs and task instances (the file stays; it is parsed
    again)."""
    confirm(yes, f"delete DAG {dag_id} and all its runs")
    state.client().delete_dag(dag_id)
    state.emit({"dag_id": dag_id, "deleted": True}, lambda: f"{dag_id}: deleted")


@dags.command()
@click.argument("dag_id", type=DAG_ID)
@pass_state
def reparse(state: CliState, dag_id: str) -> None:
    """Ask the server to parse DAG_ID's file again soon (Airflow >= 2.10 and 3)."""
    state.client().reparse_dag(dag_id)
    state.emit({"dag_id": dag_id, "reparse": "requested"}, lambda: f"{dag_id}: reparse requested")


dags.add_command(pause)
dags.add_command(unpause)
