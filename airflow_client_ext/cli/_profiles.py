"""Profiles and stored secrets: ``profiles list|add|remove|show``, ``login``, ``logout``.

The settings live in ``profiles.toml`` (:mod:`airflow_client_ext.profiles`), the password or
token in the OS keyring; no command ever shows a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import profiles as lib
from ._exit import ExitCode
from ._output import kv_table
from ._params import SECONDS, URL
from ._root import AUTH_SCHEMES, cli
from ._state import CliState, pass_state

NO_KEYRING_EXIT = ExitCode.USAGE
F = TypeVar("F", bound=Callable[..., Any])


def _check_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return lib.check_name(value)
    except lib.ProfileError as exc:
        raise click.BadParameter(str(exc)) from None


def _profile_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--profile",
        "-p",
        "profile_name",
        metavar="NAME",
        callback=_check_name,
        help=help_text + " (default: the global -p, AIRFLOW_PROFILE, or the default profile).",
    )


def _secret_info(profile: lib.Profile) -> dict[str, Any]:
    """What is known about the profile's stored secret; never the secret itself."""
    env = profile.environ()
    variable = lib.secret_variable(env)
    if variable is None:
        return {"kind": None, "stored": None, "keyring": None}
    kind = "password" if variable == "AIRFLOW_PASSWORD" else "token"
    user = lib.secret_user(profile.name, env)
    try:
        stored: bool | None = lib.fetch_secret(profile.name, user) is not None
        problem = None
    except lib.NoKeyringError as exc:
        stored, problem = None, str(exc)
    return {"kind": kind, "user": user, "stored": stored, "keyring": problem}


def _secret_text(info: dict[str, Any]) -> str:
    if info["kind"] is None:
        return "none needed"
    if info["stored"] is None:
        return f"unknown: {info['keyring']}"
    where = f"the OS keyring ({info['user']})"
    return f"{info['kind']} stored in {where}" if info["stored"] else f"not stored in {where}"


def _profile_doc(profile: lib.Profile, default: str | None) -> dict[str, Any]:
    return {"name": profile.name, **profile.settings(), "default": profile.name == default}


# -- profiles -----------------------------------------------------------------------------
@cli.group()
def profiles() -> None:
    """Named server settings (profiles.toml in the user's config folder, or in
    AIRFLOW_CLIENT_EXT_CONFIG_DIR); use one with -p NAME. Secrets stay in the OS keyring
    (login)."""


@profiles.command("list")
@pass_state
def list_(state: CliState) -> None:
    """List the profiles (* marks the default)."""
    found = lib.read_profiles(state.environ)
    docs = [_profile_doc(p, found.default) for _, p in sorted(found.profiles.items())]
    document = {"path": str(found.path), "default": found.default, "profiles": docs}

    def human() -> Any:
        if not docs:
            return f"no profiles in {found.path}; add one: profiles add NAME --url URL"
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in ("", "NAME", "URL", "AUTH", "USERNAME"):
            table.add_column(column, overflow="fold")
        for doc in docs:
            table.add_row(
                "*" if doc["default"] else "",
                *(Text(str(doc.get(k) or "")) for k in ("name", "url", "auth", "username")),
            )
        return table

    state.emit(document, human)


@profiles.command()
@click.argument("name", callback=_check_name)
@click.option("--url", type=URL, required=True, metavar="URL", help="The server's base URL.")
@click.option("--auth", type=click.Choice(AUTH_SCHEMES, case_sensitive=False), help="Scheme.")
@click.option("--username", "-u", help="User to log in as (the password: `login`).")
@click.option("--api-version", type=click.Choice(["v1", "v2"]), help="Skip detection.")
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    help="CA certificates to verify the server with.",
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
@click.option("--timeout", "http_timeout", type=SECONDS, metavar="SECONDS", help="Per request.")
@click.option("--default", "make_default", is_flag=True, help="Make it the default profile.")
@click.option("--replace", is_flag=True, help="Replace a profile of that name.")
@pass_state
def add(
    state: CliState,
    name: str,
    url: str,
    auth: str | None,
    username: str | None,
    api_version: str | None,
    ca_bundle: str | None,
    insecure: bool,
    http_timeout: float | None,
    make_default: bool,
    replace: bool,
) -> None:
    """Add the profile NAME (no secret: `login -p NAME` stores one in the OS keyring)."""
    if not replace and name in lib.load_profiles(state.environ):
        raise click.UsageError(f"a profile named {name!r} exists already: --replace replaces it")
    profile = lib.Profile(
        name,
        url,
        auth=auth.lower() if auth else None,
        username=username,
        api_version=api_version,
        ca_bundle=ca_bundle,
        verify=False if insecure else None,
        timeout=http_timeout,
    )
    path = lib.save_profile(profile, default=make_default, replace=replace, environ=state.environ)
    default = lib.default_profile_name(state.environ)
    document = {"path": str(path), "profile": _profile_doc(profile, default)}
    suffix = " (the default)" if default == name else ""
    state.emit(document, lambda: f"added profile {name}{suffix} to {path}")


