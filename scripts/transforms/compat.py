"""Transforms that make the generated models read the answers of every supported server.

The client is generated from the newest spec of each API (``UPSTREAMS`` in
``scripts/specs.py``), but people run every minor release since (``COMPAT_VERSIONS``), and
sometimes a release newer than the client. An answer of another release must never fail to
deserialize:

- ``tolerate_older_v1_servers`` / ``tolerate_older_v2_servers`` relax the properties that an
  older release does not always send, or sends with another type (``tolerate_older_servers``
  does the work);
- ``tolerate_unknown_enum_values`` keeps enum values that a newer release adds.

Properties a newer release adds are never a problem: the generated ``from_dict`` reads only
the properties it knows (or keeps the others in ``additional_properties`` where the schema
allows them), so they are ignored, not rejected.

These run last: they compare and mark the spec as all the other transforms leave it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from specs import load_compat_specs

from . import (
    TOLERATE_UNKNOWN_VALUES,
    Spec,
    Transform,
    apply_transforms,
    is_null_schema,
    is_nullable,
    iter_operations,
    transform,
)

PREFIX = "#/components/schemas/"
UNIONS = ("allOf", "anyOf", "oneOf")


# ------------------------------------------------------------------------------------ helpers


def _schemas(spec: Spec) -> dict[str, Any]:
    schemas = spec.get("components", {}).get("schemas", {})
    return schemas if isinstance(schemas, dict) else {}


def _ref_name(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith(PREFIX):
        return ref[len(PREFIX) :]
    return None


def _ref_names(node: Any) -> Iterable[str]:
    """Every component schema named by a ``$ref`` anywhere under ``node``."""
    if isinstance(node, dict):
        name = _ref_name(node)
        if name is not None:
            yield name
        for value in node.values():
            yield from _ref_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ref_names(value)


def _closure(spec: Spec, roots: Iterable[str]) -> set[str]:
    """The component schemas named by ``roots`` and every schema they refer to."""
    schemas = _schemas(spec)
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_ref_names(schemas[name]))
    return seen


def response_schema_names(spec: Spec) -> set[str]:
    """The component schemas that can appear in an answer of the server."""
    roots = list(_ref_names(spec.get("components", {}).get("responses", {})))
    for _, _, operation in iter_operations(spec):
        roots.extend(_ref_names(operation.get("responses", {})))
    return _closure(spec, roots)


def request_schema_names(spec: Spec) -> set[str]:
    """The component schemas that can appear in a request (bodies and parameters)."""
    components = spec.get("components", {})
    roots = list(_ref_names(components.get("requestBodies", {})))
    roots.extend(_ref_names(components.get("parameters", {})))
    for item in spec.get("paths", {}).values():
        roots.extend(_ref_names(item.get("parameters", [])))
    for _, _, operation in iter_operations(spec):
        roots.extend(_ref_names(operation.get("requestBody", {})))
        roots.extend(_ref_names(operation.get("parameters", [])))
    return _closure(spec, roots)


def _parts(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and its inline ``allOf`` parts: where its own properties live."""
    parts = [p for p in schema.get("allOf", []) if isinstance(p, dict) and "$ref" not in p]
    return [schema, *parts]


def _view(
    spec: Spec, name: str, seen: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], set[str]]:
    """(properties, required names) of schema ``name``, with those of its ``allOf`` parents."""
    schema = _schemas(spec).get(name)
    if not isinstance(schema, dict) or name in seen:
        return {}, set()
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for member in schema.get("allOf", []):
        parent = _ref_name(member)
        if parent is not None:
            more, more_required = _view(spec, parent, seen | {name})
            properties.update(more)
            required |= more_required
    for part in _parts(schema):
        properties.update(part.get("properties", {}))
        required |= set(part.get("required", []))
    return properties, required


def _is_wrapper(node: dict[str, Any]) -> bool:
    """A schema that only combines others (``allOf``/``anyOf``/``oneOf``, no own shape)."""
    shape = {"properties", "items", "additionalProperties", "enum"}
    return any(key in node for key in UNIONS) and not shape & node.keys()


