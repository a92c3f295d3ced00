"""Writes of variables, pools and connections in bulk requests (Airflow 3) without a server:
the batches, each item's result read from a bulk answer, a batch that fails as a whole, the
bodies of updates with and without update masks, and Airflow 2 staying one request per
item. The server is a fake API object that answers the generated models; what a real
server does with these bodies is proven by tests/contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_client_ext import AirflowClient, MigrationReport
from airflow_client_ext._compare import VARIABLE
from airflow_client_ext._versions import V1Adapter, V2Adapter
from airflow_client_ext._writes import Write
from airflow_client_ext.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    TransportError,
)
from airflow_client_ext.migration import _Migration

Answer = Callable[[str, list[dict[str, Any]], dict[str, Any]], Any]


def written(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
    """The answer of a server that writes every item."""
    return {"success": [_id(e) for e in entities], "errors": []}


def _id(entity: dict[str, Any]) -> str:
    return str(entity.get("key") or entity.get("name") or entity.get("connection_id"))


class FakeApi:
    """The generated VariableApi/PoolApi/ConnectionApi as the adapter calls them: each bulk
    request is recorded (as the JSON it would send) and answered by ``answer(action,
    entities, request)``: a dict (one ``BulkActionResponse``) or an exception to raise.
    Per-item calls are recorded too."""

    def __init__(self, client: AirflowClient, answer: Answer = written) -> None:
        self.models = client.generated
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.single: list[tuple[str, Any]] = []

    def _bulk(self, body: Any) -> Any:
        request = body.to_dict()
        json.dumps(request)  # what goes on the wire is plain JSON
        self.requests.append(request)
        (action,) = request["actions"]
        result = self.answer(action["action"], action["entities"], action)
        if isinstance(result, Exception):
            raise result
        return self.models.BulkResponse.from_dict({action["action"]: result})

    bulk_variables = bulk_pools = bulk_connections = _bulk

    def __getattr__(self, name: str) -> Callable[..., None]:
        if not name.startswith(("post_", "patch_")):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> None:
            self.single.append((name, args, kwargs))  # type: ignore[arg-type]

        return call

    def entities(self) -> list[str]:
        return [_id(e) for r in self.requests for a in r["actions"] for e in a["entities"]]


def airflow(version: str) -> AirflowClient:
    client = AirflowClient("http://127.0.0.1:1", api_version="v2" if version >= "3" else "v1")
    client._info.server_version = version  # as detection would have stored it
    return client


def adapter(version: str = "3.3.2", answer: Answer = written) -> tuple[Any, FakeApi]:
    client = airflow(version)
    made = (V2Adapter if client.api_version == "v2" else V1Adapter)(client)
    api = FakeApi(client, answer)
    made.api = lambda name: api  # type: ignore[method-assign]
    return made, api


def creates(count: int, value: str = "v") -> list[Write]:
    return [Write(f"k{i:04d}", {"key": f"k{i:04d}", "value": value}) for i in range(count)]


def run(made: Any, kind: str, writes: list[Write], workers: int = 4) -> list[Any]:
    """Every batch's results, in order; a stop is returned last."""
    out: list[Any] = []
    for results, stop in made.write_items(kind, writes, workers):
        out += results
        if stop is not None:
            out.append(stop)
    return out


# -- batches --------------------------------------------------------------------------------
def test_creates_go_200_to_a_request_each_item_once_and_in_order() -> None:
    made, api = adapter()
    results = run(made, "variable", creates(450))
    assert [len(r["actions"][0]["entities"]) for r in api.requests] == [200, 200, 50]
    assert api.entities() == [f"k{i:04d}" for i in range(450)]
    assert results == [(i, None) for i in range(450)]
    assert {r["actions"][0]["action_on_existence"] for r in api.requests} == {"skip"}
    assert api.single == []


def test_a_batch_also_ends_before_its_json_grows_past_the_bound() -> None:
    made, api = adapter()
    one = len(json.dumps({"key": "k0000", "value": "x" * 300, "description": None}))
    made.bulk_bytes = 3 * one + 10
    big = Write("big", {"key": "big", "value": "y" * 5000})
    results = run(made, "variable", [*creates(10, value="x" * 300), big])
    # three fit in the bound; the item larger than the bound goes alone
    assert [len(r["actions"][0]["entities"]) for r in api.requests] == [3, 3, 3, 1, 1]
    assert [_id(e) for e in api.requests[-1]["actions"][0]["entities"]] == ["big"]
    assert results == [(i, None) for i in range(11)]


