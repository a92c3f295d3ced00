"""Cursor and offset paging without a server: which mode a walk takes on which Airflow, and
what each guarantees while items are created during the walk (the real servers are in
tests/contract/test_paging.py)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import InvalidArgumentError, UnsupportedFeatureError
from airflow_client_ext.models import DagRun


@pytest.fixture(scope="module")
def v2() -> ModuleType:
    return importlib.import_module("airflow_client_ext_v2")


def client(server_version: str) -> AirflowClient:
    made = AirflowClient("http://127.0.0.1:1", api_version="v2")
    made._info.server_version = server_version
    return made


class FakeRuns:
    """``get_dag_runs`` over runs newest first (``order_by=-run_after``), with offset pages
    and keyset cursors (a cursor names the last run of its page) like Airflow >= 3.2.2."""

    def __init__(self, v2: ModuleType, count: int) -> None:
        self.v2 = v2
        self.next_id = 0
        self.ids: list[int] = []  # newest first
        self.calls: list[dict[str, Any]] = []
        for _ in range(count):
            self.create()

    def create(self) -> None:
        self.ids.insert(0, self.next_id)
        self.next_id += 1

    def get_dag_runs(
        self,
        dag_id: str,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
        order_by: list[str] | None = None,
    ) -> Any:
        self.calls.append({"limit": limit, "offset": offset, "cursor": cursor})
        limit = limit or 50
        if cursor is not None:
            start = 0 if cursor == "" else self.ids.index(int(cursor)) + 1
            page = self.ids[start : start + limit]
            more = start + limit < len(self.ids)
            return self.v2.DAGRunCollectionResponse.model_construct(
                dag_runs=[self._run(i) for i in page],
                total_entries=None,
                next_cursor=str(page[-1]) if page and more else None,
            )
        offset = offset or 0
        return self.v2.DAGRunCollectionResponse.model_construct(
            dag_runs=[self._run(i) for i in self.ids[offset : offset + limit]],
            total_entries=len(self.ids),
        )

    def _run(self, i: int) -> Any:
        return self.v2.DAGRunResponse.model_construct(dag_id="d", dag_run_id=f"r{i:04d}")


class FakeAdapter:
    def __init__(self, runs: FakeRuns) -> None:
        self.runs = runs

    def runs_method(self, checked: bool = False) -> Any:
        return self.runs.get_dag_runs

    def run(self, raw: Any) -> DagRun:
        return DagRun(dag_id=raw.dag_id, run_id=raw.dag_run_id, state="queued")


def walk_while_creating(
    made: AirflowClient, fake: FakeRuns, monkeypatch: pytest.MonkeyPatch, **kwargs: Any
) -> list[str]:
    """Walk the runs (pages of 50) and create 50 new ones after the first page."""
    monkeypatch.setattr(made, "_adapter", lambda: FakeAdapter(fake))
    seen = []
    for run in made.iter_dag_runs("d", limit=50, **kwargs):
        seen.append(run.run_id)
        if len(seen) == 50:
            for _ in range(50):
                fake.create()
    return seen


@pytest.mark.parametrize("version", ["3.3.2", "3.2.2"])
def test_a_cursor_walk_yields_each_run_that_existed_once(
    v2: ModuleType, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRuns(v2, 300)
    before = {f"r{i:04d}" for i in fake.ids}
    seen = walk_while_creating(client(version), fake, monkeypatch)
    assert sorted(seen) == sorted(before)  # every one, once; none of the 50 made meanwhile
    assert [c["cursor"] for c in fake.calls][:2] == ["", "250"]
    assert all(c["offset"] is None for c in fake.calls)
    assert len(fake.calls) == 6


def test_offset_pages_shift_and_the_iterator_drops_the_repeats(
    v2: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = client("3.1.8")  # no cursor paging before 3.2.2
    fake = FakeRuns(v2, 300)
    before = {f"r{i:04d}" for i in fake.ids}
    seen = walk_while_creating(made, fake, monkeypatch)
    assert all(c["cursor"] is None for c in fake.calls)
    assert len(seen) == len(set(seen))  # each yielded once
    assert before <= set(seen)  # none missed: the pages only moved back
    # paginate itself yields what the pages hold: the shifted ones twice
    fake = FakeRuns(v2, 300)
    raw = []
    for item in made.paginate(fake.get_dag_runs, dag_id="d", limit=50):
        raw.append(item.dag_run_id)
        if len(raw) == 50:
            for _ in range(50):
                fake.create()
    assert len(raw) - len(set(raw)) == 50


def test_order_by_takes_offset_paging_where_the_cursor_cannot_take_it(
    v2: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version, cursor in (("3.2.2", False), ("3.3.2", True)):
        fake = FakeRuns(v2, 120)
        list(client(version).paginate(fake.get_dag_runs, dag_id="d", order_by=["-run_after"]))
        assert (fake.calls[0]["cursor"] == "") is cursor, version


def test_paging_can_be_chosen_and_a_walk_resumed(v2: ModuleType) -> None:
    fake = FakeRuns(v2, 120)
    made = client("3.3.2")
    offset = list(made.paginate(fake.get_dag_runs, dag_id="d", paging="offset"))
    assert len(offset) == 120
    assert all(c["cursor"] is None for c in fake.calls)
    fake.calls.clear()
    resumed = list(made.paginate(fake.get_dag_runs, dag_id="d", cursor="20"))
    assert [r.dag_run_id for r in resumed] == [f"r{i:04d}" for i in range(19, -1, -1)]
    assert fake.calls[0]["cursor"] == "20"


def test_cursor_paging_refusals_name_the_version_and_the_mixup(v2: ModuleType) -> None:
    fake = FakeRuns(v2, 10)
    with pytest.raises(UnsupportedFeatureError, match=r"3\.2\.2"):
        list(client("3.1.8").paginate(fake.get_dag_runs, dag_id="d", paging="cursor"))
    with pytest.raises(UnsupportedFeatureError, match=r"3\.3\.0"):
        list(
            client("3.2.2").paginate(
                fake.get_dag_runs, dag_id="d", paging="cursor", order_by=["-run_after"]
            )
        )
    made = client("3.3.2")
    with pytest.raises(InvalidArgumentError, match="paging"):
        made.paginate(fake.get_dag_runs, paging="pages")
    with pytest.raises(InvalidArgumentError, match="offset"):
        made.paginate(fake.get_dag_runs, paging="cursor", offset=10)
    with pytest.raises(InvalidArgumentError, match="cursor"):
        made.paginate(fake.get_dag_runs, cursor=5)
    assert fake.calls == []  # nothing was sent for a refused call
