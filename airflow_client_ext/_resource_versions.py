"""The Airflow 2 / Airflow 3 differences of the resource helpers, mapped in one place.

The helpers of :mod:`._settings` (variables, pools, connections), :mod:`._admin` (DAGs,
runs, task instances) and :mod:`._inspect` (XComs, configuration) never test the version;
they call the adapter of the client's API version made here, which builds on the adapter
of :mod:`._versions` (its writes of variables, pools and connections, its models of DAGs,
runs and task instances):

======================  =================================  =================================
concept                 /api/v1 (Airflow 2)                /api/v2 (Airflow 3)
======================  =================================  =================================
reparse a DAG file      ``DAGApi.reparse_dag_file``         ``DAGParsingApi.reparse_dag_file``
                        (since 2.10.0)                      (every 3.x)
mark a run              ``update_dag_run_state``            ``patch_dag_run`` + update mask
mark a task instance    ``patch_task_instance`` (success,   ``patch_task_instance`` + update
                        failed, skipped)                    mask (any state)
clear task instances    ``DAGApi`` answers references       ``TaskInstanceApi`` answers
                                                            task instances
connection test body    ``Connection``                      ``ConnectionBody``
XCom listing            no run id in the items              ``run_id`` in each item
XCom entry              ``XCom``                            ``XComResponseNative/String``
one config option       ``ConfigApi.get_value``             ``ConfigApi.get_config_value``
======================  =================================  =================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._versions import VersionAdapter, adapter_for
from .models import Connection, ConnectionTest, DagRun, Pool, TaskInstanceRef, Variable, XCom, utc

if TYPE_CHECKING:
    from .client import AirflowClient


class ResourceAdapter:
    """What the resource helpers need from one API version. One subclass per version."""

    api_version: ClassVar[str]
    connection_model: ClassVar[str]
    parsing_api: ClassVar[str]
    config_value: ClassVar[str]
    #: the task instance states a mark may set
    task_mark_states: ClassVar[tuple[str, ...]]

    def __init__(self, base: VersionAdapter) -> None:
        self.base = base
        self.client = base.client

    def api(self, name: str) -> Any:
        return self.client.api(name)

    # -- variables ----------------------------------------------------------------------------
    def variable(self, raw: Any) -> Variable:
        return Variable(str(raw.key), raw.value, raw.description, raw=raw)

    def variables(self) -> Iterator[Variable]:
        api = self.api("VariableApi")
        return (self.variable(raw) for raw in self.client.paginate(api.get_variables))

    def get_variable(self, key: str) -> Variable:
        return self.variable(self.api("VariableApi").get_variable(key))

    def delete_variable(self, key: str) -> None:
        self.api("VariableApi").delete_variable(key)

    # -- pools --------------------------------------------------------------------------------
    def pool(self, raw: Any) -> Pool:
        return Pool(
            name=str(raw.name),
            slots=int(raw.slots),
            description=raw.description,
            include_deferred=getattr(raw, "include_deferred", None),
            occupied_slots=raw.occupied_slots,
            running_slots=raw.running_slots,
            queued_slots=raw.queued_slots,
            open_slots=raw.open_slots,
            raw=raw,
        )

    def pools(self) -> Iterator[Pool]:
        api = self.api("PoolApi")
        return (self.pool(raw) for raw in self.client.paginate(api.get_pools))

    def get_pool(self, name: str) -> Pool:
        return self.pool(self.api("PoolApi").get_pool(name))

    def delete_pool(self, name: str) -> None:
        self.api("PoolApi").delete_pool(name)

    # -- connections --------------------------------------------------------------------------
    def connection(self, raw: Any) -> Connection:
        return Connection(
            connection_id=str(raw.connection_id),
            conn_type=raw.conn_type,
            description=raw.description,
            host=raw.host,
            login=raw.login,
            schema=raw.var_schema,
            port=raw.port,
            # /api/v1 list items have neither; /api/v1 never sends a password
            password=getattr(raw, "password", None),
            extra=getattr(raw, "extra", None),
            raw=raw,
        )

    def connections(self) -> Iterator[Connection]:
        api = self.api("ConnectionApi")
        return (self.connection(raw) for raw in self.client.paginate(api.get_connections))

    def get_connection(self, connection_id: str) -> Connection:
        return self.connection(self.api("ConnectionApi").get_connection(connection_id))

    def delete_connection(self, connection_id: str) -> None:
        self.api("ConnectionApi").delete_connection(connection_id)

    def test_connection(self, item: Mapping[str, Any]) -> ConnectionTest:
        body = self.base.model(self.connection_model)(**self.base._connection_kwargs(item))
        raw = self.api("ConnectionApi").test_connection(body)
        return ConnectionTest(bool(raw.status), str(raw.message or ""))

    # -- DAGs ---------------------------------------------------------------------------------
    def delete_dag(self, dag_id: str) -> None:
        self.api("DAGApi").delete_dag(dag_id)

    def reparse(self, file_token: str) -> None:
        self.api(self.parsing_api).reparse_dag_file(file_token)

    # -- runs ---------------------------------------------------------------------------------
    def delete_run(self, dag_id: str, run_id: str) -> None:
        self.api(self.base.run_api).delete_dag_run(dag_id, run_id)

    def set_run_state(self, dag_id: str, run_id: str, state: str) -> DagRun:
        raise NotImplementedError

    # -- task instances -----------------------------------------------------------------------
    def clear_task_instances(
        self, dag_id: str, run_id: str, body: Mapping[str, Any]
    ) -> list[TaskInstanceRef]:
        raise NotImplementedError

    def set_task_instance_state(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, state: str
    ) -> None:
        raise NotImplementedError

    # -- XComs ----------------------------------------------------------------------------------
    def xcoms(
        self, dag_id: str, run_id: str, task_id: str, map_index: int | None
    ) -> Iterator[XCom]:
        filters: dict[str, Any] = {"dag_id": dag_id, "dag_run_id": run_id, "task_id": task_id}
        if map_index is not None:
            filters["map_index"] = map_index
        method = self.api("XComApi").get_xcom_entries
        for raw in self.client.paginate(method, **filters):
            yield self.xcom(raw, run_id, None)

    def xcom(self, raw: Any, run_id: str, value: Any) -> XCom:
        index = raw.map_index
        return XCom(
            dag_id=str(raw.dag_id),
            run_id=str(getattr(raw, "run_id", None) or run_id),
            task_id=str(raw.task_id),
            key=str(raw.key),
            map_index=-1 if index is None else int(index),
            timestamp=utc(raw.timestamp),
            value=value,
            raw=raw,
        )

    def get_xcom(self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int) -> XCom:
        raw = self.api("XComApi").get_xcom_entry(dag_id, run_id, task_id, key, map_index=map_index)
        raw = getattr(raw, "actual_instance", None) or raw  # /api/v2: one of two models
        return self.xcom(raw, run_id, raw.value)

    # -- configuration ------------------------------------------------------------------------
    def config(self, section: str, option: str | None) -> list[tuple[str, str, Any]]:
        api = self.api("ConfigApi")
        if option is None:
            raw = api.get_config(section=section)
        else:
            raw = getattr(api, self.config_value)(section, option)
        return [
            (str(s.name), str(o.key), _unwrapped(o.value))
            for s in raw.sections or ()
            for o in s.options or ()
        ]


def _unwrapped(value: Any) -> Any:
    """A value of a generated ``anyOf`` wrapper (/api/v2 ``Value``), or the value itself."""
    value = getattr(value, "actual_instance", value)
    if isinstance(value, list):
        return [_unwrapped(item) for item in value]
    return value


class V1Resources(ResourceAdapter):
    """Airflow 2, ``/api/v1``."""

    api_version = "v1"
    connection_model = "Connection"
    parsing_api = "DAGApi"
    config_value = "get_value"
    task_mark_states = ("success", "failed", "skipped")

    def reparse(self, file_token: str) -> None:
        self.client.require("reparse_dag_file", action="reparse a DAG file")
        # Airflow 2 answers 201 with no body, or with the text "Duplicate request" while a
        # parse is pending, both labelled text/html: not JSON, so not asked for as JSON
        self.api(self.parsing_api).reparse_dag_file(file_token, _headers={"Accept": "*/*"})

    def set_run_state(self, dag_id: str, run_id: str, state: str) -> DagRun:
        body = self.base.model("UpdateDagRunState")(state=state)
        raw = self.api(self.base.run_api).update_dag_run_state(dag_id, run_id, body)
        return self.base.run(raw)

    def clear_task_instances(
        self, dag_id: str, run_id: str, body: Mapping[str, Any]
    ) -> list[TaskInstanceRef]:
        model = self.base.model("ClearTaskInstances")(
            dag_run_id=run_id, reset_dag_runs=True, **body
        )
        raw = self.api("DAGApi").post_clear_task_instances(dag_id, model)
        return [
            TaskInstanceRef(str(ref.dag_id), str(ref.dag_run_id), str(ref.task_id), None)
            for ref in raw.task_instances or ()
        ]

    def set_task_instance_state(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, state: str
    ) -> None:
        body = self.base.model("UpdateTaskInstance")(dry_run=False, new_state=state)
        api = self.api("TaskInstanceApi")
        if map_index < 0:
            api.patch_task_instance(dag_id, run_id, task_id, body)
        else:
            api.patch_mapped_task_instance(dag_id, run_id, task_id, map_index, body)


class V2Resources(ResourceAdapter):
    """Airflow 3, ``/api/v2``."""

    api_version = "v2"
    connection_model = "ConnectionBody"
    parsing_api = "DAGParsingApi"
    config_value = "get_config_value"
    task_mark_states = ("success", "failed", "skipped")

    def set_run_state(self, dag_id: str, run_id: str, state: str) -> DagRun:
        body = self.base.model("DAGRunPatchBody")(state=state)
        raw = self.api(self.base.run_api).patch_dag_run(dag_id, run_id, body, update_mask=["state"])
        return self.base.run(raw)

    def clear_task_instances(
        self, dag_id: str, run_id: str, body: Mapping[str, Any]
    ) -> list[TaskInstanceRef]:
        fields = dict(body)
        if fields.get("task_ids") is not None:  # each one a TaskIdsInner: an id, or [id, index]
            inner = self.base.model("TaskIdsInner")
            fields["task_ids"] = [inner(task_id) for task_id in fields["task_ids"]]
        model = self.base.model("ClearTaskInstancesBody")(
            dag_run_id=run_id, reset_dag_runs=True, **fields
        )
        raw = self.api("TaskInstanceApi").post_clear_task_instances(dag_id, model)
        return [
            TaskInstanceRef(str(ti.dag_id), str(ti.dag_run_id), str(ti.task_id), ti.map_index)
            for ti in raw.task_instances or ()
        ]

    def set_task_instance_state(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, state: str
    ) -> None:
        body = self.base.model("PatchTaskInstanceBody")(new_state=state)
        api = self.api("TaskInstanceApi")
        if map_index < 0:
            api.patch_task_instance(dag_id, run_id, task_id, body, update_mask=["new_state"])
        else:
            api.patch_task_instance_by_map_index(
                dag_id, run_id, task_id, map_index, body, update_mask=["new_state"]
            )


RESOURCE_ADAPTERS: dict[str, type[ResourceAdapter]] = {"v1": V1Resources, "v2": V2Resources}


def resources_for(client: AirflowClient) -> ResourceAdapter:
    """The resource adapter of the client's API version, made once per client."""
    made = client.__dict__.get("_wf_resources")
    if made is None or made.api_version != client.api_version:
        made = RESOURCE_ADAPTERS[client.api_version](adapter_for(client))
        client.__dict__["_wf_resources"] = made
    return made


__all__ = ["RESOURCE_ADAPTERS", "ResourceAdapter", "resources_for"]
