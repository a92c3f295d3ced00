"""Named connection profiles in ``profiles.toml``, their secrets in the OS keyring.

::

    # ~/.config/airflow-client-ext/profiles.toml (platformdirs' user config dir;
    # AIRFLOW_CLIENT_EXT_CONFIG_DIR overrides the folder)
    default = "prod"

    [profiles.prod]
    url = "https://airflow.example.com"
    auth = "token"
    username = "ci"
    api_version = "v2"
    verify = true
    timeout = 30

The file never holds a secret: a profile with a ``password`` or ``token`` key is refused.
The password (or the bearer token) lives in the OS keyring (the ``keyring`` extra), under
the service ``airflow-client-ext`` and the user name ``PROFILE:USERNAME`` (``PROFILE`` alone
for a bearer token); ``airflow-client-ext login`` stores it there after checking it.

:func:`profile_environ` turns a profile into the ``AIRFLOW_*`` settings that
:meth:`AirflowClient.from_env` reads, under the environment's own: a client built from a
profile goes through the same code as one built from the environment, and the precedence is
keyword arguments > environment > profile, for every setting.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import _checks
from .errors import ConfigurationError, InvalidSettingError

logger = logging.getLogger(__name__)

APP_NAME = "airflow-client-ext"
#: the folder of ``profiles.toml`` when set (tests, containers)
CONFIG_DIR_ENV = "AIRFLOW_CLIENT_EXT_CONFIG_DIR"
#: the profile a client or the CLI uses when none is named
PROFILE_ENV = "AIRFLOW_PROFILE"
FILE_NAME = "profiles.toml"
KEYRING_SERVICE = "airflow-client-ext"
AUTH_SCHEMES = ("token", "basic", "bearer", "kerberos", "none")
API_VERSIONS = ("v1", "v2")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SECRET_WORDS = ("password", "token", "secret", "passwd", "credential", "api_key", "apikey")
#: each setting of a profile and the variable of :meth:`AirflowClient.from_env` it stands for
SETTINGS = {
    "url": "AIRFLOW_URL",
    "auth": "AIRFLOW_AUTH",
    "username": "AIRFLOW_USERNAME",
    "api_version": "AIRFLOW_API_VERSION",
    "ca_bundle": "AIRFLOW_CA_BUNDLE",
    "verify": "AIRFLOW_VERIFY",
    "timeout": "AIRFLOW_TIMEOUT",
}


class ProfileError(ConfigurationError):
    """A profile that is missing, misnamed or invalid, or a profiles file that cannot be
    read or written; the message names the file and the key."""


class NoKeyringError(ConfigurationError):
    """No usable keyring: the ``keyring`` package is missing, or it has no backend that can
    store anything (a headless machine without a Secret Service, say)."""


# -- profiles -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """The settings of one Airflow server; never a secret.

    :param name: letters, digits, ``-``, ``_`` and ``.`` (64 at most).
    :param url: the server's base URL (with its path prefix behind a proxy).
    :param auth: ``token``, ``basic``, ``bearer``, ``kerberos`` or ``none`` (None: as
        :meth:`AirflowClient.from_env` chooses).
    :param verify: False skips TLS verification; ``ca_bundle`` names a CA file.
    :param timeout: seconds for each HTTP request.
    """

    name: str
    url: str
    auth: str | None = None
    username: str | None = None
    api_version: str | None = None
    ca_bundle: str | None = None
    verify: bool | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        check_name(self.name)
        values = {k: v for k, v in asdict(self).items() if k != "name"}
        checked = _checked_values(values, f"profile {self.name!r}:", self.name)
        for key, value in checked.items():
            object.__setattr__(self, key, value)

    def settings(self) -> dict[str, Any]:
        """The settings that are set, as the file holds them."""
        return {k: v for k, v in asdict(self).items() if k != "name" and v is not None}

    def environ(self) -> dict[str, str]:
        """The settings as the ``AIRFLOW_*`` variables :meth:`AirflowClient.from_env` reads."""
        env = {}
        for key, value in self.settings().items():
            if isinstance(value, bool):
                env[SETTINGS[key]] = "true" if value else "false"
            else:
                env[SETTINGS[key]] = str(value)
        return env


def check_name(name: Any, where: str = "profile name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ProfileError(f"{where} must be 1-64 letters, digits, '-', '_' or '.'; got {name!r}")
    return name


def _secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _checked_values(values: Mapping[str, Any], where: str, name: str) -> dict[str, Any]:
    """The settings of the profile ``name``, checked: ``where`` starts each error message."""
    for key in values:
        if _secret_key(key):
            raise ProfileError(
                f"{where} {key!r} is a secret, and a secret is never kept in the profiles file: "
                f"remove it, then store it in the OS keyring with `airflow-client-ext login -p "
                f"{name}`, or pass it through the environment (AIRFLOW_PASSWORD, AIRFLOW_TOKEN)"
            )
        if key not in SETTINGS:
            raise ProfileError(f"{where} unknown key {key!r}; the keys are: {', '.join(SETTINGS)}")
    out: dict[str, Any] = dict.fromkeys(SETTINGS)
    out.update(values)
    url = out["url"]
    if not isinstance(url, str) or not url:
        raise ProfileError(f"{where} url is required: the server's base URL, e.g. http://host:8080")
    try:
        _checks.check_url("url", url, example="http://localhost:8080")
    except InvalidSettingError as exc:
        raise ProfileError(f"{where} {exc}") from None
    for key, choices in (("auth", AUTH_SCHEMES), ("api_version", API_VERSIONS)):
        value = out[key]
        if isinstance(value, str):
            value = value.strip().lower()
            out[key] = value
        if value is not None and value not in choices:
            raise ProfileError(f"{where} {key} must be one of: {', '.join(choices)}; got {value!r}")
    for key in ("username", "ca_bundle"):
        value = out[key]
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ProfileError(f"{where} {key} must be a non-empty string; got {value!r}")
    if out["verify"] is not None and not isinstance(out["verify"], bool):
        raise ProfileError(f"{where} verify must be true or false; got {out['verify']!r}")
    timeout = out["timeout"]
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ProfileError(f"{where} timeout must be a number of seconds; got {timeout!r}")
        if not math.isfinite(timeout) or timeout <= 0:
            raise ProfileError(f"{where} timeout must be more than 0 seconds; got {timeout!r}")
        out["timeout"] = float(timeout)
    return out


# -- the file -----------------------------------------------------------------------------
def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``AIRFLOW_CLIENT_EXT_CONFIG_DIR``, else platformdirs' user config dir of the app."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_DIR_ENV):
        return Path(env[CONFIG_DIR_ENV]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def profiles_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``profiles.toml`` is (it may not exist yet)."""
    return config_dir(environ) / FILE_NAME


