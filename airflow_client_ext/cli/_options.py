"""What the resource commands share: ``--yes`` and the confirmation of destructive
commands, ``--limit``, ``--show-secrets`` and the masking of secrets in what is shown."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

import click

from .._masks import is_sensitive, is_sensitive_option, mask_sensitive
from ..models import MASK
from . import _state
from ._output import to_jsonable

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def yes_option(f: F) -> F:
    return click.option(
        "--yes",
        "-y",
        is_flag=True,
        help="Do it without asking (needed when stdin is not a terminal).",
    )(f)


def limit_option(f: F) -> F:
    return click.option(
        "--limit",
        type=click.IntRange(min=1),
        metavar="N",
        help="At most N items (default: all, page after page).",
    )(f)


def show_secrets_option(f: F) -> F:
    return click.option(
        "--show-secrets",
        is_flag=True,
        help="Show passwords and sensitive values as the server sends them (Airflow 3 masks "
        "them itself; Airflow 2 never sends a connection's password).",
    )(f)


def confirm(yes: bool, action: str) -> None:
    """Ask before a destructive ``action`` ("delete variable x"); without a terminal, a
    usage error unless ``--yes``."""
    if yes:
        return
    if not _state.stdin_is_tty():
        raise click.UsageError(
            f"{action}: pass --yes to confirm (stdin is not a terminal: nothing can be asked)"
        )
    click.confirm(f"{action[:1].upper()}{action[1:]}?", abort=True, err=True)


def limited(items: Iterable[T], limit: int | None) -> list[T]:
    """The first ``limit`` items (all with None): the listing is read no further."""
    iterator: Iterator[T] = iter(items)
    return list(iterator if limit is None else islice(iterator, limit))


# -- secrets ----------------------------------------------------------------------------------
def variable_doc(variable: Any, show: bool) -> dict[str, Any]:
    """A variable as shown: the value of a sensitive key masked, and sensitive keys of a JSON
    value, unless ``show``."""
    doc: dict[str, Any] = to_jsonable(variable)
    value = doc.get("value")
    if not show and value is not None:
        doc["value"] = MASK if is_sensitive(doc["key"]) else mask_sensitive(value)
    return doc


def connection_doc(connection: Any, show: bool) -> dict[str, Any]:
    """A connection as shown: a set password as the mask and the sensitive keys of its extra
    masked, unless ``show``."""
    doc: dict[str, Any] = to_jsonable(connection)
    doc["password"] = getattr(connection, "password", None)
    if not show:
        if doc["password"] not in (None, ""):
            doc["password"] = MASK
        if doc.get("extra"):
            doc["extra"] = mask_sensitive(doc["extra"])
    return doc


def config_value(section: str, option: str, value: Any, show: bool) -> Any:
    """A configuration value as shown: a sensitive option's value masked unless ``show``."""
    if show or value in (None, "") or not is_sensitive_option(option):
        return value
    return MASK