def _members(node: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in node or not _is_wrapper(node):
        return [node]
    members: list[dict[str, Any]] = []
    for key in UNIONS:
        for member in node.get(key, []):
            if isinstance(member, dict) and not is_null_schema(member):
                members.extend(_members(member))
    return members


def _resolve_response(spec: Spec, response: Any) -> Any:
    """A response, or the component response its ``$ref`` names (v1 uses those)."""
    prefix = "#/components/responses/"
    ref = response.get("$ref") if isinstance(response, dict) else None
    if isinstance(ref, str) and ref.startswith(prefix):
        return spec.get("components", {}).get("responses", {}).get(ref[len(prefix) :])
    return response


def counterparts(spec: Spec, old: Spec) -> dict[str, set[str]]:
    """For each component schema of ``spec``, the schemas of the older spec ``old`` that an
    older server sends in its place.

    A schema's counterpart is the schema of the same name; and, found by walking both specs
    from each operation's answers in step (same path, method, status and media type, then
    same property names, array items and union members), a schema the older release sends at
    the same place under another name: 3.3's ``clear_dag_run`` answers a
    ``ClearTaskInstanceCollectionResponse`` where 3.1.8 answers a
    ``TaskInstanceCollectionResponse``. A schema with no counterpart is never sent by that
    older server (its endpoint or the property holding it came later).
    """
    schemas, old_schemas = _schemas(spec), _schemas(old)
    pairs: dict[str, set[str]] = {name: {name} for name in schemas if name in old_schemas}
    todo: list[tuple[Any, Any]] = []
    for path, method, operation in iter_operations(spec):
        old_operation = old.get("paths", {}).get(path, {}).get(method)
        if not isinstance(old_operation, dict):
            continue
        for code, response in operation.get("responses", {}).items():
            response = _resolve_response(spec, response)
            old_response = _resolve_response(old, old_operation.get("responses", {}).get(code))
            if not isinstance(response, dict) or not isinstance(old_response, dict):
                continue
            for media, content in response.get("content", {}).items():
                old_content = old_response.get("content", {}).get(media)
                if isinstance(content, dict) and isinstance(old_content, dict):
                    todo.append((content.get("schema"), old_content.get("schema")))
    visited: set[tuple[str, str]] = set()
    while todo:
        new, older = todo.pop()
        if not isinstance(new, dict) or not isinstance(older, dict):
            continue
        new_name, old_name = _ref_name(new), _ref_name(older)
        if new_name is not None and old_name is not None:
            if (new_name, old_name) in visited:
                continue
            visited.add((new_name, old_name))
            if new_name in schemas and old_name in old_schemas:
                pairs.setdefault(new_name, set()).add(old_name)
                todo.append((schemas[new_name], old_schemas[old_name]))
            continue
        if new_name is not None and not _is_wrapper(older):  # a component here, inline there
            todo.append((schemas.get(new_name), older))
            continue
        if old_name is not None and not _is_wrapper(new):
            todo.append((new, old_schemas.get(old_name)))
            continue
        if _is_wrapper(new) or _is_wrapper(older):
            new_members, old_members = _members(new), _members(older)
            new_refs = {n for m in new_members if (n := _ref_name(m)) is not None}
            old_refs = {n for m in old_members if (n := _ref_name(m)) is not None}
            for name in sorted(new_refs & old_refs):
                todo.append(({"$ref": PREFIX + name}, {"$ref": PREFIX + name}))
            # one member renamed in place (or one inline member on each side)
            new_rest = [m for m in new_members if _ref_name(m) not in old_refs]
            old_rest = [m for m in old_members if _ref_name(m) not in new_refs]
            if len(new_rest) == 1 and len(old_rest) == 1:
                todo.append((new_rest[0], old_rest[0]))
            continue
        new_properties, old_properties = new.get("properties", {}), older.get("properties", {})
        for prop in sorted(set(new_properties) & set(old_properties)):
            todo.append((new_properties[prop], old_properties[prop]))
        for key in ("items", "additionalProperties"):
            todo.append((new.get(key), older.get(key)))
    return pairs


def _make_nullable(prop: dict[str, Any]) -> None:
    if is_nullable(prop):
        return
    if "$ref" in prop:  # a $ref takes no siblings in OpenAPI 3.0: wrap it
        prop["allOf"] = [{"$ref": prop.pop("$ref")}]
    prop["nullable"] = True


SCALARS = ("string", "integer", "number", "boolean")
#: Keys that say what a value is; the others (title, description, nullable, ...) describe it.
VALUE_KEYS = {"type", "format", "enum", "pattern", "minimum", "maximum", "exclusiveMinimum"}
VALUE_KEYS |= {"exclusiveMaximum", "minLength", "maxLength", "multipleOf", "items"}


def _scalar_types(prop: Any) -> set[str] | None:
    """The JSON types of a property made of scalars only (``None`` for anything else)."""
    if not isinstance(prop, dict) or "$ref" in prop or "allOf" in prop:
        return None
    members = [m for m in prop.get("anyOf", []) + prop.get("oneOf", []) if not is_null_schema(m)]
    if members:
        types: set[str] = set()
        for member in members:
            more = _scalar_types(member)
            if more is None:
                return None
            types |= more
        return types
    kind = prop.get("type")
    return {kind} if kind in SCALARS else None


def _types_missing(prop: Any, old_prop: Any) -> list[str]:
    """The scalar types an older release sends for a property that this spec does not take
    (an integer is a number)."""
    types, old_types = _scalar_types(prop), _scalar_types(old_prop)
    if types is None or old_types is None:
        return []
    if "number" in types:
        types = types | {"integer"}
    return sorted(old_types - types)


def _widen(prop: dict[str, Any], types: dict[str, list[str]]) -> None:
    """Make ``prop`` take any JSON value, and say in its description which older releases
    send which other types.

    The alternative, an ``anyOf`` of the types, makes the generator wrap the value in a
    model of its own (``prop.actual_instance``); an untyped property is the value itself.
    """
    was = " or ".join(sorted(_scalar_types(prop) or ()))
    for key in sorted(VALUE_KEYS | {"anyOf", "oneOf"}):
        prop.pop(key, None)
    older = "; ".join(f"a {kind} from Airflow {', '.join(vs)}" for kind, vs in types.items())
    note = f"A {was} ({older})."
    prop["description"] = f"{prop['description']} {note}" if prop.get("description") else note


@dataclass
class Tolerated:
    """What ``tolerate_older_servers`` changed, each with the older versions that need it."""

    #: (schema, property) no longer required, and nullable
    relaxed: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: (schema, property) now untyped -> each scalar type older releases send -> those versions
    widened: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)


