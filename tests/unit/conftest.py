"""Unit tests never read or write the user's own profiles or keyring: the config folder is
a temporary one (``XDG_CONFIG_HOME``, which platformdirs reads), and the keyring tests
install their own backend (``keyring_support``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_config_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.delenv("AIRFLOW_CLIENT_EXT_CONFIG_DIR", raising=False)
    monkeypatch.delenv("AIRFLOW_PROFILE", raising=False)


@pytest.fixture
def memory_keyring() -> Iterator[Any]:
    """An in-memory keyring (``keyring_support.MemoryKeyring``) for the test."""
    import keyring
    from keyring_support import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """keyring's fail backend: what a headless machine without a Secret Service has."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``AIRFLOW_CLIENT_EXT_CONFIG_DIR`` set to a fresh folder."""
    folder = tmp_path / "config"
    monkeypatch.setenv("AIRFLOW_CLIENT_EXT_CONFIG_DIR", str(folder))
    return folder
