"""The v2 transforms added for defects that the v2 contract suite found on a real Airflow 3.3.2.

Each transform on a small spec fragment (what it fixes, what it leaves alone, idempotence),
then the whole pipeline on the shipped spec, then the generated package on payloads recorded
from the real server.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from transforms import REGISTRY, apply_transforms
from transforms.airflow_v2 import (
    declare_undeclared_response_models,
    json_only_for_negotiated_responses,
    name_bulk_unions,
    ndjson_stream_as_bytes,
    overlapping_oneof_to_anyof,
    path_parameters_in_path_order,
    union_of_arrays_as_array_of_unions,
)

Spec = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
REF = "#/components/schemas/"

FOUND = [
    ndjson_stream_as_bytes,
    json_only_for_negotiated_responses,
    overlapping_oneof_to_anyof,
    path_parameters_in_path_order,
    union_of_arrays_as_array_of_unions,
    declare_undeclared_response_models,
    name_bulk_unions,
]


def assert_idempotent(func: Any, spec: Spec) -> None:
    once = copy.deepcopy(spec)
    func(once)
    twice = copy.deepcopy(once)
    func(twice)
    assert twice == once


def ok(content: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": "Successful Response", "content": content}}


def operation(operation_id: str, **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "responses": {}, **extra}


# ------------------------------------------------------------------ ndjson_stream_as_bytes


def wait_fragment() -> Spec:
    return {
        "paths": {
            "/wait": {
                "get": operation(
                    "wait",
                    responses=ok(
                        {
                            "application/json": {"schema": {}},
                            "application/x-ndjson": {
                                "schema": {"type": "string", "example": '{"state": "x"}\n'}
                            },
                        }
                    ),
                )
            },
            "/logs": {
                "get": operation(
                    "get_log",
                    responses=ok(
                        {
                            "application/json": {"schema": {"$ref": REF + "Log"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        }
                    ),
                )
            },
        }
    }


def test_ndjson_stream_as_bytes_types_a_pure_stream_as_binary() -> None:
    spec = wait_fragment()
    ndjson_stream_as_bytes(spec)
    content = spec["paths"]["/wait"]["get"]["responses"]["200"]["content"]
    assert content == {"application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}}
    # a real JSON model next to the stream is kept (that is the negotiated case)
    log = spec["paths"]["/logs"]["get"]["responses"]["200"]["content"]
    assert log == wait_fragment()["paths"]["/logs"]["get"]["responses"]["200"]["content"]
    assert_idempotent(ndjson_stream_as_bytes, wait_fragment())


# ------------------------------------------------------ json_only_for_negotiated_responses


def negotiated_fragment() -> Spec:
    accept = {
        "name": "accept",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "enum": ["application/json", "text/plain", "*/*"]},
    }
    return {
        "paths": {
            "/dagSources/{dag_id}": {
                "get": operation(
                    "get_dag_source",
                    parameters=[{"name": "dag_id", "in": "path", "required": True}, accept],
                    responses={
                        **ok(
                            {
                                "application/json": {"schema": {"$ref": REF + "DAGSourceResponse"}},
                                "text/plain": {"schema": {"type": "string"}},
                            }
                        ),
                        "404": {"content": {"application/json": {"schema": {}}}},
                    },
                )
            },
            "/plain": {
                "get": operation(
                    "plain",
                    parameters=[{"name": "X-Other", "in": "header"}],
                    responses=ok({"text/plain": {"schema": {"type": "string"}}}),
                )
            },
        }
    }


def test_json_only_for_negotiated_responses_drops_accept_and_text_forms() -> None:
    spec = negotiated_fragment()
    json_only_for_negotiated_responses(spec)
    op = spec["paths"]["/dagSources/{dag_id}"]["get"]
    assert [p["name"] for p in op["parameters"]] == ["dag_id"]
    assert op["responses"]["200"]["content"] == {
        "application/json": {"schema": {"$ref": REF + "DAGSourceResponse"}}
    }
    assert (
        op["responses"]["404"]
        == negotiated_fragment()["paths"]["/dagSources/{dag_id}"]["get"]["responses"]["404"]
    )
    # no accept parameter: nothing to do, even for a text-only answer
    assert spec["paths"]["/plain"] == negotiated_fragment()["paths"]["/plain"]
    assert_idempotent(json_only_for_negotiated_responses, negotiated_fragment())


# ------------------------------------------------------------- overlapping_oneof_to_anyof


def oneof_fragment() -> Spec:
    return {
        "components": {
            "schemas": {
                "TaskInstanceResponse": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "task_id": {"type": "string"},
                        "task_display_name": {"type": "string"},
                    },
                    "required": ["id", "task_id", "task_display_name"],
                },
                "NewTaskResponse": {
                    "type": "object",
                    "properties": {
                        "task_id": {"type": "string"},
                        "task_display_name": {"type": "string"},
                    },
                    "required": ["task_id", "task_display_name"],
                },
                "ClearTaskInstanceCollectionResponse": {
                    "type": "object",
                    "properties": {
                        "task_instances": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    {"$ref": REF + "NewTaskResponse"},
                                    {"$ref": REF + "TaskInstanceResponse"},
                                ]
                            },
                        }
                    },
                },
                "Create": {
                    "type": "object",
                    "properties": {"action": {"type": "string", "enum": ["create"]}},
                    "required": ["action"],
                },
                "Delete": {
                    "type": "object",
                    "properties": {"action": {"type": "string", "enum": ["delete"]}},
                    "required": ["action"],
                },
                "BulkBody": {
                    "type": "object",
                    "properties": {
                        "actions": {
                            "type": "array",
                            "items": {
                                "oneOf": [{"$ref": REF + "Create"}, {"$ref": REF + "Delete"}]
                            },
                        }
                    },
                },
            }
        }
    }


def test_overlapping_oneof_to_anyof_orders_the_richest_member_first() -> None:
    spec = oneof_fragment()
    overlapping_oneof_to_anyof(spec)
    schemas = spec["components"]["schemas"]
    items = schemas["ClearTaskInstanceCollectionResponse"]["properties"]["task_instances"]["items"]
    assert items == {
        "anyOf": [{"$ref": REF + "TaskInstanceResponse"}, {"$ref": REF + "NewTaskResponse"}]
    }
    # members told apart by an enum stay a oneOf
    assert schemas["BulkBody"] == oneof_fragment()["components"]["schemas"]["BulkBody"]
    assert_idempotent(overlapping_oneof_to_anyof, oneof_fragment())


def test_overlapping_oneof_to_anyof_respects_closed_schemas() -> None:
    spec = oneof_fragment()
    spec["components"]["schemas"]["NewTaskResponse"]["additionalProperties"] = False
    overlapping_oneof_to_anyof(spec)
    items = spec["components"]["schemas"]["ClearTaskInstanceCollectionResponse"]["properties"][
        "task_instances"
    ]["items"]
    assert "oneOf" in items  # a full task instance cannot match the closed one


# ----------------------------------------------------------- path_parameters_in_path_order


def path_order_fragment() -> Spec:
    def param(name: str, where: str = "path") -> dict[str, Any]:
        return {"name": name, "in": where, "required": where == "path"}

    return {
        "paths": {
            "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}": {
                "get": operation(
                    "get_xcom_entry",
                    parameters=[
                        param("dag_id"),
                        param("task_id"),
                        param("dag_run_id"),
                        param("xcom_key"),
                        param("map_index", "query"),
                    ],
                ),
            },
            "/assets/{asset_id}/state-store/{key}": {
                "put": operation(
                    "set", parameters=[param("key"), param("X-Header", "header"), param("asset_id")]
                ),
            },
        }
    }


def test_path_parameters_in_path_order() -> None:
    spec = path_order_fragment()
    path_parameters_in_path_order(spec)
    paths = spec["paths"]
    xcom = paths[
        "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}"
    ]
    assert [p["name"] for p in xcom["get"]["parameters"]] == [
        "dag_id",
        "dag_run_id",
        "task_id",
        "xcom_key",
        "map_index",
    ]
    state = paths["/assets/{asset_id}/state-store/{key}"]["put"]["parameters"]
    assert [p["name"] for p in state] == ["asset_id", "key", "X-Header"]
    assert_idempotent(path_parameters_in_path_order, path_order_fragment())


# ------------------------------------------------------ union_of_arrays_as_array_of_unions


def union_fragment() -> Spec:
    return {
        "components": {
            "schemas": {
                "TaskInstancesLogResponse": {
                    "properties": {
                        "content": {
                            "anyOf": [
                                {"type": "array", "items": {"$ref": REF + "StructuredLogMessage"}},
                                {"type": "array", "items": {"type": "string"}},
                            ],
                            "title": "Content",
                        },
                        "mixed": {"anyOf": [{"type": "array", "items": {}}, {"type": "string"}]},
                    }
                }
            }
        }
    }


def test_union_of_arrays_as_array_of_unions() -> None:
    spec = union_fragment()
    union_of_arrays_as_array_of_unions(spec)
    props = spec["components"]["schemas"]["TaskInstancesLogResponse"]["properties"]
    assert props["content"] == {
        "type": "array",
        "items": {"anyOf": [{"$ref": REF + "StructuredLogMessage"}, {"type": "string"}]},
        "title": "Content",
    }
    # not every member an array: left alone
    assert props["mixed"] == {"anyOf": [{"type": "array", "items": {}}, {"type": "string"}]}
    assert_idempotent(union_of_arrays_as_array_of_unions, union_fragment())


# ------------------------------------------------------- declare_undeclared_response_models


def undeclared_fragment() -> Spec:
    return {
        "paths": {
            "/assets/aliases/{asset_alias_id}": {
                "get": operation(
                    "get_asset_alias", responses=ok({"application/json": {"schema": {}}})
                )
            },
            "/dags/{dag_id}": {
                "delete": operation(
                    "delete_dag", responses=ok({"application/json": {"schema": {}}})
                )
            },
        },
        "components": {"schemas": {"AssetAliasResponse": {"type": "object"}}},
    }


def test_declare_undeclared_response_models() -> None:
    spec = undeclared_fragment()
    declare_undeclared_response_models(spec)
    alias = spec["paths"]["/assets/aliases/{asset_alias_id}"]["get"]["responses"]["200"]
    assert alias["content"]["application/json"]["schema"] == {"$ref": REF + "AssetAliasResponse"}
    # operations not in the table keep their schema (delete_dag really answers no content)
    delete = spec["paths"]["/dags/{dag_id}"]["delete"]["responses"]["200"]
    assert delete["content"]["application/json"]["schema"] == {}
    assert_idempotent(declare_undeclared_response_models, undeclared_fragment())


def test_declare_undeclared_response_models_needs_the_model() -> None:
    spec = undeclared_fragment()
    del spec["components"]["schemas"]["AssetAliasResponse"]
    before = copy.deepcopy(spec)
    declare_undeclared_response_models(spec)
    assert spec == before


# ------------------------------------------------------------------------ name_bulk_unions


def bulk_fragment() -> Spec:
    actions = {
        "oneOf": [
            {"$ref": REF + "BulkCreateAction_VariableBody_"},
            {"$ref": REF + "BulkDeleteAction_VariableBody_"},
        ]
    }
    entities = {"anyOf": [{"type": "string"}, {"$ref": REF + "VariableBody"}]}
    return {
        "components": {
            "schemas": {
                "BulkBody_VariableBody_": {
                    "properties": {"actions": {"type": "array", "items": actions}}
                },
                "BulkDeleteAction_VariableBody_": {
                    "properties": {"entities": {"type": "array", "items": entities}}
                },
                "BulkCreateAction_VariableBody_": {"properties": {}},
                "VariableBody": {"properties": {}},
            }
        }
    }


def test_name_bulk_unions_hoists_each_union_into_a_named_schema() -> None:
    spec = bulk_fragment()
    name_bulk_unions(spec)
    schemas = spec["components"]["schemas"]
    original = bulk_fragment()["components"]["schemas"]
    assert schemas["BulkBody_VariableBody_"]["properties"]["actions"]["items"] == {
        "$ref": REF + "BulkAction_VariableBody_"
    }
    assert (
        schemas["BulkAction_VariableBody_"]
        == original["BulkBody_VariableBody_"]["properties"]["actions"]["items"]
    )
    assert schemas["BulkDeleteAction_VariableBody_"]["properties"]["entities"]["items"] == {
        "$ref": REF + "BulkDeleteEntity_VariableBody_"
    }
    assert (
        schemas["BulkDeleteEntity_VariableBody_"]
        == original["BulkDeleteAction_VariableBody_"]["properties"]["entities"]["items"]
    )
    assert_idempotent(name_bulk_unions, bulk_fragment())


# --------------------------------------------------------------- on the real, shipped spec


@pytest.fixture(scope="module")
def transformed() -> Spec:
    spec = yaml.safe_load((ROOT / "openapi" / "airflow-v2.yaml").read_text())
    return apply_transforms("v2", spec)


def test_found_transforms_are_registered_in_order() -> None:
    registered = REGISTRY["v2"]
    assert all(func in registered for func in FOUND)
    positions = [registered.index(func) for func in FOUND]
    assert positions == sorted(positions)


def test_pipeline_fixes_every_found_defect_on_the_shipped_spec(transformed: Spec) -> None:
    ops = {
        op["operationId"]: (path, op)
        for path, item in transformed["paths"].items()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    _, wait = ops["wait_dag_run_until_finished"]
    assert wait["responses"]["200"]["content"] == {
        "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}
    }
    for name in ("get_dag_source", "get_log", "get_config", "get_config_value"):
        _, op = ops[name]
        assert "accept" not in {p["name"].lower() for p in op.get("parameters", [])}, name
        assert list(op["responses"]["200"]["content"]) == ["application/json"], name
    for path, op in ops.values():
        in_path = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        assert in_path == [seg[1:-1] for seg in path.split("/") if seg.startswith("{")], path
    schemas = transformed["components"]["schemas"]
    clear_items = schemas["ClearTaskInstanceCollectionResponse"]["properties"]["task_instances"]
    assert clear_items["items"]["anyOf"][0] == {"$ref": REF + "TaskInstanceResponse"}
    content = schemas["TaskInstancesLogResponse"]["properties"]["content"]
    assert content["type"] == "array"
    _, alias = ops["get_asset_alias"]
    assert alias["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "AssetAliasResponse"
    }
    assert {f"BulkAction_{r}_" for r in ("VariableBody", "PoolBody", "ConnectionBody")} <= set(
        schemas
    )
    assert json.dumps(transformed).count('"oneOf"') == 5  # the five bulk action unions


# ------------------------------------------- the generated package, on real server payloads


@pytest.fixture(scope="module")
def v2() -> Any:
    return importlib.import_module("airflow_client_ext_v2")


def test_generated_clear_dry_run_items_deserialize(v2: Any) -> None:
    # from POST /dags/always_fails/dagRuns/{run}/clear with dry_run=true (abridged)
    ti = {
        "id": "01a1fec0-80b5-7146-a0a7-20d9aca27283",
        "task_id": "boom",
        "dag_id": "always_fails",
        "dag_run_id": "manual__2026-11-21T15:36:31+00:00",
        "map_index": -1,
        "logical_date": None,
        "run_after": "2026-11-21T15:36:31Z",
        "start_date": None,
        "end_date": None,
        "duration": None,
        "state": "failed",
        "try_number": 1,
        "max_tries": 0,
        "task_display_name": "boom",
        "dag_display_name": "always_fails",
        "hostname": "h",
        "unixname": "root",
        "pool": "default_pool",
        "pool_slots": 1,
        "queue": "default",
        "priority_weight": 2,
        "operator": "_PythonDecoratedOperator",
        "operator_name": "@task",
        "queued_when": None,
        "scheduled_when": None,
        "pid": None,
        "executor": None,
        "executor_config": "{}",
        "note": None,
        "rendered_map_index": None,
        "rendered_fields": {},
        "trigger": None,
        "triggerer_job": None,
        "dag_version": None,
    }
    new = {"task_id": "added", "task_display_name": "added"}
    payload = {"task_instances": [ti, new], "total_entries": 2}
    parsed = v2.ClearTaskInstanceCollectionResponse.from_dict(payload)
    kinds = [type(item.actual_instance).__name__ for item in parsed.task_instances]
    assert kinds == ["TaskInstanceResponse", "NewTaskResponse"]


def test_generated_log_lines_keep_their_structured_fields(v2: Any) -> None:
    # from GET /dags/quick_success/dagRuns/{run}/taskInstances/first/logs/1 (abridged)
    payload = {
        "content": [
            {"event": "::group::Log message source details"},
            {
                "timestamp": "2026-11-21T15:36:32.851889Z",
                "event": "Done. Returned value was: 1",
                "level": "info",
                "logger": "airflow.task.operators",
                "lineno": 220,
            },
        ],
        "continuation_token": None,
    }
    parsed = v2.TaskInstancesLogResponse.from_dict(payload)
    done = parsed.content[1].actual_instance
    assert done.event == "Done. Returned value was: 1"
    assert done.additional_properties == {
        "level": "info",
        "logger": "airflow.task.operators",
        "lineno": 220,
    }


def test_generated_signatures_follow_the_fixed_spec(v2: Any) -> None:
    xcom = list(inspect.signature(v2.XComApi.get_xcom_entry).parameters)
    assert xcom[1:5] == ["dag_id", "dag_run_id", "task_id", "xcom_key"]
    source = inspect.signature(v2.DagSourceApi.get_dag_source).parameters
    assert "accept" not in source
    wait = inspect.signature(v2.DagRunApi.wait_dag_run_until_finished)
    assert wait.return_annotation in (bytes, "bytes")
    alias = inspect.signature(v2.AssetApi.get_asset_alias)
    assert alias.return_annotation in (v2.AssetAliasResponse, "AssetAliasResponse")
    assert v2.BulkActionVariableBody.__name__ == "BulkActionVariableBody"
    assert not hasattr(v2, "ActionsInner4")
