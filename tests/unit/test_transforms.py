"""Each spec transform, on a small spec fragment: what it fixes, and that it is idempotent.

Transforms added for defects found by the contract suite have their tests in
``test_transforms_found_v1.py`` and ``test_transforms_found_v2.py``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from transforms import REGISTRY, SEND_NULL_WHEN_UNSET, apply_transforms
from transforms.airflow_v1 import keep_negotiate_scheme, require_declared_credentials
from transforms.airflow_v2 import (
    anyof_null_to_nullable,
    downgrade_to_openapi_30,
    send_null_for_required_nullable,
    type_untyped_path_parameters,
)
from transforms.common import shorten_info_description

Spec = dict[str, Any]


def v1_fragment() -> Spec:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Airflow API (Stable)", "version": "2.10.5"},
        "security": [],
        "paths": {
            "/dags": {"get": {"operationId": "get_dags", "responses": {}}},
            "/health": {"get": {"operationId": "get_health", "security": [], "responses": {}}},
        },
        "components": {
            "securitySchemes": {
                "Basic": {"type": "http", "scheme": "basic"},
                "GoogleOpenId": {"type": "openIdConnect", "openIdConnectUrl": "https://x"},
                "Kerberos": {"type": "http", "scheme": "negotiate"},
            }
        },
    }


def v2_fragment() -> Spec:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Airflow API", "version": "2"},
        "paths": {
            "/api/v2/dags/{dag_id}/dagRuns": {
                "post": {
                    "operationId": "trigger_dag_run",
                    "parameters": [
                        {
                            "name": "dag_id",
                            "in": "path",
                            "required": True,
                            "schema": {"title": "Dag Id"},
                        },
                        {"name": "q", "in": "query", "schema": {"title": "Q"}},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/TriggerDAGRunPostBody"}
                            }
                        }
                    },
                    "responses": {},
                }
            },
            "/api/v2/dags/~/dagRuns/list": {
                "post": {
                    "operationId": "get_list_dag_runs_batch",
                    "parameters": [
                        {
                            "name": "dag_id",
                            "in": "path",
                            "required": True,
                            "schema": {"const": "~", "type": "string", "title": "Dag Id"},
                        }
                    ],
                    "responses": {},
                }
            },
        },
        "components": {
            "schemas": {
                "TriggerDAGRunPostBody": {
                    "type": "object",
                    "required": ["logical_date"],
                    "properties": {
                        "logical_date": {
                            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
                            "title": "Logical Date",
                        },
                        "conf": {
                            "anyOf": [
                                {"type": "object", "additionalProperties": True},
                                {"type": "null"},
                            ]
                        },
                    },
                },
                "DAGRunResponse": {
                    "type": "object",
                    "required": ["dag_run_id", "end_date", "dag_version"],
                    "properties": {
                        "dag_run_id": {"type": "string"},
                        "end_date": {
                            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]
                        },
                        "dag_version": {
                            "anyOf": [{"$ref": "#/components/schemas/DagVersion"}, {"type": "null"}]
                        },
                        "value": {
                            "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]
                        },
                    },
                },
                "Bounds": {
                    "type": "object",
                    "properties": {
                        "weight": {"type": "integer", "exclusiveMinimum": 0},
                        "pair": {
                            "type": "array",
                            "prefixItems": [{"type": "string"}, {"type": "integer"}],
                        },
                        # a property literally named like a keyword is left alone
                        "const": {"type": "string"},
                    },
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


def test_shorten_info_description_keeps_the_first_plain_paragraph() -> None:
    spec = {
        "info": {"description": "# Overview\n\nTo facilitate   management,\nsee this.\n\nMore."}
    }
    shorten_info_description(spec)
    assert spec["info"]["description"] == "To facilitate management, see this."
    assert_idempotent(shorten_info_description, spec)


def test_require_declared_credentials_makes_every_operation_send_http_credentials() -> None:
    spec = v1_fragment()
    require_declared_credentials(spec)
    assert spec["security"] == [{"Basic": []}, {"Kerberos": []}]
    # an explicit empty per-operation requirement would still turn credentials off
    assert "security" not in spec["paths"]["/health"]["get"]
    assert_idempotent(require_declared_credentials, v1_fragment())


def test_keep_negotiate_scheme_restores_a_dropped_kerberos_scheme() -> None:
    spec = v1_fragment()
    del spec["components"]["securitySchemes"]["Kerberos"]
    spec["security"] = [{"Basic": []}]
    keep_negotiate_scheme(spec)
    assert spec["components"]["securitySchemes"]["Kerberos"] == {
        "type": "http",
        "scheme": "negotiate",
    }
    assert {"Kerberos": []} in spec["security"]
    assert_idempotent(keep_negotiate_scheme, spec)


def test_v1_pipeline_keeps_kerberos_declared_and_required() -> None:
    spec = apply_transforms("v1", v1_fragment())
    assert spec["components"]["securitySchemes"]["Kerberos"]["scheme"] == "negotiate"
    assert spec["security"] == [{"Basic": []}, {"Kerberos": []}]


def test_type_untyped_path_parameters_types_path_only() -> None:
    spec = v2_fragment()
    type_untyped_path_parameters(spec)
    op = spec["paths"]["/api/v2/dags/{dag_id}/dagRuns"]["post"]
    assert op["parameters"][0]["schema"] == {"title": "Dag Id", "type": "string"}
    assert op["parameters"][1]["schema"] == {"title": "Q"}  # a query parameter: untouched
    assert_idempotent(type_untyped_path_parameters, v2_fragment())


def test_anyof_null_to_nullable_covers_scalars_refs_and_unions() -> None:
    spec = v2_fragment()
    anyof_null_to_nullable(spec)
    props = spec["components"]["schemas"]["DAGRunResponse"]["properties"]
    assert props["end_date"] == {"type": "string", "format": "date-time", "nullable": True}
    assert props["dag_version"] == {
        "allOf": [{"$ref": "#/components/schemas/DagVersion"}],
        "nullable": True,
    }
    assert props["value"] == {
        "anyOf": [{"type": "string"}, {"type": "integer"}],
        "nullable": True,
    }
    body = spec["components"]["schemas"]["TriggerDAGRunPostBody"]["properties"]
    assert body["logical_date"]["title"] == "Logical Date"
    assert body["conf"]["additionalProperties"] is True
    assert body["conf"]["nullable"] is True
    assert_idempotent(anyof_null_to_nullable, v2_fragment())


def test_downgrade_to_openapi_30_rewrites_31_keywords() -> None:
    spec = v2_fragment()
    downgrade_to_openapi_30(spec)
    assert spec["openapi"] == "3.0.3"
    path_param = spec["paths"]["/api/v2/dags/~/dagRuns/list"]["post"]["parameters"][0]
    assert path_param["schema"]["enum"] == ["~"]
    assert "const" not in path_param["schema"]
    bounds = spec["components"]["schemas"]["Bounds"]["properties"]
    assert bounds["weight"] == {"type": "integer", "minimum": 0, "exclusiveMinimum": True}
    assert bounds["pair"] == {
        "type": "array",
        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    }
    assert bounds["const"] == {"type": "string"}
    assert_idempotent(downgrade_to_openapi_30, v2_fragment())


def test_send_null_for_required_nullable_only_touches_request_bodies() -> None:
    spec = v2_fragment()
    anyof_null_to_nullable(spec)
    send_null_for_required_nullable(spec)
    body = spec["components"]["schemas"]["TriggerDAGRunPostBody"]
    assert "required" not in body
    assert body["properties"]["logical_date"][SEND_NULL_WHEN_UNSET] is True
    assert SEND_NULL_WHEN_UNSET not in body["properties"]["conf"]  # not required: stays omitted
    response = spec["components"]["schemas"]["DAGRunResponse"]
    assert response["required"] == ["dag_run_id", "end_date", "dag_version"]
    assert_idempotent(send_null_for_required_nullable, spec)


def test_send_null_for_required_nullable_works_on_the_raw_31_spelling() -> None:
    spec = v2_fragment()
    send_null_for_required_nullable(spec)
    body = spec["components"]["schemas"]["TriggerDAGRunPostBody"]
    assert body["properties"]["logical_date"][SEND_NULL_WHEN_UNSET] is True


def test_apply_transforms_leaves_its_input_alone() -> None:
    spec = v2_fragment()
    before = copy.deepcopy(spec)
    after = apply_transforms("v2", spec)
    assert spec == before
    assert after["openapi"] == "3.0.3"


@pytest.mark.parametrize("spec_id", ["v1", "v2"])
def test_every_registered_transform_is_documented(spec_id: str) -> None:
    for func in REGISTRY[spec_id]:
        assert func.__doc__, func.__name__
        assert len(func.__doc__.split()) > 10, func.__name__
