"""The root command group ``airflow-client-ext``: its global options, the mapping of every
error to the documented exit codes, the request log, and :func:`main`.

The commands live in the other modules of this package and register on :data:`cli` when
:mod:`airflow_client_ext.cli` imports them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from .. import __version__
from ._errors import _RedactingFormatter, report_error, show_usage_error
from ._exit import ExitCode, exit_code_for, exit_codes_text
from ._formats import OUTPUT_FORMATS
from ._params import SECONDS, URL
from ._state import CliState

PROG = "airflow-client-ext"
AUTH_SCHEMES = ("token", "basic", "bearer", "kerberos", "none")


class AirflowCli(click.Group):
    """Maps every error to the documented exit codes, in human or JSON form.

    ``runs VERB DAG_ID RUN_ID ...`` is ``run VERB DAG_ID RUN_ID ...`` (VERB: a command of
    the ``run`` group but ``list``): ``runs DAG_ID`` lists runs, and a DAG named like a verb
    is still listed when no second word follows (``runs delete``, ``runs delete --limit 5``).
    """

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if len(args) > 2 and args[0] == "runs" and not args[2].startswith("-"):
            group = self.get_command(ctx, "run")
            if isinstance(group, click.Group) and args[1] in set(group.commands) - {"list"}:
                args = ["run", *args[1:]]
        return super().resolve_command(ctx, args)

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
        as_json = _wants_json(argv[: argv.index("--")] if "--" in argv else argv)
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


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON or YAML (usage errors are then JSON too)."""
    for index, arg in enumerate(argv):
        if arg == "--json":
            return True
        value = None
        if arg in ("-o", "--output") and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith(("--output=", "-o")) and arg not in ("-o", "--output"):
            value = arg.split("=", 1)[1] if arg.startswith("--output=") else arg[2:]
        if value in ("json", "yaml"):
            return True
    return False


EPILOG = f"""\b
Exit codes:
{exit_codes_text()}

\b
Settings come from the options or from the environment that
AirflowClient.from_env() reads: AIRFLOW_URL, AIRFLOW_USERNAME,
AIRFLOW_PASSWORD, AIRFLOW_TOKEN, AIRFLOW_AUTH, AIRFLOW_API_VERSION,
AIRFLOW_TIMEOUT, AIRFLOW_CA_BUNDLE, AIRFLOW_VERIFY=false; then from the
profile (-p NAME, or the default one of profiles.toml). A password is
never taken on the command line: AIRFLOW_PASSWORD, --password-stdin, the
OS keyring (`login`), or a hidden prompt on a terminal.
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
    "--profile",
    "-p",
    envvar="AIRFLOW_PROFILE",
    show_envvar=True,
    metavar="NAME",
    help="Use the settings of this profile (see `profiles`); the options and the environment "
    "override them. Without a URL, the default profile applies.",
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
    "--output",
    "-o",
    "output",
    type=click.Choice(OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="table (for people), json or yaml (one document; errors as a JSON line on stderr), "
    "plain (one identifier per line, or tab-separated key fields, for xargs).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Same as -o json: one JSON document on stdout."
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
    profile: str | None,
    username: str | None,
    auth: str | None,
    api_version: str | None,
    http_timeout: float | None,
    password_stdin: bool,
    as_json: bool,
    output: str,
    quiet: bool,
    verbose: int,
) -> None:
    """Trigger and watch DAG runs, read logs, pause DAGs and copy settings, on Airflow 2
    (/api/v1) and Airflow 3 (/api/v2) alike."""
    state = CliState(
        url=url,
        profile=profile,
        username=username,
        auth=auth.lower() if auth else None,
        api_version=api_version,
        http_timeout=http_timeout,
        password_stdin=password_stdin,
        as_json=as_json,
        output=output,
        quiet=quiet,
        verbose=verbose,
    )
    if as_json and output not in ("table", "json"):
        raise click.UsageError(f"--json is -o json: it cannot go with -o {output}")
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


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script ``airflow-client-ext``."""
    cli.main(args=argv, prog_name=PROG)
    raise AssertionError("unreachable: click exits")  # pragma: no cover
