"""Errors on stderr: ``Error: ...`` lines (with a failed run's tasks and log tails) or one
JSON document with --json; secrets redacted, in the error and in the request log."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import click

from ..errors import (
    ApiError,
    BackfillFailedError,
    DagPausedError,
    DagRunFailedError,
    WaitTimeoutError,
)
from ._exit import ExitCode
from ._output import state_of, task_label, to_jsonable
from ._state import CliState

PAUSED_HINT = "trigger --unpause unpauses the DAG first (or run: airflow-client-ext unpause DAG)"
#: Lines of each failed task's log shown when a run fails.
LOG_TAIL_LINES = 40


def _redact_doc(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_doc(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_doc(v, redact) for v in value]
    return value


def error_document(exc: BaseException, code: ExitCode) -> dict[str, Any]:
    """The JSON error document: type, message, exit code, and what the error carries."""
    message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
    doc: dict[str, Any] = {
        "error": type(exc).__name__,
        "message": message or type(exc).__name__,
        "exit_code": int(code),
    }
    if isinstance(exc, ApiError):
        doc.update(
            status=exc.status,
            method=exc.method,
            path=exc.path,
            title=exc.title,
            detail=to_jsonable(exc.detail),
        )
    for name in ("status", "method", "path"):
        value = getattr(exc, name, None)
        if name not in doc and value not in (None, ""):
            doc[name] = value
    if isinstance(exc, BackfillFailedError):
        doc["failed_runs"] = [to_jsonable(failure.run) for failure in exc.failures]
    if isinstance(exc, DagRunFailedError):
        doc["run"] = to_jsonable(exc.run)
        doc["failed_task_instances"] = to_jsonable(list(exc.failed_task_instances))
        doc["log_tails"] = to_jsonable(exc.log_tails)
    if isinstance(exc, DagPausedError):
        doc["hint"] = PAUSED_HINT
    if isinstance(exc, WaitTimeoutError):
        doc["timeout"] = exc.timeout
        doc["last_state"] = exc.last_state
        if exc.last_run is not None:
            doc["run"] = to_jsonable(exc.last_run)
    return doc


def report_error(state: CliState | None, exc: BaseException, code: ExitCode) -> None:
    """Print an error on stderr: a JSON document with --json, else ``Error: ...`` lines."""
    redact: Callable[[str], str] = state.redact if state is not None else (lambda text: text)
    as_json = state.as_json if state is not None else False
    if as_json:
        # one line, the last one of stderr (progress lines may come before it)
        doc = _redact_doc(error_document(exc, code), redact)
        click.echo(json.dumps(doc), err=True)
        return
    if isinstance(exc, click.ClickException):
        show_usage_error(exc)
        return
    message = str(exc) or type(exc).__name__
    click.echo(redact(f"Error: {message}"), err=True)
    if isinstance(exc, DagPausedError):
        click.echo(f"hint: {PAUSED_HINT}", err=True)
    if isinstance(exc, DagRunFailedError):
        _print_failure(exc, redact)
    if state is not None and state.verbose and code == ExitCode.SERVER:
        click.echo(redact("".join(traceback.format_exception(exc))), err=True)


def show_usage_error(exc: click.ClickException) -> None:
    """A bad argument, option or setting as one line on stderr, ``Error: ...`` (click's own
    display takes four, with the usage line). Asking for nothing still shows the help."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # click >= 8.2: no arguments at all
        exc.show()
        return
    message = " ".join(exc.format_message().split())
    ctx = exc.ctx if isinstance(exc, click.UsageError) else None
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    click.echo(f"Error: {message}{hint}", err=True)


def _print_failure(exc: DagRunFailedError, redact: Callable[[str], str]) -> None:
    tis = list(exc.failed_task_instances)
    many = isinstance(exc, BackfillFailedError)  # tasks of several runs: name the run

    def named(ti: Any) -> str:
        return f"{ti.run_id}:{task_label(ti)}" if many else task_label(ti)

    if tis:
        click.echo("failed tasks:", err=True)
        width = max(len(named(ti)) for ti in tis)
        for ti in tis:
            tries = getattr(ti, "try_number", None)
            suffix = f"  (try {tries})" if tries else ""
            click.echo(f"  {named(ti):<{width}}  {state_of(ti)}{suffix}", err=True)
    for label, tail in _log_tails(exc):
        click.echo(f"--- log of {label} (last lines) ---", err=True)
        click.echo(redact(tail.rstrip("\n")), err=True)
    if tis or exc.log_tails:
        click.echo("---", err=True)


def _log_tails(exc: DagRunFailedError) -> Iterator[tuple[str, str]]:
    for label, text in exc.log_tails.items():
        yield label, "\n".join(str(text).splitlines()[-LOG_TAIL_LINES:])


class _RedactingFormatter(logging.Formatter):
    def __init__(self, state: CliState) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        self.state = state

    def format(self, record: logging.LogRecord) -> str:
        return self.state.redact(super().format(record))
