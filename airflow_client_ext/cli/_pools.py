"""``pools list|get|set|delete``: Airflow pools and their slots."""

from __future__ import annotations

import click

from ._formats import fields_table, records_table
from ._options import confirm, limit_option, limited, yes_option
from ._output import to_jsonable
from ._root import cli
from ._state import CliState, pass_state

NAME = click.argument("name")
COLUMNS = ("name", "slots", "open_slots", "running_slots", "queued_slots", "description")


@cli.group()
def pools() -> None:
    """List, read, set and delete pools."""


@pools.command("list")
@limit_option
@pass_state
def list_(state: CliState, limit: int | None) -> None:
    """List the pools with their slots."""
    found = to_jsonable(limited(state.client().iter_pools(), limit))
    state.emit(found, lambda: records_table(found, COLUMNS) if found else "no pools")


@pools.command()
@NAME
@pass_state
def get(state: CliState, name: str) -> None:
    """Show pool NAME."""
    doc = to_jsonable(state.client().get_pool(name))
    state.emit(doc, lambda: fields_table(doc))


@pools.command("set")
@NAME
@click.argument("slots", type=click.IntRange(min=-1))
@click.option("--description", help="The pool's description.")
@click.option(
    "--include-deferred/--no-include-deferred",
    default=None,
    help="Whether deferred tasks occupy slots (default: unchanged; new pools: no).",
)
@pass_state
def set_(
    state: CliState,
    name: str,
    slots: int,
    description: str | None,
    include_deferred: bool | None,
) -> None:
    """Create pool NAME with SLOTS slots (-1: unlimited), or update it."""
    pool = state.client().set_pool(
        name, slots, description=description, include_deferred=include_deferred
    )
    state.emit(pool, lambda: f"pool {name}: {pool.slots} slots")


@pools.command()
@NAME
@yes_option
@pass_state
def delete(state: CliState, name: str, yes: bool) -> None:
    """Delete pool NAME."""
    confirm(yes, f"delete pool {name}")
    state.client().delete_pool(name)
    state.emit({"name": name, "deleted": True}, lambda: f"pool {name}: deleted")
