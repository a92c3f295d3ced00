"""Fixtures of the v2 contract suite (Airflow 3.x, ``/api/v2``).

The servers read a session copy of ``tests/dags`` (see tests/conftest.py). The suite writes
no DAG files: the import error comes from
``v2_breakable``, which fails to import while an Airflow Variable is set, so it also works
against a running server (``--airflow-url``, whose DAGs folder must hold ``tests/dags``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from v2_support import trigger_and_wait, unpause


@pytest.fixture(scope="session")
def quick_run(v2: ModuleType, v2_client: Any) -> Any:
    """A finished, successful run of ``quick_success`` (read-only: do not change it)."""
    unpause(v2, v2_client, "quick_success")
    run = trigger_and_wait(v2, v2_client, "quick_success", conf={"origin": "v2-contract"})
    assert run.state.value == "success", run
    return run


@pytest.fixture(scope="session")
def xcom_run(v2: ModuleType, v2_client: Any) -> Any:
    """A finished, successful run of ``xcom_push`` (tests may add XComs with unique keys)."""
    unpause(v2, v2_client, "xcom_push")
    run = trigger_and_wait(v2, v2_client, "xcom_push")
    assert run.state.value == "success", run
    return run
