"""The typed workflow results (``DagRun``, ``TaskInstance``, ``Dag``) of Airflow 2 and 3
answers, read the fast way (one pass into the generated model, then the result made
without its ``__init__``), are what the generated path and the former conversion gave.

A loopback server answers real Airflow 3.3.2 answers (``data/airflow-3.3.2.json``) and
Airflow 2.11-shaped ones; everything goes through the real client and transport. The former
conversion is kept below as the oracle: ``from_dict`` of the same bytes, then the result
classes' ``__init__``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
from collections.abc import Iterator
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel
from test_validate import difference

from airflow_client_ext import AirflowClient, BearerAuth, InvalidResponseError, RetryPolicy
from airflow_client_ext.models import Dag, DagRun, TaskInstance, from_fields, utc

CANNED = json.loads((Path(__file__).parent / "data" / "airflow-3.3.2.json").read_text())
V2 = "/api/v2/dags/quick_success"
V1 = "/api/v1/dags/quick_success"
WHEN = "2026-12-02T15:50:48.708347+00:00"


def v2_answers() -> dict[str, Any]:
    answers = copy.deepcopy(CANNED)
    page = answers[f"{V2}/dagRuns/RUN/taskInstances"]
    first, second = page["task_instances"]
    page["task_instances"] = [
        first,
        second,
        dict(second, task_id="mapped", map_index=3, state=None, hostname="", start_date=None),
        dict(second, task_id="new", state="awaiting_approval", rendered_map_index="x"),
    ]
    page["total_entries"] = 4
    answers[f"{V2}/dagRuns/RUN/taskInstances/first"] = first
    answers[f"{V2}/dagRuns"] = {"dag_runs": [answers[f"{V2}/dagRuns/RUN"]], "total_entries": 1}
    answers["/api/v2/dags"] = {"dags": [answers[V2]], "total_entries": 1}
    return answers


def v1_ti(task_id: str, **changes: Any) -> dict[str, Any]:
    ti = {
        "dag_id": "quick_success",
        "dag_run_id": "RUN",
        "duration": 1.179,
        "end_date": "2026-12-02T15:51:15.705590+00:00",
        "execution_date": WHEN,
        "executor": None,
        "executor_config": "{}",
        "hostname": "vm",
        "map_index": -1,
        "max_tries": 0,
        "note": None,
        "operator": "_PythonDecoratedOperator",
        "pid": 14237,
        "pool": "default_pool",
        "pool_slots": 1,
        "priority_weight": 1,
        "queue": "default",
        "queued_when": "2026-12-02T15:51:13.516334+00:00",
        "rendered_fields": {"op_args": [], "op_kwargs": {}},
        "rendered_map_index": None,
        "sla_miss": None,
        "start_date": "2026-12-02T15:51:14.526663+00:00",
        "state": "success",
        "task_display_name": task_id,
        "task_id": task_id,
        "trigger": None,
        "triggerer_job": None,
        "try_number": 1,
        "unixname": "airflow",
    }
    return ti | changes


def v1_answers() -> dict[str, Any]:
    run = {
        "conf": {"a": 1},
        "dag_id": "quick_success",
        "dag_run_id": "RUN",
        "data_interval_end": WHEN,
        "data_interval_start": WHEN,
        "end_date": "2026-12-02T15:51:16.411302+00:00",
        "execution_date": WHEN,
        "external_trigger": True,
        "last_scheduling_decision": "2026-12-02T15:51:16.405100+00:00",
        "logical_date": WHEN,
        "note": None,
        "run_type": "manual",
        "start_date": "2026-12-02T15:50:49.281888+00:00",
        "state": "success",
    }
    dag = {
        "dag_display_name": "quick_success",
        "dag_id": "quick_success",
        "default_view": "grid",
        "description": None,
        "file_token": "Ii9vcHQvYWlyZmxvdy9kYWdzL3F1aWNrX3N1Y2Nlc3MucHki",
        "fileloc": "/opt/airflow/dags/quick_success.py",
        "has_import_errors": False,
        "has_task_concurrency_limits": False,
        "is_active": True,
        "is_paused": False,
        "is_subdag": False,
        "last_expired": None,
        "last_parsed_time": WHEN,
        "last_pickled": None,
        "max_active_runs": 16,
        "max_active_tasks": 16,
        "max_consecutive_failed_dag_runs": 0,
        "next_dagrun": None,
        "next_dagrun_create_after": None,
        "next_dagrun_data_interval_end": None,
        "next_dagrun_data_interval_start": None,
        "owners": ["airflow"],
        "pickle_id": None,
        "root_dag_id": None,
        "schedule_interval": {"__type": "CronExpression", "value": "0 * * * *"},
        "scheduler_lock": None,
        "tags": [{"name": "quick"}, {"name": "airflow-client-ext"}],
        "timetable_description": "Every hour",
    }
    tis = [
        v1_ti("first"),
        v1_ti("second", state="upstream_failed"),
        v1_ti("none", state="none", try_number=0, start_date=None, hostname=""),
        v1_ti("mapped", map_index=2, state=None, rendered_map_index="two"),
    ]
    sparse = {k: v for k, v in v1_ti("sparse").items() if k not in ("note", "sla_miss", "pid")}
    return {
        "/api/v1/version": {"version": "2.11.2", "git_version": None},
        V1: dag,
        "/api/v1/dags": {"dags": [dag], "total_entries": 1},
        f"{V1}/dagRuns/RUN": run,
        f"{V1}/dagRuns": {"dag_runs": [run], "total_entries": 1},
        f"{V1}/dagRuns/RUN/taskInstances": {"task_instances": [*tis, sparse], "total_entries": 5},
        f"{V1}/dagRuns/RUN/taskInstances/first": tis[0],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answers: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.answers.get(self.path.split("?", 1)[0])
        self.send_response(200 if body is not None else 404)
        data = body if body is not None else b'{"detail": "Not Found"}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


class Canned:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = {path: json.dumps(doc).encode() for path, doc in answers.items()}
        handler = type("Handler", (_Handler,), {"answers": self.answers})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def client(self) -> AirflowClient:
        return AirflowClient(self.url, auth=BearerAuth("canned"), retry=RetryPolicy(total=0))

    def model(self, cls: Any, path: str) -> Any:
        """The generated path's reading of an answer (the oracle)."""
        return cls.from_dict(json.loads(self.answers[path]))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture(params=["v1", "v2"])
