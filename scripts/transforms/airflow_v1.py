"""Transforms of the Airflow 2 spec (``/api/v1``, apache-airflow 2.x ``v1.yaml``)."""

from __future__ import annotations

import copy
from typing import Any

from . import Spec, iter_operations, transform


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


# --------------------------------------------------------------------------------------------
# Defects found by the contract suite (tests/contract/v1) against a real Airflow 2.11.2. Their
# unit tests are in tests/unit/test_transforms_found_v1.py.


def _schema_parts(spec: Spec, name: str) -> list[dict[str, Any]]:
    """The component schema ``name`` and its inline ``allOf`` parts (where properties live)."""
    schema = spec.get("components", {}).get("schemas", {}).get(name)
    if not isinstance(schema, dict):
        return []
    parts = [p for p in schema.get("allOf", []) if isinstance(p, dict) and "$ref" not in p]
    return [schema, *parts]


def _own_properties(spec: Spec, name: str) -> dict[str, Any] | None:
    """The ``properties`` dict of the schema ``name`` itself (or of its inline allOf part)."""
    parts = _schema_parts(spec, name)
    for part in parts:
        if isinstance(part.get("properties"), dict):
            properties: dict[str, Any] = part["properties"]
            return properties
    return None


#: (schema, property as the spec names it) -> the name the server sends. Each was seen in a
#: real answer of Airflow 2.11.2; the server side is airflow/api_connexion/schemas/*.py.
PROPERTIES_NAMED_DIFFERENTLY: dict[tuple[str, str], str] = {
    # GET .../taskInstances/{task_id}/tries: {"task_instances": [...], "total_entries": 1}
    # (TaskInstanceHistoryCollectionSchema.task_instances)
    ("TaskInstanceHistoryCollection", "task_instances_history"): "task_instances",
    # GET /datasets/queuedEvent/{uri}, GET /dags/{dag_id}/datasets/queuedEvent:
    # {"queued_events": [...], "total_entries": 1} (QueuedEventCollectionSchema.queued_events)
    ("QueuedEventCollection", "datasets"): "queued_events",
    # GET /datasets/events: created_dagruns[].dag_run_id (BasicDAGRunSchema: run_id is dumped
    # with data_key="dag_run_id")
    ("BasicDAGRun", "run_id"): "dag_run_id",
    # GET /users/{username}: "fail_login_count": 0 (FAB's User.fail_login_count)
    ("UserCollectionItem", "failed_login_count"): "fail_login_count",
    # GET /dags/{dag_id}/details: "template_searchpath": null (DAGDetailSchema)
    ("DAGDetail", "template_search_path"): "template_searchpath",
}

#: (schema, property) -> the schema of a property the server sends but the spec does not
#: declare (or declares with another type). Seen in real answers of Airflow 2.11.2.
PROPERTIES_AS_THE_SERVER_SENDS_THEM: dict[tuple[str, str], dict[str, Any]] = {
    # GET /dags/{dag_id}/tasks[/{task_id}]: TaskSchema.operator_name and .params
    ("Task", "operator_name"): {
        "type": "string",
        "readOnly": True,
        "description": "The operator's name (``custom_operator_name`` or the class name).",
    },
    ("Task", "params"): {
        "type": "object",
        "additionalProperties": True,
        "readOnly": True,
        "description": "The task's params, each dumped by ``Param.dump()``.",
    },
    # GET /dags/{dag_id}/tasks/{task_id} of a TriggerDagRunOperator: "extra_links":
    # [{"class_name": "TriggerDagRunLink", "module_path": "..."}], class references
    # themselves (TaskSchema.extra_links nests ClassReferenceSchema); the spec wraps each in
    # an object with a "class_ref" property
    ("Task", "extra_links"): {
        "type": "array",
        "readOnly": True,
        "items": {"$ref": "#/components/schemas/ClassReference"},
        "description": "The operator's extra links, as class references.",
    },
    # GET /dags/{dag_id}/tasks: {"tasks": [...], "total_entries": 2} (TaskCollectionSchema)
    ("TaskCollection", "total_entries"): {
        "type": "integer",
        "readOnly": True,
        "description": "The number of tasks.",
    },
    # GET /datasets, GET /datasets/{uri}: "aliases": [] (DatasetSchema.aliases)
    ("Dataset", "aliases"): {
        "type": "array",
        "items": {"$ref": "#/components/schemas/DatasetAlias"},
        "readOnly": True,
        "description": "The dataset aliases that resolved to this dataset.",
    },
    # GET /datasets/events, POST /datasets/events: "id": 1 (DatasetEventSchema.id)
    ("DatasetEvent", "id"): {
        "type": "integer",
        "readOnly": True,
        "description": "The dataset event id.",
    },
    # GET /variables: every item carries its "value" (VariableCollectionSchema nests the full
    # VariableSchema), although the spec says values come only with single variables
    ("VariableCollectionItem", "value"): {
        "type": "string",
        "readOnly": True,
        "description": "The value of the variable.",
    },
    # GET /dags/{dag_id}/details: DAGDetailSchema.template_searchpath is a marshmallow
    # String (the spec declares an array). 2.11.2 sends null: the serialized DAG the
    # webserver reads leaves template_searchpath out.
    ("DAGDetail", "template_searchpath"): {
        "type": "string",
        "nullable": True,
        "readOnly": True,
        "description": "The template search path, as a string.",
    },
}

