"""The v1 transforms for defects the contract suite found against a real Airflow 2.11.2.

Each test runs its transform on a small fragment shaped like ``openapi/airflow-v1.yaml`` and
checks the fix and that a second run changes nothing more. The last tests check that the
real spec has each defect the transforms fix, so that a spec bump that fixes one upstream
shows up here (the transform then does nothing and can go).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from transforms import REGISTRY, apply_transforms
from transforms.airflow_v1 import (
    PROPERTIES_AS_THE_SERVER_SENDS_THEM,
    PROPERTIES_NAMED_DIFFERENTLY,
    SCHEMAS_THE_SPEC_LACKS,
    declare_properties_as_the_server_sends_them,
    errors_are_problem_json,
    extra_links_are_a_map,
    tell_clear_dag_run_answers_apart,
    use_the_servers_property_names,
)

Spec = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
CLEAR = "/dags/{dag_id}/dagRuns/{dag_run_id}/clear"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def fragment() -> Spec:
    """The shapes of the v1 schemas the transforms touch, as upstream writes them."""
    collection_info = ref("CollectionInfo")
    return {
        "openapi": "3.0.3",
        "paths": {
            CLEAR: {
                "post": {
                    "operationId": "clear_dag_run",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "anyOf": [ref("DAGRun"), ref("TaskInstanceCollection")]
                                    }
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "CollectionInfo": {
                    "type": "object",
                    "properties": {"total_entries": {"type": "integer"}},
                },
                "DAGRun": {
                    "type": "object",
                    "properties": {"dag_run_id": {"type": "string", "nullable": True}},
                },
                "TaskInstanceCollection": {
                    "type": "object",
                    "allOf": [
                        {
                            "type": "object",
                            "properties": {
                                "task_instances": {"type": "array", "items": ref("TaskInstance")}
                            },
                        },
                        collection_info,
                    ],
                },
                "TaskInstanceReferenceCollection": {
                    "type": "object",
                    "properties": {
                        "task_instances": {
                            "type": "array",
                            "items": ref("TaskInstanceReference"),
                        }
                    },
                },
                "TaskInstanceHistoryCollection": {
                    "type": "object",
                    "allOf": [
                        {
                            "type": "object",
                            "properties": {
                                "task_instances_history": {
                                    "type": "array",
                                    "items": ref("TaskInstanceHistory"),
                                }
                            },
                        },
                        collection_info,
                    ],
                },
                "BasicDAGRun": {
                    "type": "object",
                    "required": ["run_id"],
                    "properties": {
                        "run_id": {"type": "string", "description": "Run ID.\n"},
                        "dag_id": {"type": "string", "readOnly": True},
                    },
                },
                "DAGDetail": {
                    "allOf": [
                        ref("DAG"),
                        {
                            "type": "object",
                            "properties": {
                                "template_search_path": {
                                    "type": "array",
                                    "nullable": True,
                                    "items": {"type": "string"},
                                }
                            },
                        },
                    ]
                },
                "Task": {
                    "type": "object",
                    "properties": {"class_ref": ref("ClassReference")},
                },
                "TaskCollection": {
                    "type": "object",
                    "properties": {"tasks": {"type": "array", "items": ref("Task")}},
                },
                "ExtraLinkCollection": {
                    "type": "object",
                    "properties": {"extra_links": {"type": "array", "items": ref("ExtraLink")}},
                },
            }
        },
    }


def assert_idempotent(func: Any, spec: Spec) -> None:
    once = copy.deepcopy(spec)
    func(once)
    twice = copy.deepcopy(once)
    func(twice)
    assert twice == once


# ----------------------------------------------------------------------------- renames


def test_use_the_servers_property_names_renames_inside_allof() -> None:
    spec = fragment()
    use_the_servers_property_names(spec)
    schemas = spec["components"]["schemas"]
    history = schemas["TaskInstanceHistoryCollection"]["allOf"][0]["properties"]
    assert list(history) == ["task_instances"]
    assert history["task_instances"]["items"] == ref("TaskInstanceHistory")
    assert schemas["TaskInstanceHistoryCollection"]["allOf"][1] == ref("CollectionInfo")
    detail = schemas["DAGDetail"]["allOf"][1]["properties"]
    assert "template_searchpath" in detail
    assert "template_search_path" not in detail
    assert_idempotent(use_the_servers_property_names, fragment())


def test_use_the_servers_property_names_keeps_the_schema_and_required() -> None:
    spec = fragment()
    use_the_servers_property_names(spec)
    basic = spec["components"]["schemas"]["BasicDAGRun"]
    assert list(basic["properties"]) == ["dag_id", "dag_run_id"]
    assert basic["properties"]["dag_run_id"] == {"type": "string", "description": "Run ID.\n"}
    assert basic["required"] == ["dag_run_id"]


def test_use_the_servers_property_names_ignores_missing_schemas() -> None:
    spec = {"components": {"schemas": {}}}
    use_the_servers_property_names(spec)
    assert spec == {"components": {"schemas": {}}}


# ----------------------------------------------------------------------------- additions


def test_declare_properties_adds_read_only_properties() -> None:
    spec = fragment()
    declare_properties_as_the_server_sends_them(spec)
    schemas = spec["components"]["schemas"]
    task = schemas["Task"]["properties"]
    assert task["class_ref"] == ref("ClassReference")  # untouched
    assert task["operator_name"]["type"] == "string"
    assert task["params"]["type"] == "object"
    assert all(task[p]["readOnly"] is True for p in ("operator_name", "params"))
    assert schemas["TaskCollection"]["properties"]["total_entries"]["type"] == "integer"
    # schemas the fragment lacks are not created: only their properties are skipped
    assert "Dataset" not in schemas
    # the schemas the added properties refer to are added
    assert schemas["DatasetAlias"] == SCHEMAS_THE_SPEC_LACKS["DatasetAlias"]
    assert_idempotent(declare_properties_as_the_server_sends_them, fragment())


def test_declare_properties_retypes_a_renamed_property_after_the_rename() -> None:
    spec = fragment()
    use_the_servers_property_names(spec)
    declare_properties_as_the_server_sends_them(spec)
    detail = spec["components"]["schemas"]["DAGDetail"]["allOf"][1]["properties"]
    assert detail["template_searchpath"]["type"] == "string"
    assert detail["template_searchpath"]["nullable"] is True
    assert "items" not in detail["template_searchpath"]


def test_declare_properties_goes_into_the_inline_allof_part() -> None:
    spec = fragment()
    schemas = spec["components"]["schemas"]
    schemas["Dataset"] = {"allOf": [ref("Base"), {"type": "object", "properties": {}}]}
    declare_properties_as_the_server_sends_them(spec)
    assert "aliases" in schemas["Dataset"]["allOf"][1]["properties"]
    assert "properties" not in schemas["Dataset"]


# ----------------------------------------------------------------------------- clear


def test_tell_clear_dag_run_answers_apart() -> None:
    spec = fragment()
    tell_clear_dag_run_answers_apart(spec)
    content = spec["paths"][CLEAR]["post"]["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {
        "anyOf": [ref("TaskInstanceReferenceCollection"), ref("DAGRun")]
    }
    refs = spec["components"]["schemas"]["TaskInstanceReferenceCollection"]
    assert refs["required"] == ["task_instances"]
    # DAGRun is also a request body (POST dagRuns): it stays without required properties
    assert "required" not in spec["components"]["schemas"]["DAGRun"]
    assert_idempotent(tell_clear_dag_run_answers_apart, fragment())


def test_tell_clear_dag_run_answers_apart_without_the_operation() -> None:
    spec = fragment()
    del spec["paths"][CLEAR]
    before = copy.deepcopy(spec)
    tell_clear_dag_run_answers_apart(spec)
    assert spec == before


def test_the_generated_anyof_now_picks_the_right_alternative() -> None:
    """What the generated ``ClearDagRun200Response`` does: the first alternative that
    validates wins. Simulated on the transformed fragment with the required lists.
    """
    spec = fragment()
    tell_clear_dag_run_answers_apart(spec)
    schemas = spec["components"]["schemas"]
    alternatives = [
        r["$ref"].rsplit("/", 1)[1]
        for r in spec["paths"][CLEAR]["post"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]["anyOf"]
    ]

    def first_match(answer: dict[str, Any]) -> str:
        for name in alternatives:
            if set(schemas[name].get("required", [])) <= answer.keys():
                return name
        raise AssertionError(answer)

    dry_run = {"task_instances": [{"task_id": "t", "dag_run_id": "r"}]}
    assert first_match(dry_run) == "TaskInstanceReferenceCollection"
    assert first_match({"dag_run_id": "r", "state": "queued"}) == "DAGRun"


# ----------------------------------------------------------------------------- extra links


def test_extra_links_are_a_map_of_nullable_urls() -> None:
    spec = fragment()
    extra_links_are_a_map(spec)
    links = spec["components"]["schemas"]["ExtraLinkCollection"]
    assert links["type"] == "object"
    assert links["additionalProperties"] == {"type": "string", "nullable": True}
    assert "properties" not in links
    assert_idempotent(extra_links_are_a_map, fragment())


def test_extra_links_are_a_map_without_the_schema() -> None:
    spec: Spec = {"components": {"schemas": {}}}
    extra_links_are_a_map(spec)
    assert spec == {"components": {"schemas": {}}}


# ----------------------------------------------------------------------------- the real spec


@pytest.fixture(scope="module")
def real_spec() -> Spec:
    return yaml.safe_load((ROOT / "openapi" / "airflow-v1.yaml").read_text())


def own_properties(spec: Spec, name: str) -> dict[str, Any]:
    schema = spec["components"]["schemas"][name]
    merged = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        merged.update(part.get("properties", {}))
    return merged


def test_the_real_spec_has_the_defects(real_spec: Spec) -> None:
    for (schema, spec_name), server_name in PROPERTIES_NAMED_DIFFERENTLY.items():
        props = own_properties(real_spec, schema)
        assert spec_name in props, (schema, spec_name)
        assert server_name not in props, (schema, server_name)
    for (schema, prop), server_schema in PROPERTIES_AS_THE_SERVER_SENDS_THEM.items():
        assert schema in real_spec["components"]["schemas"], schema
        # missing, or declared otherwise than the server sends it
        assert own_properties(real_spec, schema).get(prop) != server_schema, (schema, prop)
    for name in SCHEMAS_THE_SPEC_LACKS:
        assert name not in real_spec["components"]["schemas"]
    answer = real_spec["paths"][CLEAR]["post"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"]["anyOf"][0] == ref("DAGRun")
    assert "extra_links" in real_spec["components"]["schemas"]["ExtraLinkCollection"]["properties"]


def test_the_real_spec_after_all_v1_transforms(real_spec: Spec) -> None:
    spec = apply_transforms("v1", real_spec)
    schemas = spec["components"]["schemas"]
    for (schema, _), server_name in PROPERTIES_NAMED_DIFFERENTLY.items():
        assert server_name in own_properties(spec, schema), (schema, server_name)
    for schema, prop in PROPERTIES_AS_THE_SERVER_SENDS_THEM:
        assert (
            own_properties(spec, schema)[prop]
            == PROPERTIES_AS_THE_SERVER_SENDS_THEM[(schema, prop)]
        )
    assert "DatasetAlias" in schemas
    assert apply_transforms("v1", spec) == spec  # the whole pipeline is idempotent


def test_found_transforms_are_registered_in_order() -> None:
    names = [f.__name__ for f in REGISTRY["v1"]]
    found = [
        "use_the_servers_property_names",
        "declare_properties_as_the_server_sends_them",
        "tell_clear_dag_run_answers_apart",
        "extra_links_are_a_map",
    ]
    assert [n for n in names if n in found] == found


def test_errors_are_problem_json_adds_the_media_type_of_error_answers() -> None:
    error = {"schema": ref("Error")}
    spec: Spec = {
        "components": {
            "responses": {
                "NotFound": {"description": "x", "content": {"application/json": error}},
                "Other": {"description": "y", "content": {"application/json": {"schema": {}}}},
            }
        }
    }
    errors_are_problem_json(spec)
    responses = spec["components"]["responses"]
    assert responses["NotFound"]["content"] == {
        "application/json": error,
        "application/problem+json": error,
    }
    assert responses["Other"]["content"] == {"application/json": {"schema": {}}}
    again = copy.deepcopy(spec)
    errors_are_problem_json(again)
    assert again == spec


def test_the_real_v1_spec_declares_its_errors_as_application_json() -> None:
    upstream = yaml.safe_load((ROOT / "openapi" / "airflow-v1.yaml").read_text())
    shared = upstream["components"]["responses"]
    assert all("application/json" in r["content"] for r in shared.values())
    fixed = apply_transforms("v1", upstream)["components"]["responses"]
    wanted = ["application/json", "application/problem+json"]
    assert all(list(r["content"]) == wanted for r in fixed.values())
