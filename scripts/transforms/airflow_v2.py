"""Transforms of the Airflow 3 spec (``/api/v2``, apache-airflow-core 3.x)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import (
    HTTP_METHODS,
    SEND_NULL_WHEN_UNSET,
    Spec,
    is_null_schema,
    is_nullable,
    iter_operations,
    iter_schemas,
    transform,
)


@transform("v2")
def type_untyped_path_parameters(spec: Spec) -> None:
    """Give path parameters without a type the type ``string``.

    v2 leaves some path parameters untyped (``dag_id`` of the dagRuns POST, ``task_id`` of
    the task GET, ...), so the generator types them ``Any`` and the generated method accepts
    and URL-encodes anything. A path segment is always a string.
    """
    typing_keys = {"type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const"}

    def fix(parameters: list[dict[str, Any]]) -> None:
        for parameter in parameters:
            if parameter.get("in") != "path":
                continue
            schema = parameter.setdefault("schema", {})
            if not typing_keys & schema.keys():
                schema["type"] = "string"

    for item in spec.get("paths", {}).values():
        fix(item.get("parameters", []))
        for method in HTTP_METHODS:
            if method in item:
                fix(item[method].get("parameters", []))


@transform("v2")
def anyof_null_to_nullable(spec: Spec) -> None:
    """Rewrite ``anyOf: [X, {type: "null"}]`` as ``X`` with ``nullable: true``.

    v2 (OpenAPI 3.1, written by pydantic) spells every optional field that way, 638 times.
    Generators handle 3.1's null type unevenly; ``nullable`` is the 3.0 spelling that the
    python generator maps to ``Optional[X]`` reliably, so a real ``null`` from the server
    deserializes. A ``$ref`` cannot carry siblings in 3.0, so it is wrapped in ``allOf``.
    Unions of several non-null members keep their ``anyOf`` and gain ``nullable``.
    """
    for schema in iter_schemas(spec):
        members = schema.get("anyOf")
        if not isinstance(members, list) or not any(is_null_schema(m) for m in members):
            continue
        rest = [m for m in members if not is_null_schema(m)]
        del schema["anyOf"]
        if len(rest) == 1 and "$ref" in rest[0]:
            schema["allOf"] = rest
        elif len(rest) == 1:
            for key, value in rest[0].items():
                schema.setdefault(key, value)
        else:
            schema["anyOf"] = rest
        schema["nullable"] = True


@transform("v2")
def downgrade_to_openapi_30(spec: Spec) -> None:
    """Express the few remaining OpenAPI 3.1 constructs in 3.0 and declare 3.0.3.

    After ``anyof_null_to_nullable`` the v2 spec uses only these 3.1 features: ``const``
    (becomes a one-value ``enum``), numeric ``exclusiveMinimum``/``exclusiveMaximum``
    (become ``minimum``/``maximum`` with the boolean flag) and ``prefixItems`` on tuples
    (dropped: the generator cannot type tuples, ``items`` still types the members).
    openapi-generator's 3.0 support is complete, its 3.1 support is marked beta.
    """
    for schema in iter_schemas(spec):
        if "const" in schema and not isinstance(schema.get("const"), dict | list):
            schema["enum"] = [schema.pop("const")]
        for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            value = schema.get(exclusive)
            if isinstance(value, int | float) and not isinstance(value, bool):
                schema[bound] = value
                schema[exclusive] = True
        if "prefixItems" in schema and isinstance(schema["prefixItems"], list):
            members = schema.pop("prefixItems")
            schema.setdefault("items", {"anyOf": members} if len(members) > 1 else members[0])
    spec["openapi"] = "3.0.3"


@transform("v2")
def send_null_for_required_nullable(spec: Spec) -> None:
    """Send a required-but-nullable request field as JSON ``null`` when it is left unset.

    ``TriggerDAGRunPostBody.logical_date`` is required and nullable: the server answers 422
    "Field required" when it is missing, yet ``null`` is the usual value (a run with no
    logical date). The generated model would force every caller to pass it, and its
    ``to_dict`` drops ``None`` values that were not set explicitly. The field becomes
    optional in the model and carries ``x-send-null-when-unset``, which our template
    override of ``model_generic.mustache`` honours by always sending it.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    for name in sorted(_request_body_schema_names(spec)):
        schema = schemas.get(name, {})
        required = schema.get("required", [])
        for prop_name, prop in schema.get("properties", {}).items():
            if prop_name in required and is_nullable(prop):
                required.remove(prop_name)
                prop[SEND_NULL_WHEN_UNSET] = True
        if "required" in schema and not required:
            del schema["required"]