def canned(request: pytest.FixtureRequest) -> Iterator[tuple[str, Canned]]:
    made = Canned(v1_answers() if request.param == "v1" else v2_answers())
    yield request.param, made
    made.close()


# -- the former conversion: the oracle ----------------------------------------------------------
def _value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def old_run(api: str, raw: Any) -> DagRun:
    return DagRun(
        dag_id=str(raw.dag_id),
        run_id=str(raw.dag_run_id),
        state=str(_value(raw.state)),
        logical_date=utc(raw.logical_date or (raw.execution_date if api == "v1" else None)),
        start_date=utc(raw.start_date),
        end_date=utc(raw.end_date),
        queued_at=None if api == "v1" else utc(raw.queued_at),
        data_interval_start=utc(raw.data_interval_start),
        data_interval_end=utc(raw.data_interval_end),
        run_type=raw.run_type if api == "v1" else _value(raw.run_type),
        conf=dict(raw.conf or {}),
        note=raw.note,
        raw=raw,
    )


def old_task_instance(raw: Any) -> TaskInstance:
    state = _value(raw.state)
    return TaskInstance(
        dag_id=str(raw.dag_id),
        run_id=str(raw.dag_run_id),
        task_id=str(raw.task_id),
        map_index=raw.map_index if raw.map_index is not None else -1,
        try_number=raw.try_number or 0,
        state=None if state in (None, "none", "") else str(state),
        start_date=utc(raw.start_date),
        end_date=utc(raw.end_date),
        duration=raw.duration,
        max_tries=raw.max_tries,
        operator=raw.operator,
        hostname=raw.hostname or None,
        pool=raw.pool,
        queue=raw.queue,
        note=raw.note,
        rendered_map_index=raw.rendered_map_index,
        raw=raw,
    )


