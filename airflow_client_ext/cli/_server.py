"""Commands about the server: ``health``, ``version``."""

from __future__ import annotations

from typing import Any

import click

from .. import __version__
from ._exit import ExitCode
from ._output import kv_table, state_text
from ._params import SECONDS
from ._root import cli
from ._state import CliState, pass_state


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
    """Show the client's version (and the server's, with a URL or a profile)."""
    document: dict[str, Any] = {"client": __version__}
    if state.has_server():
        client = state.client(need_auth=False)
        document.update(
            server=client.server_version, api_version=client.api_version, url=client.base_url
        )
    state.emit(document, lambda: kv_table(document.items()))
