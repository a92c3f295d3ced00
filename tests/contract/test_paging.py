"""Walking DAG runs while runs are being created, on real Airflow 2 and 3.

On Airflow >= 3.2.2 the walk pages with ``cursor``/``next_cursor`` (keyset): the runs made
during the walk do not shift its pages. Elsewhere it pages by offset, where runs made ahead of
the walk's position push the rest back: ``paginate`` then yields some twice, and
``iter_dag_runs`` drops the repeats. Either way every run that existed before the walk comes
back exactly once. ``paging_target`` stays paused: its runs stay queued and nothing runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from workflows_support import admin_client, run_api, unique

from airflow_client_ext import AirflowClient
from airflow_client_ext.testing import AirflowInstance

DAG = "paging_target"
BEFORE = 300
DURING = 50
PAGE = 50
#: newest first: runs made during the walk sort ahead of its position
NEWEST_FIRST = {"v1": "-execution_date", "v2": ["-run_after"]}


_DAYS = itertools.count()


@pytest.fixture(scope="module")
def client(airflow_server: AirflowInstance) -> Iterator[AirflowClient]:
    made = admin_client(airflow_server)
    made.wait_for_dag(DAG, timeout=300)
    yield made
    made.close()


class Made:
    """Runs of ``paging_target`` with distinct, increasing logical dates; deleted after."""

    def __init__(self, client: AirflowClient) -> None:
        self.client = client
        self.prefix = unique("walk")
        # Airflow 2 takes one run per logical date: each walk gets days of its own
        self.base = datetime(2031, 1, 1, tzinfo=timezone.utc) + timedelta(days=next(_DAYS))
        self.run_ids: list[str] = []

    def create(self, count: int) -> list[str]:
        adapter = self.client._adapter()
        start = len(self.run_ids)
        made = []
        for i in range(start, start + count):
            run_id = f"{self.prefix}_{i:04d}"
            adapter.trigger(DAG, run_id, {}, self.base + timedelta(minutes=i), None)
            made.append(run_id)
        self.run_ids += made
        return made

    def delete(self) -> None:
        api = run_api(self.client)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda run_id: api.delete_dag_run(DAG, run_id), self.run_ids))


@pytest.fixture
def made(client: AirflowClient) -> Iterator[Made]:
    runs = Made(client)
    try:
        yield runs
    finally:
        runs.delete()


def walk(pages: Iterator[Any], made: Made, key: Any) -> list[str]:
    """The run ids of a walk; after its first page, ``DURING`` runs are created."""
    seen = []
    for item in pages:
        seen.append(key(item))
        if len(seen) == PAGE:
            made.create(DURING)
    return [run_id for run_id in seen if run_id.startswith(made.prefix)]


def test_every_run_that_existed_comes_back_once_while_runs_are_made(
    client: AirflowClient, made: Made, airflow_server: AirflowInstance
) -> None:
    before = made.create(BEFORE)
    requests = client.transport.stats.requests
    order = NEWEST_FIRST[client.api_version]
    seen = walk(client.iter_dag_runs(DAG, limit=PAGE, order_by=order), made, key=lambda r: r.run_id)
    pages = client.transport.stats.requests - requests - DURING  # less the triggers
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    cursor = client.supports("cursor_paging")
    version = tuple(int(part) for part in airflow_server.version.split(".")[:3])
    assert cursor == (version >= (3, 2, 2))
    if cursor:
        assert set(seen) == set(before)  # the keyset walk does not see the new ones
        assert pages == BEFORE // PAGE  # no empty last page: next_cursor ends the walk
    else:
        assert pages >= (BEFORE + DURING) // PAGE


def test_offset_paging_repeats_what_the_cursor_does_not(client: AirflowClient, made: Made) -> None:
    """The control: the same walk through ``paginate`` by offset yields runs twice, so the
    test above could fail; with a cursor (where the server has one), it does not."""
    made.create(BEFORE)
    method = run_api(client).get_dag_runs
    order = NEWEST_FIRST[client.api_version]
    offset = walk(
        client.paginate(method, paging="offset", dag_id=DAG, limit=PAGE, order_by=order),
        made,
        key=lambda r: r.dag_run_id,
    )
    assert len(offset) - len(set(offset)) == DURING
    if not client.supports("cursor_paging"):
        return
    cursor = walk(
        client.paginate(method, paging="cursor", dag_id=DAG, limit=PAGE, order_by=order),
        made,
        key=lambda r: r.dag_run_id,
    )
    # the 50 made by the walk above are there now; the 50 made during this one are not seen
    assert len(cursor) == len(set(cursor)) == BEFORE + DURING