def old_dag(api: str, raw: Any) -> Dag:
    return Dag(
        dag_id=str(raw.dag_id),
        is_paused=raw.is_paused,
        is_active=raw.is_active
        if api == "v1"
        else (None if raw.is_stale is None else not raw.is_stale),
        fileloc=raw.fileloc,
        description=raw.description,
        tags=tuple(t.name for t in raw.tags or () if t is not None and t.name),
        owners=tuple(raw.owners or ()),
        has_import_errors=raw.has_import_errors,
        raw=raw,
    )


def assert_same(got: Any, expected: Any) -> None:
    """Equal results, every field of the same type, and the same raw model."""
    assert got == expected
    assert repr(got) == repr(expected)
    for f in dataclasses.fields(got):
        mine, theirs = getattr(got, f.name), getattr(expected, f.name)
        if f.name == "raw":
            assert type(mine) is type(theirs)
            assert isinstance(mine, BaseModel)
            assert difference(mine, theirs) is None  # values and fields set
            assert mine.to_dict() == theirs.to_dict()
        else:
            assert type(mine) is type(theirs), f.name
            assert mine == theirs, f.name
    assert vars(got).keys() == {f.name for f in dataclasses.fields(got)}


def models(api: str) -> Any:
    import airflow_client_ext_v1 as v1
    import airflow_client_ext_v2 as v2

    return v1 if api == "v1" else v2


# -- the tests ----------------------------------------------------------------------------------
def test_a_dag_run_reads_as_before(canned: tuple[str, Canned]) -> None:
    api, server = canned
    client = server.client()
    root = V1 if api == "v1" else V2
    cls = models(api).DAGRun if api == "v1" else models(api).DAGRunResponse
    run = client.get_dag_run("quick_success", "RUN")
    assert_same(run, old_run(api, server.model(cls, f"{root}/dagRuns/RUN")))
    assert (run.dag_id, run.run_id, run.state, run.finished) == (
        "quick_success",
        "RUN",
        "success",
        True,
    )
    assert run.start_date is not None
    assert run.start_date.tzinfo is not None
    assert run.raw.model_fields_set == set(cls.model_fields)
    [listed] = client.iter_dag_runs("quick_success")
    assert_same(listed, run)


def test_task_instances_read_as_before(canned: tuple[str, Canned]) -> None:
    api, server = canned
    client = server.client()
    root = V1 if api == "v1" else V2
    page_cls = (
        models(api).TaskInstanceCollection
        if api == "v1"
        else models(api).TaskInstanceCollectionResponse
    )
    page = server.model(page_cls, f"{root}/dagRuns/RUN/taskInstances")
    tis = list(client.iter_task_instances("quick_success", "RUN"))
    assert len(tis) == len(page.task_instances)
    for got, raw in zip(tis, page.task_instances, strict=True):
        assert_same(got, old_task_instance(raw))
    by_key = {ti.key: ti for ti in tis}
    assert by_key["first"].state == "success"
    end = by_key["first"].end_date
    assert end is not None
    assert end.tzinfo is not None
    if api == "v1":
        assert by_key["none"].state is None  # Airflow 2's "none": no state
        assert by_key["none"].hostname is None  # "" is no host
        assert by_key["second"].state == "upstream_failed"
        assert by_key["mapped[2]"].rendered_map_index == "two"
        sparse = by_key["sparse"].raw  # left out: note, sla_miss, pid; all count as set
        assert sparse.model_fields_set == set(type(sparse).model_fields)
        assert sparse.to_dict()["note"] is None
    else:
        assert by_key["mapped[3]"].state is None
        assert by_key["new"].state == "awaiting_approval"  # a newer server's state, kept
    single = client._adapter().get_task_instance("quick_success", "RUN", "first", -1)
    path = f"{root}/dagRuns/RUN/taskInstances/first"
    assert_same(single, old_task_instance(server.model(type(page.task_instances[0]), path)))


