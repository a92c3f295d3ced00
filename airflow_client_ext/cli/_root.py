"""``airflow-client-ext``: drive Airflow 2 and 3 from a pipeline or a terminal.

::

    export AIRFLOW_URL=https://airflow.example.com AIRFLOW_USERNAME=ci AIRFLOW_PASSWORD=...
    airflow-client-ext trigger etl --conf '{"day": "2026-01-01"}' --wait --timeout 900
    airflow-client-ext runs etl --state failed --json

Needs the ``cli`` extra (click, rich): ``pip install "airflow-client-ext[cli]"``. Importing
``airflow_client_ext`` never imports this module.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from .. import __version__, _checks
from .._http import redact_text
from ..errors import (
    ApiError,
    DagPausedError,
    DagRunFailedError,
    InvalidArgumentError,
    WaitTimeoutError,
)
from ._exit import ExitCode, exit_code_for, exit_codes_text
from ._output import (
    Progress,
    dumps,
    kv_table,
    progress_for,
    run_summary,
    run_table,
    runs_table,
    state_of,
    state_text,
    task_label,
    to_jsonable,
)

if TYPE_CHECKING:
    from ..client import AirflowClient

PROG = "airflow-client-ext"
RUN_STATES = _checks.DAG_RUN_STATES
AUTH_SCHEMES = ("token", "basic", "bearer", "kerberos", "none")
DEFAULT_WAIT_TIMEOUT = 600.0
PAUSED_HINT = "trigger --unpause unpauses the DAG first (or run: airflow-client-ext unpause DAG)"
#: Lines of each failed task's log shown when a run fails.
LOG_TAIL_LINES = 40


def stdin_is_tty() -> bool:
    """True when a person can answer a prompt (patched in tests)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def make_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200  # a log or a pipe: do not fold run ids at 80 columns
    return console


