"""The workflows' client-side loops without a server: paging over generated collection
models, the polling wait (its schedule, timeout and failure report, with a fake clock) and
the mapping of each API version's models to the neutral types."""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator
from datetime import datetime, timezone
from types import ModuleType
from typing import Any, ClassVar

import pytest

from airflow_client_ext import AirflowClient
from airflow_client_ext._versions import V1Adapter, V2Adapter
from airflow_client_ext.errors import (
    ConfigurationError,
    DagRunFailedError,
    InvalidArgumentError,
    UnsupportedFeatureError,
    WaitTimeoutError,
)
from airflow_client_ext.models import DagRun, TaskInstance


@pytest.fixture(scope="module")
def v1() -> ModuleType:
    return importlib.import_module("airflow_client_ext_v1")


@pytest.fixture(scope="module")
def v2() -> ModuleType:
    return importlib.import_module("airflow_client_ext_v2")


# -- paging ---------------------------------------------------------------------------------
class FakeVariables:
    """A list endpoint that caps ``limit`` like Airflow's ``maximum_page_limit``."""

    def __init__(self, v2: ModuleType, count: int, cap: int, total: bool = True) -> None:
        self.v2 = v2
        self.items = [v2.VariableResponse.model_construct(key=f"k{i:03d}") for i in range(count)]
        self.cap = cap
        self.total = total
        self.calls: list[tuple[int, int, dict[str, Any]]] = []

    def get_variables(
        self,
        limit: int | None = None,
        offset: int | None = None,
        order_by: list[str] | None = None,
    ) -> Any:
        limit = min(limit or 50, self.cap)
        offset = offset or 0
        self.calls.append((limit, offset, {"order_by": order_by}))
        return self.v2.VariableCollectionResponse.model_construct(
            variables=self.items[offset : offset + limit],
            total_entries=len(self.items) if self.total else None,
        )


def client() -> AirflowClient:
    return AirflowClient("http://127.0.0.1:1", api_version="v2")


@pytest.mark.parametrize("cap", [100, 30, 7])
def test_paginate_walks_past_the_servers_page_cap(v2: ModuleType, cap: int) -> None:
    fake = FakeVariables(v2, 250, cap)
    keys = [v.key for v in client().paginate(fake.get_variables, order_by=["key"])]
    assert keys == [f"k{i:03d}" for i in range(250)]
    assert len(fake.calls) == math.ceil(250 / cap)
    assert [offset for _, offset, _ in fake.calls] == list(range(0, 250, cap))
    assert fake.calls[0][0] == cap  # asked for 100, the server gave less: no early stop
    assert all(kw == {"order_by": ["key"]} for _, _, kw in fake.calls)


def test_paginate_without_total_entries_stops_at_an_empty_page(v2: ModuleType) -> None:
    fake = FakeVariables(v2, 120, 100, total=False)
    assert len(list(client().paginate(fake.get_variables))) == 120
    assert [offset for _, offset, _ in fake.calls] == [0, 100, 120]


def test_paginate_honours_a_given_limit_and_offset(v2: ModuleType) -> None:
    fake = FakeVariables(v2, 30, 100)
    keys = [v.key for v in client().paginate(fake.get_variables, limit=10, offset=5)]
    assert keys == [f"k{i:03d}" for i in range(5, 30)]
    assert [(limit, offset) for limit, offset, _ in fake.calls] == [(10, 5), (10, 15), (10, 25)]


def test_paginate_calls_an_unpaged_method_once(v2: ModuleType) -> None:
    calls = []

    def get_dag_tags_like() -> Any:
        calls.append(1)
        return v2.VariableCollectionResponse.model_construct(
            variables=[v2.VariableResponse.model_construct(key="only")], total_entries=1
        )

    assert [v.key for v in client().paginate(get_dag_tags_like)] == ["only"]
    assert calls == [1]


