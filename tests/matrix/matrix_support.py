"""What the matrix suite's conftest and tests share: the session's rows and operations."""

from __future__ import annotations

from typing import Any

import pytest

#: the session's results: rows per version, servers' timings, operations swept
ROWS = pytest.StashKey[dict[str, Any]]()


def record_operations(config: pytest.Config, version: str, summary: dict[str, Any]) -> None:
    config.stash[ROWS]["operations"][version] = summary
