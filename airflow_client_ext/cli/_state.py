"""The state every command shares: the global options, the lazily built client, the secrets
to keep out of output, and where output goes.

Tests patch :func:`stdin_is_tty` and :func:`make_console` here (this is where they are
looked up).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, RenderableType

from .._http import redact_text
from ._formats import Plain, render

if TYPE_CHECKING:
    from ..client import AirflowClient
    from ..profiles import Profile


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
    profile: str | None = None
    username: str | None = None
    auth: str | None = None
    api_version: str | None = None
    http_timeout: float | None = None
    password_stdin: bool = False
    as_json: bool = False
    #: -o/--output: table, json, yaml or plain (--json is -o json)
    output: str = "table"
    quiet: bool = False
    verbose: int = 0
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    secrets: list[str] = field(default_factory=list)
    _client: AirflowClient | None = None
    _profile: Profile | None = None
    _profile_resolved: bool = False
    _out: Console | None = None
    _err: Console | None = None

    def __post_init__(self) -> None:
        if self.as_json and self.output == "table":
            self.output = "json"
        # errors as one JSON line on stderr with json and yaml (a JSON line is YAML too)
        self.as_json = self.output in ("json", "yaml")

    @property
    def machine(self) -> bool:
        """Output for a program (json, yaml, plain): notes and progress go to stderr."""
        return self.output != "table"

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
    def scheme(self, env: dict[str, str] | None = None) -> str:
        env = self.environ if env is None else env
        if self.auth:
            return self.auth.lower()
        if env.get("AIRFLOW_AUTH"):
            return env["AIRFLOW_AUTH"].strip().lower()
        username = self.username or env.get("AIRFLOW_USERNAME")
        return "bearer" if env.get("AIRFLOW_TOKEN") and not username else "token"

    def active_profile(self) -> Profile | None:
        """The profile in use: ``--profile`` (``AIRFLOW_PROFILE``), else the file's default
        when no URL is given (``--url``, ``AIRFLOW_URL``), else None."""
        if not self._profile_resolved:
            from .. import profiles  # lazy: `--help` stays fast

            if self.profile:
                self._profile = profiles.get_profile(self.profile, self.environ)
            elif not self.url:
                found = profiles.read_profiles(self.environ)
                self._profile = found.profiles.get(found.default) if found.default else None
            self._profile_resolved = True
        return self._profile

    def use_profile(self, name: str | None) -> Profile:
        """Makes ``name`` (else --profile, ``AIRFLOW_PROFILE`` or the default) the profile in
        use, and returns it; an unknown name raises ProfileError (exit 2)."""
        from .. import profiles

        self._profile = profiles.get_profile(name or self.profile, self.environ)
        self.profile, self._profile_resolved = self._profile.name, True
        return self._profile

    def ask_secret(self, variable: str, prompt: str) -> str:
        """The password (``AIRFLOW_PASSWORD``) or token (``AIRFLOW_TOKEN``) from
        --password-stdin, the environment or a hidden prompt; never from the keyring."""
        secret = self._secret(variable, prompt, True)
        assert secret is not None
        self.secrets.append(secret)
        return secret

    def has_server(self) -> bool:
        """Whether a URL is known: the option, the environment or a profile."""
        return bool(self.url) or self.active_profile() is not None

    def settings(self) -> dict[str, str]:
        """The ``AIRFLOW_*`` settings of the client: options > environment > profile."""
        profile = self.active_profile()
        if profile is None:
            env = dict(self.environ)
            from_profile: dict[str, str] = {}
        else:
            from ..profiles import profile_environ

            env = profile_environ(profile, self.environ)
            from_profile = profile.environ()
        for key, value in (
            ("AIRFLOW_URL", self.url),
            ("AIRFLOW_USERNAME", self.username),
            ("AIRFLOW_AUTH", self.auth),
            ("AIRFLOW_API_VERSION", self.api_version),
        ):
            value = value or from_profile.get(key)
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        if self.http_timeout is not None:
            env["AIRFLOW_TIMEOUT"] = str(self.http_timeout)
        return env

    def client(self, *, need_auth: bool = True) -> AirflowClient:
        """The client; asks for the password (hidden) on a terminal when none is set.

        The password (token) comes from --password-stdin, the environment, the keyring of
        the profile in use, or a hidden prompt. ``need_auth=False`` (health, version: public
        endpoints): no prompt; without a password the calls go out without credentials.
        """
        if self._client is not None:
            return self._client
        from ..client import AirflowClient  # lazy: `--help` stays fast

        if not self.has_server():
            raise click.UsageError(
                "no Airflow URL: pass --url or set AIRFLOW_URL (e.g. http://localhost:8080), "
                "or use a profile (-p NAME; see `profiles add`)"
            )
        env = self.settings()
        scheme = self.scheme(env)
        username = env.get("AIRFLOW_USERNAME")
        if scheme in ("token", "basic") and username:
            password = self._secret("AIRFLOW_PASSWORD", f"Password for {username}", need_auth, env)
            if password is None:
                env["AIRFLOW_AUTH"] = "none"
            else:
                env["AIRFLOW_PASSWORD"] = password
        elif scheme == "bearer":
            token = self._secret("AIRFLOW_TOKEN", "Token", need_auth, env)
            if token is None:
                env["AIRFLOW_AUTH"] = "none"
            else:
                env["AIRFLOW_TOKEN"] = token
        elif scheme in ("token", "basic") and self.auth and need_auth:
            raise click.UsageError(f"--auth {scheme} needs --username (or AIRFLOW_USERNAME)")
        self.secrets.extend(v for k in ("AIRFLOW_PASSWORD", "AIRFLOW_TOKEN") if (v := env.get(k)))
        self._client = AirflowClient.from_env(env)
        return self._client

    def stored_secret(self, env: dict[str, str]) -> str | None:
        """The secret the keyring holds for the profile in use (None: no profile, no
        keyring, nothing stored)."""
        profile = self.active_profile()
        if profile is None:
            return None
        from ..profiles import fill_secret, secret_variable

        variable = secret_variable(env)
        if variable is None:
            return None
        found = {k: v for k, v in env.items() if k != variable}
        fill_secret(profile.name, found)
        secret = found.get(variable)
        if secret:
            self.secrets.append(secret)
        return secret

    def _secret(
        self, variable: str, prompt: str, required: bool, env: dict[str, str] | None = None
    ) -> str | None:
        if self.password_stdin:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise click.UsageError("--password-stdin: nothing to read on stdin")
            self.secrets.append(line)
            return line
        value = self.environ.get(variable)
        if value:
            return value
        stored = self.stored_secret(env) if env is not None else None
        if stored:
            return stored
        if not required:
            return None
        if stdin_is_tty():
            answer: str = click.prompt(prompt, hide_input=True, err=True)
            self.secrets.append(answer)
            return answer
        what = "password" if variable == "AIRFLOW_PASSWORD" else "token"
        profile = self.active_profile()
        login = f", store it with `login -p {profile.name}`" if profile else ""
        raise click.UsageError(
            f"no {what}: set {variable}, pipe it with --password-stdin{login}, or run in a "
            "terminal to be asked for it"
        )

    # -- output ---------------------------------------------------------------------------
    def emit(
        self,
        document: Any,
        human: Callable[[], RenderableType | str | None],
        plain: Plain = None,
    ) -> None:
        """The command's result in the -o format: the document as JSON or YAML; ``plain``
        (field names, or a function of the lines; default: each item's identifier) for
        -o plain; else what ``human`` makes."""
        if self.machine:
            text = render(document, self.output, plain)
            if text:
                click.echo(text)
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
        """Where a wait shows its progress: stdout, or stderr with -o json/yaml/plain; None
        with -q."""
        if self.quiet:
            return None
        return self.err if self.machine else self.out

    def note(self, message: str) -> None:
        """A line for the person watching (not the result): stderr with -o json/yaml/plain,
        -q hides it."""
        if self.quiet:
            return
        click.echo(message, err=self.machine)


pass_state = click.make_pass_decorator(CliState)