def _note(versions: list[str], version: str) -> None:
    if version not in versions:
        versions.append(version)


# ------------------------------------------------------------------------ older servers


def tolerate_older_servers(spec: Spec, older: Sequence[tuple[str, Spec]]) -> Tolerated:
    """Relax what the answer schemas say about properties that some older release leaves
    out, sends as null or sends with another type; return what changed.

    ``older`` holds (version, spec) of each older release, prepared by the same transforms as
    ``spec``. Against each counterpart of an answer schema in an older spec
    (``counterparts``):

    - a property stays required only if the counterpart declares it required, and not
      nullable unless it is nullable here too. Otherwise it leaves ``required`` and becomes
      nullable, so the generated model takes ``None`` where the generated ``from_dict``
      passes ``obj.get(name)`` for a property the server left out. A property that is not
      required already takes both, and is left alone;
    - a scalar property whose older type this one does not take (a boolean where this spec
      says number) becomes an ``anyOf`` that also takes the older type.

    A schema with no counterpart in an older release is not compared with it: that release
    never sends it. Only schemas that appear in answers and in no request are changed: a
    request field the server requires (``TriggerDAGRunPostBody.logical_date``, which
    ``send_null_for_required_nullable`` always sends) must stay required in its model, and a
    request field keeps the type this server takes. A schema used both ways is left strict;
    none of them needs relaxing in the specs of today (``tests/unit/
    test_transforms_compat.py`` checks it, so that a spec bump that changes it shows up).
    """
    schemas = _schemas(spec)
    answers = sorted(response_schema_names(spec) - request_schema_names(spec))
    result = Tolerated()
    for version, old in older:
        pairs = counterparts(spec, old)
        for name in answers:
            schema = schemas[name]
            own = {p: s for part in _parts(schema) for p, s in part.get("properties", {}).items()}
            required = {r for part in _parts(schema) for r in part.get("required", [])}
            for old_name in sorted(pairs.get(name, ())):
                old_properties, old_required = _view(old, old_name)
                for prop in sorted(required & own.keys()):
                    old_prop = old_properties.get(prop)
                    if (
                        not isinstance(old_prop, dict)
                        or prop not in old_required
                        or (is_nullable(old_prop) and not is_nullable(own[prop]))
                    ):
                        _note(result.relaxed.setdefault((name, prop), []), version)
                for prop in sorted(own.keys() & old_properties.keys()):
                    for kind in _types_missing(own[prop], old_properties[prop]):
                        widened = result.widened.setdefault((name, prop), {})
                        _note(widened.setdefault(kind, []), version)
    for (name, prop), _ in sorted(result.relaxed.items()):
        for part in _parts(schemas[name]):
            required_list = part.get("required", [])
            if prop in required_list:
                required_list.remove(prop)
                if not required_list:
                    del part["required"]
            if isinstance(part.get("properties", {}).get(prop), dict):
                _make_nullable(part["properties"][prop])
    for (name, prop), types in sorted(result.widened.items()):
        for part in _parts(schemas[name]):
            if isinstance(part.get("properties", {}).get(prop), dict):
                _widen(part["properties"][prop], dict(sorted(types.items())))
    return result