@dataclass(frozen=True)
class ProfilesFile:
    """What ``profiles.toml`` holds: the profiles by name and the default one's name."""

    path: Path
    profiles: dict[str, Profile]
    default: str | None = None


def read_profiles(environ: Mapping[str, str] | None = None) -> ProfilesFile:
    """The profiles file, checked (a missing file holds no profiles)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

    path = profiles_path(environ)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        return ProfilesFile(path, {})
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    for key in document:
        if key not in ("default", "profiles"):
            hint = (
                " (a profile is a [profiles.NAME] table)" if isinstance(document[key], dict) else ""
            )
            raise ProfileError(f"{path}: unknown key {key!r}{hint}")
    tables = document.get("profiles", {})
    if not isinstance(tables, dict):
        raise ProfileError(f"{path}: 'profiles' must be a table of [profiles.NAME] tables")
    profiles = {}
    for name, table in tables.items():
        check_name(name, f"{path}: profile name")
        if not isinstance(table, dict):
            raise ProfileError(f"{path}: [profiles.{name}] must be a table")
        values = _checked_values(table, f"{path}: [profiles.{name}]", name)
        profiles[name] = Profile(name, **values)
    default = document.get("default")
    if default is not None and (not isinstance(default, str) or default not in profiles):
        raise ProfileError(
            f"{path}: default = {default!r} names no profile of the file; it has: "
            + (", ".join(sorted(profiles)) or "none")
        )
    return ProfilesFile(path, profiles, default)


def load_profiles(environ: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """Every profile of the file, by name."""
    return read_profiles(environ).profiles


def default_profile_name(environ: Mapping[str, str] | None = None) -> str | None:
    """The name the file's top-level ``default = "NAME"`` gives, if any."""
    return read_profiles(environ).default


