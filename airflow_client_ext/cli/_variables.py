"""``variables list|get|set|delete``: Airflow variables, sensitive values masked unless
``--show-secrets``."""

from __future__ import annotations

import sys

import click

from ._formats import fields_table, records_table
from ._options import (
    confirm,
    limit_option,
    limited,
    show_secrets_option,
    variable_doc,
    yes_option,
)
from ._root import cli
from ._state import CliState, pass_state

KEY = click.argument("key")


@cli.group()
def variables() -> None:
    """List, read, set and delete variables."""


@variables.command("list")
@limit_option
@show_secrets_option
@pass_state
def list_(state: CliState, limit: int | None, show_secrets: bool) -> None:
    """List the variables (sensitive values masked)."""
    found = [variable_doc(v, show_secrets) for v in limited(state.client().iter_variables(), limit)]
    state.emit(
        found,
        lambda: records_table(found, ("key", "value", "description")) if found else "no variables",
    )


@variables.command()
@KEY
@show_secrets_option
@pass_state
def get(state: CliState, key: str, show_secrets: bool) -> None:
    """Show variable KEY (-o plain: its value alone)."""
    doc = variable_doc(state.client().get_variable(key), show_secrets)
    state.emit(doc, lambda: fields_table(doc), plain=lambda: [str(doc.get("value") or "")])


@variables.command("set")
@KEY
@click.argument("value")
@click.option("--description", help="The variable's description.")
@show_secrets_option
@pass_state
def set_(
    state: CliState, key: str, value: str, description: str | None, show_secrets: bool
) -> None:
    """Create variable KEY with VALUE, or update its value (- reads VALUE from stdin)."""
    if value == "-":
        value = sys.stdin.read().rstrip("\n")
    doc = variable_doc(state.client().set_variable(key, value, description), show_secrets)
    state.emit(doc, lambda: f"variable {key}: set")


@variables.command()
@KEY
@yes_option
@pass_state
def delete(state: CliState, key: str, yes: bool) -> None:
    """Delete variable KEY."""
    confirm(yes, f"delete variable {key}")
    state.client().delete_variable(key)
    state.emit({"key": key, "deleted": True}, lambda: f"variable {key}: deleted")
