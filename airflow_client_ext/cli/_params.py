"""Click types and callbacks for the commands' arguments: the library's checks of
:mod:`airflow_client_ext._checks` (a bad value is a usage error, nothing is sent), and the
parsers of --conf, dates and run states."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import _checks
from ..errors import InvalidArgumentError
from ._state import CliState

RUN_STATES = _checks.DAG_RUN_STATES


# -- click types: the library's checks ----------------------------------------------------
if TYPE_CHECKING:
    _ParamType = click.ParamType[Any, Any]  # generic since click 8.2
else:
    _ParamType = click.ParamType


class Checked(_ParamType):
    """A click type that runs a check of :mod:`airflow_client_ext._checks`: a bad value is
    click's usage error (exit 2) naming the option, with the library's words for what is
    allowed; nothing is sent. ``number=True`` reads the text as a float first."""

    def __init__(
        self,
        name: str,
        check: Callable[[Any], Any],
        *,
        number: bool = False,
        complete: Callable[[click.Context, str], list[Any]] | None = None,
    ) -> None:
        self.name = name
        self.check = check
        self.number = number
        self.complete = complete

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[Any]:
        """Candidates from ``complete`` (e.g. the server's DAG ids), else none."""
        return self.complete(ctx, incomplete) if self.complete is not None else []

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if self.number and isinstance(value, str):
            with contextlib.suppress(ValueError):  # else the check says what it must be
                value = float(value)
        try:
            return self.check(value)
        except InvalidArgumentError as exc:
            self.fail(_checks.requirement(exc), param, ctx)


def _url(value: Any) -> str:
    _checks.check_url("url", value)
    return str(value)


def _complete_dag_ids(ctx: click.Context, incomplete: str) -> list[Any]:
    from ._completion import complete_dag_ids  # lazy: the server is asked only then

    return complete_dag_ids(ctx, incomplete)


DAG_ID = Checked("dag_id", _checks.check_dag_id, complete=_complete_dag_ids)
DAG_ID_OR_ALL = Checked(
    "dag_id", lambda value: _checks.check_dag_id(value, wildcard=True), complete=_complete_dag_ids
)
RUN_ID = Checked("run_id", _checks.check_run_id)
NEW_RUN_ID = Checked("run_id", _checks.check_new_run_id)
TASK_ID = Checked("task_id", _checks.check_task_id)
SECONDS = Checked("seconds", lambda value: _checks.check_seconds("seconds", value), number=True)
URL = Checked("url", _url)
NOTE = Checked("note", _checks.check_note)

#: ``--map-index N`` of one task instance (-1: not mapped), for logs, tasks mark, xcom get
MAP_INDEX = click.option(
    "--map-index",
    type=click.IntRange(min=-1),
    default=-1,
    show_default=True,
    help="The map index of a mapped task instance.",
)


# -- option parsing helpers ---------------------------------------------------------------
def parse_conf(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """``--conf``: a JSON object, ``@file`` holding one, or ``@-`` for stdin."""
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        source = value[1:]
        if source == "-":
            state = ctx.find_object(CliState)
            if state is not None and state.password_stdin:
                raise click.BadParameter("@- and --password-stdin cannot both read stdin")
            text = sys.stdin.read()
        else:
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise click.BadParameter(f"cannot read {source}: {exc.strerror}") from None
    try:
        conf = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON ({exc})") from None
    if not isinstance(conf, dict):
        raise click.BadParameter(f"must be a JSON object, not {type(conf).__name__}")
    return conf


def parse_datetime(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """An ISO 8601 date or date-time; without a zone it is taken as UTC."""
    if value is None:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date-time (e.g. 2026-01-01T00:00:00+00:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_day_or_datetime(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """A day (``YYYY-MM-DD``, kept as a ``date``: the library reads it as that whole day in
    UTC), or an ISO 8601 date-time as :func:`parse_datetime` reads it."""
    if value is not None and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    return parse_datetime(ctx, param, value)


def split_states(ctx: click.Context, param: click.Parameter, value: Sequence[str]) -> list[str]:
    """``--state failed --state running`` or ``--state failed,running``."""
    states: list[str] = []
    for item in value:
        for part in item.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in RUN_STATES:
                raise click.BadParameter(f"{part!r} is not one of {', '.join(RUN_STATES)}")
            if part not in states:
                states.append(part)
    return states