# -- each item's result from the answer -----------------------------------------------------
def test_an_error_that_names_one_item_fails_only_that_item() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        ids = [_id(e) for e in entities]
        return {
            "success": list(reversed([i for i in ids if i != "k0003"])),  # any order
            "errors": [{"error": "The Variable with key: `k0003` was refused", "status_code": 409}],
        }

    made, _ = adapter(answer=answer)
    results = dict(run(made, "variable", creates(6)))
    assert [i for i, failure in results.items() if failure is not None] == [3]
    error = results[3]
    assert isinstance(error, ConflictError)
    assert (error.status, error.method, error.path) == (409, "PATCH", "/api/v2/variables")
    assert str(error) == (
        "PATCH /api/v2/variables -> 409 (bulk create of variable 'k0003'): "
        "The Variable with key: `k0003` was refused"
    )


def test_an_item_after_the_error_gets_the_error_without_being_named_in_it() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        return {
            "success": ["k0000", "k0001"],  # the server stopped at k0002
            "errors": [
                {"error": "The pools with these pool names: {'k0002'} bad", "status_code": 400}
            ],
        }

    made, _ = adapter(answer=answer)
    results = dict(run(made, "variable", creates(4)))
    assert (results[0], results[1]) == (None, None)
    assert str(results[2]).endswith("): The pools with these pool names: {'k0002'} bad")
    assert str(results[3]).endswith(
        "): not written: the server stopped the batch at an error: "
        "The pools with these pool names: {'k0002'} bad"
    )
    assert isinstance(results[3], BadRequestError)


def test_an_error_that_names_no_item_is_every_unwritten_items_reason() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        # the server stops an action at its first error: the items after it are not written
        return {"success": ["k0000"], "errors": [{"error": "[{'type': 'x', 'msg': 'bad'}]"}]}

    made, _ = adapter(answer=answer)
    results = dict(run(made, "variable", creates(3)))
    assert results[0] is None
    for index in (1, 2):
        error = results[index]
        assert isinstance(error, BadRequestError)
        assert error.status == 422  # a validation error of the server carries no status
        assert "stopped the batch at an error: [{'type': 'x', 'msg': 'bad'}]" in str(error)


def test_an_item_the_server_skipped_without_an_error_is_reported_as_such() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        return {"success": [], "errors": []}

    made, _ = adapter(answer=answer)
    ((_, created),) = run(made, "variable", creates(1))
    assert isinstance(created, ConflictError)
    assert "exists on the server (written there since it was read?)" in str(created)
    current = {"key": "k", "value": "old", "description": None}
    ((_, updated),) = run(made, "variable", [Write("k", {"key": "k", "value": "new"}, current)])
    assert isinstance(updated, NotFoundError)
    assert "no longer on the server" in str(updated)


def test_a_secret_in_the_servers_words_is_masked() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        return {"errors": [{"error": "input 'k0000' = 'Very-s3cret-1' refused"}]}

    made, _ = adapter(answer=answer)
    write = Write("k0000", {"key": "k0000", "value": "Very-s3cret-1"}, secrets=("Very-s3cret-1",))
    ((_, error),) = run(made, "variable", [write])
    assert "Very-s3cret-1" not in str(error)
    assert "'***'" in str(error)


def test_a_value_the_generated_model_refuses_fails_only_that_item_and_is_not_shown() -> None:
    made, api = adapter()
    long_key = "k" * 300  # VariableBody allows 250 characters
    writes = [*creates(2), Write("long", {"key": long_key, "value": "Pw-hidden-77"})]
    results = dict(run(made, "variable", writes))
    assert (results[0], results[1]) == (None, None)
    assert isinstance(results[2], InvalidArgumentError)
    assert "variable 'long' cannot be sent: key:" in str(results[2])
    assert "Pw-hidden-77" not in str(results[2])
    assert api.entities() == ["k0000", "k0001"]


# -- a batch that fails as a whole ----------------------------------------------------------
def test_a_refused_batch_is_every_items_refusal() -> None:
    boom = ServerError("PATCH /api/v2/variables -> 500", status=500, method="PATCH", path="/")
    made, _ = adapter(answer=lambda *_: boom)
    results = run(made, "variable", creates(3))
    assert results == [(0, boom), (1, boom), (2, boom)]


def test_a_validation_error_that_points_at_an_entity_is_that_items() -> None:
    detail = [
        {
            "loc": ["body", "actions", 0, "create", "entities", 1, "extra"],
            "msg": "Value error, The `extra` field must be a valid JSON object",
            "input": "Pw-never-shown",
        }
    ]
    refused = BadRequestError("422", status=422, method="PATCH", path="/", detail=detail)
    made, _ = adapter(answer=lambda *_: refused)
    writes = [
        Write(name, {"connection_id": name, "conn_type": "http", "extra": extra})
        for name, extra in (("a", "{}"), ("b", "Pw-never-shown"), ("c", "{}"))
    ]
    results = dict(run(made, "connection", writes))
    assert "b" in str(results[1])
    assert "extra: Value error, The `extra` field must be a valid JSON object" in str(results[1])
    for index in (0, 2):
        assert "refused its whole batch because of 'b'" in str(results[index])
    assert all(isinstance(e, BadRequestError) for e in results.values())
    assert not any("Pw-never-shown" in str(e) for e in results.values())