#: Component schemas that the properties above refer to.
SCHEMAS_THE_SPEC_LACKS: dict[str, dict[str, Any]] = {
    # DatasetAliasSchema: id, name
    "DatasetAlias": {
        "type": "object",
        "description": "A dataset alias (Airflow 2.10+).",
        "properties": {
            "id": {"type": "integer", "description": "The dataset alias id."},
            "name": {"type": "string", "description": "The dataset alias name."},
        },
    },
}


@transform("v1")
def use_the_servers_property_names(spec: Spec) -> None:
    """Rename properties that the server sends under another name than the spec declares.

    A generated model keeps only the properties its schema declares, so a property the server
    names differently is dropped without any error: the tries of a task instance came back
    as ``TaskInstanceHistoryCollection(total_entries=1, task_instances_history=None)``.
    Observed on ``GET /dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries``,
    which answers ``{"task_instances": [...], "total_entries": 1}``; the contract suite's
    lossless-deserialization check found the others (queued events, dataset events' runs,
    users, DAG details). ``PROPERTIES_NAMED_DIFFERENTLY`` lists each (schema, spec name) ->
    server name.
    """
    for (schema_name, spec_name), server_name in PROPERTIES_NAMED_DIFFERENTLY.items():
        for part in _schema_parts(spec, schema_name):
            properties = part.get("properties", {})
            if spec_name in properties and server_name not in properties:
                properties[server_name] = properties.pop(spec_name)
            required = part.get("required", [])
            if spec_name in required:
                required[required.index(spec_name)] = server_name


@transform("v1")
def declare_properties_as_the_server_sends_them(spec: Spec) -> None:
    """Declare the properties the server sends that the spec misses or types differently.

    Without them the generated models drop what the server sends, silently: the tasks of a
    DAG lost ``operator_name``, ``params`` and their extra links' class names, datasets
    their ``aliases``, dataset events their ``id``, the variables list its values,
    ``GET /dags/{dag_id}/tasks`` its ``total_entries``. Found by the contract suite's
    lossless-deserialization check against a real Airflow 2.11.2 (each entry of
    ``PROPERTIES_AS_THE_SERVER_SENDS_THEM`` names the endpoint). The properties are
    read-only: they never go into request bodies. Runs after
    ``use_the_servers_property_names`` (a renamed property may need a new type).
    """
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in SCHEMAS_THE_SPEC_LACKS.items():
        schemas.setdefault(name, copy.deepcopy(schema))
    for (schema_name, prop), prop_schema in PROPERTIES_AS_THE_SERVER_SENDS_THEM.items():
        if schema_name not in schemas:
            continue
        properties = _own_properties(spec, schema_name)
        if properties is None:
            properties = schemas[schema_name].setdefault("properties", {})
        properties[prop] = copy.deepcopy(prop_schema)


