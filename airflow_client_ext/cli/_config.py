"""Commands that copy settings: ``export``, ``import`` (a JSON document of variables, pools
and connections) and ``migrate`` (from one Airflow to another, run history included)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .. import _checks
from ._exit import ExitCode
from ._output import dumps, to_jsonable
from ._params import DAG_ID, URL, Checked
from ._root import cli
from ._state import CliState, pass_state


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
        output=state.output,
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
    help=(
        "Writes in flight at once on an Airflow 2 target (more is faster with PostgreSQL); "
        "an Airflow 3 target takes them in bulk requests."
    ),
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