@functools.cache
def _older_specs(spec_id: str, until: Transform) -> tuple[tuple[str, Spec], ...]:
    """The compat specs of ``spec_id``, each through the transforms that run before ``until``."""
    return tuple(
        (version, apply_transforms(spec_id, raw, until=until))
        for version, raw in load_compat_specs(spec_id)
    )


@transform("v1")
def tolerate_older_v1_servers(spec: Spec) -> None:
    """Let the v1 models read the answers of Airflow 2.8, 2.9 and 2.10 (``COMPAT_VERSIONS``):
    ``tolerate_older_servers`` against the locked specs of 2.8.4, 2.9.3 and 2.10.5.

    The v1 spec declares almost nothing ``required`` in its answers, so this relaxes nothing
    today (0 properties): the 2.11.2-spec client read, triggered and retried fine on 2.8.4,
    2.9.3 and 2.10.5. It guards the next v1 spec bump.
    """
    tolerate_older_servers(spec, _older_specs("v1", tolerate_older_v1_servers))


@transform("v2")
def tolerate_older_v2_servers(spec: Spec) -> None:
    """Let the v2 models read the answers of Airflow 3.0, 3.1 and 3.2 (``COMPAT_VERSIONS``):
    ``tolerate_older_servers`` against the locked specs of 3.0.6, 3.1.8 and 3.2.2.

    Real failures of the 3.3.2-spec client that this fixes: on 3.1.8 reading a DAG failed
    with "timetable_partitioned: Input should be a valid boolean, input_value=None"; on 3.0.6
    with "DagTagResponse.dag_display_name: Input should be a valid string,
    input_value=None"; on 3.2.2 on two ``DAGResponse`` fields (``is_backfillable`` and
    ``timetable_periodic``, new in 3.3).

    On the 3.3.2 spec it relaxes 51 properties of 25 answer schemas: 51 that 3.0.6 may leave
    out (all absent there but ``AppBuilderMenuItemResponse.href``, optional), 19 that 3.1.8
    may, 6 that 3.2.2 may. Among them: ``DAGResponse`` and ``DAGDetailsResponse``
    (``allowed_run_types``, ``is_backfillable``, ``last_parse_duration``,
    ``timetable_partitioned``, ``timetable_periodic``; ``default_args`` of the details),
    ``DAGRunResponse`` (``dag_display_name``, ``duration``, ``partition_key``,
    ``partition_date``, ``triggering_user_name``), the ``dag_display_name`` of 13 schemas
    (``DagTagResponse``, ``TaskInstanceResponse``, the XCom answers, ...), the ``team_name``
    of connections, pools and variables, ``TaskInstanceResponse.operator_name``,
    ``TriggerResponse.queue`` and the asset answers' ``consuming_tasks``,
    ``scheduled_dags``, ``watchers`` and ``triggering``. ``ClearTaskInstanceCollectionResponse``
    is compared with the ``TaskInstanceCollectionResponse`` that 3.0.6 and 3.1.8 answer in
    its place (nothing to relax there).

    It widens one type: ``TaskResponse.retry_exponential_backoff`` is a number since 3.2 and a
    boolean in 3.0.6 and 3.1.8, so reading a task (``GET /dags/{dag_id}/tasks[/{task_id}]``)
    from those servers failed with "Input should be a valid number, input_value=True". Found
    by ``tests/unit/test_generated_compat.py`` on answers built from the 3.0.6 and 3.1.8 specs,
    not yet seen on a real server.
    """
    tolerate_older_servers(spec, _older_specs("v2", tolerate_older_v2_servers))


