"""The generated models read the answers of every supported server, older and newer.

No server runs here: the answers are canned, built from the specs. Newer: answers shaped
like those of a server at "3.9.0" (a release after the client's spec), with properties the
client does not know, enum values it does not know and optional properties left out, fed
through the generated API methods exactly as a server's bytes would be. Older: answers built
from the locked specs of 3.0.6, 3.1.8 and 3.2.2 (and 2.8.4, 2.9.3, 2.10.5), fed to the model
of the same schema; they failed before ``tolerate_older_v2_servers`` (a 3.1.8 DAG without
``timetable_partitioned``, a 3.0.6 tag without ``dag_display_name``, ...).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import specs
import yaml
from transforms import apply_transforms, is_null_schema, is_nullable
from transforms.compat import (
    _older_specs,
    response_schema_names,
    tolerate_older_v1_servers,
    tolerate_older_v2_servers,
)

Spec = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
PREFIX = "#/components/schemas/"
PACKAGES = {"v1": "airflow_client_ext_v1", "v2": "airflow_client_ext_v2"}
NEWER = "3.9.0"
UUID = "0195e5a7-2f3c-7d1e-9a4b-0c5d6e7f8091"

#: Values a newer server might send for enums this client knows.
UNKNOWN_VALUES = {
    "DagRunState": "waiting_for_partitions",  # v2 run state
    "TaskInstanceState": "awaiting_approval",  # v2 task instance state
    "DagRunType": "partition_triggered",
    "DagRunTriggeredByType": "event_bus",
    "DagState": "waiting_for_partitions",  # v1 run state
    "TaskState": "awaiting_approval",  # v1 task instance state
}


# ------------------------------------------------------------------------- answer builder


class Answers:
    """Builds answers for the schemas of a spec.

    ``mode``: ``"required"`` sends the required properties only (what an older server sends
    at the least), ``"sparse"`` every required property and every other optional one (sorted
    by name), always those typed by an enum of ``unknown``. ``nulls`` sends null for every
    nullable property it sends. ``extra`` adds properties the spec does not declare to every
    object; ``unknown`` replaces the value of the enums it names.
    """

    def __init__(
        self,
        spec: Spec,
        mode: str,
        *,
        nulls: bool = False,
        extra: bool = False,
        unknown: dict[str, str] | None = None,
    ) -> None:
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.mode, self.nulls, self.extra, self.unknown = mode, nulls, extra, unknown or {}

    def for_schema(self, name: str) -> Any:
        return self.value(self.schemas[name], 0)

    def value(self, node: Any, depth: int) -> Any:
        if not isinstance(node, dict) or node == {}:
            return "any"
        if depth > 40:
            raise AssertionError("the schema recurses through required properties")
        if self.nulls and depth and is_nullable(node):  # a null answer says nothing
            return None
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref[len(PREFIX) :]
            if name in self.unknown:
                return self.unknown[name]
            return self.value(self.schemas[name], depth + 1)
        members = [
            m for m in node.get("anyOf", []) + node.get("oneOf", []) if not is_null_schema(m)
        ]
        if members:
            return self.value(members[0], depth + 1)
        if "allOf" in node:
            parts = [self.value(part, depth + 1) for part in node["allOf"]]
            merged = [p for p in parts if isinstance(p, dict)]
            if merged and len(merged) == len(parts):
                return {k: v for part in merged for k, v in part.items()}
            return parts[0]
        if "enum" in node:
            return next(v for v in node["enum"] if v is not None)
        kind = node.get("type")
        if kind == "array":
            return [self.value(node.get("items", {}), depth + 1)]
        if kind == "object" or "properties" in node:
            return self.object(node, depth)
        if kind == "boolean":
            return True
        if kind == "integer":
            return max(int(node.get("minimum", 1)), 1)
        if kind == "number":
            return max(float(node.get("minimum", 1.5)), 1.5)
        return self.string(node)

    def object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        chosen = sorted(required & properties.keys())
        if self.mode == "sparse" and depth < 6:
            optional = sorted(properties.keys() - required)
            chosen += [
                p for i, p in enumerate(optional) if i % 2 == 0 or self.typed_unknown(properties[p])
            ]
        result = {p: self.value(properties[p], depth + 1) for p in sorted(set(chosen))}
        if result.get("id") == "value":  # the ids of task instances, HITL details, ... are UUIDs
            result["id"] = UUID
        additional = node.get("additionalProperties")
        if not properties and isinstance(additional, dict) and additional:
            result["key"] = self.value(additional, depth + 1)
        if self.extra and properties:
            result[f"added_in_{NEWER.replace('.', '_')}"] = {"nested": [1, "two", None]}
        return result

    def typed_unknown(self, node: Any) -> bool:
        text = json.dumps(node)
        return any(f'"{PREFIX}{name}"' in text for name in self.unknown)

    @staticmethod
    def string(node: dict[str, Any]) -> str:
        fmt = node.get("format")
        if fmt in ("date-time", "datetime"):
            return "2026-01-02T03:04:05.123456Z"
        if fmt == "date":
            return "2026-01-02"
        if fmt == "uuid":
            return UUID
        if fmt == "duration":
            return "P1DT2H"
        pattern = node.get("pattern")
        for candidate in ("value", "#a0b1c2", "x"):
            if pattern is None or re.search(pattern, candidate):
                return candidate
        raise AssertionError(f"no canned string matches {pattern!r}")


# ------------------------------------------------------------------------- canned server


class CannedServer:
    """Answers the generated client's requests with canned JSON, like a server would."""

    def __init__(self, spec_id: str, routes: dict[str, Any]) -> None:
        self.package = importlib.import_module(PACKAGES[spec_id])
        host = "http://airflow.test" + ("/api/v1" if spec_id == "v1" else "")
        self.client = self.package.ApiClient(self.package.Configuration(host=host))
        self.routes = routes
        self.client.rest_client.request = self.request

    def request(self, method: str, url: str, **_: Any) -> Any:
        import urllib3

        path = url.split("?", 1)[0].split("airflow.test", 1)[1]
        body = json.dumps(self.routes[path]).encode()
        headers = {"Content-Type": "application/json", "Server": f"airflow {NEWER}"}
        response = urllib3.HTTPResponse(body=body, status=200, headers=headers)
        rest = importlib.import_module(f"{self.package.__name__}.rest")
        return rest.RESTResponse(response)

    def api(self, name: str) -> Any:
        return getattr(self.package, name)(self.client)