@pytest.mark.parametrize(
    "stop",
    [
        TransportError("no answer"),
        AuthenticationError("401", status=401, method="PATCH", path="/api/v2/variables"),
    ],
    ids=["no-answer", "credentials-refused"],
)
def test_a_batch_without_an_answer_stops_the_writes_after_the_batches_before_it(
    stop: Exception,
) -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        return stop if _id(entities[0]) == "k0200" else written(action, entities, request)

    made, api = adapter(answer=answer)
    results = run(made, "variable", creates(600))
    assert results[-1] is stop
    assert results[:-1] == [(i, None) for i in range(200)]
    assert len(api.requests) == 2  # the third batch is never sent, nothing is sent twice


# -- updates --------------------------------------------------------------------------------
POOL_NOW = {"name": "p", "slots": 1, "description": "keep", "include_deferred": True}


def test_updates_on_3_2_and_later_carry_the_differing_fields_as_update_mask() -> None:
    made, api = adapter("3.3.2")
    writes = [
        Write("a", {"key": "a", "value": "new"}, {"key": "a", "value": "old"}, ("value",)),
        Write(
            "b", {"key": "b", "description": "d"}, {"key": "b", "value": "***"}, ("description",)
        ),
        Write("c", {"key": "c", "value": "new2"}, {"key": "c", "value": "old"}, ("value",)),
    ]
    assert [failure for _, failure in run(made, "variable", writes)] == [None] * 3
    by_mask = {tuple(r["actions"][0]["update_mask"]): r["actions"][0] for r in api.requests}
    assert sorted(by_mask) == [("description",), ("value",)]
    assert [e["key"] for e in by_mask[("value",)]["entities"]] == ["a", "c"]
    (entity,) = by_mask[("description",)]["entities"]
    assert entity == {"key": "b", "value": None, "description": "d"}  # never the mask
    assert by_mask[("value",)]["action_on_non_existence"] == "skip"


def test_updates_before_3_2_send_the_item_merged_with_the_servers_values() -> None:
    made, api = adapter("3.1.8")
    writes = [
        Write("p", {"name": "p", "slots": 5}, POOL_NOW, ("slots",)),
        Write("q", {"name": "q", "description": None}, {**POOL_NOW, "name": "q"}, ("description",)),
    ]
    assert [failure for _, failure in run(made, "pool", writes)] == [None, None]
    (request,) = api.requests
    assert "update_mask" not in request["actions"][0]  # 3.1 refuses the member
    assert request["actions"][0]["entities"] == [
        {"name": "p", "slots": 5, "description": "keep", "include_deferred": True},
        # a null description would be skipped, not cleared: "" clears it
        {"name": "q", "slots": 1, "description": "", "include_deferred": True},
    ]


def test_a_masked_variable_value_goes_by_itself_where_an_update_cannot_leave_it_out() -> None:
    made, api = adapter("3.1.8")
    current = {"key": "k", "value": "***", "description": "old"}
    writes = [Write("k", {"key": "k", "description": "new"}, current, ("description",))]
    assert run(made, "variable", writes) == [(0, None)]
    assert api.requests == []
    ((method, args, kwargs),) = api.single
    assert method == "patch_variable"
    assert kwargs == {"update_mask": ["description"]}
    assert args[1].value is None  # the mask is never sent back


def test_a_connection_update_carries_only_the_fields_to_change() -> None:
    made, api = adapter("3.0.6")
    current = {
        "connection_id": "c", "conn_type": "http", "host": "old", "login": "u",
        "password": "***", "extra": '{"token": "***"}',
    }  # fmt: skip
    wanted = {"connection_id": "c", "conn_type": "http", "host": "new", "login": None}
    run(made, "connection", [Write("c", wanted, current, ("host", "login"))])
    (request,) = api.requests
    (entity,) = request["actions"][0]["entities"]
    # password and extra are not in the body: the server leaves them as they are
    assert entity == {"connection_id": "c", "conn_type": "http", "host": "new", "login": None}


# -- Airflow 2 stays one request per item ---------------------------------------------------
def test_airflow_2_writes_one_request_per_item() -> None:
    made, api = adapter("2.11.2")
    updates = [Write("u", {"key": "u", "value": "x"}, {"key": "u", "value": "y"}, ("value",))]
    assert run(made, "variable", creates(5) + updates) == [(i, None) for i in range(6)]
    assert api.requests == []
    assert sorted(call[0] for call in api.single) == ["patch_variable"] + ["post_variables"] * 5