def test_a_dag_reads_as_before(canned: tuple[str, Canned]) -> None:
    api, server = canned
    client = server.client()
    cls = models(api).DAG if api == "v1" else models(api).DAGResponse
    root = V1 if api == "v1" else V2
    dag = client.get_dag("quick_success")
    assert_same(dag, old_dag(api, server.model(cls, root)))
    assert dag.tags
    assert dag.owners
    [listed] = client.iter_dags()
    assert_same(listed, dag)
    if api == "v1":  # a schedule interval: a oneOf wrapper, read by its own from_dict
        assert dag.raw.schedule_interval.actual_instance.value == "0 * * * *"


def test_the_generated_path_reads_the_same_models(canned: tuple[str, Canned]) -> None:
    api, server = canned
    client = server.client()
    root = V1 if api == "v1" else V2
    run_api = "DAGRunApi" if api == "v1" else "DagRunApi"
    got = client.api(run_api).get_dag_run("quick_success", "RUN")
    expected = server.model(type(got), f"{root}/dagRuns/RUN")
    assert difference(got, expected) is None
    info = client.api(run_api).get_dag_run_with_http_info("quick_success", "RUN")
    assert (info.status_code, info.raw_data) == (200, server.answers[f"{root}/dagRuns/RUN"])
    assert info.headers["Content-Type"] == "application/json"


def test_a_bad_item_of_a_page_is_named_on_the_typed_path(canned: tuple[str, Canned]) -> None:
    api, server = canned
    root = V1 if api == "v1" else V2
    path = f"{root}/dagRuns/RUN/taskInstances"
    page = json.loads(server.answers[path])
    page["task_instances"][1]["try_number"] = "one"
    server.answers[path] = json.dumps(page).encode()
    with pytest.raises(InvalidResponseError) as info:
        list(server.client().iter_task_instances("quick_success", "RUN"))
    error = info.value
    assert error.operation == "TaskInstanceApi.get_task_instances"
    assert error.fields == ["try_number"]
    assert "try_number: Input should be a valid integer" in str(error)
    assert (error.status, error.method) == (200, "GET")
    assert error.path is not None
    assert error.path.startswith(path)


def test_a_bad_single_read_is_named_after_its_operation(canned: tuple[str, Canned]) -> None:
    api, server = canned
    root = V1 if api == "v1" else V2
    server.answers[f"{root}/dagRuns/RUN/taskInstances/first"] = b'{"task_id": 7}'
    with pytest.raises(InvalidResponseError) as info:
        server.client().task_log("quick_success", "RUN", "first")
    assert info.value.operation == "TaskInstanceApi.get_task_instance"
    assert "task_id" in info.value.fields


def test_results_made_from_their_fields_are_whole_frozen_dataclasses() -> None:
    for cls in (DagRun, TaskInstance, Dag):
        names = [f.name for f in dataclasses.fields(cls)]
        values = {n: f"v-{n}" for n in names}
        made = from_fields(cls, dict(values))
        assert made == cls(**values)  # type: ignore[arg-type]
        assert repr(made) == repr(cls(**values))  # type: ignore[arg-type]
        assert hash(made) == hash(cls(**values))  # type: ignore[arg-type]
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.raw = None  # type: ignore[misc]
        assert dataclasses.replace(made, raw="x").raw == "x"
        assert dataclasses.asdict(made) == values


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_the_gated_client_serializes_as_the_generated_one(api: str) -> None:
    from datetime import datetime, timezone

    from airflow_client_ext.client import _version_gated

    package = models(api)
    ours, theirs = _version_gated(package.ApiClient)(), package.ApiClient()
    state = package.DagState.SUCCESS if api == "v1" else package.DagRunState.SUCCESS
    body = package.DAGRun(dag_run_id="r") if api == "v1" else package.DAGPatchBody(is_paused=True)
    values: list[Any] = [
        "x", 3, 1.5, True, None, b"raw", state, [1, "a", None], ("t", 2), {"a": [1, {"b": state}]},
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), {"k": datetime(2026, 1, 1)}, body,
        {"model": body, "list": [body]},
    ]  # fmt: skip
    for value in values:
        mine, expected = (
            ours.sanitize_for_serialization(value),
            theirs.sanitize_for_serialization(value),
        )
        assert mine == expected
        assert type(mine) is type(expected)