# -- state shared by the commands ---------------------------------------------------------
@dataclass
class CliState:
    """The global options, the lazily built client and the secrets to keep out of output."""

    url: str | None = None
    username: str | None = None
    auth: str | None = None
    api_version: str | None = None
    http_timeout: float | None = None
    password_stdin: bool = False
    as_json: bool = False
    quiet: bool = False
    verbose: int = 0
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    secrets: list[str] = field(default_factory=list)
    _client: AirflowClient | None = None
    _out: Console | None = None
    _err: Console | None = None

    # consoles are made on first use: CliRunner swaps sys.stdout per invocation
    @property
    def out(self) -> Console:
        if self._out is None:
            self._out = make_console()
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = make_console(stderr=True)
        return self._err

    def all_secrets(self) -> list[str]:
        found = list(self.secrets)
        if self._client is not None:
            found.extend(self._client.auth.secrets())
        return found

    def redact(self, text: str) -> str:
        return redact_text(text, self.all_secrets())

    # -- the client -----------------------------------------------------------------------
    def scheme(self) -> str:
        env = self.environ
        if self.auth:
            return self.auth.lower()
        if env.get("AIRFLOW_AUTH"):
            return env["AIRFLOW_AUTH"].strip().lower()
        return "bearer" if env.get("AIRFLOW_TOKEN") and not self.username else "token"

    def client(self, *, need_auth: bool = True) -> AirflowClient:
        """The client; asks for the password (hidden) on a terminal when none is set.

        ``need_auth=False`` (health, version: public endpoints): no prompt; without a
        password the calls go out without credentials.
        """
        if self._client is not None:
            return self._client
        from ..client import AirflowClient  # lazy: `--help` stays fast

        if not self.url:
            raise click.UsageError(
                "no Airflow URL: pass --url or set AIRFLOW_URL (e.g. http://localhost:8080)"
            )
        env = dict(self.environ)
        env["AIRFLOW_URL"] = self.url
        for key, value in (
            ("AIRFLOW_USERNAME", self.username),
            ("AIRFLOW_AUTH", self.auth),
            ("AIRFLOW_API_VERSION", self.api_version),
        ):
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        if self.http_timeout is not None:
            env["AIRFLOW_TIMEOUT"] = str(self.http_timeout)
        scheme = self.scheme()
        if scheme in ("token", "basic") and self.username:
            password = self._secret("AIRFLOW_PASSWORD", f"Password for {self.username}", need_auth)
            if password is None:
                env["AIRFLOW_AUTH"] = "none"
            else:
                env["AIRFLOW_PASSWORD"] = password
        elif scheme == "bearer":
            token = self._secret("AIRFLOW_TOKEN", "Token", need_auth)
            if token is None:
                env["AIRFLOW_AUTH"] = "none"
            else:
                env["AIRFLOW_TOKEN"] = token
        elif scheme in ("token", "basic") and self.auth and need_auth:
            raise click.UsageError(f"--auth {scheme} needs --username (or AIRFLOW_USERNAME)")
        self.secrets.extend(v for k in ("AIRFLOW_PASSWORD", "AIRFLOW_TOKEN") if (v := env.get(k)))
        self._client = AirflowClient.from_env(env)
        return self._client

    def _secret(self, variable: str, prompt: str, required: bool) -> str | None:
        if self.password_stdin:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise click.UsageError("--password-stdin: nothing to read on stdin")
            self.secrets.append(line)
            return line
        value = self.environ.get(variable)
        if value:
            return value
        if not required:
            return None
        if stdin_is_tty():
            answer: str = click.prompt(prompt, hide_input=True, err=True)
            self.secrets.append(answer)
            return answer
        what = "password" if variable == "AIRFLOW_PASSWORD" else "token"
        raise click.UsageError(
            f"no {what}: set {variable}, pipe it with --password-stdin, or run in a terminal "
            "to be asked for it"
        )

    # -- output ---------------------------------------------------------------------------
    def emit(self, document: Any, human: Callable[[], RenderableType | str | None]) -> None:
        """The command's result: one JSON document with --json, else what ``human`` makes."""
        if self.as_json:
            click.echo(dumps(document))
            return
        rendered = human()
        if rendered is None:
            return
        if isinstance(rendered, str):
            click.echo(rendered)
        elif self.out.is_terminal:
            self.out.print(rendered)
        else:  # a pipe or a log: no padding at the ends of lines
            with self.out.capture() as captured:
                self.out.print(rendered)
            click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))

    @property
    def progress_console(self) -> Console | None:
        """Where a wait shows its progress: stdout, or stderr with --json; None with -q."""
        if self.quiet:
            return None
        return self.err if self.as_json else self.out

    def note(self, message: str) -> None:
        """A line for the person watching (not the result): stderr with --json, -q hides it."""
        if self.quiet:
            return
        click.echo(message, err=self.as_json)


# -- errors -------------------------------------------------------------------------------
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
    if tis:
        click.echo("failed tasks:", err=True)
        width = max(len(task_label(ti)) for ti in tis)
        for ti in tis:
            tries = getattr(ti, "try_number", None)
            suffix = f"  (try {tries})" if tries else ""
            click.echo(f"  {task_label(ti):<{width}}  {state_of(ti)}{suffix}", err=True)
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


# -- click types: the library's checks ----------------------------------------------------
if TYPE_CHECKING:
    _ParamType = click.ParamType[Any, Any]  # generic since click 8.2
else:
    _ParamType = click.ParamType


class Checked(_ParamType):
    """A click type that runs a check of :mod:`airflow_client_ext._checks`: a bad value is
    click's usage error (exit 2) naming the option, with the library's words for what is
    allowed; nothing is sent. ``number=True`` reads the text as a float first."""

    def __init__(self, name: str, check: Callable[[Any], Any], *, number: bool = False) -> None:
        self.name = name
        self.check = check
        self.number = number

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


DAG_ID = Checked("dag_id", _checks.check_dag_id)
DAG_ID_OR_ALL = Checked("dag_id", lambda value: _checks.check_dag_id(value, wildcard=True))
RUN_ID = Checked("run_id", _checks.check_run_id)
NEW_RUN_ID = Checked("run_id", _checks.check_new_run_id)
TASK_ID = Checked("task_id", _checks.check_task_id)
SECONDS = Checked("seconds", lambda value: _checks.check_seconds("seconds", value), number=True)
URL = Checked("url", _url)
NOTE = Checked("note", _checks.check_note)


