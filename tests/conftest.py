"""Shared by every suite: the servers started by the airflow_client_ext.testing plugin serve
the DAGs of tests/dags (unless --airflow-dags names another folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parent / "dags"


@pytest.fixture(scope="session")
def airflow_dags_folder(request: pytest.FixtureRequest) -> Path:
    value = request.config.getoption("airflow_dags", None)
    return Path(value).resolve() if value else DAGS
