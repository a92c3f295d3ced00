"""``config get SECTION [OPTION]``: the server's configuration, where it exposes it."""

from __future__ import annotations

import click

from ._formats import records_table
from ._options import config_value, show_secrets_option
from ._root import cli
from ._state import CliState, pass_state


@cli.group()
def config() -> None:
    """Read the server's configuration (needs expose_config on the server)."""


@config.command()
@click.argument("section")
@click.argument("option", required=False)
@show_secrets_option
@pass_state
def get(state: CliState, section: str, option: str | None, show_secrets: bool) -> None:
    """Show OPTION of SECTION, or every option of SECTION (-o plain: the value alone, or
    option<TAB>value lines)."""
    found = [
        {"section": s, "option": o, "value": config_value(s, o, v, show_secrets)}
        for s, o, v in state.client().get_config(section, option)
    ]
    doc: object = found[0] if option is not None and len(found) == 1 else found
    state.emit(
        doc,
        lambda: (
            records_table(found, ("section", "option", "value"))
            if found
            else f"no options in [{section}]"
        ),
        plain=lambda: (
            [str(r["value"]) for r in found]
            if option is not None
            else [f"{r['option']}\t{r['value']}" for r in found]
        ),
    )