# -- the command group --------------------------------------------------------------------
class AirflowCli(click.Group):
    """Maps every error to the documented exit codes, in human or JSON form."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            state = ctx.find_object(CliState)
            code = exit_code_for(exc)
            report_error(state, exc, code)
            raise click.exceptions.Exit(int(code)) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, False, **extra)
        as_json = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
        try:
            result = super().main(argv, prog_name or PROG, complete_var, False, **extra)
        except click.ClickException as exc:  # bad arguments, options or files: usage
            if as_json:
                report_error(CliState(as_json=True), exc, ExitCode.USAGE)
            else:
                show_usage_error(exc)
            sys.exit(int(ExitCode.USAGE))
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))
        sys.exit(result if isinstance(result, int) else 0)


EPILOG = f"""\b
Exit codes:
{exit_codes_text()}

\b
Settings come from the options or from the environment that
AirflowClient.from_env() reads: AIRFLOW_URL, AIRFLOW_USERNAME,
AIRFLOW_PASSWORD, AIRFLOW_TOKEN, AIRFLOW_AUTH, AIRFLOW_API_VERSION,
AIRFLOW_TIMEOUT, AIRFLOW_CA_BUNDLE, AIRFLOW_VERIFY=false. A password is
never taken on the command line: AIRFLOW_PASSWORD, --password-stdin, or a
hidden prompt on a terminal.
"""


@click.group(
    cls=AirflowCli,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--url",
    type=URL,
    envvar="AIRFLOW_URL",
    show_envvar=True,
    metavar="URL",
    help="Base URL of the Airflow server (with its path prefix behind a proxy).",
)
@click.option(
    "--username",
    "-u",
    envvar="AIRFLOW_USERNAME",
    show_envvar=True,
    help="User to log in as; the password comes from AIRFLOW_PASSWORD, --password-stdin or a "
    "prompt.",
)
@click.option(
    "--auth",
    type=click.Choice(AUTH_SCHEMES, case_sensitive=False),
    envvar="AIRFLOW_AUTH",
    show_envvar=True,
    help="token (default with a username: JWT on Airflow 3, basic on 2), basic, bearer "
    "(AIRFLOW_TOKEN), kerberos (Airflow 2: the ticket cache, or AIRFLOW_KERBEROS_PRINCIPAL and "
    "AIRFLOW_KERBEROS_KEYTAB; the kerberos extra), none.",
)
@click.option(
    "--api-version",
    type=click.Choice(["v1", "v2"]),
    envvar="AIRFLOW_API_VERSION",
    show_envvar=True,
    help="Skip detection: v1 (Airflow 2) or v2 (Airflow 3).",
)
@click.option(
    "--timeout",
    "http_timeout",
    type=SECONDS,
    envvar="AIRFLOW_TIMEOUT",
    show_envvar=True,
    metavar="SECONDS",
    help="Timeout of each HTTP request (not of a wait).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password (the token with --auth bearer) from the first line of stdin.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON document on stdout; errors as JSON on stderr."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output during waits.")
@click.option(
    "--verbose",
    "-v",
    count=True,
    help="Log requests to stderr (-v: retries and logins, -vv: every request); secrets redacted.",
)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    url: str | None,
    username: str | None,
    auth: str | None,
    api_version: str | None,
    http_timeout: float | None,
    password_stdin: bool,
    as_json: bool,
    quiet: bool,
    verbose: int,
) -> None:
    """Trigger and watch DAG runs, read logs, pause DAGs and copy settings, on Airflow 2
    (/api/v1) and Airflow 3 (/api/v2) alike."""
    state = CliState(
        url=url,
        username=username,
        auth=auth.lower() if auth else None,
        api_version=api_version,
        http_timeout=http_timeout,
        password_stdin=password_stdin,
        as_json=as_json,
        quiet=quiet,
        verbose=verbose,
    )
    ctx.obj = state
    if verbose:
        _start_logging(ctx, state)


def _start_logging(ctx: click.Context, state: CliState) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(state))
    package = logging.getLogger("airflow_client_ext")
    previous = package.level
    package.setLevel(logging.DEBUG if state.verbose > 1 else logging.INFO)
    package.addHandler(handler)

    def stop() -> None:
        package.removeHandler(handler)
        package.setLevel(previous)

    ctx.call_on_close(stop)


pass_state = click.make_pass_decorator(CliState)


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


# -- trigger and wait ---------------------------------------------------------------------
@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.option(
    "--conf",
    callback=parse_conf,
    metavar="JSON|@FILE",
    help="The run's conf: a JSON object, @file.json, or @- (stdin).",
)
@click.option(
    "--run-id",
    type=NEW_RUN_ID,
    help="The run id: letters, digits and _.~:+- (default: manual__<time>__<random>).",
)
@click.option(
    "--logical-date",
    callback=parse_datetime,
    metavar="ISO8601",
    help="The run's logical date (UTC when no zone is given; default: none on Airflow 3, now "
    "on Airflow 2).",
)
@click.option("--note", type=NOTE, help="A note on the run (at most 1000 characters).")
@click.option("--unpause", is_flag=True, help="Unpause the DAG first if it is paused.")
@click.option("--wait", is_flag=True, help="Wait for the run to end, showing task progress.")
@click.option(
    "--timeout",
    type=SECONDS,
    metavar="SECONDS",
    help=f"With --wait: how long to wait (default {DEFAULT_WAIT_TIMEOUT:.0f}); exit 5 after.",
)
@pass_state
def trigger(
    state: CliState,
    dag_id: str,
    conf: dict[str, Any] | None,
    run_id: str | None,
    logical_date: datetime | None,
    note: str | None,
    unpause: bool,
    wait: bool,
    timeout: float | None,
) -> None:
    """Trigger a run of DAG_ID (--wait: follow it to its end).

    With --wait the exit code says how the run ended: 0 success, 1 failed (the failed tasks
    and their log tails are shown), 5 still not done after --timeout seconds.
    """
    if timeout is not None and not wait:
        raise click.UsageError("--timeout is the time to wait: it needs --wait")
    client = state.client()
    run = client.trigger(
        dag_id, conf=conf, run_id=run_id, logical_date=logical_date, note=note, unpause=unpause
    )
    if not wait:
        state.emit(run, lambda: run_table(run))
        return
    state.note(f"triggered {dag_id}: run {run.run_id}")
    follow(state, client, dag_id, run.run_id, timeout or DEFAULT_WAIT_TIMEOUT)


@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.option(
    "--timeout",
    type=SECONDS,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait; exit 5 after.",
)
@pass_state
def wait(state: CliState, dag_id: str, run_id: str, timeout: float) -> None:
    """Wait for a run to end, showing task progress.

    Exit 0 when run RUN_ID of DAG_ID succeeds, 1 when it fails (the failed tasks and their
    log tails are shown), 5 when it is still not done after --timeout seconds.
    """
    follow(state, state.client(), dag_id, run_id, timeout)


def follow(
    state: CliState, client: AirflowClient, dag_id: str, run_id: str, timeout: float
) -> None:
    """Wait for a run with progress and print it; a failed run raises DagRunFailedError
    (with its failed task instances and their log tails), a timeout WaitTimeoutError."""
    progress: Progress = progress_for(state.progress_console, dag_id, run_id, timeout)
    last: list[Any] = []

    def on_update(run: Any, task_instances: Sequence[Any]) -> None:
        last[:] = list(task_instances)
        progress(run, task_instances)

    try:
        run = client.wait(
            dag_id, run_id, timeout=timeout, on_update=on_update, raise_on_failure=True
        )
    finally:
        progress.close()
    document = {**to_jsonable(run), "task_instances": to_jsonable(last)}
    state.emit(document, lambda: run_summary(run))


# -- runs and logs ------------------------------------------------------------------------
@cli.command()
@click.argument("dag_id", type=DAG_ID_OR_ALL)
@click.option(
    "--state",
    "states",
    multiple=True,
    callback=split_states,
    metavar="STATE",
    help=f"Only runs in these states ({', '.join(RUN_STATES)}); repeatable or a comma list.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many runs, newest first.",
)
@pass_state
def runs(state: CliState, dag_id: str, states: list[str], limit: int) -> None:
    """List the runs of DAG_ID (~: of every DAG), newest first."""
    client = state.client()
    listing = client.iter_dag_runs(dag_id, state=states or None, **newest_first(client))
    found = list(islice(listing, limit))
    state.emit(found, lambda: runs_table(found) if found else f"no runs of {dag_id}")


def newest_first(client: AirflowClient) -> dict[str, Any]:
    """The list filter that orders runs newest first: ``order_by`` is one field on
    /api/v1 and a list of fields on /api/v2."""
    return {"order_by": "-id" if client.api_version == "v1" else ["-id"]}


@cli.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.argument("task_id", type=TASK_ID)
@click.option(
    "--try",
    "try_number",
    type=click.IntRange(min=1),
    metavar="N",
    help="The try to show (default: the latest).",
)
@click.option(
    "--map-index",
    type=click.IntRange(min=-1),
    default=-1,
    show_default=True,
    help="The map index of a mapped task instance.",
)
@pass_state
def logs(
    state: CliState, dag_id: str, run_id: str, task_id: str, try_number: int | None, map_index: int
) -> None:
    """Print the log of task TASK_ID in run RUN_ID of DAG_ID."""
    client = state.client()
    text = client.task_log(dag_id, run_id, task_id, try_number=try_number, map_index=map_index)
    document = {
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "map_index": map_index,
        "try_number": try_number,
        "log": text,
    }
    state.emit(document, lambda: text.rstrip("\n"))


# -- DAGs and server ----------------------------------------------------------------------
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


@cli.command()
@click.option(
    "--wait",
    "wait_seconds",
    type=SECONDS,
    metavar="SECONDS",
    help="Wait up to SECONDS for the server to become healthy (exit 5 if it does not).",
)
@pass_state
def health(state: CliState, wait_seconds: float | None) -> None:
    """Show the server's health (exit 6 when unhealthy).

    The server is healthy when its metadatabase and scheduler are, and no other component
    reports a problem (a component that never reported, like an absent triggerer, is fine).
    """
    client = state.client(need_auth=False)
    if wait_seconds is not None:
        report = client.wait_until_healthy(timeout=wait_seconds)
    else:
        report = client.health()
    components = {str(k): v for k, v in dict(report.components).items()}
    document = {
        "healthy": report.healthy,
        "components": components,
        "unhealthy": list(report.unhealthy),
    }
    rows: list[tuple[str, Any]] = [
        ("server", state_text("healthy" if report.healthy else "unhealthy"))
    ]
    rows += [(name, state_text(status or "not reporting")) for name, status in components.items()]
    state.emit(document, lambda: kv_table(rows))
    if not report.healthy:
        raise click.exceptions.Exit(int(ExitCode.SERVER))


@cli.command()
@pass_state
def version(state: CliState) -> None:
    """Show the client's version (and the server's, with a URL)."""
    document: dict[str, Any] = {"client": __version__}
    if state.url:
        client = state.client(need_auth=False)
        document.update(
            server=client.server_version, api_version=client.api_version, url=client.base_url
        )
    state.emit(document, lambda: kv_table(document.items()))


# -- settings -----------------------------------------------------------------------------
@cli.command("export")
@click.option("--variables/--no-variables", default=True, show_default=True)
@click.option("--pools/--no-pools", default=True, show_default=True)
@click.option("--connections/--no-connections", default=True, show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="Write the document to FILE (mode 0600: it can hold secrets) instead of stdout.",
)
@pass_state
def export_(
    state: CliState, variables: bool, pools: bool, connections: bool, output: str | None
) -> None:
    """Export variables, pools and connections as one JSON document."""
    doc = state.client().export_config(variables=variables, pools=pools, connections=connections)
    text = dumps(doc)
    if output in (None, "-"):
        click.echo(text)
        return
    assert output is not None
    path = Path(output)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    counts = _counts(to_jsonable(doc))
    summary = {"file": str(path), **counts}
    state.emit(
        summary,
        lambda: (
            f"wrote {path}: "
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + (" (missing: secrets the API does not return)" if counts.get("missing") else "")
        ),
    )


def _counts(document: Any) -> dict[str, int]:
    if not isinstance(document, dict):
        return {}
    return {
        kind: len(document[kind])
        for kind in ("variables", "pools", "connections", "missing")
        if isinstance(document.get(kind), list | dict)
    }


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--mode",
    type=click.Choice(["upsert", "skip-existing"]),
    default="upsert",
    show_default=True,
    help="upsert: create or overwrite; skip-existing: only create.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@pass_state
def import_(state: CliState, file: str, mode: str, dry_run: bool) -> None:
    """Import variables, pools and connections from FILE.

    FILE is a document written by `export` (- reads stdin). upsert creates missing items and
    updates those that differ; skip-existing only creates. Secrets the export could not read
    (masked by the server) are reported as missing, never overwritten with a mask.
    """
    if file == "-":
        if state.password_stdin:
            raise click.UsageError("FILE - and --password-stdin cannot both read stdin")
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {file}: {exc.strerror}", param_hint="FILE"
            ) from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON ({exc})", param_hint="FILE") from None
    if not isinstance(doc, dict):
        raise click.BadParameter("not an export document (a JSON object)", param_hint="FILE")
    report = state.client().import_config(doc, mode=mode, dry_run=dry_run)
    state.emit(to_jsonable(report), lambda: import_view(report))


def import_view(report: Any) -> RenderableType:
    """The items created, updated, skipped or missing a secret, then the summary line."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("ACTION", "KIND", "NAME", "DETAIL"):
        table.add_column(column, overflow="fold")
    would = "would be " if report.dry_run else ""
    for action in ("created", "updated", "skipped", "missing"):
        for item in getattr(report, action):
            detail = item.reason or ", ".join(item.fields)
            label = "missing secret" if action == "missing" else would + action
            table.add_row(Text(label), Text(item.kind), Text(item.name), Text(detail))
    summary = Text(report.summary())
    return Group(table, summary) if table.row_count else summary