def current_spec(spec_id: str) -> Spec:
    path, _ = specs.locked_spec_path(spec_id)
    return apply_transforms(spec_id, yaml.safe_load(path.read_text()))


@pytest.fixture(scope="module")
def v2_newer() -> Answers:
    return Answers(current_spec("v2"), "sparse", extra=True, unknown=UNKNOWN_VALUES)


@pytest.fixture(scope="module")
def v1_newer() -> Answers:
    return Answers(current_spec("v1"), "sparse", extra=True, unknown=UNKNOWN_VALUES)


def assert_unknown_kept(value: Any, raw: str, enum_name: str, spec_id: str) -> None:
    enum_class = getattr(importlib.import_module(PACKAGES[spec_id]), enum_name)
    assert isinstance(value, enum_class)
    assert value == raw
    assert value.value == raw
    assert value not in list(enum_class)  # a pseudo-member, not a new member
    assert json.loads(json.dumps(value)) == raw


# ------------------------------------------------------------------------- newer server: v2


def test_v2_dag_from_a_newer_server(v2_newer: Answers) -> None:
    dag = v2_newer.for_schema("DAGResponse")
    details = v2_newer.for_schema("DAGDetailsResponse")
    details["allowed_run_types"] = ["manual", UNKNOWN_VALUES["DagRunType"]]
    server = CannedServer("v2", {"/api/v2/dags/d": dag, "/api/v2/dags/d/details": details})
    got = server.api("DAGApi").get_dag("d")
    assert got.dag_id == dag["dag_id"]
    assert got.tags[0].name == dag["tags"][0]["name"]
    got_details = server.api("DAGApi").get_dag_details("d")
    assert got_details.allowed_run_types[0] == "manual"
    assert_unknown_kept(
        got_details.allowed_run_types[1], UNKNOWN_VALUES["DagRunType"], "DagRunType", "v2"
    )


def test_v2_dag_run_from_a_newer_server(v2_newer: Answers) -> None:
    run = v2_newer.for_schema("DAGRunResponse")
    assert run["state"] == UNKNOWN_VALUES["DagRunState"]
    server = CannedServer("v2", {"/api/v2/dags/d/dagRuns/r": run})
    got = server.api("DagRunApi").get_dag_run("d", "r")
    assert got.dag_run_id == run["dag_run_id"]
    assert_unknown_kept(got.state, UNKNOWN_VALUES["DagRunState"], "DagRunState", "v2")
    assert_unknown_kept(got.run_type, UNKNOWN_VALUES["DagRunType"], "DagRunType", "v2")
    # the run goes back out as it came in
    assert got.to_dict()["state"] == UNKNOWN_VALUES["DagRunState"]


