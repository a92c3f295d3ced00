"""Profiles and ``login`` against the real Airflow 2 and 3 servers of ``airflow_server``:
the command (the installed console script) runs with only ``-p NAME``, its password from a
keyring that ``login`` filled after the server accepted it.

The keyring is ``keyring_file/file_keyring.py``: a JSON file under the test's ``tmp_path``,
chosen with ``PYTHON_KEYRING_BACKEND`` (see :func:`profile_env`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_cli import CLI_ENV, WRONG_PASSWORD, Outcome, cli_command, shown

from airflow_client_ext.testing import AirflowInstance

KEYRING_FOLDER = Path(__file__).resolve().parent / "keyring_file"
sys.path.insert(0, str(KEYRING_FOLDER))
import file_keyring  # noqa: E402

SERVICE = "airflow-client-ext"
PROFILE = "srv"


def profile_env(tmp_path: Path) -> dict[str, str]:
    """The environment of the command: no AIRFLOW_URL, USERNAME or PASSWORD (only the
    profile knows the server), the config folder and the file keyring under ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k not in CLI_ENV and k != "AIRFLOW_PROFILE"}
    env.pop("COLUMNS", None)
    python_path = [str(KEYRING_FOLDER), *filter(None, [env.get("PYTHONPATH")])]
    env.update(
        AIRFLOW_CLIENT_EXT_CONFIG_DIR=str(tmp_path / "config"),
        PYTHON_KEYRING_BACKEND=file_keyring.BACKEND,
        PYTHONPATH=os.pathsep.join(python_path),
    )
    env[file_keyring.VARIABLE] = str(tmp_path / "keyring.json")
    return env


def run(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 120) -> Outcome:
    proc = subprocess.run(
        [*cli_command(), *args],
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return shown(args, Outcome(proc.returncode, proc.stdout, proc.stderr))


def stored(env: dict[str, str]) -> dict[str, str]:
    return file_keyring.read(Path(env[file_keyring.VARIABLE]))


def add_profile(env: dict[str, str], server: AirflowInstance) -> None:
    out = run(env, "profiles", "add", PROFILE, "--url", server.url, "-u", server.username)
    assert out.code == 0, out


def test_login_then_commands_with_only_the_profile(
    airflow_server: AirflowInstance, tmp_path: Path
) -> None:
    airflow_server.wait_for_dag("quick_success", timeout=180)
    env = profile_env(tmp_path)
    add_profile(env, airflow_server)
    key = f"{SERVICE} {PROFILE}:{airflow_server.username}"

    out = run(env, "login", "-p", PROFILE, "--password-stdin", stdin=airflow_server.password + "\n")
    assert out.code == 0, out
    assert f"logged in to {airflow_server.url}" in out.stdout
    assert stored(env) == {key: airflow_server.password}
    show = run(env, "--json", "profiles", "show", PROFILE)
    assert show.json()["secret"]["stored"] is True
    assert airflow_server.password not in show.stdout

    version = run(env, "-p", PROFILE, "--json", "version")
    assert version.code == 0, version
    assert version.json()["server"] == airflow_server.version
    runs = run(env, "-p", PROFILE, "--json", "runs", "quick_success", "--limit", "5")
    assert runs.code == 0, runs
    assert isinstance(runs.json(), list)
    env_profile = {**env, "AIRFLOW_PROFILE": PROFILE}
    runs = run(env_profile, "runs", "quick_success", "--limit", "1")
    assert runs.code == 0, runs

    out = run(env, "logout", "-p", PROFILE)
    assert out.code == 0, out
    assert stored(env) == {}
    runs = run(env, "-p", PROFILE, "runs", "quick_success", "--limit", "1")
    assert runs.code == 2, runs  # no password left: not on a terminal, nothing to ask
    assert f"login -p {PROFILE}" in runs.stderr


def test_a_wrong_password_is_refused_and_not_stored(
    airflow_server: AirflowInstance, tmp_path: Path
) -> None:
    env = profile_env(tmp_path)
    add_profile(env, airflow_server)
    for args in (("login", "-p", PROFILE), ("--json", "login", "-p", PROFILE)):
        out = run(env, *args, "--password-stdin", stdin=WRONG_PASSWORD + "\n")
        assert out.code == 3, out
        assert stored(env) == {}
        assert WRONG_PASSWORD not in out.stdout + out.stderr
    assert out.error()["exit_code"] == 3
    show = run(env, "--json", "profiles", "show", PROFILE)
    assert show.json()["secret"]["stored"] is False


def test_without_a_keyring_backend_login_stores_nothing(
    airflow_server: AirflowInstance, tmp_path: Path
) -> None:
    airflow_server.wait_for_dag("quick_success", timeout=180)
    env = {**profile_env(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    add_profile(env, airflow_server)
    out = run(env, "login", "-p", PROFILE, "--password-stdin", stdin=airflow_server.password + "\n")
    assert out.code == 2, out
    assert "no keyring backend" in out.stderr
    assert "Nothing was stored" in out.stderr
    assert not Path(env[file_keyring.VARIABLE]).exists()
    # the headless way: the password from the environment, the rest from the profile
    headless = {**env, "AIRFLOW_PASSWORD": airflow_server.password}
    runs = run(headless, "-p", PROFILE, "--json", "runs", "quick_success", "--limit", "1")
    assert runs.code == 0, runs
