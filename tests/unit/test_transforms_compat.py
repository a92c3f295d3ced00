"""The transforms that let the generated models read every supported server's answers
(``scripts/transforms/compat.py``), and the compat specs they read (``scripts/specs.py``).

First on small synthetic specs (what is relaxed or marked, what is left alone, idempotence),
then on the real specs: the fields behind the failures measured on real 3.0.6, 3.1.8 and
3.2.2 servers are relaxed, request fields are not.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import specs
import yaml
from transforms import (
    REGISTRY,
    SEND_NULL_WHEN_UNSET,
    TOLERATE_UNKNOWN_VALUES,
    apply_transforms,
    iter_operations,
)
from transforms.compat import (
    Tolerated,
    _older_specs,
    counterparts,
    leave_request_defaults_to_the_server,
    request_schema_names,
    response_schema_names,
    tolerate_older_servers,
    tolerate_older_v1_servers,
    tolerate_older_v2_servers,
    tolerate_unknown_enum_values,
)

Spec = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"content": {"application/json": {"schema": schema}}}}


def body(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref(name)}}}


def current() -> Spec:
    """A "newest" spec: a DAG answer, a run answer, a trigger body, a new endpoint."""
    return {
        "paths": {
            "/dags/{dag_id}": {"get": {"responses": answer(ref("DAGResponse"))}},
            "/dags/{dag_id}/runs": {
                "post": {
                    "requestBody": body("TriggerBody"),
                    "responses": answer(ref("RunResponse")),
                },
                "patch": {"requestBody": body("Shared"), "responses": answer(ref("Shared"))},
            },
            "/dags/{dag_id}/clear": {
                "post": {"responses": answer({"anyOf": [ref("ClearResponse"), ref("Other")]})}
            },
            "/state": {"get": {"responses": answer(ref("StateStore"))}},
        },
        "components": {
            "schemas": {
                "DAGResponse": {
                    "type": "object",
                    "required": ["dag_id", "partitioned", "periodic", "note", "tags", "owner"],
                    "properties": {
                        "dag_id": {"type": "string"},
                        "partitioned": {"type": "boolean"},  # absent in 3.1
                        "periodic": {"type": "boolean"},  # optional in 3.1
                        "note": {"type": "string", "nullable": True},  # nullable in both
                        "tags": {"type": "array", "items": ref("TagResponse")},
                        "owner": ref("Owner"),  # nullable in 3.1
                        "extra": {"type": "string"},  # optional: left alone
                    },
                },
                "TagResponse": {
                    "type": "object",
                    "required": ["name", "dag_display_name"],
                    "properties": {
                        "name": {"type": "string"},
                        "dag_display_name": {"type": "string"},
                    },
                },
                "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
                "RunResponse": {
                    "allOf": [
                        ref("Base"),
                        {
                            "type": "object",
                            "required": ["run_id", "partition_key"],
                            "properties": {
                                "run_id": {"type": "string"},
                                "partition_key": {"type": "string"},
                                "state": ref("RunState"),
                            },
                        },
                    ]
                },
                "Base": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "RunState": {"type": "string", "enum": ["queued", "running"]},
                "TriggerBody": {
                    "type": "object",
                    "required": ["logical_date", "conf"],
                    "properties": {
                        "logical_date": {"type": "string", "nullable": True},
                        "conf": {"type": "object"},
                        "kind": {"type": "string", "enum": ["a", "b"]},
                        "state": ref("PatchState"),
                    },
                },
                "PatchState": {"type": "string", "enum": ["success", "failed"]},
                "Shared": {
                    "type": "object",
                    "required": ["pool", "slots"],
                    "properties": {"pool": {"type": "string"}, "slots": {"type": "integer"}},
                },
                "ClearResponse": {
                    "type": "object",
                    "required": ["items", "total"],
                    "properties": {
                        "items": {"type": "array", "items": ref("RunResponse")},
                        "total": {"type": "integer"},
                    },
                },
                "Other": {"type": "object", "properties": {"x": {"type": "string"}}},
                "StateStore": {
                    "type": "object",
                    "required": ["key", "destination"],
                    "properties": {
                        "key": {"type": "string"},
                        "destination": {"type": "string", "enum": ["nav", "dag"]},
                        "kinds": {"type": "array", "items": {"type": "string", "enum": ["k"]}},
                    },
                },
            }
        },
    }


def older() -> Spec:
    """The same API one release earlier: fewer fields, a renamed clear answer, no state
    store endpoint, a shared schema without ``slots``."""
    spec = current()
    schemas = spec["components"]["schemas"]
    dag = schemas["DAGResponse"]
    del dag["properties"]["partitioned"]
    dag["required"] = ["dag_id", "note", "tags", "owner"]
    dag["properties"]["owner"] = {"allOf": [ref("Owner")], "nullable": True}
    del schemas["TagResponse"]["properties"]["dag_display_name"]
    schemas["TagResponse"]["required"] = ["name"]
    run_part = schemas["RunResponse"]["allOf"][1]
    del run_part["properties"]["partition_key"]
    run_part["required"] = ["run_id"]
    schemas["Shared"]["required"] = ["pool"]
    schemas["TriggerBody"]["required"] = []
    # the clear endpoint answered a collection named differently, without "total"
    schemas["TaskCollection"] = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("RunResponse")}},
    }
    del schemas["ClearResponse"]
    clear = spec["paths"]["/dags/{dag_id}/clear"]["post"]
    clear["responses"] = answer({"anyOf": [ref("TaskCollection"), ref("Other")]})
    del spec["paths"]["/state"]
    del schemas["StateStore"]
    return spec


def assert_idempotent(func: Any, spec: Spec) -> None:
    once = copy.deepcopy(spec)
    func(once)
    twice = copy.deepcopy(once)
    func(twice)
    assert twice == once


# ------------------------------------------------------------------ reachability


def test_answers_and_requests_are_told_apart() -> None:
    spec = current()
    answers, requests = response_schema_names(spec), request_schema_names(spec)
    assert {"DAGResponse", "TagResponse", "Owner", "RunResponse", "Base", "RunState"} <= answers
    assert {"ClearResponse", "Other", "StateStore", "Shared"} <= answers
    assert requests == {"TriggerBody", "PatchState", "Shared"}


def test_counterparts_pair_by_name_and_by_place_in_the_answer() -> None:
    pairs = counterparts(current(), older())
    assert pairs["DAGResponse"] == {"DAGResponse"}
    assert pairs["ClearResponse"] == {"TaskCollection"}  # renamed, found through /clear
    assert "StateStore" not in pairs  # new endpoint: the old server never sends it


# ------------------------------------------------------------------ tolerate_older_servers


def test_tolerate_older_servers_relaxes_what_an_older_release_may_leave_out() -> None:
    spec = current()
    found = tolerate_older_servers(spec, [("3.1.8", older())]).relaxed
    assert found == {
        ("DAGResponse", "partitioned"): ["3.1.8"],  # absent there
        ("DAGResponse", "periodic"): ["3.1.8"],  # optional there
        ("DAGResponse", "owner"): ["3.1.8"],  # nullable there
        ("TagResponse", "dag_display_name"): ["3.1.8"],
        ("RunResponse", "partition_key"): ["3.1.8"],  # in an inline allOf part
        ("ClearResponse", "total"): ["3.1.8"],  # through the renamed counterpart
    }
    schemas = spec["components"]["schemas"]
    dag = schemas["DAGResponse"]
    assert dag["required"] == ["dag_id", "note", "tags"]
    assert dag["properties"]["partitioned"] == {"type": "boolean", "nullable": True}
    assert dag["properties"]["periodic"] == {"type": "boolean", "nullable": True}
    # a $ref takes no siblings in OpenAPI 3.0: nullable goes on an allOf wrapper
    assert dag["properties"]["owner"] == {"allOf": [ref("Owner")], "nullable": True}
    assert dag["properties"]["extra"] == {"type": "string"}  # not required: left alone
    assert schemas["TagResponse"]["required"] == ["name"]
    assert schemas["RunResponse"]["allOf"][1]["required"] == ["run_id"]
    assert schemas["RunResponse"]["allOf"][1]["properties"]["partition_key"]["nullable"]
    assert schemas["ClearResponse"]["required"] == ["items"]


def test_tolerate_older_servers_leaves_requests_and_new_schemas_alone() -> None:
    spec = current()
    tolerate_older_servers(spec, [("3.1.8", older())])
    schemas = spec["components"]["schemas"]
    # a request body keeps what the server requires, even where the old release did not
    assert schemas["TriggerBody"]["required"] == ["logical_date", "conf"]
    # a schema used both ways is left strict
    assert schemas["Shared"]["required"] == ["pool", "slots"]
    # a schema the older release never sends keeps its required properties
    assert schemas["StateStore"]["required"] == ["key", "destination"]


def test_tolerate_older_servers_names_every_release_that_needs_it() -> None:
    middle = current()
    del middle["components"]["schemas"]["DAGResponse"]["properties"]["periodic"]
    found = tolerate_older_servers(current(), [("3.0.6", older()), ("3.2.2", middle)]).relaxed
    assert found[("DAGResponse", "periodic")] == ["3.0.6", "3.2.2"]
    assert found[("DAGResponse", "partitioned")] == ["3.0.6"]


def test_tolerate_older_servers_is_idempotent_and_changes_nothing_without_older_specs() -> None:
    assert_idempotent(lambda s: tolerate_older_servers(s, [("3.1.8", older())]), current())
    spec = current()
    result = tolerate_older_servers(spec, [])
    assert result.relaxed == {}
    assert result.widened == {}
    assert spec == current()


def test_tolerate_older_servers_reads_the_31_null_spelling_of_older_specs() -> None:
    old = older()
    old["components"]["schemas"]["DAGResponse"]["properties"]["owner"] = {
        "anyOf": [ref("Owner"), {"type": "null"}]
    }
    found = tolerate_older_servers(current(), [("3.1.8", old)]).relaxed
    assert ("DAGResponse", "owner") in found


def test_tolerate_older_servers_widens_a_scalar_type_an_older_release_sends() -> None:
    new, old = current(), older()
    new_props = new["components"]["schemas"]["DAGResponse"]["properties"]
    new_props["backoff"] = {"type": "number", "title": "Backoff", "minimum": 0}
    new_props["count"] = {"type": "number"}
    new_props["label"] = {"type": "string"}
    old_props = old["components"]["schemas"]["DAGResponse"]["properties"]
    old_props["backoff"] = {"type": "boolean"}
    old_props["count"] = {"type": "integer"}  # an integer is a number: nothing to widen
    old_props["label"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    result = tolerate_older_servers(new, [("3.1.8", old)])
    assert result.widened == {("DAGResponse", "backoff"): {"boolean": ["3.1.8"]}}
    # any JSON value (an anyOf of scalars would become a wrapper model), and a note
    assert new_props["backoff"] == {
        "title": "Backoff",
        "description": "A number (a boolean from Airflow 3.1.8).",
    }
    assert new_props["count"] == {"type": "number"}
    assert_idempotent(lambda s: tolerate_older_servers(s, [("3.1.8", old)]), new)


# ------------------------------------------------------------------ tolerate_unknown_enum_values


def test_tolerate_unknown_enum_values_marks_answer_enums_only() -> None:
    spec = current()
    tolerate_unknown_enum_values(spec)
    schemas = spec["components"]["schemas"]
    assert schemas["RunState"][TOLERATE_UNKNOWN_VALUES] is True  # in answers
    assert TOLERATE_UNKNOWN_VALUES not in schemas["PatchState"]  # in requests only
    store = schemas["StateStore"]["properties"]
    assert store["destination"][TOLERATE_UNKNOWN_VALUES] is True  # inline, in an answer
    assert store["kinds"][TOLERATE_UNKNOWN_VALUES] is True  # inline array items
    assert TOLERATE_UNKNOWN_VALUES not in store["key"]
    assert TOLERATE_UNKNOWN_VALUES not in schemas["TriggerBody"]["properties"]["kind"]
    assert_idempotent(tolerate_unknown_enum_values, current())


# ------------------------------------------------------------------ the pipeline


def test_apply_transforms_until_stops_before_the_named_transform() -> None:
    spec = {"openapi": "3.1.0", "info": {"description": "# T\n\nFirst.\n\nSecond."}}
    first = REGISTRY["v2"][0]
    assert apply_transforms("v2", spec, until=first) == spec
    assert apply_transforms("v2", spec, until=REGISTRY["v2"][1])["info"]["description"] == (
        "First."
    )


def test_compat_transforms_run_last() -> None:
    assert REGISTRY["v1"][-2:] == [tolerate_older_v1_servers, tolerate_unknown_enum_values]
    assert REGISTRY["v2"][-3:] == [
        tolerate_older_v2_servers,
        tolerate_unknown_enum_values,
        leave_request_defaults_to_the_server,
    ]
    assert REGISTRY["starship"][-1] is tolerate_unknown_enum_values


# ------------------------------------------------------------------ the real specs


def prepared(spec_id: str, until: Any) -> Spec:
    path, _ = specs.locked_spec_path(spec_id)
    return apply_transforms(spec_id, yaml.safe_load(path.read_text()), until=until)


@pytest.fixture(scope="module")
def v2_result() -> Tolerated:
    spec = prepared("v2", tolerate_older_v2_servers)
    return tolerate_older_servers(spec, _older_specs("v2", tolerate_older_v2_servers))


@pytest.fixture(scope="module")
def v2_found(v2_result: Tolerated) -> dict[tuple[str, str], list[str]]:
    return v2_result.relaxed


def test_v2_relaxes_the_fields_that_failed_on_real_older_servers(
    v2_found: dict[tuple[str, str], list[str]],
) -> None:
    # 3.1.8: "timetable_partitioned: Input should be a valid boolean, input_value=None"
    assert "3.1.8" in v2_found[("DAGResponse", "timetable_partitioned")]
    # 3.0.6: "DagTagResponse.dag_display_name: Input should be a valid string"
    assert v2_found[("DagTagResponse", "dag_display_name")] == ["3.0.6"]
    # 3.2.2: two DAGResponse fields
    assert [p for (s, p), v in v2_found.items() if s == "DAGResponse" and "3.2.2" in v] == [
        "is_backfillable",
        "timetable_periodic",
    ]


def test_v2_relaxes_the_counts_its_docstring_records(
    v2_found: dict[tuple[str, str], list[str]],
) -> None:
    """The numbers are in ``tolerate_older_v2_servers.__doc__``: update both on a bump."""
    assert len(v2_found) == 51
    assert len({schema for schema, _ in v2_found}) == 25
    per_version = {v: sum(v in vs for vs in v2_found.values()) for v in ("3.0.6", "3.1.8", "3.2.2")}
    assert per_version == {"3.0.6": 51, "3.1.8": 19, "3.2.2": 6}
    doc = tolerate_older_v2_servers.__doc__ or ""
    assert "51 properties of 25 answer schemas" in " ".join(doc.split())


def test_v2_widens_the_type_that_changed_since_31(v2_result: Tolerated) -> None:
    assert v2_result.widened == {
        ("TaskResponse", "retry_exponential_backoff"): {"boolean": ["3.0.6", "3.1.8"]}
    }


def test_v1_relaxes_nothing_today() -> None:
    spec = prepared("v1", tolerate_older_v1_servers)
    result = tolerate_older_servers(spec, _older_specs("v1", tolerate_older_v1_servers))
    assert result.relaxed == {}
    assert result.widened == {}


@pytest.mark.parametrize(
    ("spec_id", "until"), [("v1", tolerate_older_v1_servers), ("v2", tolerate_older_v2_servers)]
)
def test_no_schema_used_in_requests_would_need_relaxing(spec_id: str, until: Any) -> None:
    """Schemas in both requests and answers are left strict (a request field the server
    requires must stay required); this holds only while none of them differs from the
    older releases. A spec bump that breaks it needs a decision, not a silent skip."""
    spec = prepared(spec_id, until)
    shared = request_schema_names(spec) & response_schema_names(spec)
    assert shared  # the check below checks something
    answers_only = copy.deepcopy(spec)
    for _, _, operation in iter_operations(answers_only):
        operation.pop("requestBody", None)
        operation.pop("parameters", None)
    for item in answers_only.get("paths", {}).values():
        item.pop("parameters", None)
    answers_only.get("components", {}).pop("requestBodies", None)
    answers_only.get("components", {}).pop("parameters", None)
    result = tolerate_older_servers(answers_only, _older_specs(spec_id, until))
    assert not {schema for schema, _ in [*result.relaxed, *result.widened]} & shared


def test_v2_pipeline_keeps_the_trigger_body_strict_and_marks_answer_enums() -> None:
    path, _ = specs.locked_spec_path("v2")
    spec = apply_transforms("v2", yaml.safe_load(path.read_text()))
    schemas = spec["components"]["schemas"]
    body = schemas["TriggerDAGRunPostBody"]
    assert body["properties"]["logical_date"][SEND_NULL_WHEN_UNSET] is True
    assert body["properties"]["logical_date"]["nullable"] is True
    assert "timetable_partitioned" not in schemas["DAGResponse"]["required"]
    assert schemas["DAGResponse"]["properties"]["timetable_partitioned"]["nullable"] is True
    assert "dag_id" in schemas["DAGResponse"]["required"]
    for name in ("DagRunState", "TaskInstanceState", "DagRunType", "DagRunTriggeredByType"):
        assert schemas[name][TOLERATE_UNKNOWN_VALUES] is True, name
    for name in ("DagRunMutableStates", "BulkActionOnExistence", "BulkActionNotOnExistence"):
        assert TOLERATE_UNKNOWN_VALUES not in schemas[name], name


def test_v1_pipeline_marks_answer_enums() -> None:
    path, _ = specs.locked_spec_path("v1")
    spec = apply_transforms("v1", yaml.safe_load(path.read_text()))
    schemas = spec["components"]["schemas"]
    for name in ("DagState", "TaskState"):
        assert schemas[name][TOLERATE_UNKNOWN_VALUES] is True, name
    assert TOLERATE_UNKNOWN_VALUES not in schemas["UpdateTaskState"]
    assert schemas["DAGRun"]["properties"]["run_type"][TOLERATE_UNKNOWN_VALUES] is True
    state = schemas["UpdateDagRunState"]["properties"]["state"]
    assert TOLERATE_UNKNOWN_VALUES not in state


# ------------------------------------------------------------------ defaults of requests


def test_request_defaults_unknown_to_older_servers_are_dropped() -> None:
    spec: Spec = {
        "paths": {
            "/clear": {
                "post": {"requestBody": body("ClearBody"), "responses": answer(ref("Shared"))}
            },
            "/shared": {
                "post": {"requestBody": body("Shared"), "responses": answer(ref("Shared"))}
            },
        },
        "components": {
            "schemas": {
                "ClearBody": {
                    "properties": {
                        "dry_run": {"type": "boolean", "default": True},
                        "only_new": {"type": "boolean", "default": False},
                        "mode": {"type": "string", "default": "x"},
                    },
                    "required": ["mode"],
                },
                "Shared": {"properties": {"n": {"type": "integer", "default": 1}}},
            }
        },
    }
    leave_request_defaults_to_the_server(spec)
    props = spec["components"]["schemas"]["ClearBody"]["properties"]
    assert props == {
        "dry_run": {"type": "boolean"},
        "only_new": {"type": "boolean"},
        "mode": {"type": "string", "default": "x"},  # required: the caller always sends it
    }
    assert spec["components"]["schemas"]["Shared"]["properties"]["n"]["default"] == 1
    assert_idempotent(leave_request_defaults_to_the_server, spec)


def test_a_clear_body_sends_only_what_the_caller_set() -> None:
    """What 3.0.6 and 3.1.8 refused: ``only_new`` (newer than them) sent as its default."""
    import airflow_client_ext_v2 as v2

    body = v2.DAGRunClearBody(dry_run=False, only_failed=True)
    assert body.to_dict() == {"dry_run": False, "only_failed": True}
    # a field every supported release knows keeps its default (3.3.2's bulk pool update
    # needs include_deferred among the fields it is sent)
    assert v2.PoolBody(name="p", slots=1).to_dict()["include_deferred"] is False