# -- migrate ------------------------------------------------------------------------------
MIGRATE_KINDS = ("pools", "variables", "connections", "pause_states", "history")


def _side(state: CliState, side: str, url: str) -> CliState:
    """The settings of one side of a migration: its URL, and AIRFLOW_<SIDE>_USERNAME /
    _PASSWORD / _TOKEN / _AUTH when set (else the global ones)."""
    env = dict(state.environ)
    prefix = f"AIRFLOW_{side}_"
    for key in ("USERNAME", "PASSWORD", "TOKEN", "AUTH"):
        if env.get(prefix + key):
            env["AIRFLOW_" + key] = env[prefix + key]
    username = env.get(prefix + "USERNAME") or state.username
    return CliState(
        url=url,
        username=username,
        auth=state.auth,
        api_version=None,
        http_timeout=state.http_timeout,
        password_stdin=state.password_stdin,
        as_json=state.as_json,
        quiet=state.quiet,
        verbose=state.verbose,
        environ=env,
        secrets=state.secrets,  # shared: both sides' secrets are redacted from output
    )


@cli.command("migrate")
@click.option(
    "--from", "source_url", type=URL, required=True, metavar="URL", help="The source Airflow."
)
@click.option(
    "--to", "target_url", type=URL, required=True, metavar="URL", help="The target Airflow."
)
@click.option(
    "--what",
    type=Checked("kinds", lambda value: _checks.check_kinds("what", value, MIGRATE_KINDS)),
    default=",".join(MIGRATE_KINDS),
    show_default=True,
    metavar="KINDS",
    help="Comma list of: " + ", ".join(MIGRATE_KINDS) + ".",
)
@click.option(
    "--dag-id",
    "dag_ids",
    type=DAG_ID,
    multiple=True,
    metavar="DAG_ID",
    help="Limit pause states and history to this DAG (repeatable).",
)
@click.option(
    "--mode",
    type=click.Choice(["upsert", "skip-existing"]),
    default="upsert",
    show_default=True,
    help="upsert: create or update; skip-existing: only create.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Writes in flight at once (more is faster on a target with PostgreSQL).",
)
@pass_state
def migrate_(
    state: CliState,
    source_url: str,
    target_url: str,
    what: tuple[str, ...],
    dag_ids: tuple[str, ...],
    mode: str,
    dry_run: bool,
    workers: int,
) -> None:
    """Copy variables, pools, connections, DAG pause states and run history from one
    Airflow to another (2.x or 3.x; history between servers of the same major).

    Credentials: AIRFLOW_SOURCE_USERNAME / _PASSWORD (or _TOKEN) and AIRFLOW_TARGET_...,
    else the global --username / AIRFLOW_PASSWORD for both; with --password-stdin the first
    line is the source's password, the second the target's. Connection passwords and run
    history need the Starship plugin (astronomer-starship) on the servers; without it a
    password is reported as missing, never written empty. A second run changes nothing; a
    run that stopped halfway is completed by running it again.
    """
    from ..errors import InvalidArgumentError
    from ..migration import MigrationError, migrate

    source = _side(state, "SOURCE", source_url).client()
    target = _side(state, "TARGET", target_url).client()
    state.secrets.extend(source.auth.secrets() + target.auth.secrets())
    progress = state.progress_console
    done = [0]

    def on_item(outcome: str, item: Any) -> None:
        done[0] += 1
        if progress is not None and done[0] % 500 == 0:
            progress.print(f"{done[0]} items looked at ...", highlight=False)

    try:
        report = migrate(
            source,
            target,
            what=what,
            dag_ids=list(dag_ids) or None,
            mode=mode,
            dry_run=dry_run,
            on_item=on_item,
            workers=workers,
        )
    except MigrationError as exc:
        partial = exc.report
        state.emit(to_jsonable(partial.to_dict()), lambda: migrate_view(partial))
        raise
    except InvalidArgumentError as exc:
        raise click.UsageError(str(exc)) from None
    state.emit(to_jsonable(report.to_dict()), lambda: migrate_view(report))
    if report.failed:
        raise click.exceptions.Exit(int(ExitCode.SERVER))