def get_profile(name: str | None = None, environ: Mapping[str, str] | None = None) -> Profile:
    """The profile ``name``; without one, ``AIRFLOW_PROFILE``, else the file's default.
    An unknown name raises :class:`ProfileError` listing the known ones."""
    env = os.environ if environ is None else environ
    found = read_profiles(env)
    name = name or env.get(PROFILE_ENV) or found.default
    if not name:
        raise ProfileError(
            f"no profile named and no default in {found.path}: name one (-p NAME, "
            f"{PROFILE_ENV}) or add one with `airflow-client-ext profiles add NAME --url URL "
            "--default`"
        )
    check_name(name)
    if name not in found.profiles:
        known = ", ".join(sorted(found.profiles)) or "none yet"
        raise ProfileError(f"no profile named {name!r} in {found.path}; the profiles: {known}")
    return found.profiles[name]


def save_profile(
    profile: Profile,
    *,
    default: bool = False,
    replace: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Adds (or replaces) ``profile`` in the file; ``default=True`` makes it the default.
    Returns the file's path."""
    if not isinstance(profile, Profile):
        raise ProfileError(f"save_profile takes a Profile; got {type(profile).__name__}")
    found = read_profiles(environ)
    if not replace and profile.name in found.profiles:
        raise ProfileError(
            f"{found.path}: a profile named {profile.name!r} exists already (replace it, or "
            "remove it first)"
        )
    profiles = dict(found.profiles)
    profiles[profile.name] = profile
    _write(found.path, profiles, profile.name if default else found.default)
    return found.path


def remove_profile(name: str, environ: Mapping[str, str] | None = None) -> Path:
    """Removes the profile ``name`` from the file (and the default if it was that one).
    The keyring is left alone: see :func:`delete_secret`."""
    check_name(name)
    found = read_profiles(environ)
    if name not in found.profiles:
        known = ", ".join(sorted(found.profiles)) or "none"
        raise ProfileError(f"no profile named {name!r} in {found.path}; the profiles: {known}")
    profiles = {k: v for k, v in found.profiles.items() if k != name}
    _write(found.path, profiles, None if found.default == name else found.default)
    return found.path


def _write(path: Path, profiles: Mapping[str, Profile], default: str | None) -> None:
    import tempfile

    import tomli_w

    document: dict[str, Any] = {}
    if default:
        document["default"] = default
    document["profiles"] = {name: p.settings() for name, p in sorted(profiles.items())}
    text = "# airflow-client-ext profiles: no secrets here (`airflow-client-ext login`)\n"
    text += tomli_w.dumps(document)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".profiles.", suffix=".toml", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ProfileError(f"{path}: cannot be written: {exc.strerror or exc}") from None


# -- settings -----------------------------------------------------------------------------
def profile_environ(profile: Profile, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` over the profile's settings: each ``AIRFLOW_*`` variable the environment
    sets (not empty) wins over the profile's value."""
    merged = profile.environ()
    merged.update({k: v for k, v in environ.items() if v or k not in merged})
    return merged


def secret_variable(env: Mapping[str, str]) -> str | None:
    """``AIRFLOW_PASSWORD`` or ``AIRFLOW_TOKEN``: the secret the settings call for (as
    :func:`airflow_client_ext.client.auth_from_env` reads them), or None."""
    username = env.get("AIRFLOW_USERNAME")
    scheme = env.get("AIRFLOW_AUTH") or (
        "bearer" if env.get("AIRFLOW_TOKEN") and not username else "token"
    )
    scheme = scheme.strip().lower()
    if scheme in ("token", "basic") and username:
        return "AIRFLOW_PASSWORD"
    if scheme == "bearer":
        return "AIRFLOW_TOKEN"
    return None


def secret_user(profile: str, env: Mapping[str, str]) -> str:
    """The keyring user name of the profile's secret: ``PROFILE:USERNAME`` for a password,
    ``PROFILE`` for a bearer token."""
    if secret_variable(env) == "AIRFLOW_PASSWORD":
        return f"{profile}:{env['AIRFLOW_USERNAME']}"
    return profile


def resolve_environ(
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    use_keyring: bool = True,
) -> tuple[Profile, dict[str, str]]:
    """The profile and the settings it gives under ``environ``, with the keyring's secret
    when the environment has none (and a keyring has it)."""
    env = os.environ if environ is None else environ
    profile = get_profile(name, env)
    merged = profile_environ(profile, env)
    if use_keyring:
        fill_secret(profile.name, merged)
    return profile, merged


def fill_secret(profile: str, env: dict[str, str]) -> str | None:
    """Puts the keyring's secret of ``profile`` into ``env`` when the settings call for
    one that ``env`` lacks. Returns why none was found (None when there was no need)."""
    variable = secret_variable(env)
    if variable is None or env.get(variable):
        return None
    try:
        secret = fetch_secret(profile, secret_user(profile, env))
    except NoKeyringError as exc:
        logger.debug("profile %s: %s", profile, exc)
        return str(exc)
    if secret is None:
        return f"no secret stored in the keyring for {secret_user(profile, env)!r}"
    env[variable] = secret
    return None


# -- the keyring --------------------------------------------------------------------------
_INSTALL = "pip install 'airflow-client-ext[keyring]'"


def _keyring() -> Any:
    """The ``keyring`` module when it has a backend that stores; else NoKeyringError."""
    try:
        import keyring
    except ImportError:
        raise NoKeyringError(
            f"no keyring backend: the keyring package is not installed ({_INSTALL})"
        ) from None
    reason = _unusable(keyring.get_keyring())
    if reason:
        raise NoKeyringError(f"no keyring backend: {reason}")
    return keyring


def _unusable(backend: Any) -> str | None:
    from keyring.backends import chainer, fail, null

    kind = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return (
            f"keyring's backend {kind} stores nothing (no OS keyring on this machine; "
            "PYTHON_KEYRING_BACKEND chooses one)"
        )
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "keyring found no viable backend (no OS keyring on this machine)"
    return None


def keyring_status() -> str | None:
    """None when a keyring can store secrets, else why not (``no keyring backend: ...``)."""
    try:
        _keyring()
    except NoKeyringError as exc:
        return str(exc)
    return None


def _call(action: str, method: str, *args: str) -> Any:
    keyring = _keyring()
    try:
        return getattr(keyring, method)(*args)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:  # locked, refused: never carries the secret
        raise NoKeyringError(
            f"the keyring could not {action} ({type(exc).__name__}: {exc})"
        ) from None


def store_secret(profile: str, user: str, secret: str) -> None:
    """Stores ``secret`` under the service ``airflow-client-ext`` and ``user`` (see
    :func:`secret_user`)."""
    check_name(profile)
    if not secret:
        raise ProfileError("an empty secret is not stored")
    _call("store the secret", "set_password", KEYRING_SERVICE, user, secret)


def fetch_secret(profile: str, user: str) -> str | None:
    """The stored secret, or None."""
    check_name(profile)
    found = _call("read the secret", "get_password", KEYRING_SERVICE, user)
    return found if isinstance(found, str) else None


def delete_secret(profile: str, user: str) -> bool:
    """Removes the stored secret; False when there was none."""
    check_name(profile)
    if fetch_secret(profile, user) is None:
        return False
    _call("delete the secret", "delete_password", KEYRING_SERVICE, user)
    return True