def test_v2_task_instances_from_a_newer_server(v2_newer: Answers) -> None:
    ti = v2_newer.for_schema("TaskInstanceResponse")
    collection = v2_newer.for_schema("TaskInstanceCollectionResponse")
    collection["task_instances"] = [ti, {**ti, "task_id": "other", "state": "success"}]
    assert ti["state"] == UNKNOWN_VALUES["TaskInstanceState"]
    server = CannedServer(
        "v2",
        {
            "/api/v2/dags/d/dagRuns/r/taskInstances/t": ti,
            "/api/v2/dags/d/dagRuns/r/taskInstances": collection,
        },
    )
    got = server.api("TaskInstanceApi").get_task_instance("d", "r", "t")
    assert_unknown_kept(got.state, "awaiting_approval", "TaskInstanceState", "v2")
    listed = server.api("TaskInstanceApi").get_task_instances("d", "r")
    assert [t.state for t in listed.task_instances] == ["awaiting_approval", "success"]
    assert_unknown_kept(
        listed.task_instances[0].state, "awaiting_approval", "TaskInstanceState", "v2"
    )
    assert (
        listed.task_instances[1].state
        is importlib.import_module("airflow_client_ext_v2").TaskInstanceState.SUCCESS
    )


def test_v2_version_of_a_newer_server(v2_newer: Answers) -> None:
    version = {**v2_newer.for_schema("VersionInfo"), "version": NEWER}
    server = CannedServer("v2", {"/api/v2/version": version})
    assert server.api("VersionApi").get_version().version == NEWER


# ------------------------------------------------------------------------- newer server: v1


def test_v1_dag_and_run_from_a_newer_server(v1_newer: Answers) -> None:
    dag = {**v1_newer.for_schema("DAG"), "dag_id": "d"}
    run = {**v1_newer.for_schema("DAGRun"), "dag_run_id": "r"}
    run["run_type"] = "partition_triggered"  # an inline enum of an answer
    assert run["state"] == UNKNOWN_VALUES["DagState"]
    server = CannedServer("v1", {"/api/v1/dags/d": dag, "/api/v1/dags/d/dagRuns/r": run})
    got = server.api("DAGApi").get_dag("d")
    assert got.dag_id == "d"
    got_run = server.api("DAGRunApi").get_dag_run("d", "r")
    assert got_run.dag_run_id == "r"
    assert_unknown_kept(got_run.state, UNKNOWN_VALUES["DagState"], "DagState", "v1")
    assert got_run.run_type == "partition_triggered"


def test_v1_task_instances_from_a_newer_server(v1_newer: Answers) -> None:
    ti = v1_newer.for_schema("TaskInstance")
    collection = v1_newer.for_schema("TaskInstanceCollection")
    collection["task_instances"] = [ti, {**ti, "task_id": "other", "state": None}]
    assert ti["state"] == UNKNOWN_VALUES["TaskState"]
    server = CannedServer(
        "v1",
        {
            "/api/v1/dags/d/dagRuns/r/taskInstances/t": ti,
            "/api/v1/dags/d/dagRuns/r/taskInstances": collection,
        },
    )
    got = server.api("TaskInstanceApi").get_task_instance("d", "r", "t")
    assert_unknown_kept(got.state, "awaiting_approval", "TaskState", "v1")
    listed = server.api("TaskInstanceApi").get_task_instances("d", "r")
    assert_unknown_kept(listed.task_instances[0].state, "awaiting_approval", "TaskState", "v1")
    assert listed.task_instances[1].state is None


# ------------------------------------------------------------------------- sending side


def test_request_only_enums_still_refuse_wrong_values() -> None:
    from pydantic import ValidationError

    v1 = importlib.import_module("airflow_client_ext_v1")
    v2 = importlib.import_module("airflow_client_ext_v2")
    with pytest.raises(ValidationError):
        v2.DAGRunPatchBody(state="sucess")
    with pytest.raises(ValueError, match="sucess"):
        v2.DagRunMutableStates("sucess")
    with pytest.raises(ValidationError):
        v1.UpdateDagRunState(state="sucess")
    with pytest.raises(ValueError, match="sucess"):
        v1.UpdateTaskState("sucess")
    assert v2.DAGRunPatchBody(state="success").to_dict() == {"state": "success"}


def test_tolerant_enums_keep_their_members() -> None:
    v2 = importlib.import_module("airflow_client_ext_v2")
    assert v2.DagRunState("success") is v2.DagRunState.SUCCESS
    assert v2.DagRunState.from_json('"queued"') is v2.DagRunState.QUEUED
    assert v2.DagRunState.from_json('"paused"') == "paused"
    assert len(list(v2.DagRunState)) == 4
    with pytest.raises(ValueError, match="3 is not a valid DagRunState"):
        v2.DagRunState(3)  # not a string: still refused


