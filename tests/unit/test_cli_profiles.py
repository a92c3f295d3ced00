"""``profiles list|add|remove|show``, ``login``, ``logout`` and ``-p NAME``, without a
server: ``AirflowClient.from_env`` returns a fake client (as in ``test_cli``) that checks
the password on its one authenticated call; the keyring is an in-memory backend."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from keyring_support import MemoryKeyring
from test_cli import FakeClient

from airflow_client_ext import cli as cli_module
from airflow_client_ext import profiles
from airflow_client_ext.auth import BasicAuth, BearerAuth, NoAuth, TokenAuth
from airflow_client_ext.cli import _state as cli_state
from airflow_client_ext.client import AirflowClient, auth_from_env
from airflow_client_ext.errors import AuthenticationError
from airflow_client_ext.models import Dag

cli = cli_module.cli
PASSWORD = "Cl1-profile-pw-never-shown"
WRONG = "Cl1-wrong-pw-never-shown"
TOKEN = "Cl1-profile-tok-never-shown"
SERVICE = "airflow-client-ext"


class LoginFake(FakeClient):
    """Refuses every password but PASSWORD (and every token but TOKEN) on its calls."""

    def iter_dags(self, **filters: Any) -> Iterator[Dag]:
        self._record("iter_dags", **filters)
        if WRONG in self.auth.secrets():
            raise AuthenticationError(
                "the credentials were refused", status=401, method="GET", path="/api/v2/dags"
            )
        yield Dag("etl", is_paused=False)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> LoginFake:
    client = LoginFake()

    def from_env(environ: dict[str, str] | None = None, **options: Any) -> LoginFake:
        assert environ is not None
        client.env = dict(environ)  # type: ignore[attr-defined]
        client.base_url = environ["AIRFLOW_URL"]
        client.auth = auth_from_env(environ)
        return client

    monkeypatch.setattr(AirflowClient, "from_env", staticmethod(from_env))
    for name in list(os.environ):
        if name.startswith("AIRFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: False)
    return client


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "config"


def run(folder: Path, args: Sequence[str], input: str | None = None, **env: str) -> Result:
    environ = {"AIRFLOW_CLIENT_EXT_CONFIG_DIR": str(folder), **env}
    return CliRunner().invoke(cli, list(args), env=environ, input=input)


def no_secret(result: Result) -> None:
    for text in (result.stdout, result.stderr):
        for secret in (PASSWORD, WRONG, TOKEN):
            assert secret not in text


def add_prod(folder: Path, *extra: str) -> None:
    result = run(folder, ["profiles", "add", "prod", "--url", "http://prod.test:8080", *extra])
    assert result.exit_code == 0, result.output


# -- profiles -----------------------------------------------------------------------------
def test_add_list_show_remove(folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring) -> None:
    result = run(
        folder,
        [
            "profiles", "add", "prod", "--url", "http://prod.test:8080/prefix", "-u", "ci",
            "--auth", "basic", "--api-version", "v1", "--insecure", "--timeout", "12",
            "--default",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added profile prod (the default)" in result.stdout
    add = run(folder, ["--json", "profiles", "add", "dev", "--url", "http://dev.test"])
    assert json.loads(add.stdout)["profile"] == {
        "name": "dev",
        "url": "http://dev.test",
        "default": False,
    }
    text = (folder / "profiles.toml").read_text()
    assert 'default = "prod"' in text
    assert "verify = false" in text

    listed = run(folder, ["profiles", "list"])
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "URL", "AUTH", "USERNAME"]
    assert lines[1].split() == ["dev", "http://dev.test"]
    assert lines[2].split() == ["*", "prod", "http://prod.test:8080/prefix", "basic", "ci"]
    doc = json.loads(run(folder, ["--json", "profiles", "list"]).stdout)
    assert doc["default"] == "prod"
    assert [p["name"] for p in doc["profiles"]] == ["dev", "prod"]
    assert doc["profiles"][1]["timeout"] == 12.0
    assert doc["profiles"][1]["verify"] is False

    shown = run(folder, ["profiles", "show"])  # the default
    assert shown.exit_code == 0, shown.output
    assert "http://prod.test:8080/prefix" in shown.stdout
    assert "not stored in the OS keyring (prod:ci)" in shown.stdout
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    doc = json.loads(run(folder, ["--json", "-p", "prod", "profiles", "show"]).stdout)
    assert doc["secret"] == {"kind": "password", "user": "prod:ci", "stored": True, "keyring": None}
    assert doc["profile"]["default"] is True
    shown = run(folder, ["profiles", "show", "prod"])
    assert "password stored in the OS keyring (prod:ci)" in shown.stdout
    no_secret(shown)

    removed = run(folder, ["--json", "profiles", "remove", "prod"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout)["secret_deleted"] is True
    assert memory_keyring.store == {}
    doc = json.loads(run(folder, ["--json", "profiles", "list"]).stdout)
    assert doc["default"] is None
    assert [p["name"] for p in doc["profiles"]] == ["dev"]
    assert fake.calls == []  # no command of these talks to a server


def test_list_without_a_file(folder: Path, fake: LoginFake) -> None:
    result = run(folder, ["profiles", "list"])
    assert result.exit_code == 0
    assert "no profiles in" in result.stdout
    assert "profiles add NAME --url URL" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["profiles", "add", "a/b", "--url", "http://h"], "profile name must be"),
        (["profiles", "add", "p", "--url", "ftp://h"], "url"),
        (["profiles", "add", "p"], "Missing option '--url'"),
        (["profiles", "add", "p", "--url", "http://h", "--auth", "x"], "'x' is not one of"),
        (["profiles", "add", "p", "--url", "http://h", "--ca-bundle", "/nope"], "does not exist"),
        (["profiles", "show", "nope"], "no profile named 'nope'"),
        (["profiles", "remove", "nope"], "no profile named 'nope'"),
        (["-p", "nope", "pause", "etl"], "no profile named 'nope'"),
        (["login", "-p", "nope"], "no profile named 'nope'"),
    ],
)
def test_usage_errors_exit_2(folder: Path, fake: LoginFake, args: list[str], words: str) -> None:
    result = run(folder, args)
    assert result.exit_code == 2, result.output
    assert words in result.stderr


def test_add_refuses_to_overwrite_without_replace(folder: Path, fake: LoginFake) -> None:
    add_prod(folder)
    result = run(folder, ["profiles", "add", "prod", "--url", "http://other.test"])
    assert result.exit_code == 2
    assert "--replace" in result.stderr
    add_prod(folder, "--replace", "-u", "ci")
    assert profiles.get_profile("prod", {"AIRFLOW_CLIENT_EXT_CONFIG_DIR": str(folder)}).username


def test_a_secret_in_the_file_exits_2_saying_to_log_in(folder: Path, fake: LoginFake) -> None:
    folder.mkdir()
    (folder / "profiles.toml").write_text(
        f'[profiles.prod]\nurl = "http://h"\npassword = "{PASSWORD}"\n'
    )
    for args in (["profiles", "list"], ["-p", "prod", "pause", "etl"], ["--json", "version"]):
        result = run(folder, args)
        assert result.exit_code == 2, result.output
        assert "login -p prod" in result.stderr
        no_secret(result)


# -- -p NAME --------------------------------------------------------------------------------
def test_commands_use_the_profile_and_its_stored_password(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "-u", "ci", "--api-version", "v2", "--timeout", "7")
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    result = run(folder, ["-p", "prod", "pause", "etl"])
    assert result.exit_code == 0, result.output
    env = fake.env  # type: ignore[attr-defined]
    assert env["AIRFLOW_URL"] == "http://prod.test:8080"
    assert env["AIRFLOW_API_VERSION"] == "v2"
    assert env["AIRFLOW_TIMEOUT"] == "7.0"
    assert isinstance(fake.auth, TokenAuth)
    assert fake.auth.principal == "ci"
    assert PASSWORD in fake.auth.secrets()
    no_secret(result)
    result = run(folder, ["pause", "etl"], AIRFLOW_PROFILE="prod")
    assert result.exit_code == 0, result.output


def test_options_and_environment_beat_the_profile(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "-u", "ci", "--auth", "basic", "--default")
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    env = {"AIRFLOW_URL": "http://env.test:8080", "AIRFLOW_PASSWORD": "env-pw-cli"}
    result = run(folder, ["-p", "prod", "--api-version", "v1", "pause", "etl"], **env)
    assert result.exit_code == 0, result.output
    assert fake.env["AIRFLOW_URL"] == "http://env.test:8080"  # type: ignore[attr-defined]
    assert fake.env["AIRFLOW_API_VERSION"] == "v1"  # type: ignore[attr-defined]
    assert isinstance(fake.auth, BasicAuth)
    assert "env-pw-cli" in fake.auth.secrets()  # the environment's, not the keyring's
    result = run(folder, ["-p", "prod", "--url", "http://opt.test", "pause", "etl"], **env)
    assert fake.env["AIRFLOW_URL"] == "http://opt.test"  # type: ignore[attr-defined]
    result = run(folder, ["-p", "prod", "--password-stdin", "pause", "etl"], input="stdin-pw-cli\n")
    assert result.exit_code == 0, result.output
    assert "stdin-pw-cli" in fake.auth.secrets()


def test_the_default_profile_applies_without_a_url(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "-u", "ci", "--default")
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    result = run(folder, ["pause", "etl"])
    assert result.exit_code == 0, result.output
    assert fake.env["AIRFLOW_URL"] == "http://prod.test:8080"  # type: ignore[attr-defined]
    # with a URL (and no -p) the default profile stays out of it
    result = run(folder, ["pause", "etl"], AIRFLOW_URL="http://other.test")
    assert result.exit_code == 0, result.output
    assert isinstance(fake.auth, NoAuth)
    doc = json.loads(run(folder, ["--json", "version"]).stdout)
    assert doc["url"] == "http://prod.test:8080"


def test_no_stored_password_says_login(folder: Path, fake: LoginFake, no_keyring: None) -> None:
    add_prod(folder, "-u", "ci")
    result = run(folder, ["-p", "prod", "pause", "etl"])
    assert result.exit_code == 2
    assert "login -p prod" in result.stderr
    assert "AIRFLOW_PASSWORD" in result.stderr
    result = run(folder, ["-p", "prod", "version"])  # public: no password needed
    assert result.exit_code == 0, result.output
    assert isinstance(fake.auth, NoAuth)


def test_a_bearer_profile_finds_its_token(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "--auth", "bearer")
    profiles.store_secret("prod", "prod", TOKEN)
    result = run(folder, ["-p", "prod", "pause", "etl"])
    assert result.exit_code == 0, result.output
    assert isinstance(fake.auth, BearerAuth)
    assert TOKEN in fake.auth.secrets()


# -- login, logout --------------------------------------------------------------------------
def test_login_checks_then_stores_and_logout_removes(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "-u", "ci")
    result = run(folder, ["login", "-p", "prod", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "logged in to http://prod.test:8080" in result.stdout
    assert "stored in the OS keyring" in result.stdout
    assert [c[0] for c in fake.calls] == ["iter_dags"]
    assert memory_keyring.store == {(SERVICE, "prod:ci"): PASSWORD}
    no_secret(result)

    shown = json.loads(run(folder, ["--json", "profiles", "show", "prod"]).stdout)
    assert shown["secret"]["stored"] is True

    result = run(folder, ["--json", "logout", "-p", "prod"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "profile": "prod",
        "deleted": True,
        "keyring_users": ["prod:ci"],
    }
    assert memory_keyring.store == {}
    result = run(folder, ["logout", "-p", "prod"])
    assert result.exit_code == 0
    assert "no password of profile prod was stored" in result.stdout


def test_login_takes_the_global_options_and_the_environment(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "-u", "ci", "--default")
    result = run(folder, ["--json", "login"], AIRFLOW_PASSWORD=PASSWORD)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["stored"] is True
    assert doc["keyring_user"] == "prod:ci"
    result = run(folder, ["-p", "prod", "--password-stdin", "login"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    no_secret(result)


def test_login_prompts_hidden_on_a_terminal(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_state, "stdin_is_tty", lambda: True)
    add_prod(folder, "-u", "ci")
    result = run(folder, ["login", "-p", "prod"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Password for ci" in result.stderr
    assert memory_keyring.store == {(SERVICE, "prod:ci"): PASSWORD}
    no_secret(result)  # not echoed


def test_a_refused_password_is_not_stored(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "-u", "ci")
    for args in (
        ["login", "-p", "prod", "--password-stdin"],
        ["--json", "login", "-p", "prod", "--password-stdin"],
    ):
        result = run(folder, args, input=WRONG + "\n")
        assert result.exit_code == 3, result.output
        assert memory_keyring.store == {}
        no_secret(result)


def test_login_without_a_keyring_stores_nothing_and_says_what_to_do(
    folder: Path, fake: LoginFake, no_keyring: None
) -> None:
    add_prod(folder, "-u", "ci")
    result = run(folder, ["login", "-p", "prod", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 2, result.output
    assert "no keyring backend" in result.stderr
    assert "Nothing was stored" in result.stderr
    assert "AIRFLOW_PASSWORD" in result.stderr
    assert "--password-stdin" in result.stderr
    assert fake.calls == []
    result = run(folder, ["--json", "login", "-p", "prod"])
    assert result.exit_code == 2
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["error"] == "NoKeyringError"
    assert error["exit_code"] == 2
    result = run(folder, ["logout", "-p", "prod"])
    assert result.exit_code == 2
    assert "no keyring backend" in result.stderr


def test_login_needs_a_secret_to_store(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "--auth", "kerberos")
    result = run(folder, ["login", "-p", "prod"])
    assert result.exit_code == 2
    assert "needs no stored secret" in result.stderr
    add_prod(folder, "--replace", "-u", "ci")
    result = run(folder, ["login", "-p", "prod"])  # no terminal, no stdin, no variable
    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr
    assert memory_keyring.store == {}


def test_login_and_logout_of_a_token(
    folder: Path, fake: LoginFake, memory_keyring: MemoryKeyring
) -> None:
    add_prod(folder, "--auth", "bearer")
    result = run(folder, ["login", "-p", "prod"], AIRFLOW_TOKEN=TOKEN)
    assert result.exit_code == 0, result.output
    assert "the token of profile prod" in result.stdout
    assert memory_keyring.store == {(SERVICE, "prod"): TOKEN}
    result = run(folder, ["logout", "-p", "prod"])
    assert "removed the stored token" in result.stdout
    assert memory_keyring.store == {}


def test_help_lists_the_commands(folder: Path) -> None:
    result = run(folder, ["--help"])
    for word in ("--profile", "AIRFLOW_PROFILE", "login", "logout", "profiles"):
        assert word in result.stdout
    result = run(folder, ["login", "--help"])
    assert "the command exits 2" in " ".join(result.stdout.split())
