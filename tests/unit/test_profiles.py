"""``airflow_client_ext.profiles`` and ``AirflowClient.from_profile``: the file, its checks,
the precedence of settings, the keyring (an in-memory backend; keyring's fail backend for a
headless machine). Nothing is sent: the clients are only built."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from keyring_support import MemoryKeyring

from airflow_client_ext import profiles
from airflow_client_ext.auth import BasicAuth, BearerAuth, NoAuth, TokenAuth
from airflow_client_ext.client import AirflowClient
from airflow_client_ext.errors import ConfigurationError
from airflow_client_ext.profiles import NoKeyringError, Profile, ProfileError

PASSWORD = "Pr0file-pw-never-shown"
TOKEN = "Pr0file-tok-never-shown"
SERVICE = "airflow-client-ext"


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.toml"
    path.write_text(text)
    return path


def env_of(folder: Path, **extra: str) -> dict[str, str]:
    return {"AIRFLOW_CLIENT_EXT_CONFIG_DIR": str(folder), **extra}


# -- the file -----------------------------------------------------------------------------
def test_round_trip_with_default(config_dir: Path) -> None:
    prod = Profile(
        "prod",
        "https://airflow.example.com/prefix",
        auth="token",
        username="ci",
        api_version="v2",
        verify=False,
        timeout=30,
    )
    path = profiles.save_profile(prod, default=True)
    assert path == config_dir / "profiles.toml"
    profiles.save_profile(Profile("dev.local", "http://localhost:8080", auth="none"))
    loaded = profiles.load_profiles()
    dev = Profile("dev.local", "http://localhost:8080", "none")
    assert loaded == {"prod": prod, "dev.local": dev}
    assert loaded["prod"].timeout == 30.0
    assert profiles.default_profile_name() == "prod"
    assert profiles.get_profile() == prod
    assert profiles.get_profile("dev.local").auth == "none"
    text = path.read_text()
    assert 'default = "prod"' in text
    assert "[profiles.prod]" in text
    assert '[profiles."dev.local"]' in text
    assert "password" not in text.split("\n", 1)[1]  # past the header comment


def test_remove_and_replace(config_dir: Path) -> None:
    profiles.save_profile(Profile("a", "http://a:8080"), default=True)
    profiles.save_profile(Profile("b", "http://b:8080"))
    with pytest.raises(ProfileError, match="exists already"):
        profiles.save_profile(Profile("b", "http://other:8080"), replace=False)
    profiles.save_profile(Profile("b", "http://other:8080"))
    assert profiles.get_profile("b").url == "http://other:8080"
    profiles.remove_profile("a")
    assert list(profiles.load_profiles()) == ["b"]
    assert profiles.default_profile_name() is None  # the default went with it
    with pytest.raises(ProfileError, match=r"no profile named 'a' in .*; the profiles: b"):
        profiles.remove_profile("a")


def test_config_folder_from_platformdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert profiles.profiles_path() == tmp_path / "airflow-client-ext" / "profiles.toml"
    assert profiles.profiles_path({"AIRFLOW_CLIENT_EXT_CONFIG_DIR": "/x"}) == Path(
        "/x/profiles.toml"
    )


def test_a_missing_file_has_no_profiles(config_dir: Path) -> None:
    assert profiles.load_profiles() == {}
    with pytest.raises(ProfileError, match="no profile named and no default in"):
        profiles.get_profile()
    with pytest.raises(ProfileError, match="the profiles: none yet"):
        profiles.get_profile("prod")


def test_unknown_name_lists_the_known_ones(config_dir: Path) -> None:
    profiles.save_profile(Profile("prod", "http://p:8080"))
    profiles.save_profile(Profile("dev", "http://d:8080"))
    with pytest.raises(ProfileError) as info:
        profiles.get_profile("stage")
    assert str(info.value).endswith("the profiles: dev, prod")
    assert str(config_dir / "profiles.toml") in str(info.value)


def test_profile_env_names_the_profile(config_dir: Path) -> None:
    profiles.save_profile(Profile("prod", "http://p:8080"))
    assert profiles.get_profile(environ=env_of(config_dir, AIRFLOW_PROFILE="prod")).name == "prod"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[profiles.p]\nurl = "http://h"\npassword = "x"\n', "[profiles.p] 'password' is a secret"),
        ('[profiles.p]\nurl = "http://h"\ntoken = "x"\n', "'token' is a secret"),
        ('[profiles.p]\nurl = "http://h"\nAPI_TOKEN = "x"\n', "'API_TOKEN' is a secret"),
        ('[profiles.p]\nurl = "http://h"\nuser = "x"\n', "[profiles.p] unknown key 'user'"),
        ('[profiles.p]\nauth = "basic"\n', "[profiles.p] url is required"),
        ('[profiles.p]\nurl = "ftp://h"\n', "[profiles.p] url"),
        ('[profiles.p]\nurl = "http://h"\nauth = "digest"\n', "auth must be one of: token"),
        ('[profiles.p]\nurl = "http://h"\napi_version = "v3"\n', "api_version must be one of"),
        ('[profiles.p]\nurl = "http://h"\nverify = "no"\n', "verify must be true or false"),
        ('[profiles.p]\nurl = "http://h"\ntimeout = "5"\n', "timeout must be a number"),
        ('[profiles.p]\nurl = "http://h"\ntimeout = 0\n', "timeout must be more than 0"),
        ('[profiles.p]\nurl = "http://h"\nusername = ""\n', "username must be a non-empty"),
        ('[profiles."a b"]\nurl = "http://h"\n', "profile name must be 1-64 letters"),
        ('default = "q"\n[profiles.p]\nurl = "http://h"\n', "default = 'q' names no profile"),
        ('[p]\nurl = "http://h"\n', "unknown key 'p' (a profile is a [profiles.NAME] table)"),
        ("profiles = 3\n", "'profiles' must be a table"),
        ("[profiles\n", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_naming_file_and_key(config_dir: Path, text: str, words: str) -> None:
    path = write(config_dir, text)
    with pytest.raises(ProfileError) as info:
        profiles.load_profiles()
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert words in message
    assert 'x"' not in message


def test_a_secret_in_the_file_says_how_to_store_it(config_dir: Path) -> None:
    write(config_dir, f'[profiles.prod]\nurl = "http://h"\npassword = "{PASSWORD}"\n')
    with pytest.raises(ProfileError) as info:
        profiles.get_profile("prod")
    assert "airflow-client-ext login -p prod" in str(info.value)
    assert "AIRFLOW_PASSWORD" in str(info.value)
    assert PASSWORD not in str(info.value)
    with pytest.raises(ProfileError):  # nor is anything saved next to it
        profiles.save_profile(Profile("dev", "http://d:8080"))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"name": "a/b"}, "profile name must be"),
        ({"name": ""}, "profile name must be"),
        ({"url": "localhost:8080"}, "url"),
        ({"auth": "oauth"}, "auth must be one of"),
        ({"timeout": -1}, "timeout must be more than 0"),
        ({"verify": "false"}, "verify must be true or false"),
    ],
)
def test_bad_profiles_are_refused(kwargs: dict[str, Any], words: str) -> None:
    values: dict[str, Any] = {"name": "p", "url": "http://h:8080", **kwargs}
    with pytest.raises(ProfileError, match=words.replace(".", r"\.")):
        Profile(**values)


def test_profile_errors_are_configuration_errors() -> None:
    assert issubclass(ProfileError, ConfigurationError)
    assert issubclass(NoKeyringError, ConfigurationError)


# -- precedence ---------------------------------------------------------------------------
@pytest.fixture
def prod(config_dir: Path) -> Profile:
    profile = Profile(
        "prod", "http://prod:8080", auth="basic", username="ci", api_version="v1", timeout=7
    )
    profiles.save_profile(profile, default=True)
    return profile


def test_profile_settings_reach_the_client(prod: Profile, config_dir: Path) -> None:
    client = AirflowClient.from_profile(environ=env_of(config_dir, AIRFLOW_PASSWORD=PASSWORD))
    assert client.base_url == "http://prod:8080"
    assert client._info.api_version == "v1"
    assert isinstance(client.auth, BasicAuth)
    assert client.auth.principal == "ci"
    assert PASSWORD in client.auth.secrets()
    assert client.transport.timeout.read_timeout == 7.0


def test_environment_beats_profile_and_options_beat_both(prod: Profile, config_dir: Path) -> None:
    env = env_of(
        config_dir,
        AIRFLOW_URL="http://from-env:8080",
        AIRFLOW_USERNAME="env-user",
        AIRFLOW_PASSWORD=PASSWORD,
        AIRFLOW_AUTH="token",
        AIRFLOW_API_VERSION="v2",
        AIRFLOW_TIMEOUT="9",
    )
    client = AirflowClient.from_profile("prod", environ=env)
    assert client.base_url == "http://from-env:8080"
    assert client._info.api_version == "v2"
    assert isinstance(client.auth, TokenAuth)
    assert client.auth.principal == "env-user"
    assert client.transport.timeout.read_timeout == 9.0
    client = AirflowClient.from_profile(
        "prod", environ=env, url="http://from-option:8080", api_version="v1", auth=NoAuth()
    )
    assert client.base_url == "http://from-option:8080"
    assert client._info.api_version == "v1"
    assert isinstance(client.auth, NoAuth)
    client = AirflowClient.from_profile("prod", environ=env, username="opt", password="pw-opt-1")
    assert client.auth.principal == "opt"
    assert "pw-opt-1" in client.auth.secrets()


def test_empty_variables_do_not_hide_the_profile(prod: Profile, config_dir: Path) -> None:
    env = env_of(config_dir, AIRFLOW_URL="", AIRFLOW_PASSWORD=PASSWORD)
    assert AirflowClient.from_profile(environ=env).base_url == "http://prod:8080"


def test_secret_from_the_keyring_after_options_and_environment(
    prod: Profile, config_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    assert memory_keyring.store == {(SERVICE, "prod:ci"): PASSWORD}
    client = AirflowClient.from_profile("prod", environ=env_of(config_dir))
    assert PASSWORD in client.auth.secrets()
    client = AirflowClient.from_profile(
        "prod", environ=env_of(config_dir, AIRFLOW_PASSWORD="env-pw-1")
    )
    assert "env-pw-1" in client.auth.secrets()
    assert PASSWORD not in client.auth.secrets()
    client = AirflowClient.from_profile(
        "prod", environ=env_of(config_dir, AIRFLOW_PASSWORD="env-pw-1"), password="opt-pw-1"
    )
    assert "opt-pw-1" in client.auth.secrets()
    # another user (from the environment) has its own entry: not this one's password
    with pytest.raises(ProfileError, match="no password"):
        AirflowClient.from_profile("prod", environ=env_of(config_dir, AIRFLOW_USERNAME="other"))


def test_bearer_token_from_the_keyring(config_dir: Path, memory_keyring: MemoryKeyring) -> None:
    profiles.save_profile(Profile("gw", "http://gw:8080", auth="bearer"))
    profiles.store_secret("gw", "gw", TOKEN)
    client = AirflowClient.from_profile("gw", environ=env_of(config_dir))
    assert isinstance(client.auth, BearerAuth)
    assert TOKEN in client.auth.secrets()
    assert TOKEN not in repr(client)


def test_store_fetch_delete(memory_keyring: MemoryKeyring) -> None:
    assert profiles.keyring_status() is None
    assert profiles.fetch_secret("prod", "prod:ci") is None
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    assert profiles.fetch_secret("prod", "prod:ci") == PASSWORD
    assert profiles.delete_secret("prod", "prod:ci") is True
    assert profiles.delete_secret("prod", "prod:ci") is False
    assert memory_keyring.store == {}
    with pytest.raises(ProfileError, match="empty secret"):
        profiles.store_secret("prod", "prod:ci", "")


def test_secret_user_names() -> None:
    assert profiles.secret_user("p", {"AIRFLOW_USERNAME": "ci"}) == "p:ci"
    assert profiles.secret_user("p", {"AIRFLOW_AUTH": "bearer"}) == "p"
    assert profiles.secret_variable({"AIRFLOW_AUTH": "kerberos", "AIRFLOW_USERNAME": "x"}) is None
    assert profiles.secret_variable({"AIRFLOW_AUTH": "none"}) is None


def test_without_a_backend_no_keyring_is_said_and_the_environment_still_works(
    prod: Profile, config_dir: Path, no_keyring: None
) -> None:
    status = profiles.keyring_status()
    assert status is not None
    assert status.startswith("no keyring backend: ")
    assert "keyring.backends.fail.Keyring" in status
    with pytest.raises(NoKeyringError, match="no keyring backend"):
        profiles.store_secret("prod", "prod:ci", PASSWORD)
    with pytest.raises(ProfileError) as info:
        AirflowClient.from_profile("prod", environ=env_of(config_dir))
    message = str(info.value)
    assert "no password" in message
    assert "AIRFLOW_PASSWORD" in message
    assert "login -p prod" in message
    assert "no keyring backend" in message
    client = AirflowClient.from_profile(
        "prod", environ=env_of(config_dir, AIRFLOW_PASSWORD=PASSWORD)
    )
    assert PASSWORD in client.auth.secrets()


def test_a_chainer_without_backends_is_no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import chainer

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    assert "no viable backend" in (profiles._unusable(chainer.ChainerBackend()) or "")


def test_without_the_keyring_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)
    status = profiles.keyring_status()
    assert status is not None
    assert "the keyring package is not installed" in status
    assert "airflow-client-ext[keyring]" in status


def test_a_locked_keyring_is_reported_without_the_secret(memory_keyring: MemoryKeyring) -> None:
    from keyring.errors import KeyringLocked

    def refuse(*_: Any) -> None:
        raise KeyringLocked("the collection is locked")

    memory_keyring.set_password = refuse  # type: ignore[method-assign]
    with pytest.raises(NoKeyringError) as info:
        profiles.store_secret("prod", "prod:ci", PASSWORD)
    assert "KeyringLocked" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_no_secret_in_reprs(prod: Profile, config_dir: Path, memory_keyring: MemoryKeyring) -> None:
    profiles.store_secret("prod", "prod:ci", PASSWORD)
    client = AirflowClient.from_profile("prod", environ=env_of(config_dir))
    for text in (repr(client), repr(client.auth), repr(prod), str(profiles.read_profiles())):
        assert PASSWORD not in text
    assert PASSWORD not in (config_dir / "profiles.toml").read_text()
