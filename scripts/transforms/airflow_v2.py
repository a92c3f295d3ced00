"""Transforms of the Airflow 3 spec (``/api/v2``, apache-airflow-core 3.x)."""

from __future__ import annotations

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