def test_paginate_keeps_no_callers_callable_alive() -> None:
    import gc
    import weakref

    import airflow_client_ext_v2 as v2

    client = AirflowClient("http://h", api_version="v2")
    page = v2.VariableCollectionResponse(variables=[], total_entries=0)

    def method(limit: int = 100, offset: int = 0) -> Any:
        return page

    assert list(client.paginate(method)) == []
    gone = weakref.ref(method)
    del method
    gc.collect()
    assert gone() is None


def test_an_operation_is_a_get_without_a_body() -> None:
    from airflow_client_ext._reads import Operation

    client = AirflowClient("http://127.0.0.1:9", api_version="v2")
    client._info.server_version = "3.3.2"
    post = Operation(client.api("VariableApi"), "post_variable", client.transport)
    with pytest.raises(TypeError, match=r"VariableApi\.post_variable is not a GET"):
        post(variable_body=models("v2").VariableBody(key="k", value="v"))
    assert client.transport.stats.requests == 0
    get = Operation(client.api("DagRunApi"), "get_dag_run", client.transport)
    assert {"dag_id", "dag_run_id", "_request_timeout"} <= get.parameters


AWKWARD = ["plain", "a/b", "ü ñ", "100%", "a+b=c&d", "?#[]", "{x}", "~._-", "a%2Fb", " "]


@pytest.mark.parametrize(
    ("api", "api_class", "operation", "names"),
    [
        ("v1", "DAGRunApi", "get_dag_run", ("dag_id", "dag_run_id")),
        ("v2", "DagRunApi", "get_dag_run", ("dag_id", "dag_run_id")),
        ("v1", "DAGApi", "get_dag", ("dag_id",)),
        ("v2", "DAGApi", "get_dag", ("dag_id",)),
        ("v2", "TaskInstanceApi", "get_task_instance", ("dag_id", "dag_run_id", "task_id")),
        ("v1", "VariableApi", "get_variable", ("variable_key",)),
    ],
)
def test_a_get_of_path_arguments_sends_what_the_generated_serializer_makes(
    api: str, api_class: str, operation: str, names: tuple[str, ...]
) -> None:
    """The URL template learnt once gives, for any value, the very URL and headers of the
    generated serializer (which is no longer called for these)."""
    from airflow_client_ext._reads import Operation

    client = AirflowClient("http://127.0.0.1:9/prefix", api_version=api)
    client._info.server_version = "2.11.2" if api == "v1" else "3.3.2"
    generated = client.api(api_class)
    sent: list[Any] = []

    class Sent(Exception):
        pass

    def send(request: Any, **_: Any) -> Any:
        sent.append(request)
        raise Sent

    client.transport.send = send  # type: ignore[method-assign]
    op = Operation(generated, operation, client.transport)
    serialize = getattr(generated, f"_{operation}_serialize")
    for i, value in enumerate(AWKWARD * 2):
        arguments = {
            name: value if k == i % len(names) else f"id{k}" for k, name in enumerate(names)
        }
        with pytest.raises(Sent):
            op(**arguments)
        method, url, headers, _, _ = serialize(**{**op._defaults, **arguments})
        assert (sent[-1].method, sent[-1].url, sent[-1].headers) == (method, url, headers)
    assert op._path, "the template was not learnt"
    # a value that is not a str, or another argument, goes through the generated serializer
    with pytest.raises(Sent):
        op(**dict.fromkeys(names, 5))
    assert sent[-1].url == serialize(**{**op._defaults, **dict.fromkeys(names, 5)})[1]


def test_a_get_with_a_query_is_serialized_by_the_generated_code_each_time() -> None:
    from airflow_client_ext._reads import Operation

    client = AirflowClient("http://127.0.0.1:9", api_version="v2")
    client._info.server_version = "3.3.2"
    op = Operation(client.api("TaskInstanceApi"), "get_task_instances", client.transport)
    sent: list[Any] = []
    client.transport.send = lambda request, **_: sent.append(request) or 1 / 0  # type: ignore[method-assign]
    for offset in (0, 100):
        with pytest.raises(ZeroDivisionError):
            op(dag_id="d", dag_run_id="r", limit=100, offset=offset)
    assert op._path is False
    assert [r.url.split("?")[1] for r in sent] == ["limit=100&offset=0", "limit=100&offset=100"]
