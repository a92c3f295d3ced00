"""``airflow-client-ext login -p NAME`` typed at by a person, in a real terminal: tmux runs
the command (the installed console script) on its own socket; the test types the password
with ``send-keys`` and reads the screen with ``capture-pane``. The typed password must never
reach the screen, and the login must store it (in the file keyring of test_cli_profiles).
"""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from test_cli import cli_command
from test_cli_profiles import PROFILE, SERVICE, add_profile, profile_env, stored

from airflow_client_ext.testing import AirflowInstance

DONE = "login-exit-code="


def wait_for(check: Callable[[], str], words: str, timeout: float) -> str:
    """Polls the screen until ``words`` shows on it; returns the last screen."""
    deadline = time.monotonic() + timeout
    screen = check()
    while words not in screen and time.monotonic() < deadline:
        time.sleep(0.3)
        screen = check()
    return screen


def test_login_prompt_hides_the_password(airflow_server: AirflowInstance, tmp_path: Path) -> None:
    env = profile_env(tmp_path)
    env["TERM"] = "xterm-256color"
    add_profile(env, airflow_server)
    socket = f"ace-login-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket]
    login = shlex.join([*cli_command(), "login", "-p", PROFILE])
    # the shell keeps the pane open after the command, with its exit code on the screen
    script = f'{login}; echo "{DONE}$?"; sleep 600'

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-J", "-S", "-200", "-t", "login"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    try:
        # a fresh tmux server on its own socket: it inherits this environment
        size = ["-x", "160", "-y", "40"]
        subprocess.run(
            [*tmux, "new-session", "-d", "-s", "login", *size, "sh", "-c", script],
            env=env,
            check=True,
            timeout=30,
        )
        shown = wait_for(screen, f"Password for {airflow_server.username}:", 60)
        assert f"Password for {airflow_server.username}:" in shown, shown
        subprocess.run(
            [*tmux, "send-keys", "-t", "login", "-l", airflow_server.password],
            check=True,
            timeout=30,
        )
        time.sleep(1.0)  # what the terminal would echo has arrived by now
        typed = screen()
        subprocess.run([*tmux, "send-keys", "-t", "login", "Enter"], check=True, timeout=30)
        final = wait_for(screen, DONE, 180)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=30, check=False)
    print(f"--- the terminal after typing\n{typed}\n--- at the end\n{final}")
    assert airflow_server.password not in typed
    assert airflow_server.password not in final
    assert f"{DONE}0" in final, final
    assert f"logged in to {airflow_server.url}" in final
    key = f"{SERVICE} {PROFILE}:{airflow_server.username}"
    assert stored(env) == {key: airflow_server.password}