@profiles.command()
@click.argument("name", callback=_check_name)
@pass_state
def remove(state: CliState, name: str) -> None:
    """Remove the profile NAME, and its secret from the OS keyring."""
    profile = lib.get_profile(name, state.environ)
    info = _secret_info(profile)
    path = lib.remove_profile(name, state.environ)
    deleted = bool(info["stored"]) and lib.delete_secret(name, info["user"])
    document = {"path": str(path), "removed": name, "secret_deleted": deleted}
    extra = f"; its {info['kind']} was removed from the OS keyring" if deleted else ""
    state.emit(document, lambda: f"removed profile {name} from {path}{extra}")


@profiles.command()
@click.argument("name", required=False, callback=_check_name)
@pass_state
def show(state: CliState, name: str | None) -> None:
    """Show the settings of NAME (or of -p, or the default profile), and whether a secret
    is stored for it; never the secret."""
    found = lib.read_profiles(state.environ)
    profile = lib.get_profile(name or state.profile, state.environ)
    info = _secret_info(profile)
    document = {
        "path": str(found.path),
        "profile": _profile_doc(profile, found.default),
        "secret": info,
    }
    rows: list[tuple[str, Any]] = [("name", profile.name)]
    rows += list(profile.settings().items())
    rows += [("default", profile.name == found.default), ("secret", _secret_text(info))]
    rows.append(("file", found.path))
    state.emit(document, lambda: kv_table(rows))


# -- login, logout --------------------------------------------------------------------------
@cli.command()
@_profile_option("The profile to log in with")
@click.option(
    "--password-stdin",
    "from_stdin",
    is_flag=True,
    help="Read the password (the token with auth bearer) from the first line of stdin.",
)
@pass_state
def login(state: CliState, profile_name: str | None, from_stdin: bool) -> None:
    """Check the profile's password (or token) against the server, then store it in the OS
    keyring, where -p NAME finds it.

    The secret comes from --password-stdin, AIRFLOW_PASSWORD (AIRFLOW_TOKEN) or a hidden
    prompt. It is stored only once an authenticated call succeeded. Without a keyring
    backend (a headless machine) nothing is stored and the command exits 2: give the secret
    to each command instead (AIRFLOW_PASSWORD, --password-stdin).
    """
    from ..client import AirflowClient

    profile = state.use_profile(profile_name)
    env = state.settings()
    variable = lib.secret_variable(env)
    if variable is None:
        scheme = env.get("AIRFLOW_AUTH") or "token"
        raise click.UsageError(
            f"profile {profile.name!r} needs no stored secret (auth {scheme}, "
            f"username {env.get('AIRFLOW_USERNAME') or 'not set'}): set a username "
            f"(profiles add {profile.name} --replace ... -u USER) for a password"
        )
    kind = "password" if variable == "AIRFLOW_PASSWORD" else "token"
    problem = lib.keyring_status()
    if problem:
        raise lib.NoKeyringError(
            f"{problem}. Nothing was stored; give the {kind} to each command instead: "
            f"{variable}=... or --password-stdin (with -p {profile.name})"
        )
    state.password_stdin = state.password_stdin or from_stdin
    prompt = f"Password for {env['AIRFLOW_USERNAME']}" if kind == "password" else "Token"
    secret = state.ask_secret(variable, prompt)
    env[variable] = secret
    client = AirflowClient.from_env(env)
    next(iter(client.iter_dags(limit=1)), None)  # one authenticated call, before storing
    user = lib.secret_user(profile.name, env)
    lib.store_secret(profile.name, user, secret)
    document = {
        "profile": profile.name,
        "url": client.base_url,
        "username": env.get("AIRFLOW_USERNAME"),
        "stored": True,
        "secret": kind,
        "keyring_user": user,
    }
    state.emit(
        document,
        lambda: (
            f"logged in to {client.base_url}; the {kind} of profile {profile.name} is "
            "stored in the OS keyring"
        ),
    )


@cli.command()
@_profile_option("The profile to forget the secret of")
@pass_state
def logout(state: CliState, profile_name: str | None) -> None:
    """Remove the profile's password (or token) from the OS keyring."""
    profile = state.use_profile(profile_name)
    env = state.settings()
    variable = lib.secret_variable(env)
    users = {lib.secret_user(profile.name, env), lib.secret_user(profile.name, profile.environ())}
    deleted = [user for user in sorted(users) if lib.delete_secret(profile.name, user)]
    document = {"profile": profile.name, "deleted": bool(deleted), "keyring_users": deleted}
    kind = "token" if variable == "AIRFLOW_TOKEN" else "password"
    text = (
        f"removed the stored {kind} of profile {profile.name} from the OS keyring"
        if deleted
        else f"no {kind} of profile {profile.name} was stored in the OS keyring"
    )
    state.emit(document, lambda: text)


__all__ = ["NO_KEYRING_EXIT", "add", "list_", "login", "logout", "profiles", "remove", "show"]