def test_paginate_finds_the_list_field_of_any_generated_collection(
    v1: ModuleType, v2: ModuleType
) -> None:
    from airflow_client_ext._paging import _list_field

    assert _list_field(v2.DAGRunCollectionResponse.model_construct()) == "dag_runs"
    assert _list_field(v2.TaskInstanceCollectionResponse.model_construct()) == "task_instances"
    assert _list_field(v1.DAGRunCollection.model_construct()) == "dag_runs"
    assert _list_field(v1.ConnectionCollection.model_construct()) == "connections"
    assert _list_field(v1.ImportErrorCollection.model_construct()) == "import_errors"
    with pytest.raises(ConfigurationError, match="cannot tell the items"):
        _list_field(v2.VariableResponse.model_construct())


# -- wait, with a fake server behind a fake adapter -----------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


class FakeAdapter:
    """Serves a scripted sequence of run states and task instance states."""

    def __init__(self, states: list[str], ti_states: list[dict[str, str | None]] | None = None):
        self.states = states
        self.ti_states = ti_states or [{"t": None}] * len(states)
        self.reads = 0
        self.logs: list[tuple[str, int, int]] = []

    def supports(self, feature: str) -> bool:
        return False

    def get_run(self, dag_id: str, run_id: str) -> DagRun:
        state = self.states[min(self.reads, len(self.states) - 1)]
        self.reads += 1
        return DagRun(dag_id=dag_id, run_id=run_id, state=state)

    def task_instances_method(self, checked: bool = False) -> Any:
        def method(dag_id: str, dag_run_id: str, limit: int = 100, offset: int = 0) -> Any:
            index = min(self.reads - 1, len(self.ti_states) - 1)
            items = [
                {"task_id": k.split("[")[0], "map_index": _index(k), "state": s}
                for k, s in self.ti_states[index].items()
            ]
            return _Page(items[offset : offset + limit], len(items))

        return method

    def task_instance(self, raw: dict[str, Any]) -> TaskInstance:
        return TaskInstance(dag_id="d", run_id="r", try_number=1, **raw)

    def log_text(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, mi: int, *, tail: bool
    ) -> str:
        assert tail  # a failure reads only the end of each log
        self.logs.append((task_id, try_number, mi))
        return "\n".join(f"noise {i}" for i in range(500)) + f"\nValueError: {task_id} broke\n"


def _index(key: str) -> int:
    return int(key.split("[")[1].rstrip("]")) if "[" in key else -1


class _Page:
    """Quacks like a generated collection model for paginate."""

    model_fields: ClassVar[dict[str, Any]] = {
        "task_instances": type("F", (), {"annotation": list[dict[str, Any]]})()
    }

    def __init__(self, items: list[dict[str, Any]], total: int) -> None:
        self.task_instances = items
        self.total_entries = total


@pytest.fixture
def fake_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AirflowClient, FakeClock]]:
    made = client()
    clock = FakeClock()
    made._clock = clock.clock  # type: ignore[method-assign]
    made._sleep = clock.sleep  # type: ignore[method-assign]
    yield made, clock
    made.close()


