"""A keyring backend for the contract tests: secrets in one JSON file that the test owns.

The CLI under test (a subprocess) picks it with ``PYTHON_KEYRING_BACKEND=file_keyring.
FileKeyring``, this folder on ``PYTHONPATH`` and the file named by ``CONTRACT_KEYRING_FILE``
(under the test's ``tmp_path``): no OS keyring, no Secret Service, nothing of the user's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

FOLDER = Path(__file__).resolve().parent
VARIABLE = "CONTRACT_KEYRING_FILE"
BACKEND = "file_keyring.FileKeyring"


def read(path: Path) -> dict[str, str]:
    """What the file holds: ``"SERVICE USERNAME" -> secret`` (nothing when missing)."""
    try:
        found: dict[str, str] = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return found


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ[VARIABLE])

    def get_password(self, service: str, username: str) -> str | None:
        return read(self.path).get(f"{service} {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        stored = read(self.path)
        stored[f"{service} {username}"] = password
        self.path.write_text(json.dumps(stored))

    def delete_password(self, service: str, username: str) -> None:
        stored = read(self.path)
        if stored.pop(f"{service} {username}", None) is None:
            raise PasswordDeleteError("not stored")
        self.path.write_text(json.dumps(stored))
