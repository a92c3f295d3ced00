"""``completion bash|zsh|fish``: click's completion script; and the completion of DAG_ID
arguments from the server.

A DAG id completes from the server when a client can be built without asking anything
(the URL and the credentials in the options, the environment or a profile with its keyring
entry); any failure, or a server
slower than :data:`COMPLETION_TIMEOUT`, completes nothing, silently.
"""

from __future__ import annotations

import os
from itertools import islice
from typing import Any

import click
from click.shell_completion import CompletionItem, get_completion_class

from ._root import PROG, cli
from ._state import CliState

#: Seconds a completion may wait for the server (each request; no retries).
COMPLETION_TIMEOUT = 2.0
#: At most this many DAG ids are offered.
COMPLETION_MAX = 500
SHELLS = ("bash", "zsh", "fish")


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script of SHELL.

    \b
    bash:  eval "$(airflow-client-ext completion bash)"   (in ~/.bashrc)
    zsh:   eval "$(airflow-client-ext completion zsh)"    (in ~/.zshrc)
    fish:  airflow-client-ext completion fish > ~/.config/fish/completions/airflow-client-ext.fish
    """
    complete_var = "_" + PROG.replace("-", "_").upper() + "_COMPLETE"
    cls = get_completion_class(shell)
    assert cls is not None  # every name of SHELLS has one in click
    click.echo(cls(cli, {}, PROG, complete_var).source())


def complete_dag_ids(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    """The DAG ids of the server that start with ``incomplete``; [] on any failure."""
    try:
        return [CompletionItem(dag_id) for dag_id in _dag_ids(ctx, incomplete)]
    except Exception:  # a completion never fails loudly
        return []


def _dag_ids(ctx: click.Context, incomplete: str) -> list[str]:
    params: dict[str, Any] = dict(ctx.find_root().params)
    env = dict(os.environ)
    state = CliState(
        url=params.get("url") or env.get("AIRFLOW_URL"),
        profile=params.get("profile") or env.get("AIRFLOW_PROFILE"),
        username=params.get("username") or env.get("AIRFLOW_USERNAME"),
        auth=params.get("auth") or env.get("AIRFLOW_AUTH"),
        api_version=params.get("api_version") or env.get("AIRFLOW_API_VERSION"),
        http_timeout=COMPLETION_TIMEOUT,
        environ=env,
    )
    if params.get("password_stdin") or not state.has_server():
        return []
    settings = state.settings()  # options > environment > profile
    scheme = state.scheme(settings)
    needed = {"token": "AIRFLOW_PASSWORD", "basic": "AIRFLOW_PASSWORD"}.get(scheme)
    if scheme == "bearer" or (needed and settings.get("AIRFLOW_USERNAME")):
        needed = needed or "AIRFLOW_TOKEN"
        if not (env.get(needed) or state.stored_secret(settings)):
            return []  # a prompt would be needed
    from ..retry import NO_RETRY

    client = state.client().with_options(retry=NO_RETRY, timeout=COMPLETION_TIMEOUT)
    filters = {"dag_id_pattern": incomplete} if incomplete else {}
    found = (d.dag_id for d in client.iter_dags(**filters) if d.dag_id.startswith(incomplete))
    return sorted(islice(found, COMPLETION_MAX))