@transform("v1")
def tell_clear_dag_run_answers_apart(spec: Spec) -> None:
    """Make the answer of ``POST /dags/{dag_id}/dagRuns/{dag_run_id}/clear`` deserialize as
    what the server sent.

    The spec answers ``anyOf: [DAGRun, TaskInstanceCollection]``. The generated anyOf takes
    the first alternative that validates, and ``DAGRun`` has no required property, so every
    answer became a ``DAGRun`` with all fields None: the dry run's list of task instances was
    lost. Also, the dry run (``"dry_run": true``) does not send task instances but task
    instance references (``{"task_instances": [{"dag_id", "dag_run_id", "execution_date",
    "task_id"}]}``, ``task_instance_reference_collection_schema`` in
    ``dag_run_endpoint.clear_dag_run``); a real clear sends the ``DAGRun``.

    The answer becomes ``anyOf: [TaskInstanceReferenceCollection, DAGRun]`` with
    ``task_instances`` required in the collection (the server always sends it there, and only
    sends that schema as an answer), so a ``DAGRun`` answer fails the first alternative and
    lands on the second.
    """
    collection = "#/components/schemas/TaskInstanceReferenceCollection"
    dag_run = "#/components/schemas/DAGRun"
    item = spec.get("paths", {}).get("/dags/{dag_id}/dagRuns/{dag_run_id}/clear", {})
    operation = item.get("post")
    if not operation:
        return
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if not isinstance(schema, dict) or "anyOf" not in schema:
        return
    schema["anyOf"] = [{"$ref": collection}, {"$ref": dag_run}]
    target = spec.get("components", {}).get("schemas", {}).get("TaskInstanceReferenceCollection")
    if isinstance(target, dict):
        required = target.setdefault("required", [])
        if "task_instances" not in required:
            required.append("task_instances")


@transform("v1")
def extra_links_are_a_map(spec: Spec) -> None:
    """Type the answer of ``GET .../taskInstances/{task_id}/links`` as the map it is.

    The spec answers ``ExtraLinkCollection``, ``{"extra_links": [{"class_ref", "name",
    "href"}]}``, but the server sends one key per link name with its URL (or null):
    ``{"Triggered DAG": "/dags/slow/grid"}`` for the task instance of a
    ``TriggerDagRunOperator`` that has not run yet (``extra_link_endpoint.get_extra_links``
    returns ``{link_name: link_url or None}``). The generated client returned
    ``ExtraLinkCollection(extra_links=None)``: every link was lost. ``ExtraLinkCollection``
    becomes a map of nullable strings, so the generated method returns
    ``Dict[str, Optional[str]]``.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    if "ExtraLinkCollection" not in schemas:
        return
    schemas["ExtraLinkCollection"] = {
        "type": "object",
        "description": "The extra links of a task instance: link name -> URL (null when the "
        "link has no URL yet).",
        "additionalProperties": {"type": "string", "nullable": True},
    }


@transform("v1")
def errors_are_problem_json(spec: Spec) -> None:
    """Declare the error answers as ``application/problem+json`` too, as Airflow 2 sends them.

    Found by schemathesis (tests/contract/test_schemathesis.py) against 2.11.2: every error
    answer of ``/api/v1`` (404, 400, 401, 403, ...) comes from connexion's problem handler
    with ``Content-Type: application/problem+json`` (RFC 7807), while the spec's shared
    responses (``components/responses``: BadRequest, NotFound, ...) declare
    ``application/json``. The schema (``Error``: type, title, status, detail, instance) is
    right; the media type is added (``application/json`` stays first, so the generated
    clients' Accept header stays ``application/json``: a bodiless DELETE would otherwise ask
    for ``application/problem+json`` only). The transport reads either.
    """
    responses = spec.get("components", {}).get("responses", {})
    for response in responses.values():
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict) or "application/json" not in content:
            continue
        schema = content["application/json"].get("schema", {})
        if schema.get("$ref") == "#/components/schemas/Error":
            content.setdefault(
                "application/problem+json", copy.deepcopy(content["application/json"])
            )
