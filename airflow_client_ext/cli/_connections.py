"""``connections list|get|add|update|delete|test``: Airflow connections, passwords and sensitive
keys of their extra masked unless ``--show-secrets``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ._formats import fields_table, records_table
from ._options import (
    confirm,
    connection_doc,
    limit_option,
    limited,
    show_secrets_option,
    yes_option,
)
from ._root import cli
from ._state import CliState, pass_state

F = TypeVar("F", bound=Callable[..., Any])
CONN_ID = click.argument("connection_id")
COLUMNS = ("connection_id", "conn_type", "host", "port", "login", "schema")
#: the fields the options of _field_options set (the password comes from stdin)
FIELDS = ("host", "login", "schema", "port", "extra", "description")


def _field_options(f: F) -> F:
    for option in reversed(
        (
            click.option("--host"),
            click.option("--login"),
            click.option("--schema"),
            click.option("--port", type=click.IntRange(0, 65535)),
            click.option("--extra", metavar="JSON", help="The extra, a JSON object."),
            click.option("--description"),
            click.option(
                "--password-from-stdin",
                "password_stdin",
                is_flag=True,
                help="Read the connection's password from the first line of stdin (never on "
                "the command line).",
            ),
        )
    ):
        f = option(f)
    return f


def _fields(state: CliState, options: dict[str, Any]) -> dict[str, Any]:
    """The connection fields the options of :func:`_field_options` give."""
    fields = {name: options[name] for name in FIELDS if options.get(name) is not None}
    if options.get("password_stdin"):
        if state.password_stdin:
            raise click.UsageError("--password-stdin and --password-from-stdin both read stdin")
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-from-stdin: nothing to read on stdin")
        state.secrets.append(password)
        fields["password"] = password
    if "extra" in fields:
        try:
            json.loads(fields["extra"])
        except ValueError:
            raise click.BadParameter("not JSON", param_hint="--extra") from None
    return fields


@cli.group()
def connections() -> None:
    """List, read, add, update, delete and test connections."""


@connections.command("list")
@limit_option
@show_secrets_option
@pass_state
def list_(state: CliState, limit: int | None, show_secrets: bool) -> None:
    """List the connections (passwords masked)."""
    found = [
        connection_doc(c, show_secrets) for c in limited(state.client().iter_connections(), limit)
    ]
    state.emit(found, lambda: records_table(found, COLUMNS) if found else "no connections")


@connections.command()
@CONN_ID
@show_secrets_option
@pass_state
def get(state: CliState, connection_id: str, show_secrets: bool) -> None:
    """Show connection CONNECTION_ID (password and sensitive extra keys masked)."""
    doc = connection_doc(state.client().get_connection(connection_id), show_secrets)
    state.emit(doc, lambda: fields_table(doc))


@connections.command()
@CONN_ID
@click.option("--conn-type", required=True, help="The connection type, e.g. http, postgres.")
@_field_options
@pass_state
def add(state: CliState, /, connection_id: str, conn_type: str, **options: Any) -> None:
    """Create connection CONNECTION_ID (exit 2 if it exists)."""
    fields = _fields(state, options)
    made = state.client().add_connection(connection_id, conn_type, **fields)
    doc = connection_doc(made, False)
    state.emit(doc, lambda: f"connection {connection_id}: added")


@connections.command()
@CONN_ID
@click.option("--conn-type", help="A new connection type.")
@_field_options
@pass_state
def update(state: CliState, /, connection_id: str, conn_type: str | None, **options: Any) -> None:
    """Change the fields given of connection CONNECTION_ID; the others (the password
    included) are kept (exit 4 if there is no such connection)."""
    fields = _fields(state, options)
    if conn_type is not None:
        fields["conn_type"] = conn_type
    if not fields:
        raise click.UsageError("nothing to change: give --host, --port, ... or --conn-type")
    changed = state.client().update_connection(connection_id, **fields)
    doc = connection_doc(changed, False)
    state.emit(doc, lambda: f"connection {connection_id}: updated")


@connections.command()
@CONN_ID
@yes_option
@pass_state
def delete(state: CliState, connection_id: str, yes: bool) -> None:
    """Delete connection CONNECTION_ID."""
    confirm(yes, f"delete connection {connection_id}")
    state.client().delete_connection(connection_id)
    doc = {"connection_id": connection_id, "deleted": True}
    state.emit(doc, lambda: f"connection {connection_id}: deleted")


@connections.command()
@CONN_ID
@click.option("--conn-type", help="The connection type (default: the stored connection's).")
@_field_options
@pass_state
def test(state: CliState, /, connection_id: str, conn_type: str | None, **options: Any) -> None:
    """Ask the server to test connection CONNECTION_ID: the stored one's fields, replaced by
    the options given (exit 1 when the test fails).

    The API never gives back a stored password: pass it with --password-from-stdin when the
    test needs one. The server must allow tests ([core] test_connection = Enabled).
    """
    fields = _fields(state, options)
    client = state.client()
    if conn_type is None:
        stored = client.get_connection(connection_id)
        conn_type = stored.conn_type or ""
        for name in FIELDS:
            value = getattr(stored, name)
            if name not in fields and value is not None:
                fields[name] = value
        if "extra" in fields and "***" in str(fields["extra"]):
            del fields["extra"]  # masked keys would be tested as "***"
    result = client.test_connection(connection_id, conn_type, **fields)
    doc = {"connection_id": connection_id, "status": result.status, "message": result.message}
    state.emit(
        doc,
        lambda: (
            f"connection {connection_id}: {'ok' if result.status else 'failed'}"
            + (f" ({result.message})" if result.message else "")
        ),
        plain=("connection_id", "status", "message"),
    )
    if not result.status:
        raise click.exceptions.Exit(1)