def _request_body_schema_names(spec: Spec) -> set[str]:
    prefix = "#/components/schemas/"
    names: set[str] = set()
    for _, _, operation in iter_operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        for media in content.values():
            ref = media.get("schema", {}).get("$ref", "")
            if ref.startswith(prefix):
                names.add(ref[len(prefix) :])
    return names


# ---------------------------------------------------------------------------------------------
# Defects found by the v2 contract suite (tests/contract/v2) against a real Airflow 3.3.2.


def _success_responses(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for code, response in operation.get("responses", {}).items():
        if str(code).startswith("2") and isinstance(response, dict):
            yield response


@transform("v2")
def ndjson_stream_as_bytes(spec: Spec) -> None:
    """Type a streamed NDJSON answer as raw bytes, not as "a JSON object or a string".

    ``GET /dags/{dag_id}/dagRuns/{dag_run_id}/wait`` streams one JSON object per line
    (``application/x-ndjson``) and sends no ``Content-Type`` at all, yet its 200 response also
    lists ``application/json`` with an empty schema (FastAPI's default). The generated method
    returned ``object``: for a finished run (one line) the client parsed it into a dict
    (``{'state': 'success'}``), for a run still going (several lines) it fell back to the raw
    text (``'{"state": "queued"}\\n{"state": "running"}\\n...'``), so one call had two result
    types depending on timing. Observed with ``wait_dag_run_until_finished`` on
    ``quick_success`` (finished) and ``slow`` (running). The placeholder JSON media type is
    dropped and the NDJSON one becomes ``string``/``binary``: the method returns the bytes of
    the stream, always, for the caller to split into lines.
    """
    for _, _, operation in iter_operations(spec):
        for response in _success_responses(operation):
            content = response.get("content", {})
            if "application/x-ndjson" not in content:
                continue
            if content.get("application/json", {}).get("schema", None) == {}:
                del content["application/json"]
            if list(content) == ["application/x-ndjson"]:
                media = content["application/x-ndjson"]
                media["schema"] = {"type": "string", "format": "binary"}


@transform("v2")
def json_only_for_negotiated_responses(spec: Spec) -> None:
    """Drop the ``accept`` parameter that switches a JSON answer to text the client can't parse.

    Four operations (``get_dag_source``, ``get_log``, ``get_config``, ``get_config_value``)
    declare an ``accept`` header parameter and, for 200, a JSON model plus a text form
    (``text/plain`` or ``application/x-ndjson``). The generated method has one return type,
    the JSON model, but lets the caller pick the text form: ``get_dag_source("quick_success",
    accept="text/plain")`` got the DAG file's text and failed with pydantic's "Input should be
    a valid dictionary or instance of DAGSourceResponse" (input: the source code). Without
    the parameter the client sends ``Accept: application/json`` and always gets the model;
    the text forms are dropped from the success responses.
    """
    for _, _, operation in iter_operations(spec):
        parameters = operation.get("parameters", [])
        negotiated = [
            p
            for p in parameters
            if p.get("in") == "header" and str(p.get("name", "")).lower() == "accept"
        ]
        if not negotiated:
            continue
        operation["parameters"] = [p for p in parameters if p not in negotiated]
        for response in _success_responses(operation):
            content = response.get("content", {})
            if content.get("application/json", {}).get("schema"):
                response["content"] = {"application/json": content["application/json"]}


def _resolve(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    prefix = "#/components/schemas/"
    if isinstance(ref, str) and ref.startswith(prefix):
        resolved = spec.get("components", {}).get("schemas", {}).get(ref[len(prefix) :])
        return resolved if isinstance(resolved, dict) else {}
    return schema


def _also_matches(spec: Spec, value_schema: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether every value valid against ``value_schema`` may also be valid against ``other``
    (as far as required properties, declared properties and enums tell)."""
    mine, theirs = _resolve(spec, value_schema), _resolve(spec, other)
    if theirs.get("additionalProperties") is False:
        return False
    props, other_props = mine.get("properties", {}), theirs.get("properties", {})
    if not set(theirs.get("required", [])) <= set(mine.get("required", [])):
        return False
    for name in set(props) & set(other_props):
        a, b = props[name].get("enum"), other_props[name].get("enum")
        if a is not None and b is not None and not set(map(str, a)) & set(map(str, b)):
            return False
    return True


@transform("v2")
def overlapping_oneof_to_anyof(spec: Spec) -> None:
    """Turn a ``oneOf`` whose members overlap into an ordered ``anyOf`` (richest first).

    ``ClearTaskInstanceCollectionResponse.task_instances`` items are ``oneOf:
    [TaskInstanceResponse, NewTaskResponse]``; ``NewTaskResponse`` only requires ``task_id``
    and ``task_display_name`` and allows other properties, so every full task instance matches
    both and the generated oneOf rejects it: the dry run of ``POST
    /dags/{dag_id}/dagRuns/{dag_run_id}/clear`` (and of ``clearDagRuns``) failed with
    "Multiple matches found when deserializing the JSON string into TaskInstancesInner with
    oneOf schemas: NewTaskResponse, TaskInstanceResponse" on any real run. As ``anyOf`` the
    members are tried in order, so members are ordered from the most to the least required
    properties and a full task instance deserializes as ``TaskInstanceResponse``, a task
    with no instance yet as ``NewTaskResponse``. Disjoint oneOfs (the bulk actions, told apart
    by their ``action`` enum) are left alone.
    """
    for schema in iter_schemas(spec):
        members = schema.get("oneOf")
        if not isinstance(members, list) or len(members) < 2:
            continue
        if not all(isinstance(m, dict) for m in members):
            continue
        overlap = any(_also_matches(spec, a, b) for a in members for b in members if a is not b)
        if not overlap:
            continue
        del schema["oneOf"]
        schema["anyOf"] = sorted(members, key=lambda m: -len(_resolve(spec, m).get("required", [])))


@transform("v2")
def path_parameters_in_path_order(spec: Spec) -> None:
    """List each operation's path parameters in the order of its path template.

    The generated methods take path parameters positionally, in the order the spec lists
    them; for 12 operations FastAPI listed them in its handler's argument order instead of the
    URL's. ``get_xcom_entry`` is ``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/
    {task_id}/xcomEntries/{xcom_key}`` but was generated as ``get_xcom_entry(dag_id, task_id,
    dag_run_id, xcom_key)``: called in URL order (``"echo_conf", run_id, "echo",
    "greeting"``) it asked for task ``run_id`` of run ``echo`` and got 404 "XCom entry with
    key: `greeting` not found" for an entry that the list endpoint had just returned. Same for
    the other XCom entry operations, the task and asset state store keys (``key`` came first)
    and ``get_mapped_task_instance_try_details`` (try number before map index). Path
    parameters now come first, in URL order, followed by the others in their original order.
    """
    for path, item in spec.get("paths", {}).items():
        order = re.findall(r"{([^}]+)}", path)
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "parameters" not in operation:
                continue
            parameters = operation["parameters"]
            in_path = {
                p["name"]: p for p in parameters if p.get("in") == "path" and p.get("name") in order
            }
            rest = [p for p in parameters if p.get("name") not in in_path or p.get("in") != "path"]
            operation["parameters"] = [in_path[n] for n in order if n in in_path] + rest


@transform("v2")
def union_of_arrays_as_array_of_unions(spec: Spec) -> None:
    """Rewrite ``anyOf: [array of X, array of Y]`` as ``array of anyOf: [X, Y]``.

    ``TaskInstancesLogResponse.content`` is "a list of StructuredLogMessage or a list of
    strings". For a union of lists the generator validates the whole list with pydantic,
    which never calls ``StructuredLogMessage.from_dict`` and so drops every property outside
    ``timestamp`` and ``event``, although the model allows additional properties: ``GET
    .../taskInstances/first/logs/1`` answered ``{"timestamp": ..., "event": "DAG bundles
    loaded: dags-folder", "level": "info", "logger": "airflow.dag_processing.bundles...",
    "filename": "manager.py", "lineno": 304, ...}`` and the client kept ``additional_properties
    == {}`` for every line: levels, loggers and task context were lost. As a list of unions
    each item goes through the member's ``from_json``, which keeps them. (The server never mixes
    the two kinds in one list; the looser schema only changes how items are parsed.)
    """
    for schema in iter_schemas(spec):
        members = schema.get("anyOf")
        if not isinstance(members, list) or len(members) < 2:
            continue
        if not all(
            isinstance(m, dict) and m.get("type") == "array" and isinstance(m.get("items"), dict)
            for m in members
        ):
            continue
        del schema["anyOf"]
        schema["type"] = "array"
        schema["items"] = {"anyOf": [m["items"] for m in members]}


#: operationId -> the model its 2xx JSON answer really is, where the spec declares ``{}``
UNDECLARED_RESPONSE_MODELS = {"get_asset_alias": "AssetAliasResponse"}


@transform("v2")
def declare_undeclared_response_models(spec: Spec) -> None:
    """Give a success response declared as "any JSON" (``schema: {}``) its real model.

    ``GET /assets/aliases/{asset_alias_id}`` has no return annotation in Airflow's handler,
    so FastAPI wrote an empty schema and the generated ``get_asset_alias`` returned a plain
    dict: ``{'id': 1, 'name': 'v2_alias', 'group': 'asset'}`` for the alias of
    ``v2_asset_producer``, where every other asset operation returns a model. The handler
    returns ``AssetAliasResponse.model_validate(alias)``; the schema now says so.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    for _, _, operation in iter_operations(spec):
        model = UNDECLARED_RESPONSE_MODELS.get(operation.get("operationId", ""))
        if model is None or model not in schemas:
            continue
        for response in _success_responses(operation):
            media = response.get("content", {}).get("application/json")
            if isinstance(media, dict) and media.get("schema") in ({}, None):
                media["schema"] = {"$ref": f"#/components/schemas/{model}"}


@transform("v2")
def name_bulk_unions(spec: Spec) -> None:
    """Give the unions of the bulk endpoints names of their own instead of positional ones.

    The bulk bodies (``PATCH /variables``, ``/pools``, ``/connections``, ``/dags/{dag_id}/
    dagRuns``, ``.../taskInstances``) declare their action list and their delete entities as
    inline unions, which the generator named by position: ``ActionsInner`` .. ``ActionsInner4``
    and ``EntitiesInner`` .. ``EntitiesInner4`` (variables were ``ActionsInner4``, pools
    ``ActionsInner3``, ...). Writing the v2 contract tests showed the trap: the number says
    nothing about the resource, and a new bulk endpoint in a later spec shifts every number, so
    code keeps importing and then fails at runtime. Each union becomes a component named after
    its resource: ``BulkAction_VariableBody_`` (class ``BulkActionVariableBody``) and
    ``BulkDeleteEntity_VariableBody_`` (``BulkDeleteEntityVariableBody``), and so on.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    for name in sorted(schemas):
        for owner, field, new_prefix in (
            ("BulkBody_", "actions", "BulkAction_"),
            ("BulkDeleteAction_", "entities", "BulkDeleteEntity_"),
        ):
            if not name.startswith(owner):
                continue
            prop = schemas[name].get("properties", {}).get(field, {})
            items = prop.get("items")
            if not isinstance(items, dict) or not ({"oneOf", "anyOf"} & items.keys()):
                continue
            new_name = new_prefix + name[len(owner) :]
            if new_name in schemas:
                continue
            schemas[new_name] = items
            prop["items"] = {"$ref": prefix + new_name}
