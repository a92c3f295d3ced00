"""The CLI typed at by a person, in a real terminal: tmux runs the command (the installed
console script) on a tmux server of its own; the test types with ``send-keys`` and reads the
screen with ``capture-pane``.

- ``login -p NAME``: the typed password never reaches the screen, and the login stores it
  (in the file keyring of test_cli_profiles);
- ``variables delete KEY``: asks first; "n" keeps the variable, "y" deletes it.
"""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from pathlib import Path

from test_cli import cli_command, cli_env
from test_cli_profiles import PROFILE, SERVICE, add_profile, profile_env, stored

from airflow_client_ext.testing import AirflowInstance

DONE = "login-exit-code="


class Terminal:
    """A command in a tmux pane on a tmux server of its own (``-L``): ``type``, ``screen``,
    ``wait_for``; ``close`` stops that server (and the command), in a ``finally``."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.tmux = ["tmux", "-L", f"ace-term-{uuid.uuid4().hex[:8]}"]
        # the shell keeps the pane open after the command, with its exit code on the screen
        script = f'{shlex.join(command)}; echo "{DONE}$?"; sleep 600'
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", "t", "-x", "160", "-y", "40",
             "sh", "-c", script],
            env={**env, "TERM": "xterm-256color"},
            check=True,
            timeout=30,
        )  # fmt: skip

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-J", "-S", "-200", "-t", "t"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    def type(self, text: str, *, enter: bool = True) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "t", "-l", text], check=True, timeout=30)
        if enter:
            subprocess.run([*self.tmux, "send-keys", "-t", "t", "Enter"], check=True, timeout=30)

    def wait_for(self, words: str, timeout: float) -> str:
        """Polls the screen until ``words`` shows on it; returns the last screen."""
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while words not in screen and time.monotonic() < deadline:
            time.sleep(0.3)
            screen = self.screen()
        return screen

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, timeout=30, check=False)


def test_login_prompt_hides_the_password(airflow_server: AirflowInstance, tmp_path: Path) -> None:
    env = profile_env(tmp_path)
    add_profile(env, airflow_server)
    prompt = f"Password for {airflow_server.username}:"
    terminal = Terminal([*cli_command(), "login", "-p", PROFILE], env)
    try:
        shown = terminal.wait_for(prompt, 60)
        assert prompt in shown, shown
        terminal.type(airflow_server.password, enter=False)
        time.sleep(1.0)  # what the terminal would echo has arrived by now
        typed = terminal.screen()
        terminal.type("")
        final = terminal.wait_for(DONE, 180)
    finally:
        terminal.close()
    print(f"--- the terminal after typing\n{typed}\n--- at the end\n{final}")
    assert airflow_server.password not in typed
    assert airflow_server.password not in final
    assert f"{DONE}0" in final, final
    assert f"logged in to {airflow_server.url}" in final
    key = f"{SERVICE} {PROFILE}:{airflow_server.username}"
    assert stored(env) == {key: airflow_server.password}


def test_a_destructive_command_asks_on_a_terminal(airflow_server: AirflowInstance) -> None:
    """``variables delete KEY`` on a terminal asks first: "n" keeps the variable (exit 130,
    the documented code of an interrupted command), "y" deletes it."""
    key = f"ace_term_{uuid.uuid4().hex[:8]}"
    env = cli_env(airflow_server)
    made = subprocess.run([*cli_command(), "variables", "set", key, "v"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    question = f"Delete variable {key}? [y/N]"
    for answer, code in (("n", 130), ("y", 0)):
        terminal = Terminal([*cli_command(), "variables", "delete", key], env)
        try:
            asked = terminal.wait_for(question, 60)
            assert question in asked, asked
            terminal.type(answer)
            final = terminal.wait_for(DONE, 120)
        finally:
            terminal.close()
        assert f"{DONE}{code}" in final, final
        still = airflow_server.request("GET", f"variables/{key}").status
        assert still == (200 if answer == "n" else 404)