# -- the workflows on top -------------------------------------------------------------------
def migration(made: Any) -> tuple[_Migration, MigrationReport, list[str]]:
    report = MigrationReport()
    seen: list[str] = []
    source = airflow("3.3.2")
    run_ = _Migration(
        source, made.client, report, "upsert", False, None, 10, lambda o, i: seen.append(o)
    )
    run_.dst = made
    return run_, report, seen


def test_migrate_reports_each_refused_item_failed_and_goes_on() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        ids = [_id(e) for e in entities]
        return {
            "success": [i for i in ids if i != "k0001"],
            "errors": [{"error": "input 'k0001': 'Src-s3cret-9' refused", "status_code": 400}],
        }

    made, _ = adapter(answer=answer)
    run_, report, seen = migration(made)
    wanted = [{"key": f"k{i:04d}", "value": "Src-s3cret-9" if i == 1 else "v"} for i in range(3)]
    run_.sync(VARIABLE, wanted, {})
    assert [i.name for i in report.created] == ["k0000", "k0002"]
    (failed,) = report.failed
    assert failed.name == "k0001"
    assert "refused" in failed.reason
    assert "Src-s3cret-9" not in failed.reason
    assert seen == ["created", "failed", "created"]


def test_migrate_stops_at_a_batch_without_an_answer_with_the_batches_before_it_recorded() -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        if _id(entities[0]) == "k0200":
            return TransportError("no answer")
        return written(action, entities, request)

    made, _ = adapter(answer=answer)
    run_, report, seen = migration(made)
    wanted = [{"key": f"k{i:04d}", "value": "v"} for i in range(300)]
    with pytest.raises(TransportError):
        run_.sync(VARIABLE, wanted, {})
    assert [i.name for i in report.created] == [f"k{i:04d}" for i in range(200)]
    assert len(seen) == 200


@pytest.fixture
def importing(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[Any, FakeApi]]:
    def make(answer: Answer = written, variables: tuple[dict[str, Any], ...] = ()) -> Any:
        made, api = adapter(answer=answer)
        monkeypatch.setattr(made, "variables", lambda: iter([dict(v) for v in variables]))
        monkeypatch.setattr(made.client, "_adapter", lambda: made)
        return made.client, api

    return make


DOC = {"format": "airflow-client-ext/config", "version": 1}


def test_import_writes_in_bulk_and_reports_as_before(
    importing: Callable[..., tuple[Any, FakeApi]],
) -> None:
    client, api = importing(variables=({"key": "k0001", "value": "old", "description": None},))
    doc = {**DOC, "variables": [{"key": f"k{i:04d}", "value": "v"} for i in range(250)]}
    report = client.import_config(doc)
    assert report.counts["created"] == 249
    assert [(i.name, i.fields) for i in report.updated] == [("k0001", ("value",))]
    assert [i.name for i in report.created] == [f"k{i:04d}" for i in range(250) if i != 1]
    assert [r["actions"][0]["action"] for r in api.requests] == ["create", "update", "create"]
    assert api.single == []


def test_import_raises_an_item_the_server_refused_after_its_batch(
    importing: Callable[..., tuple[Any, FakeApi]],
) -> None:
    def answer(action: str, entities: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        ids = [_id(e) for e in entities]
        return {
            "success": [i for i in ids if i != "k0007"],
            "errors": [
                {"error": "The variables with these keys: {'k0007'} clash", "status_code": 409}
            ],
        }

    client, api = importing(answer)
    doc = {**DOC, "variables": [{"key": f"k{i:04d}", "value": "v"} for i in range(450)]}
    with pytest.raises(ConflictError, match=r"k0007.*clash"):
        client.import_config(doc)
    assert len(api.requests) == 1  # the batches after it are not sent


def test_one_item_the_generated_model_refuses_fails_alone_on_airflow_2_too() -> None:
    made, api = adapter("2.11.2")
    bad = Write("p", {"name": "p", "slots": "Pw-not-a-number"})
    results = run(made, "pool", [bad, Write("q", {"name": "q", "slots": 1})], workers=1)
    (index, error), ok = results
    assert (index, ok) == (0, (1, None))
    assert isinstance(error, InvalidArgumentError)
    assert str(error).startswith("pool 'p' cannot be sent: slots: ")
    assert "Pw-not-a-number" not in str(error)
    assert error.__cause__ is None  # pydantic's text would show the value
    assert [call[0] for call in api.single] == ["post_pool"]