# ------------------------------------------------------------------------ newer servers


def _has_inline_enum(prop: dict[str, Any]) -> bool:
    if "enum" in prop:
        return True
    return any(
        isinstance(prop.get(key), dict) and "enum" in prop[key] and "$ref" not in prop[key]
        for key in ("items", "additionalProperties")
    )


@transform("v1", "v2", "starship")
def tolerate_unknown_enum_values(spec: Spec) -> None:
    """Keep an enum value this client does not know, in an answer, instead of failing.

    Newer releases add enum values: ``TaskInstanceState`` gained ``awaiting_input`` in 3.3
    (absent from the 3.0.6, 3.1.8 and 3.2.2 specs), v1's ``TaskState`` ``deferred`` in 2.2 and
    ``restarting`` in 2.4.2. The generated enum classes and the models' enum validators
    rejected any value outside the spec's list, so one task instance in a state newer than
    the client made the whole ``get_task_instances`` answer fail to deserialize
    (``tests/unit/test_generated_compat.py`` feeds such answers). Marks with
    ``x-tolerate-unknown-values``:

    - every enum schema that appears in answers (``DagRunState``, ``TaskInstanceState``,
      ``DagRunType``, ... in v2; ``DagState``, ``TaskState``, ... in v1): our
      ``model_enum.mustache`` gives its class a ``_missing_`` that returns a pseudo-member
      keeping the raw string (``state == "new_state"``, ``state.value == "new_state"``);
    - every inline enum property of a schema that appears in answers
      (``ReactAppResponse.destination``, v1 ``DAGRun.run_type``): our
      ``model_generic.mustache`` then leaves out the model's enum validator.

    Enums used only in requests (``DagRunMutableStates``, ``BulkActionOnExistence``, v1
    ``UpdateTaskState``, the bulk bodies' ``action``) keep rejecting wrong values before they
    are sent.
    """
    schemas = _schemas(spec)
    for name in sorted(response_schema_names(spec)):
        schema = schemas[name]
        if "enum" in schema:
            schema[TOLERATE_UNKNOWN_VALUES] = True
            continue
        for part in _parts(schema):
            for prop in part.get("properties", {}).values():
                if isinstance(prop, dict) and _has_inline_enum(prop):
                    prop[TOLERATE_UNKNOWN_VALUES] = True


# ------------------------------------------------------------------------ older servers, sent


@transform("v2")
def leave_request_defaults_to_the_server(spec: Spec) -> None:
    """Do not send, unasked, a request field that an older supported server does not know.

    Found by the matrix suite on real 3.0.6 and 3.1.8 servers: ``clear_run`` (``POST
    .../dagRuns/{id}/clear``) answered 422 "body.only_new: Extra inputs are not permitted".
    ``DAGRunClearBody.only_new`` is newer than those releases, and the generated model sent
    its default (``false``) although nobody set it; the older servers' bodies forbid unknown
    fields. A field of a request-only schema that some compat spec's schema of the same name
    lacks loses its default: left unset it stays ``None``, ``to_dict`` leaves it out, and
    the server applies its own default. Fields every supported release knows keep theirs:
    3.3.2's bulk pool update validates the fields it is sent against a model that requires
    ``include_deferred``, so ``PoolBody`` must keep sending it.
    """
    older = [_schemas(raw) for _, raw in load_compat_specs("v2")]

    def known_to_all(schema_name: str, prop_name: str) -> bool:
        for schemas in older:
            schema = schemas.get(schema_name)
            if not isinstance(schema, dict):
                return False
            if not any(prop_name in part.get("properties", {}) for part in _parts(schema)):
                return False
        return True

    schemas = _schemas(spec)
    for name in sorted(request_schema_names(spec) - response_schema_names(spec)):
        for part in _parts(schemas[name]):
            required = set(part.get("required", []))
            for prop_name, prop in part.get("properties", {}).items():
                if (
                    isinstance(prop, dict)
                    and "default" in prop
                    and prop_name not in required
                    and not known_to_all(name, prop_name)
                ):
                    del prop["default"]