def migrate_view(report: Any) -> RenderableType:
    """The items that changed, were skipped, failed or miss a secret; per-kind counts; the
    summary line."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("ACTION", "KIND", "NAME", "DETAIL"):
        table.add_column(column, overflow="fold")
    would = "would be " if report.dry_run else ""
    for action in ("created", "updated", "skipped", "failed", "missing"):
        items = getattr(report, action)
        for item in items[:50]:
            detail = item.reason or ", ".join(item.fields)
            label = "missing secret" if action == "missing" else would + action
            if action == "failed":
                label = "failed"
            table.add_row(Text(label), Text(item.kind), Text(item.name), Text(detail))
        if len(items) > 50:
            table.add_row(
                Text(would + action), Text("..."), Text(f"{len(items) - 50} more"), Text("")
            )
    counts = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("KIND", "CREATED", "UPDATED", "UNCHANGED", "SKIPPED", "FAILED", "SECONDS"):
        counts.add_column(column)
    seconds = report.seconds
    by_kind = report.counts_by_kind()
    for kind, row in sorted(by_kind.items()):
        group = {"dag_run": "history", "history": "history", "pause_state": "pause_states"}.get(
            kind, kind + "s"
        )
        counts.add_row(
            kind,
            *(str(row[k]) for k in ("created", "updated", "unchanged", "skipped", "failed")),
            f"{seconds.get(group, seconds.get(kind, 0.0)):.1f}",
        )
    parts: list[RenderableType] = []
    if table.row_count:
        parts.append(table)
    if counts.row_count:
        parts.append(counts)
    parts.append(Text(report.summary()))
    return Group(*parts)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script ``airflow-client-ext``."""
    cli.main(args=argv, prog_name=PROG)
    raise AssertionError("unreachable: click exits")  # pragma: no cover