def use(made: AirflowClient, adapter: FakeAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(made, "_adapter", lambda: adapter)


def test_polling_backs_off_and_starts_over_after_a_change(
    fake_client: tuple[AirflowClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, clock = fake_client
    adapter = FakeAdapter(["queued", "queued", "running", "running", "running", "success"])
    use(made, adapter, monkeypatch)
    run = made.wait("d", "r", timeout=60)
    assert run.state == "success"
    # at most 0.75 s apart during the first minute (poll_fast_cap)
    assert clock.sleeps == [0.5, 0.75, 0.5, 0.75, 0.75]
    assert adapter.reads == 6


def test_polling_never_waits_longer_than_the_cap(
    fake_client: tuple[AirflowClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, clock = fake_client
    use(made, FakeAdapter(["running"] * 100 + ["success"]), monkeypatch)
    assert made.wait("d", "r", timeout=None).state == "success"
    assert max(clock.sleeps) == 5.0
    assert clock.sleeps[:3] == [0.5, 0.75, 0.75]
    # 0.75 s apart for the first minute, then backing off to the cap
    fast = [s for s in clock.sleeps if s <= 0.75]
    assert 60 <= sum(fast) < 61
    assert clock.sleeps[len(fast) : len(fast) + 3] == [1.125, 1.6875, 2.53125]


def test_a_timeout_carries_the_last_state_and_does_not_oversleep(
    fake_client: tuple[AirflowClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, clock = fake_client
    use(made, FakeAdapter(["queued", "running"]), monkeypatch)
    with pytest.raises(WaitTimeoutError) as info:
        made.wait("d", "r", timeout=3)
    # queued -> running resets the schedule; the last sleep ends at the deadline
    assert clock.sleeps == [0.5, 0.5, 0.75, 0.75, 0.5]
    assert clock.now == pytest.approx(1003.0)
    error = info.value
    assert (error.timeout, error.last_state) == (3.0, "running")
    assert error.last_run is not None
    assert error.last_run.run_id == "r"
    assert "d/r did not finish within 3 s (last state: running)" in str(error)


def test_on_update_fires_on_each_change_of_the_run_or_a_task(
    fake_client: tuple[AirflowClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, _ = fake_client
    adapter = FakeAdapter(
        ["queued", "running", "running", "running", "running", "success"],
        [
            {"a": None, "b[0]": None},
            {"a": "queued", "b[0]": None},
            {"a": "queued", "b[0]": None},
            {"a": "success", "b[0]": None},
            {"a": "success", "b[0]": "success"},
            {"a": "success", "b[0]": "success"},
        ],
    )
    use(made, adapter, monkeypatch)
    seen: list[tuple[str, dict[str, str | None]]] = []
    made.wait(
        "d", "r", on_update=lambda run, tis: seen.append((run.state, {t.key: t.state for t in tis}))
    )
    assert seen == [
        ("queued", {"a": None, "b[0]": None}),
        ("running", {"a": "queued", "b[0]": None}),
        ("running", {"a": "success", "b[0]": None}),
        ("running", {"a": "success", "b[0]": "success"}),
        ("success", {"a": "success", "b[0]": "success"}),
    ]


def test_a_failed_run_is_returned_or_raised_with_bounded_log_tails(
    fake_client: tuple[AirflowClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, _ = fake_client
    ti_states = [{"a": "failed", "b": "upstream_failed", "m[3]": "failed", "ok": "success"}]
    use(made, FakeAdapter(["running", "failed"], ti_states * 2), monkeypatch)
    assert made.wait("d", "r").state == "failed"  # raise_on_failure is off by default

    adapter = FakeAdapter(["running", "failed"], ti_states * 2)
    use(made, adapter, monkeypatch)
    with pytest.raises(DagRunFailedError) as info:
        made.wait("d", "r", raise_on_failure=True)
    error = info.value
    assert error.run.state == "failed"
    assert sorted(ti.key for ti in error.failed_task_instances) == ["a", "m[3]"]
    assert sorted(error.log_tails) == ["a", "m[3]"]
    assert sorted(adapter.logs) == [("a", 1, -1), ("m", 1, 3)]
    for tail in error.log_tails.values():
        assert len(tail.splitlines()) <= 40
        assert len(tail) <= 4096
        assert tail.endswith("broke")
    assert "a: ValueError: a broke" in str(error)
    assert "m[3]: ValueError: m broke" in str(error)


def test_asking_for_the_wait_stream_where_there_is_none_is_a_clear_error(
    fake_client: tuple[AirflowClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, _ = fake_client
    monkeypatch.setattr(made._info, "server_version", "3.0.6")
    use(made, FakeAdapter(["success"]), monkeypatch)
    with pytest.raises(UnsupportedFeatureError, match=r"wait_stream\) needs Airflow 3\.1\.0") as e:
        made.wait("d", "r", use_wait_endpoint=True)
    found = (e.value.feature, e.value.since, e.value.server_version)
    assert found == ("wait_stream", "3.1.0", "3.0.6")


def test_trigger_checks_its_arguments_before_any_request() -> None:
    made = client()
    with pytest.raises(InvalidArgumentError, match="JSON object"):
        made.trigger("d", conf=["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="time zone"):
        made.trigger("d", logical_date=datetime(2026, 1, 1))
    with pytest.raises(InvalidArgumentError, match="run_id"):
        made.trigger("d", run_id="has space")
    assert made.transport.stats.requests == 0


# -- the version mapping --------------------------------------------------------------------
def test_airflow2_models_map_to_neutral_types(v1: ModuleType) -> None:
    adapter = V1Adapter(client())
    raw = v1.DAGRun(
        dag_run_id="r",
        dag_id="d",
        execution_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        state=v1.DagState.RUNNING,
        run_type="manual",
        conf={"a": 1},
    )
    run = adapter.run(raw)
    assert (run.run_id, run.state, run.run_type, dict(run.conf)) == (
        "r",
        "running",
        "manual",
        {"a": 1},
    )
    assert run.logical_date == datetime(2026, 1, 1, tzinfo=timezone.utc)  # execution_date
    assert run.raw is raw
    ti = adapter.task_instance(
        v1.TaskInstance(
            task_id="t",
            dag_id="d",
            dag_run_id="r",
            state=v1.TaskState.NONE,
            start_date="2026-01-01T00:00:00.123456+00:00",
            end_date=None,
            try_number=0,
            map_index=-1,
        )
    )
    assert ti.state is None  # Airflow 2's "none" is no state
    assert ti.start_date == datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc)
    assert ti.start_date.tzinfo is not None


def test_airflow3_models_map_to_neutral_types(v2: ModuleType) -> None:
    adapter = V2Adapter(client())
    raw = v2.DAGRunResponse.model_construct(
        dag_run_id="r",
        dag_id="d",
        logical_date=None,
        queued_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        start_date=None,
        end_date=None,
        data_interval_start=None,
        data_interval_end=None,
        run_type=v2.DagRunType.MANUAL,
        state=v2.DagRunState.QUEUED,
        conf=None,
        note="n",
    )
    run = adapter.run(raw)
    assert (run.state, run.run_type, run.logical_date, dict(run.conf)) == (
        "queued",
        "manual",
        None,
        {},
    )
    assert run.queued_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert run.note == "n"


class RepeatingAdapter(FakeAdapter):
    """A listing that repeats items, within a page and across pages (an unordered one)."""

    PAGES: ClassVar[list[list[str]]] = [["a", "b", "a"], ["c", "b[1]", "b"], ["d"]]

    def __init__(self) -> None:
        super().__init__(["running"])
        self.checked: list[bool] = []

    def task_instances_method(self, checked: bool = False) -> Any:
        self.checked.append(checked)

        def method(
            dag_id: str, dag_run_id: str, limit: int = 100, offset: int = 0, **_: Any
        ) -> Any:
            keys = self.PAGES[offset // 3] if offset // 3 < len(self.PAGES) else []
            items = [
                {"task_id": k.split("[")[0], "map_index": _index(k), "state": f"#{offset + i}"}
                for i, k in enumerate(keys)
            ]
            return _Page(items, 7)

        return method


def test_task_instances_are_listed_once_each_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    made = client()
    adapter = RepeatingAdapter()
    use(made, adapter, monkeypatch)  # type: ignore[arg-type]
    tis = list(made.iter_task_instances("d", "r", limit=3))
    assert [ti.key for ti in tis] == ["a", "b", "c", "b[1]", "d"]
    assert [ti.state for ti in tis] == ["#0", "#1", "#3", "#4", "#6"]  # the first one seen
    list(made.iter_task_instances("d", "r", pool=["p"]))
    assert adapter.checked == [True, False]  # a caller's filter: the generated method