# ------------------------------------------------------------------------- older servers


def model_class(spec_id: str, schema: str) -> Any:
    """The generated class of a component schema (``BulkAction_X_`` -> ``BulkActionX``)."""
    package = importlib.import_module(PACKAGES[spec_id])
    return getattr(package, re.sub(r"[^0-9A-Za-z]", "", schema), None)


def deserialize(spec_id: str, schema: str, payload: Any) -> Any:
    cls = model_class(spec_id, schema)
    assert cls is not None, schema
    if isinstance(cls, type) and issubclass(cls, Enum):
        return cls(payload)
    return cls.from_json(json.dumps(payload))


def older_cases(spec_id: str, until: Callable[..., None]) -> list[Any]:
    """(version, schema, nulls) for every answer schema that an older release shares with
    the client's spec: its answer with values, and with null wherever the old spec allows."""
    path, _ = specs.locked_spec_path(spec_id)
    main = yaml.safe_load(path.read_text())
    answers = response_schema_names(apply_transforms(spec_id, main))
    cases = []
    for version, old in _older_specs(spec_id, until):
        for name in sorted(answers & response_schema_names(old)):
            if model_class(spec_id, name) is None:
                continue
            for nulls in (False, True):
                case_id = f"{version}-{name}{'-nulls' if nulls else ''}"
                cases.append(pytest.param(version, name, nulls, id=case_id))
    return cases


@pytest.mark.parametrize(
    ("version", "schema", "nulls"), older_cases("v2", tolerate_older_v2_servers)
)
def test_v2_reads_an_older_servers_answer(version: str, schema: str, nulls: bool) -> None:
    """The least a 3.0.6, 3.1.8 or 3.2.2 server sends: the required properties of its spec."""
    old = dict(_older_specs("v2", tolerate_older_v2_servers))[version]
    payload = Answers(old, "required", nulls=nulls).for_schema(schema)
    assert deserialize("v2", schema, payload) is not None


@pytest.mark.parametrize(
    ("version", "schema", "nulls"), older_cases("v1", tolerate_older_v1_servers)
)
def test_v1_reads_an_older_servers_answer(version: str, schema: str, nulls: bool) -> None:
    """v1 requires almost nothing: half the properties of the 2.8.4, 2.9.3 or 2.10.5 spec."""
    old = dict(_older_specs("v1", tolerate_older_v1_servers))[version]
    payload = Answers(old, "sparse", nulls=nulls).for_schema(schema)
    assert deserialize("v1", schema, payload) is not None


def old_answer(version: str, schema: str) -> dict[str, Any]:
    old = dict(_older_specs("v2", tolerate_older_v2_servers))[version]
    payload = Answers(old, "required").for_schema(schema)
    assert isinstance(payload, dict)
    return payload


def test_v2_reads_a_318_dag_without_timetable_partitioned() -> None:
    dag = old_answer("3.1.8", "DAGResponse")
    assert "timetable_partitioned" not in dag
    server = CannedServer("v2", {"/api/v2/dags/d": dag})
    got = server.api("DAGApi").get_dag("d")
    assert got.timetable_partitioned is None
    assert got.dag_id == dag["dag_id"]


def test_v2_reads_a_306_dag_whose_tags_lack_dag_display_name() -> None:
    dag = old_answer("3.0.6", "DAGResponse")
    assert dag["tags"]
    assert "dag_display_name" not in dag["tags"][0]
    server = CannedServer("v2", {"/api/v2/dags/d": dag})
    got = server.api("DAGApi").get_dag("d")
    assert got.tags[0].dag_display_name is None
    assert got.tags[0].name == dag["tags"][0]["name"]


def test_v2_reads_a_322_dag_without_is_backfillable_and_timetable_periodic() -> None:
    dag = old_answer("3.2.2", "DAGResponse")
    assert not {"is_backfillable", "timetable_periodic"} & dag.keys()
    server = CannedServer("v2", {"/api/v2/dags/d": dag})
    got = server.api("DAGApi").get_dag("d")
    assert got.is_backfillable is None
    assert got.timetable_periodic is None
    assert got.timetable_partitioned is dag["timetable_partitioned"]


def test_v2_reads_a_306_clear_answer_under_its_new_name() -> None:
    """3.0.6 answers the dry run of a clear with a ``TaskInstanceCollectionResponse``; the
    client reads it as a ``ClearTaskInstanceCollectionResponse``."""
    answer = old_answer("3.0.6", "TaskInstanceCollectionResponse")
    got = deserialize("v2", "ClearTaskInstanceCollectionResponse", answer)
    assert got.total_entries == answer["total_entries"]
