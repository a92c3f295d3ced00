"""The Airflow 2 / Airflow 3 differences the workflows meet, mapped in one place.

One adapter per API version turns the workflows' version-neutral requests into calls of
that version's generated API and the generated models into the types of
:mod:`airflow_client_ext.models`:

======================  =================================  =================================
concept                 /api/v1 (Airflow 2)                /api/v2 (Airflow 3)
======================  =================================  =================================
run API class           ``DAGRunApi``                       ``DagRunApi``
trigger body            ``DAGRun`` (``post_dag_run``)       ``TriggerDAGRunPostBody``
                        no logical date: omitted (= now)    no logical date: ``null``
trigger answer          200                                 200 (not the 201 of other creates)
run's date              ``execution_date``/``logical_date``  ``logical_date`` (may be null)
state enums             ``DagState``/``TaskState`` (a       ``DagRunState``/
                        ``"none"`` member)                  ``TaskInstanceState``, or null
task instance dates     ISO strings                         datetimes
pause                   ``DAG`` + ``update_mask``           ``DAGPatchBody`` + ``update_mask``
clear failed tasks      ``post_clear_task_instances``       ``clear_dag_run(only_failed)``
log of a try            text/plain                          structured JSON lines
stale DAG               ``is_active`` false                 ``is_stale`` true
health                  ``/api/v1/health``                  ``/api/v2/monitor/health``
/wait stream            none                                ``GET .../dagRuns/{id}/wait``
variables (list)        values in clear                     sensitive values masked
connections             no password ever; extra masked      password ``***``; extra masked
create variable         ``post_variables``                  ``post_variable``
update mask of value    ``val`` (the model's attribute)     ``value``
clearing a text field   ``""`` (null is refused)             ``null``
pool update body        ``Pool``                            ``PoolPatchBody`` (with ``pool``)
many writes             one request per item; variables     bulk ``PATCH /variables`` (...)
                        through the UI's import form        (``update_mask`` since 3.2)
======================  =================================  =================================

The workflows in :mod:`airflow_client_ext.workflows` never test the version themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from ._http import Request
from ._logs import Render, read_log, render_log_message
from ._masks import has_mask
from ._reads import Listing, Operation, Shape, Single
from ._writes import BULK_BYTES, BULK_ITEMS, Batch, Write, invalid, write_each
from .errors import InvalidArgumentError
from .models import Dag, DagRun, Health, TaskInstance, from_fields, utc

if TYPE_CHECKING:
    from .client import AirflowClient

#: Neutral field names of the items of an export document, per kind (the id field first).
VARIABLE_FIELDS = ("key", "value", "description")
POOL_FIELDS = ("name", "slots", "description", "include_deferred")
#: the fields of a generated task instance (both APIs) that make a TaskInstance
TI_FIELDS = (
    "dag_id", "dag_run_id", "task_id", "map_index", "try_number", "state", "start_date",
    "end_date", "duration", "max_tries", "operator", "hostname", "pool", "queue", "note",
    "rendered_map_index",
)  # fmt: skip
#: the fields of a generated run (both APIs) that make a DagRun
RUN_NAMES = (
    "dag_id", "dag_run_id", "state", "logical_date", "start_date", "end_date",
    "data_interval_start", "data_interval_end", "run_type", "conf", "note",
)  # fmt: skip
CONNECTION_FIELDS = (
    "connection_id",
    "conn_type",
    "description",
    "host",
    "login",
    "schema",
    "port",
    "password",
    "extra",
)


def enum_value(value: Any) -> Any:
    """``DagRunState.SUCCESS`` -> ``"success"``; anything else unchanged."""
    return value.value if isinstance(value, Enum) else value


def _without_none(item: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {n: item[n] for n in names if item.get(n) is not None}


class VersionAdapter:
    """What the workflows need from one API version. One subclass per version."""

    api_version: ClassVar[str]
    #: the generated class of the DAG run endpoints
    run_api: ClassVar[str] = "DagRunApi"
    #: the generated model of a DAG's PATCH body
    dag_patch_model: ClassVar[str]
    #: the generated models of a run ("run"), a page of runs ("runs"), a task instance...
    models_of: ClassVar[dict[str, str]]
    #: the fields of a generated run that make a DagRun
    run_names: ClassVar[tuple[str, ...]]

    def __init__(self, client: AirflowClient) -> None:
        self.client = client
        self._operations: dict[tuple[str, str], Operation] = {}
        self._typed: dict[str, Single | Listing] = {}
        self.run_shape = Shape(DagRun, self.run_names, self.run_fields)
        self.ti_shape = Shape(TaskInstance, TI_FIELDS, self.task_instance_fields)

    # -- helpers ----------------------------------------------------------------------------
    def api(self, name: str) -> Any:
        return self.client.api(name)

    def operation(self, api: str, name: str) -> Operation:
        """A generated GET to call with arguments the workflow has checked (see
        :mod:`._reads`), made once per adapter."""
        made = self._operations.get((api, name))
        if made is None:
            made = Operation(self.api(api), name, self.client.transport)
            self._operations[(api, name)] = made
        return made

    def read(self, api: str, operation: str, **arguments: Any) -> Any:
        """The model a generated GET answers, for arguments the workflow has checked."""
        return self.operation(api, operation)(**arguments)

    def listing(self, api: str, name: str, checked: bool) -> Callable[..., Any]:
        """A generated list method: the lean call where every argument was checked here,
        the generated method (which validates them) where the caller adds filters."""
        return self.operation(api, name) if checked else getattr(self.api(api), name)

    def typed(self, api: str, name: str, shape: Shape, *models: str) -> Any:
        """The GET ``name`` whose answer becomes result objects (see :mod:`._reads`): a
        Listing for a page and item model (``"runs", "run"``), else a Single; made once."""
        made = self._typed.get(name)
        if made is None:
            operation = self.operation(api, name)
            classes = [self.model(self.models_of[m]) for m in models]
            if len(classes) == 2:
                made = Listing(operation, classes[0], classes[1], shape)
            else:
                made = Single(operation, classes[0], shape)
            self._typed[name] = made
        return made

    def model(self, name: str) -> Any:
        return getattr(self.client.generated, name)

    def paginate(self, method: Callable[..., Any], **filters: Any) -> Iterator[Any]:
        return self.client.paginate(method, **filters)

    def supports(self, feature: str) -> bool:
        """Whether the server has ``feature`` (see :mod:`airflow_client_ext.features`)."""
        return self.client.supports(feature)

    def wait_url(self, dag_id: str, run_id: str, interval: float) -> str:
        raise NotImplementedError

    # -- DAGs -------------------------------------------------------------------------------
    def get_dag(self, dag_id: str) -> Dag:
        return self.dag(self.read("DAGApi", "get_dag", dag_id=dag_id))

    def dag(self, raw: Any) -> Dag:
        return from_fields(Dag, {
            "dag_id": str(raw.dag_id),
            "is_paused": raw.is_paused,
            "is_active": self._is_active(raw),
            "fileloc": raw.fileloc,
            "description": raw.description,
            "tags": tuple(t.name for t in raw.tags or () if t is not None and t.name),
            "owners": tuple(raw.owners or ()),
            "has_import_errors": raw.has_import_errors,
            "raw": raw,
        })  # fmt: skip

    def _is_active(self, raw: Any) -> bool | None:
        raise NotImplementedError

    def set_paused(self, dag_id: str, paused: bool) -> Dag:
        body = self.model(self.dag_patch_model)(is_paused=paused)
        return self.dag(self.api("DAGApi").patch_dag(dag_id, body, update_mask=["is_paused"]))

    def import_errors(self) -> list[tuple[str, str]]:
        """(file name, stack trace) of each import error the server reports."""
        method = self.api("ImportErrorApi").get_import_errors
        return [(str(e.filename), str(e.stack_trace or "")) for e in self.paginate(method)]

    # -- runs -------------------------------------------------------------------------------
    def trigger(
        self,
        dag_id: str,
        run_id: str,
        conf: dict[str, Any],
        logical_date: datetime | None,
        note: str | None,
    ) -> DagRun:
        raise NotImplementedError

    def get_run(self, dag_id: str, run_id: str) -> DagRun:
        read = self.typed(self.run_api, "get_dag_run", self.run_shape, "run")
        run: DagRun = read(dag_id=dag_id, dag_run_id=run_id)
        return run

    def run(self, raw: Any) -> DagRun:
        run: DagRun = self.run_shape.of_model(raw)
        return run

    def run_fields(self, f: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def runs_method(self, checked: bool = False) -> Callable[..., Any]:
        """The generated list method, or where every argument was checked here a
        :class:`~._reads.Listing` of :class:`DagRun` objects."""
        if not checked:
            return self.listing(self.run_api, "get_dag_runs", checked)
        listing: Listing = self.typed(self.run_api, "get_dag_runs", self.run_shape, "runs", "run")
        return listing

    def clear(self, dag_id: str, run_id: str, only_failed: bool) -> None:
        raise NotImplementedError

    # -- task instances ---------------------------------------------------------------------
    def task_instances_method(self, checked: bool = False) -> Callable[..., Any]:
        """As :meth:`runs_method`: a Listing of :class:`TaskInstance` objects if checked."""
        if not checked:
            return self.listing("TaskInstanceApi", "get_task_instances", checked)
        listing: Listing = self.typed(
            "TaskInstanceApi", "get_task_instances", self.ti_shape, "tis", "ti"
        )
        return listing

    def dags_method(self, checked: bool = False) -> Callable[..., Any]:
        return self.listing("DAGApi", "get_dags", checked)

    def get_task_instance(
        self, dag_id: str, run_id: str, task_id: str, map_index: int
    ) -> TaskInstance:
        ids: dict[str, Any] = {"dag_id": dag_id, "dag_run_id": run_id, "task_id": task_id}
        name = "get_task_instance"
        if map_index >= 0:
            name, ids["map_index"] = "get_mapped_task_instance", map_index
        ti: TaskInstance = self.typed("TaskInstanceApi", name, self.ti_shape, "ti")(**ids)
        return ti

    def task_instance(self, raw: Any) -> TaskInstance:
        ti: TaskInstance = self.ti_shape.of_model(raw)
        return ti

    def task_instance_fields(self, f: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of a :class:`TaskInstance` but ``raw``, from the generated item's
        fields ``TI_FIELDS`` (its ``__dict__``, or what a Listing read): a listing makes
        one per item, and the result without its __init__ (models.from_fields)."""
        state = f["state"]
        if state is not None and state.__class__ is not str:
            state = enum_value(state)
        map_index = f["map_index"]
        return {
            "dag_id": str(f["dag_id"]),
            "run_id": str(f["dag_run_id"]),
            "task_id": str(f["task_id"]),
            "map_index": map_index if map_index is not None else -1,
            "try_number": f["try_number"] or 0,
            "state": None if state in (None, "none", "") else str(state),
            "start_date": utc(f["start_date"]),
            "end_date": utc(f["end_date"]),
            "duration": f["duration"],
            "max_tries": f["max_tries"],
            "operator": f["operator"],
            "hostname": f["hostname"] or None,
            "pool": f["pool"],
            "queue": f["queue"],
            "note": f["note"],
            "rendered_map_index": f["rendered_map_index"],
        }

    #: how a structured log line becomes text; None: the endpoint sends text
    log_render: ClassVar[Render | None] = None

    def log_text(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        try_number: int,
        map_index: int,
        *,
        tail: bool = False,
    ) -> str:
        """The log of one try, read as a stream (see :mod:`._logs`); ``tail``: only its
        end (the last 64 KiB), for :func:`~airflow_client_ext.workflows.log_tail`."""
        request = self.log_request(dag_id, run_id, task_id, try_number, map_index)
        return read_log(self.client, request, render=type(self).log_render, tail=tail)

    def log_request(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int
    ) -> Request:
        raise NotImplementedError

    def _log_url(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        return (
            f"{self.client.api_url}/dags/{quote(dag_id, safe='')}/dagRuns/"
            f"{quote(run_id, safe='')}/taskInstances/{quote(task_id, safe='')}/logs/"
            f"{int(try_number)}?full_content=true"
        )

    # -- health -----------------------------------------------------------------------------
    def health(self) -> Health:
        raise NotImplementedError

    # -- variables, pools, connections (neutral dicts, see *_FIELDS) --------------------------
    def variables(self) -> Iterator[dict[str, Any]]:
        for item in self.paginate(self.api("VariableApi").get_variables):
            value = item.value
            if value is None:
                value = self.api("VariableApi").get_variable(item.key).value
            yield {"key": item.key, "value": value, "description": item.description}

    def create_variable(self, item: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def update_variable(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        raise NotImplementedError

    def pools(self) -> Iterator[dict[str, Any]]:
        for item in self.paginate(self.api("PoolApi").get_pools):
            pool = {"name": item.name, "slots": item.slots, "description": item.description}
            include_deferred = getattr(item, "include_deferred", None)
            if include_deferred is not None:  # Airflow >= 2.7
                pool["include_deferred"] = include_deferred
            yield pool

    def create_pool(self, item: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def update_pool(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        raise NotImplementedError

    def connections(self) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def create_connection(self, item: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def update_connection(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        raise NotImplementedError

    def write_items(self, kind: str, writes: Sequence[Write], workers: int) -> Iterator[Batch]:
        """Write variables, pools or connections (``kind``: ``"variable"``, ...): batches of
        (index of the write, None or the error that refused it), the last one with the error
        that stopped the writes, if one did; see :mod:`._writes`. Here: one request per
        item, ``workers`` at a time."""
        return write_each([self._alone(kind, w) for w in writes], workers)

    def _alone(self, kind: str, write: Write) -> Callable[[], None]:
        """The request that writes one item by itself."""
        return partial(self._write_one, kind, write)

    def _write_one(self, kind: str, write: Write) -> None:
        try:
            if write.is_create:
                getattr(self, f"create_{kind}")(write.item)
            else:
                getattr(self, f"update_{kind}")(write.item, write.current, write.fields)
        except ValueError as exc:
            if isinstance(exc, InvalidArgumentError):
                raise
            raise invalid(kind, write.name, exc) from None  # its text shows the values

    def _connection_kwargs(
        self, item: Mapping[str, Any], keep: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Fields of a connection body: the set ones, and those of ``keep`` even when None
        (a field being cleared must be sent as null to count for the update mask)."""
        kwargs = {
            name: item.get(name)
            for name in CONNECTION_FIELDS
            if name in keep or item.get(name) is not None
        }
        return kwargs  # "schema" is the alias of the generated field var_schema


class V1Adapter(VersionAdapter):
    """Airflow 2, ``/api/v1``."""

    api_version = "v1"
    run_api = "DAGRunApi"
    dag_patch_model = "DAG"
    models_of: ClassVar[dict[str, str]] = {
        "run": "DAGRun", "runs": "DAGRunCollection",
        "ti": "TaskInstance", "tis": "TaskInstanceCollection",
    }  # fmt: skip
    run_names = (*RUN_NAMES, "execution_date")

    def _is_active(self, raw: Any) -> bool | None:
        return raw.is_active  # type: ignore[no-any-return]

    def trigger(
        self,
        dag_id: str,
        run_id: str,
        conf: dict[str, Any],
        logical_date: datetime | None,
        note: str | None,
    ) -> DagRun:
        # unset fields are left out: Airflow 2 then takes "now" as the logical date
        fields: dict[str, Any] = {"dag_run_id": run_id, "conf": conf}
        if logical_date is not None:
            fields["logical_date"] = logical_date
        if note is not None:
            fields["note"] = note
        body = self.model("DAGRun")(**fields)
        return self.run(self.api(self.run_api).post_dag_run(dag_id, body))

    def run_fields(self, f: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "dag_id": str(f["dag_id"]),
            "run_id": str(f["dag_run_id"]),
            "state": str(enum_value(f["state"])),
            "logical_date": utc(f["logical_date"] or f["execution_date"]),
            "start_date": utc(f["start_date"]),
            "end_date": utc(f["end_date"]),
            "queued_at": None,  # not in the /api/v1 model
            "data_interval_start": utc(f["data_interval_start"]),
            "data_interval_end": utc(f["data_interval_end"]),
            "run_type": f["run_type"],
            "conf": dict(f["conf"] or {}),
            "note": f["note"],
        }

    def clear(self, dag_id: str, run_id: str, only_failed: bool) -> None:
        if only_failed:
            # /dagRuns/{id}/clear of Airflow 2 clears every task; this clears failed and
            # upstream_failed ones and sets the run back to queued
            body = self.model("ClearTaskInstances")(
                dry_run=False, dag_run_id=run_id, only_failed=True, reset_dag_runs=True
            )
            self.api("DAGApi").post_clear_task_instances(dag_id, body)
        else:
            body = self.model("ClearDagRun")(dry_run=False)
            self.api(self.run_api).clear_dag_run(dag_id, run_id, body)

    def log_request(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int
    ) -> Request:
        # JSON answers of Airflow 2 carry a Python repr of (host, text) pairs; text/plain
        # is the log itself
        url = self._log_url(dag_id, run_id, task_id, try_number)
        url += f"&map_index={int(map_index)}" if map_index >= 0 else ""
        return Request("GET", url, {"Accept": "text/plain"})

    def health(self) -> Health:
        raw = self.api("MonitoringApi").get_health()
        components = {}
        for name in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
            part = getattr(raw, name, None)
            status = enum_value(getattr(part, "status", None)) if part is not None else None
            if part is not None or name in Health.REQUIRED:
                components[name] = str(status) if status is not None else None
        return Health(components=components, raw=raw)

    def write_items(self, kind: str, writes: Sequence[Write], workers: int) -> Iterator[Batch]:
        """As the base class does, but variables go through the webserver's import form
        where it can write them (:mod:`._varimport`): a few posts instead of a request each."""
        if kind == "variable":
            from ._varimport import write_variables

            return write_variables(self, writes, workers)
        return super().write_items(kind, writes, workers)

    # Airflow 2 refuses null for text fields ("Field may not be null"): an absent
    # description is left out, and a description to clear is sent as ""

    def create_variable(self, item: Mapping[str, Any]) -> None:
        body = self.model("Variable")(**_without_none(item, ("key", "value", "description")))
        self.api("VariableApi").post_variables(body)

    def update_variable(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        merged = {**current, **{f: item.get(f) for f in fields}}
        body = self.model("Variable")(
            key=item["key"],
            value=merged.get("value") or "",
            description=merged.get("description") or "",
        )
        # the update mask names the model's attributes: the value is "val" there
        mask = ["val" if f == "value" else f for f in fields]
        self.api("VariableApi").patch_variable(item["key"], body, update_mask=mask)

    def create_pool(self, item: Mapping[str, Any]) -> None:
        body = self.model("Pool")(
            **_without_none(item, ("name", "slots", "description")),
            include_deferred=bool(item.get("include_deferred", False)),
        )
        self.api("PoolApi").post_pool(body)

    def update_pool(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        merged = {**current, **{f: item.get(f) for f in fields}}
        body = self.model("Pool")(
            name=item["name"],
            slots=merged.get("slots"),
            description=merged.get("description") or "",
            include_deferred=bool(merged.get("include_deferred", False)),
        )
        self.api("PoolApi").patch_pool(item["name"], body, update_mask=list(fields))

    def connections(self) -> Iterator[dict[str, Any]]:
        api = self.api("ConnectionApi")
        for listed in self.paginate(api.get_connections):
            # the list leaves out extra: one GET per connection; the password never comes
            full = api.get_connection(listed.connection_id)
            yield {
                "connection_id": full.connection_id,
                "conn_type": full.conn_type,
                "description": full.description,
                "host": full.host,
                "login": full.login,
                "schema": full.var_schema,
                "port": full.port,
                "extra": full.extra,
            }

    def create_connection(self, item: Mapping[str, Any]) -> None:
        body = self.model("Connection")(**self._connection_kwargs(item))
        self.api("ConnectionApi").post_connection(body)

    def update_connection(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        merged = {k: v for k, v in current.items() if k != "password"}
        merged.update({f: item.get(f) for f in fields})
        merged["connection_id"] = item["connection_id"]
        body = self.model("Connection")(**self._connection_kwargs(merged, fields))
        self.api("ConnectionApi").patch_connection(
            item["connection_id"], body, update_mask=list(fields)
        )


class V2Adapter(VersionAdapter):
    """Airflow 3, ``/api/v2``."""

    api_version = "v2"
    dag_patch_model = "DAGPatchBody"
    models_of: ClassVar[dict[str, str]] = {
        "run": "DAGRunResponse", "runs": "DAGRunCollectionResponse",
        "ti": "TaskInstanceResponse", "tis": "TaskInstanceCollectionResponse",
    }  # fmt: skip
    run_names = (*RUN_NAMES, "queued_at")

    def wait_url(self, dag_id: str, run_id: str, interval: float) -> str:
        return (
            f"{self.client.api_url}/dags/{quote(dag_id, safe='')}/dagRuns/"
            f"{quote(run_id, safe='')}/wait?interval={interval:g}"
        )

    def _is_active(self, raw: Any) -> bool | None:
        return None if raw.is_stale is None else not raw.is_stale

    def trigger(
        self,
        dag_id: str,
        run_id: str,
        conf: dict[str, Any],
        logical_date: datetime | None,
        note: str | None,
    ) -> DagRun:
        # logical_date left unset is sent as null (required but nullable on Airflow 3)
        body = self.model("TriggerDAGRunPostBody")(
            dag_run_id=run_id, conf=conf, logical_date=logical_date, note=note
        )
        return self.run(self.api(self.run_api).trigger_dag_run(dag_id, body))

    def run_fields(self, f: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "dag_id": str(f["dag_id"]),
            "run_id": str(f["dag_run_id"]),
            "state": str(enum_value(f["state"])),
            "logical_date": utc(f["logical_date"]),
            "start_date": utc(f["start_date"]),
            "end_date": utc(f["end_date"]),
            "queued_at": utc(f["queued_at"]),
            "data_interval_start": utc(f["data_interval_start"]),
            "data_interval_end": utc(f["data_interval_end"]),
            "run_type": enum_value(f["run_type"]),
            "conf": dict(f["conf"] or {}),
            "note": f["note"],
        }

    def task_instance_fields(self, f: Mapping[str, Any]) -> dict[str, Any]:
        # the mapping of the base class, for a TaskInstanceResponse: its ids and map_index
        # are required strings and an int, its dates datetimes, its state a member (or a
        # newer server's value, kept by the enum): a listing makes one per item
        state = f["state"]
        if state is not None:
            state = state._value_
            if state in ("none", ""):
                state = None
        start, end = f["start_date"], f["end_date"]
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        if end is not None and end.tzinfo is None:
            end = end.replace(tzinfo=timezone.utc)
        return {
            "dag_id": f["dag_id"],
            "run_id": f["dag_run_id"],
            "task_id": f["task_id"],
            "map_index": f["map_index"],
            "try_number": f["try_number"] or 0,
            "state": state,
            "start_date": start,
            "end_date": end,
            "duration": f["duration"],
            "max_tries": f["max_tries"],
            "operator": f["operator"],
            "hostname": f["hostname"] or None,
            "pool": f["pool"],
            "queue": f["queue"],
            "note": f["note"],
            "rendered_map_index": f["rendered_map_index"],
        }

    def clear(self, dag_id: str, run_id: str, only_failed: bool) -> None:
        body = self.model("DAGRunClearBody")(dry_run=False, only_failed=only_failed)
        self.api(self.run_api).clear_dag_run(dag_id, run_id, body)

    log_render = render_log_message

    def log_request(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int
    ) -> Request:
        # streamed as one JSON document per line; the JSON form holds them all at once
        url = self._log_url(dag_id, run_id, task_id, try_number) + f"&map_index={int(map_index)}"
        return Request("GET", url, {"Accept": "application/x-ndjson"})

    def health(self) -> Health:
        raw = self.api("MonitorApi").get_health()
        components = {}
        for name in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
            part = getattr(raw, name, None)
            status = getattr(part, "status", None) if part is not None else None
            if part is not None or name in Health.REQUIRED:
                components[name] = str(enum_value(status)) if status is not None else None
        return Health(components=components, raw=raw)

    def create_variable(self, item: Mapping[str, Any]) -> None:
        self.api("VariableApi").post_variable(self._variable_body(item))

    def update_variable(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        merged = {**current, **{f: item.get(f) for f in fields}}
        value = merged.get("value")
        body = self.model("VariableBody")(
            key=item["key"],
            # a masked current value is never sent back: the mask leaves it out anyway
            value=None if has_mask(value) and "value" not in fields else value,
            description=merged.get("description"),
        )
        self.api("VariableApi").patch_variable(item["key"], body, update_mask=list(fields))

    def create_pool(self, item: Mapping[str, Any]) -> None:
        self.api("PoolApi").post_pool(self._pool_body(item))

    def update_pool(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        merged = {**current, **{f: item.get(f) for f in fields}}
        body = self.model("PoolPatchBody")(
            pool=item["name"],  # required by the server, although the spec says optional
            slots=merged.get("slots"),
            description=merged.get("description"),
            include_deferred=merged.get("include_deferred"),
        )
        self.api("PoolApi").patch_pool(item["name"], body, update_mask=list(fields))

    def connections(self) -> Iterator[dict[str, Any]]:
        for item in self.paginate(self.api("ConnectionApi").get_connections):
            connection = {
                "connection_id": item.connection_id,
                "conn_type": item.conn_type,
                "description": item.description,
                "host": item.host,
                "login": item.login,
                "schema": item.var_schema,
                "port": item.port,
                "extra": item.extra,
            }
            # "***": one is set, but not shown; None: none is set
            connection["password"] = item.password
            yield connection

    def create_connection(self, item: Mapping[str, Any]) -> None:
        self.api("ConnectionApi").post_connection(self._connection_body(item))

    def update_connection(
        self, item: Mapping[str, Any], current: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        merged = {k: v for k, v in current.items() if k != "password" and not has_mask(v)}
        merged.update({f: item.get(f) for f in fields})
        merged["connection_id"] = item["connection_id"]
        merged["conn_type"] = merged.get("conn_type") or item.get("conn_type")
        body = self.model("ConnectionBody")(**self._connection_kwargs(merged, fields))
        self.api("ConnectionApi").patch_connection(
            item["connection_id"], body, update_mask=list(fields)
        )

    # -- bulk writes (Airflow >= 3.0) ---------------------------------------------------------
    #: entities per bulk request, and the JSON a request may carry (see :mod:`._writes`)
    bulk_items: ClassVar[int] = BULK_ITEMS
    bulk_bytes: ClassVar[int] = BULK_BYTES

    def write_items(self, kind: str, writes: Sequence[Write], workers: int) -> Iterator[Batch]:
        """Bulk requests (``PATCH /variables``, ...) where the server has them (see
        :mod:`._bulk`), else one request per item."""
        if not self.supports("bulk_variables_pools_connections"):
            return super().write_items(kind, writes, workers)
        from ._bulk import write_in_bulk

        return write_in_bulk(self, kind, writes, workers)

    def _variable_body(self, item: Mapping[str, Any]) -> Any:
        return self.model("VariableBody")(
            key=item["key"], value=item["value"], description=item.get("description")
        )

    def _pool_body(self, item: Mapping[str, Any]) -> Any:
        return self.model("PoolBody")(
            name=item["name"],
            slots=item["slots"],
            description=item.get("description"),
            include_deferred=bool(item.get("include_deferred", False)),
        )

    def _connection_body(self, item: Mapping[str, Any]) -> Any:
        return self.model("ConnectionBody")(**self._connection_kwargs(item))


ADAPTERS: dict[str, type[VersionAdapter]] = {"v1": V1Adapter, "v2": V2Adapter}


def adapter_for(client: AirflowClient) -> VersionAdapter:
    """The adapter of the client's API version (detecting it if needed), made once per
    client: it keeps the client's generated operations at hand."""
    adapter = client.__dict__.get("_wf_adapter")
    if adapter is None or adapter.api_version != client.api_version:
        adapter = client.__dict__["_wf_adapter"] = ADAPTERS[client.api_version](client)
    return adapter
