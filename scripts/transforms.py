"""Spec transforms: fixes to the upstream specs, applied as code before generation.

The specs in ``openapi/`` stay byte-for-byte as upstream ships them. Each defect that makes
the generated client wrong is fixed here by one named function that edits an in-memory copy
of the spec, so the fix survives every regeneration. Each transform:

- takes the parsed spec (a dict) and changes it in place;
- is idempotent (running it twice changes nothing more);
- says in its docstring which defect it fixes and how it was observed;
- has a unit test on a small spec fragment in ``tests/unit/test_transforms.py``.

To add one: write the function, decorate it with ``@transform("v1")`` (or ``"v2"``, or
several spec ids), and add its test. The registry keeps the order of definition, which is
the order of application.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

Spec = dict[str, Any]
Transform = Callable[[Spec], None]

#: spec id -> ordered list of transforms applied to it by ``scripts/generate.py``.
REGISTRY: dict[str, list[Transform]] = {}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Vendor extension read by our template override of ``model_generic.mustache``: the field
#: is sent as JSON ``null`` when the caller leaves it unset.
SEND_NULL_WHEN_UNSET = "x-send-null-when-unset"


def transform(*spec_ids: str) -> Callable[[Transform], Transform]:
    """Register a transform for the given spec ids, in definition order."""

    def register(func: Transform) -> Transform:
        for spec_id in spec_ids:
            REGISTRY.setdefault(spec_id, []).append(func)
        return func

    return register


def apply_transforms(spec_id: str, spec: Spec) -> Spec:
    """Return a transformed deep copy of ``spec``; the input is left untouched."""
    result = copy.deepcopy(spec)
    for func in REGISTRY.get(spec_id, []):
        func(result)
    return result


# --------------------------------------------------------------------------- helpers


def iter_operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, method, operation) for every operation of the spec."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def iter_schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every dict in the tree (depth first, parents before children)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from iter_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_schemas(value)


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def _is_nullable(schema: dict[str, Any]) -> bool:
    return bool(schema.get("nullable")) or any(_is_null_schema(s) for s in schema.get("anyOf", []))


# --------------------------------------------------------------------------- all specs


@transform("v1", "v2")
def shorten_info_description(spec: Spec) -> None:
    """Keep only the first paragraph of ``info.description``.

    The generator copies ``info.description`` into the header of every generated file; the
    v1 overview is about 10 KB, which alone made up a third of the generated package. The
    full text stays in ``openapi/``.
    """
    info = spec.get("info", {})
    description = info.get("description")
    if isinstance(description, str):
        paragraphs = [p.strip() for p in description.strip().split("\n\n") if p.strip()]
        first = next((p for p in paragraphs if not p.startswith("#")), "")
        info["description"] = " ".join(first.split())


# --------------------------------------------------------------------------- Airflow 2 (v1)


@transform("v1")
def require_declared_credentials(spec: Spec) -> None:
    """Make every operation send the credentials of the HTTP schemes the spec declares.

    v1 declares ``security: []`` globally and nothing per operation, so a client generated
    from it sends no credentials at all and the server answers 403. Airflow 2 enforces auth
    through its configured backends (basic auth, Kerberos, ...), so every operation accepts
    any of them: the global requirement becomes "any one of the declared HTTP schemes".
    """
    schemes = spec.get("components", {}).get("securitySchemes", {})
    http_schemes = [name for name, scheme in schemes.items() if scheme.get("type") == "http"]
    if not spec.get("security"):
        spec["security"] = [{name: []} for name in http_schemes]
    for _, _, operation in iter_operations(spec):
        if operation.get("security") == []:
            del operation["security"]


@transform("v1")
def keep_negotiate_scheme(spec: Spec) -> None:
    """Keep the Kerberos (``http`` / ``negotiate``) scheme declared and required.

    openapi-generator ignores HTTP schemes other than basic and bearer (it warns and emits
    no auth setting), which tempts one to delete the scheme. We keep it: it documents that
    Airflow 2 accepts SPNEGO, and ``airflow_client_ext`` answers the Negotiate challenge in
    its transport. This transform restores the declaration if a spec bump drops it.
    """
    schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {})
    name = next(
        (
            n
            for n, s in schemes.items()
            if s.get("type") == "http" and s.get("scheme") == "negotiate"
        ),
        None,
    )
    if name is None:
        name = "Kerberos"
        schemes[name] = {"type": "http", "scheme": "negotiate"}
    security = spec.setdefault("security", [])
    if {name: []} not in security:
        security.append({name: []})


# --------------------------------------------------------------------------- Airflow 3 (v2)


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
        if not isinstance(members, list) or not any(_is_null_schema(m) for m in members):
            continue
        rest = [m for m in members if not _is_null_schema(m)]
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
            if prop_name in required and _is_nullable(prop):
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
