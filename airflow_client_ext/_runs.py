"""The workflows people script against Airflow, the same on Airflow 2 and 3.

:class:`Workflows` is a mixin of :class:`~airflow_client_ext.client.AirflowClient`::

    run = client.trigger("etl", conf={"day": "2026-01-01"})
    run = client.wait("etl", run.run_id, timeout=600, on_update=print)
    run = client.trigger_and_wait("etl", conf={...}, timeout=600)   # raises if it fails
    for ti in client.iter_task_instances("etl", run.run_id): ...
    print(client.task_log("etl", run.run_id, "extract"))
    doc = client.export_config(); report = other.import_config(doc)

Every call goes through the client's transport (auth, retries, typed errors). Results are
the version-neutral types of :mod:`airflow_client_ext.models`; the Airflow 2/3 differences
are mapped by the adapters of :mod:`airflow_client_ext._versions`.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import typing
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

import urllib3
from urllib3.exceptions import HTTPError

from . import _checks
from ._checks import RUN_ID_PATTERN, check_conf
from ._http import Request, safe_url
from ._versions import (
    CONNECTION_FIELDS,
    POOL_FIELDS,
    VARIABLE_FIELDS,
    VersionAdapter,
    adapter_for,
    has_mask,
    masked_keys,
)
from .errors import (
    AirflowClientError,
    ApiError,
    ConfigurationError,
    DagPausedError,
    DagRunFailedError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from .models import (
    CONFIG_FORMAT,
    CONFIG_FORMAT_VERSION,
    Dag,
    DagRun,
    Health,
    ImportItem,
    ImportReport,
    TaskInstance,
)
from .retry import NO_RETRY

if TYPE_CHECKING:
    from .client import AirflowClient

logger = logging.getLogger("airflow_client_ext.workflows")

#: Called by ``wait`` on each change of the run's state or of any task instance's state.
OnUpdate = Callable[[DagRun, Sequence[TaskInstance]], None]

#: Items asked for per page; the server caps it at its ``[api] maximum_page_limit``.
PAGE_SIZE = 100
#: Bounds of the log tail carried by DagRunFailedError, per failed task instance.
LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4096
#: Failed task instances whose logs are fetched for DagRunFailedError (a mapped task may
#: fail 1000 times; the error lists them all but reads only the first logs).
MAX_FAILED_LOGS = 10
IMPORT_MODES = ("upsert", "skip-existing")


# -- pure pieces (unit-tested) --------------------------------------------------------------
def new_run_id(now: datetime | None = None, token: str | None = None) -> str:
    """A run id chosen by the client: ``manual__2026-01-01T12:00:00.123456Z__1a2b3c4d``.

    Valid on Airflow 2 and 3 (it matches the default ``allowed_run_id_pattern``), sorted by
    time, and unique: the random suffix makes two triggers in the same microsecond differ.
    Because the id travels in the POST, a retried trigger is recognised (409, same id and
    conf) instead of making a second run.
    """
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    suffix = token or uuid.uuid4().hex[:8]
    return f"manual__{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z__{suffix}"


def check_run_id(run_id: Any) -> str:
    """The id a trigger gives its run (Airflow's default ``allowed_run_id_pattern``)."""
    return _checks.check_new_run_id(run_id)


def check_logical_date(value: datetime | str | None) -> datetime | None:
    """A timezone-aware logical date, from a datetime or an ISO string; None stays None."""
    return _checks.check_aware_datetime("logical_date", value, none="none given")


class PollSchedule:
    """Delays between polls: fast at first, growing by ``factor`` up to ``cap``.

    ``reset()`` starts over (after a change, the next one tends to come soon)::

        >>> s = PollSchedule(0.5, 1.5, 5.0)
        >>> [s.next() for _ in range(8)]
        [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875, 5.0, 5.0]
    """

    def __init__(self, initial: float = 0.5, factor: float = 1.5, cap: float = 5.0) -> None:
        names = ("PollSchedule.initial", "PollSchedule.factor", "PollSchedule.cap")
        self.initial, self.factor, self.cap = _checks.check_backoff(
            initial, factor, cap, names=names
        )
        self._next = self.initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self.cap, self._next * self.factor)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class NdjsonDecoder:
    """Splits a byte stream of newline-delimited JSON into documents, across chunk
    boundaries. Blank lines are ignored; a line that is not JSON raises ``ValueError``."""

    def __init__(self, max_line: int = 1 << 20) -> None:
        self._buffer = b""
        self._max_line = max_line

    def feed(self, data: bytes) -> list[Any]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > self._max_line:
            raise ValueError(f"an NDJSON line is longer than {self._max_line} bytes")
        return [json.loads(line) for line in lines if line.strip()]

    def close(self) -> list[Any]:
        """The last document, if the stream ended without a newline."""
        rest, self._buffer = self._buffer, b""
        return [json.loads(rest)] if rest.strip() else []


def log_tail(text: str, lines: int = LOG_TAIL_LINES, chars: int = LOG_TAIL_CHARS) -> str:
    """The last ``lines`` lines of a log, at most ``chars`` characters (cut at a line start
    when possible)."""
    kept = "\n".join(text.rstrip("\n").splitlines()[-lines:]) if lines > 0 else ""
    if len(kept) > chars:
        kept = kept[-chars:]
        newline = kept.find("\n")
        if 0 <= newline < len(kept) - 1:
            kept = kept[newline + 1 :]
    return kept


_ERROR_LINE = re.compile(r"\b\w*(Error|Exception|Exit|Interrupt)\b\s*:")


def headline(log: str) -> str:
    """The most telling line of a failed task's log: the last exception line, if any."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if _ERROR_LINE.search(line):
            return line[:300]
    return lines[-1][:300] if lines else ""


def _list_field(model: Any) -> str:
    """The name of the list field of a generated collection model (``dag_runs``, ...)."""
    cls = type(model)
    fields = getattr(cls, "model_fields", None)
    if not isinstance(fields, Mapping):
        raise ConfigurationError(f"paginate: {cls.__name__} is not a generated collection model")
    candidates = [str(name) for name, info in fields.items() if _is_list(info.annotation)]
    if len(candidates) != 1:
        raise ConfigurationError(
            f"paginate: cannot tell the items of {cls.__name__} (list fields: "
            f"{', '.join(candidates) or 'none'})"
        )
    return candidates[0]


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return False


def _parameters(method: Callable[..., Any]) -> set[str] | None:
    import inspect

    try:
        return set(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return None


def _normal(kind: str, name: str, value: Any) -> Any:
    """A field's value as compared: "" and None alike for optional text, JSON text parsed."""
    if value == "" and name not in ("value",):
        return None
    if name in ("value", "extra") and isinstance(value, str):
        try:
            return ("json", json.loads(value))
        except ValueError:
            return ("text", value)
    return value


def _without_masked(extra: Any) -> Any:
    """A connection's extra (JSON text) without the keys whose values are masked."""
    if not isinstance(extra, str):
        return extra
    try:
        doc = json.loads(extra)
    except ValueError:
        return extra
    if not isinstance(doc, dict):
        return extra
    return json.dumps({k: v for k, v in doc.items() if not has_mask(v)}, sort_keys=True)


@dataclass(frozen=True)
class _Kind:
    """How one section of an export document maps to the server."""

    kind: str  # "variable"
    section: str  # "variables"
    id_field: str  # "key"
    fields: tuple[str, ...]  # managed fields, id excluded
    required: tuple[str, ...]  # needed to create one


_KINDS = (
    _Kind("pool", "pools", "name", POOL_FIELDS[1:], ("slots",)),
    _Kind("variable", "variables", "key", VARIABLE_FIELDS[1:], ("value",)),
    _Kind("connection", "connections", "connection_id", CONNECTION_FIELDS[1:], ("conn_type",)),
)


class _Observer:
    """Calls ``on_update`` when the run's state or any task instance's state changes."""

    def __init__(self, on_update: OnUpdate | None) -> None:
        self.on_update = on_update
        self.last_run: DagRun | None = None
        self._run_state: str | None = None
        self._tis: tuple[tuple[str, str | None], ...] | None = None
        self._last_tis: list[TaskInstance] = []

    @property
    def wants_task_instances(self) -> bool:
        return self.on_update is not None

    def observe(self, run: DagRun, tis: Sequence[TaskInstance] | None = None) -> bool:
        """Record what was seen; True (and ``on_update`` called) if anything changed."""
        self.last_run = run
        changed = run.state != self._run_state
        self._run_state = run.state
        if tis is not None:
            signature = tuple(sorted((ti.key, ti.state) for ti in tis))
            changed = changed or signature != self._tis
            self._tis = signature
            self._last_tis = list(tis)
        if changed and self.on_update is not None:
            self.on_update(run, list(self._last_tis))
        return changed


class _StreamUnusable(Exception):
    """Internal: the /wait stream cannot serve this wait; poll instead."""


# -- the mixin ------------------------------------------------------------------------------
class Workflows:
    """Workflows of :class:`~airflow_client_ext.client.AirflowClient` (a mixin).

    Timing knobs (class attributes; set them on an instance to change one client):
    ``poll_initial``/``poll_factor``/``poll_cap`` (seconds between polls: 0.5 growing x1.5
    to 5), ``wait_stream_interval`` (seconds between the server's checks on ``/wait``).
    """

    poll_initial: float = 0.5
    poll_factor: float = 1.5
    poll_cap: float = 5.0
    wait_stream_interval: float = 0.5
    #: how long the /wait stream may stay silent before we poll instead
    wait_stream_silence: float = 30.0

    # injectable for tests
    _clock: Callable[[], float] = staticmethod(time.monotonic)
    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def _client(self) -> AirflowClient:
        return cast("AirflowClient", self)

    def _adapter(self) -> VersionAdapter:
        return adapter_for(self._client)

    def _schedule(self) -> PollSchedule:
        return PollSchedule(self.poll_initial, self.poll_factor, self.poll_cap)

    def _check_timing(self) -> None:
        """The timing knobs above, checked before a wait sends anything."""
        names = ("poll_initial", "poll_factor", "poll_cap")
        _checks.check_backoff(self.poll_initial, self.poll_factor, self.poll_cap, names=names)
        _checks.check_seconds("wait_stream_interval", self.wait_stream_interval)
        _checks.check_seconds("wait_stream_silence", self.wait_stream_silence)

    # -- paging -----------------------------------------------------------------------------
    def paginate(self, method: Callable[..., Any], /, **filters: Any) -> Iterator[Any]:
        """Yield every item of a generated list method, page after page, to the end.

        ``client.paginate(client.api("VariableApi").get_variables)`` yields each
        ``VariableResponse``; keyword arguments are the method's filters. Pages are asked
        with ``limit``/``offset`` (``limit`` defaults to 100; the server may cap it lower)
        and walking stops once ``offset`` reaches ``total_entries``, not at a short page.
        A method without ``limit`` is called once.
        """
        _checks.check_callable("method", method)
        _check_paging(filters)
        page_size = int(filters.pop("limit", None) or PAGE_SIZE)
        offset = int(filters.pop("offset", None) or 0)
        return self._pages(method, page_size, offset, filters)

    def _pages(
        self, method: Callable[..., Any], page_size: int, offset: int, filters: dict[str, Any]
    ) -> Iterator[Any]:
        parameters = _parameters(method)
        if parameters is not None and "limit" not in parameters:
            page = method(**filters)
            yield from getattr(page, _list_field(page)) or ()
            return
        field: str | None = None
        while True:
            page = method(limit=page_size, offset=offset, **filters)
            field = field or _list_field(page)
            items = list(getattr(page, field) or ())
            yield from items
            offset += len(items)
            total = getattr(page, "total_entries", None)
            if not items or (total is not None and offset >= total):
                return

    def iter_dag_runs(
        self, dag_id: str = "~", state: str | Iterable[str] | None = None, **filters: Any
    ) -> Iterator[DagRun]:
        """Every run of a DAG (``"~"``: of all DAGs) as :class:`DagRun`, optionally of some
        states (``state=["failed"]``); other keywords go to the generated list method."""
        _checks.check_dag_id(dag_id, wildcard=True)
        states = _checks.check_states("state", state, _checks.DAG_RUN_STATES)
        _check_paging(filters)
        return self._iter_dag_runs(dag_id, states, filters)

    def _iter_dag_runs(
        self, dag_id: str, states: list[str] | None, filters: dict[str, Any]
    ) -> Iterator[DagRun]:
        adapter = self._adapter()
        if states is not None:
            filters["state"] = states
        for raw in self.paginate(adapter.runs_method(), dag_id=dag_id, **filters):
            yield adapter.run(raw)

    def iter_task_instances(
        self,
        dag_id: str,
        run_id: str,
        state: str | Iterable[str] | None = None,
        **filters: Any,
    ) -> Iterator[TaskInstance]:
        """Every task instance of a run, each index of a mapped task included (``"~"``: of
        every run, or every DAG); ``state`` filters by task instance state."""
        _checks.check_dag_id(dag_id, wildcard=True)
        _checks.check_run_id(run_id, wildcard=True)
        states = _checks.check_states("state", state, _checks.TASK_INSTANCE_STATES)
        _check_paging(filters)
        return self._iter_task_instances(dag_id, run_id, states, filters)

    def _iter_task_instances(
        self, dag_id: str, run_id: str, states: list[str] | None, filters: dict[str, Any]
    ) -> Iterator[TaskInstance]:
        adapter = self._adapter()
        if states is not None:
            filters["state"] = states
        seen: set[tuple[str, int]] = set()
        method = adapter.task_instances_method()
        for raw in self.paginate(method, dag_id=dag_id, dag_run_id=run_id, **filters):
            ti = adapter.task_instance(raw)
            if (ti.task_id, ti.map_index) not in seen:  # an unordered listing may repeat one
                seen.add((ti.task_id, ti.map_index))
                yield ti

    # -- DAGs -------------------------------------------------------------------------------
    def get_dag(self, dag_id: str) -> Dag:
        """One DAG, as :class:`Dag`; a :class:`NotFoundError` that says what to check."""
        _checks.check_dag_id(dag_id)
        return self._get_dag(self._adapter(), dag_id)

    def iter_dags(self, **filters: Any) -> Iterator[Dag]:
        """Every DAG the server has parsed, as :class:`Dag`; keywords go to the generated
        list method (``tags=["x"]``, ``paused=True``, ``dag_id_pattern="etl_%"``)."""
        _check_paging(filters)
        return self._iter_dags(filters)

    def _iter_dags(self, filters: dict[str, Any]) -> Iterator[Dag]:
        adapter = self._adapter()
        for raw in self.paginate(adapter.api("DAGApi").get_dags, **filters):
            yield adapter.dag(raw)

    def _get_dag(self, adapter: VersionAdapter, dag_id: str) -> Dag:
        try:
            return adapter.get_dag(dag_id)
        except NotFoundError as exc:
            raise _renamed(
                exc,
                f"DAG {dag_id!r} not found on {safe_url(self._client.base_url)}: it does not "
                "exist, or its file is not parsed yet (client.wait_for_dag waits for it)",
            ) from exc

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0, *, unpause: bool = False) -> Dag:
        """Wait until ``dag_id`` is parsed and visible through the API; return it.

        With ``unpause=True`` it is also unpaused. On timeout, :class:`WaitTimeoutError`
        lists the server's import errors.
        """
        _checks.check_dag_id(dag_id)
        _checks.check_seconds("timeout", timeout)
        _checks.check_flag("unpause", unpause)
        self._check_timing()
        adapter = self._adapter()
        deadline = self._clock() + timeout
        schedule = self._schedule()
        while True:
            try:
                dag = adapter.get_dag(dag_id)
            except NotFoundError:
                last = "not found (not parsed yet?)"
            else:
                if dag.is_active is not False:
                    if unpause and dag.is_paused:
                        dag = adapter.set_paused(dag_id, False)
                    return dag
                last = "known but not active (its file is gone, or no longer defines it)"
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"DAG {dag_id!r} is not visible on {safe_url(self._client.base_url)} after "
                    f"{timeout:g} s: {last}. Import errors: {self._import_errors(adapter)}",
                    timeout=timeout,
                    last_state=last,
                )
            self._sleep(min(schedule.next(), remaining))

    def _import_errors(self, adapter: VersionAdapter) -> str:
        try:
            errors = adapter.import_errors()
        except AirflowClientError as exc:
            return f"(cannot list them: {exc})"
        if not errors:
            return "none"
        shown = [f"{name}: {headline(trace) or '?'}" for name, trace in errors[:5]]
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        return "; ".join(shown) + more

    def pause(self, dag_id: str) -> Dag:
        """Pause a DAG: no new runs start (running ones go on)."""
        _checks.check_dag_id(dag_id)
        adapter = self._adapter()
        self._get_dag(adapter, dag_id)
        return adapter.set_paused(dag_id, True)

    def unpause(self, dag_id: str) -> Dag:
        """Unpause a DAG: queued runs start and its schedule resumes."""
        _checks.check_dag_id(dag_id)
        adapter = self._adapter()
        self._get_dag(adapter, dag_id)
        return adapter.set_paused(dag_id, False)

    # -- trigger ----------------------------------------------------------------------------
    def trigger(
        self,
        dag_id: str,
        conf: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        logical_date: datetime | str | None = None,
        note: str | None = None,
        unpause: bool = False,
    ) -> DagRun:
        """Start a run of ``dag_id``; return it (usually ``queued``).

        - ``conf`` must be a JSON object; it is checked before anything is sent.
        - ``run_id`` defaults to :func:`new_run_id`: chosen here, so that a retried POST is
          recognised and never makes two runs.
        - ``logical_date`` (an aware datetime or ISO string) is left unset by default: "now"
          on Airflow 2, null on Airflow 3.
        - A DAG that does not exist raises :class:`NotFoundError` naming it; a paused DAG
          raises :class:`DagPausedError` (its run would sit queued) unless ``unpause=True``,
          which unpauses it first.
        """
        _checks.check_dag_id(dag_id)
        body_conf = check_conf(conf)
        date = check_logical_date(logical_date)
        chosen = check_run_id(run_id) if run_id is not None else new_run_id()
        _checks.check_note(note)
        _checks.check_flag("unpause", unpause)
        adapter = self._adapter()
        dag = self._get_dag(adapter, dag_id)
        if dag.is_paused:
            if not unpause:
                raise DagPausedError(
                    f"DAG {dag_id!r} is paused: a run triggered now would sit queued until "
                    "someone unpauses it. Unpause it first (client.unpause), or pass "
                    "unpause=True.",
                    dag_id=dag_id,
                )
            logger.info("unpausing DAG %r before triggering it", dag_id)
            adapter.set_paused(dag_id, False)
        try:
            run = adapter.trigger(dag_id, chosen, body_conf, date, note)
        except NotFoundError as exc:
            raise _renamed(exc, f"DAG {dag_id!r} not found when triggering it: {exc}") from exc
        logger.info("triggered %s/%s (%s)", dag_id, run.run_id, run.state)
        return run

    # -- wait -------------------------------------------------------------------------------
    def wait(
        self,
        dag_id: str,
        run_id: str,
        timeout: float | None = 600.0,
        on_update: OnUpdate | None = None,
        raise_on_failure: bool = False,
        *,
        use_wait_endpoint: bool | None = None,
    ) -> DagRun:
        """Wait until the run reaches a terminal state (``success`` or ``failed``); return it.

        - Polls the run, fast at first (0.5 s) then backing off to 5 s; on Airflow >= 3.1
          it reads the server's ``/wait`` NDJSON stream instead (``use_wait_endpoint=None``
          picks it when available, ``False`` forces polling) and polls if the stream fails.
        - ``on_update(run, task_instances)`` is called with the run and its task instances
          first, then on each change of the run's state or of any task instance's state.
        - ``timeout`` seconds (None: no limit) ends in :class:`WaitTimeoutError` carrying
          the last run seen.
        - A ``failed`` run is returned as is by default; with ``raise_on_failure=True`` it
          raises :class:`DagRunFailedError` with the failed task instances and the tail of
          each one's log.
        """
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        self._check_wait(timeout, on_update, raise_on_failure, use_wait_endpoint)
        adapter = self._adapter()
        limit = math.inf if timeout is None else float(timeout)
        deadline = self._clock() + limit
        observer = _Observer(on_update)
        stream = use_wait_endpoint
        if stream is None:
            stream = adapter.supports("wait_stream") and not self.__dict__.get("_wf_no_stream")
        elif stream:
            self._client.require("wait_stream", action="wait on the /wait stream")
        run = self._first_look(adapter, dag_id, run_id, observer)
        if not run.finished and stream:
            try:
                run = self._wait_stream(adapter, dag_id, run_id, deadline, limit, observer)
            except _StreamUnusable as why:
                logger.info("polling %s/%s: the /wait stream %s", dag_id, run_id, why)
        if not run.finished:
            run = self._wait_poll(adapter, dag_id, run_id, deadline, limit, observer)
        if raise_on_failure and run.failed:
            raise self._failure(adapter, run)
        return run

    def trigger_and_wait(
        self,
        dag_id: str,
        conf: Mapping[str, Any] | None = None,
        timeout: float | None = 600.0,
        raise_on_failure: bool = True,
        on_update: OnUpdate | None = None,
        *,
        run_id: str | None = None,
        logical_date: datetime | str | None = None,
        note: str | None = None,
        unpause: bool = False,
        use_wait_endpoint: bool | None = None,
    ) -> DagRun:
        """:meth:`trigger`, then :meth:`wait` (``timeout`` covers the wait). A failed run
        raises :class:`DagRunFailedError` unless ``raise_on_failure=False``."""
        self._check_wait(timeout, on_update, raise_on_failure, use_wait_endpoint)
        run = self.trigger(
            dag_id, conf, run_id=run_id, logical_date=logical_date, note=note, unpause=unpause
        )
        return self.wait(
            dag_id,
            run.run_id,
            timeout=timeout,
            on_update=on_update,
            raise_on_failure=raise_on_failure,
            use_wait_endpoint=use_wait_endpoint,
        )

    def _check_wait(
        self,
        timeout: Any,
        on_update: Any,
        raise_on_failure: Any,
        use_wait_endpoint: Any,
    ) -> None:
        _checks.check_seconds("timeout", timeout, none="no limit")
        _checks.check_callable("on_update", on_update, none="no updates")
        _checks.check_flag("raise_on_failure", raise_on_failure)
        _checks.check_flag("use_wait_endpoint", use_wait_endpoint, none="use it when available")
        self._check_timing()

    def _first_look(
        self, adapter: VersionAdapter, dag_id: str, run_id: str, observer: _Observer
    ) -> DagRun:
        try:
            run = adapter.get_run(dag_id, run_id)
        except NotFoundError as exc:
            raise _renamed(
                exc, f"run {run_id!r} of DAG {dag_id!r} not found: {exc.detail or exc}"
            ) from exc
        observer.observe(run, self._tis_for(adapter, run, observer))
        return run

    def _tis_for(
        self, adapter: VersionAdapter, run: DagRun, observer: _Observer
    ) -> list[TaskInstance] | None:
        if not observer.wants_task_instances:
            return None
        return list(self.iter_task_instances(run.dag_id, run.run_id))

    def _timeout(self, run: DagRun | None, limit: float) -> WaitTimeoutError:
        state = run.state if run is not None else "unknown"
        where = f"{run.dag_id}/{run.run_id}" if run is not None else "the run"
        return WaitTimeoutError(
            f"{where} did not finish within {limit:g} s (last state: {state})",
            timeout=limit,
            last_run=run,
        )

    def _wait_poll(
        self,
        adapter: VersionAdapter,
        dag_id: str,
        run_id: str,
        deadline: float,
        limit: float,
        observer: _Observer,
    ) -> DagRun:
        schedule = self._schedule()
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._timeout(observer.last_run, limit)
            self._sleep(min(schedule.next(), remaining))
            run = adapter.get_run(dag_id, run_id)
            if observer.observe(run, self._tis_for(adapter, run, observer)):
                schedule.reset()
            if run.finished:
                return run

    def _wait_stream(
        self,
        adapter: VersionAdapter,
        dag_id: str,
        run_id: str,
        deadline: float,
        limit: float,
        observer: _Observer,
    ) -> DagRun:
        """Follow ``GET .../dagRuns/{id}/wait``: one NDJSON line per server check."""
        interval = self.wait_stream_interval
        remaining = deadline - self._clock()
        read = max(interval * 2, min(self.wait_stream_silence, remaining))
        request = Request(
            "GET", adapter.wait_url(dag_id, run_id, interval), {"Accept": "application/x-ndjson"}
        )
        transport = self._client.transport
        try:
            response = transport.send(
                request, preload_content=False, timeout=urllib3.Timeout(connect=10.0, read=read)
            )
        except ApiError as exc:
            if exc.status in (400, 404, 405, 406, 422, 501):
                self.__dict__["_wf_no_stream"] = True  # this server has no usable /wait
            raise _StreamUnusable(f"answered {exc.status}") from exc
        except (TransportError, UnexpectedResponseError) as exc:
            raise _StreamUnusable(f"failed: {exc}") from exc
        decoder = NdjsonDecoder()
        schedule = self._schedule()
        next_tis = self._clock() + schedule.next()
        run = observer.last_run
        assert run is not None
        try:
            while True:
                try:
                    chunk = response.read1(65536)
                except (HTTPError, OSError) as exc:
                    if self._clock() >= deadline:
                        raise self._timeout(observer.last_run, limit) from None
                    raise _StreamUnusable(f"broke off: {exc}") from exc
                try:
                    docs = decoder.feed(chunk) if chunk else decoder.close()
                except ValueError as exc:
                    raise _StreamUnusable(f"sent something else than NDJSON: {exc}") from exc
                for doc in docs:
                    state = doc.get("state") if isinstance(doc, dict) else None
                    if state is None:
                        continue
                    if state != run.state:
                        run = adapter.get_run(dag_id, run_id)
                        observer.observe(run, self._tis_for(adapter, run, observer))
                        schedule.reset()
                        next_tis = self._clock() + schedule.next()
                    elif observer.wants_task_instances and self._clock() >= next_tis:
                        if observer.observe(run, self._tis_for(adapter, run, observer)):
                            schedule.reset()
                        next_tis = self._clock() + schedule.next()
                    if run.finished:
                        return run
                if not chunk:
                    raise _StreamUnusable("ended before the run did")
                if self._clock() >= deadline:
                    raise self._timeout(observer.last_run, limit)
        finally:
            response.close()
            response.release_conn()

    def _failure(self, adapter: VersionAdapter, run: DagRun) -> DagRunFailedError:
        failed = [ti for ti in self.iter_task_instances(run.dag_id, run.run_id) if ti.failed]
        failed.sort(key=lambda ti: ti.end_date or datetime.max.replace(tzinfo=timezone.utc))
        tails: dict[str, str] = {}
        for ti in failed[:MAX_FAILED_LOGS]:
            if ti.try_number < 1:
                continue
            try:
                text = adapter.log_text(
                    run.dag_id, run.run_id, ti.task_id, ti.try_number, ti.map_index, tail=True
                )
            except AirflowClientError as exc:
                text = f"(log not available: {exc})"
            tails[ti.key] = log_tail(text)
        parts = []
        for ti in failed[:3]:
            line = headline(tails.get(ti.key, ""))
            parts.append(f"{ti.key}: {line}" if line else ti.key)
        more = f" (+{len(failed) - 3} more)" if len(failed) > 3 else ""
        what = "; ".join(parts) + more if parts else "no task instance in state failed"
        return DagRunFailedError(
            f"DAG run {run.dag_id}/{run.run_id} failed. Failed tasks: {what}",
            run=run,
            failed_task_instances=failed,
            log_tails=tails,
        )

    # -- runs and tasks ---------------------------------------------------------------------
    def get_dag_run(self, dag_id: str, run_id: str) -> DagRun:
        """One run, as :class:`DagRun`."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        return self._adapter().get_run(dag_id, run_id)

    def clear_run(self, dag_id: str, run_id: str, only_failed: bool = True) -> DagRun:
        """Clear a run's task instances so that they run again (by default only the failed
        and upstream-failed ones); return the run, now queued again."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        _checks.check_flag("only_failed", only_failed)
        adapter = self._adapter()
        adapter.clear(dag_id, run_id, only_failed)
        return adapter.get_run(dag_id, run_id)

    def task_log(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        try_number: int | None = None,
        *,
        map_index: int = -1,
    ) -> str:
        """The log of one try of a task instance, as text (default: its latest try).

        Airflow 2 sends text; Airflow 3 sends structured lines, joined here into text. A
        task instance that never ran gives ``""``.
        """
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        _checks.check_task_id(task_id)
        _checks.check_try_number(try_number)
        _checks.check_map_index(map_index)
        adapter = self._adapter()
        if try_number is None:
            try_number = adapter.get_task_instance(dag_id, run_id, task_id, map_index).try_number
            if try_number < 1:
                return ""
        return adapter.log_text(dag_id, run_id, task_id, try_number, map_index)

    # -- health -----------------------------------------------------------------------------
    def health(self) -> Health:
        """The server's health (database, scheduler, triggerer, DAG processor)."""
        return self._adapter().health()

    def wait_until_healthy(self, timeout: float = 60.0) -> Health:
        """Wait until :meth:`health` says healthy, through connection errors and 5xx
        answers of a server that is starting; :class:`WaitTimeoutError` after ``timeout``."""
        _checks.check_seconds("timeout", timeout)
        self._check_timing()
        probe = self._client.with_options(retry=NO_RETRY, timeout=5.0)
        deadline = self._clock() + timeout
        schedule = self._schedule()
        while True:
            try:
                health = probe.health()
            except (TransportError, ServerError, UnexpectedResponseError) as exc:
                last = f"unreachable: {exc}"
            except ConfigurationError as exc:  # no API answering yet (a proxy's 502 page)
                last = str(exc)
            else:
                if health.healthy:
                    return health
                last = "unhealthy: " + ", ".join(
                    f"{name}={health.components.get(name)}" for name in health.unhealthy
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"{safe_url(self._client.base_url)} is not healthy after {timeout:g} s "
                    f"({last})",
                    timeout=timeout,
                    last_state=last,
                )
            self._sleep(min(schedule.next(), remaining))

    # -- export / import --------------------------------------------------------------------
    def export_config(
        self, variables: bool = True, pools: bool = True, connections: bool = True
    ) -> dict[str, Any]:
        """Variables, pools and connections as a JSON-able document for :meth:`import_config`
        (on this server or another one, of either major).

        Values the API does not return (connection passwords; on Airflow 3 the values of
        sensitive variables; masked keys of a connection's extra) are left out of the item
        and listed under ``"missing"``: they are never written back as empty or as ``***``.
        """
        for name, flag in (
            ("variables", variables),
            ("pools", pools),
            ("connections", connections),
        ):
            _checks.check_flag(name, flag)
        client = self._client
        adapter = self._adapter()
        doc: dict[str, Any] = {
            "format": CONFIG_FORMAT,
            "version": CONFIG_FORMAT_VERSION,
            "exported_at": datetime.now(timezone.utc).isoformat(),
            "source": {
                "url": safe_url(client.base_url),
                "api_version": client.api_version,
                "airflow_version": client.server_version,
            },
        }
        missing: list[dict[str, str]] = []
        if pools:
            doc["pools"] = sorted(adapter.pools(), key=lambda p: str(p["name"]))
        if variables:
            items = []
            for var in sorted(adapter.variables(), key=lambda v: str(v["key"])):
                item = {"key": var["key"], "description": var.get("description")}
                if has_mask(var.get("value")):
                    missing.append(
                        _missing(
                            "variable",
                            var["key"],
                            "value",
                            "masked by the API (a sensitive key or value)",
                        )
                    )
                else:
                    item["value"] = var.get("value")
                items.append(item)
            doc["variables"] = items
        if connections:
            conns = []
            for conn in sorted(adapter.connections(), key=lambda c: str(c["connection_id"])):
                name = conn["connection_id"]
                item = {k: conn.get(k) for k in CONNECTION_FIELDS if k != "password"}
                if "password" not in conn:
                    missing.append(
                        _missing(
                            "connection",
                            name,
                            "password",
                            f"Airflow {client.server_version}'s API never returns passwords "
                            "(whether one is set is unknown)",
                        )
                    )
                elif has_mask(conn["password"]):
                    missing.append(
                        _missing(
                            "connection", name, "password", "set, but the API does not return it"
                        )
                    )
                elif conn["password"] is not None:
                    item["password"] = conn["password"]
                hidden = masked_keys(conn.get("extra"))
                if hidden:
                    missing.append(
                        _missing(
                            "connection",
                            name,
                            "extra",
                            "masked by the API: " + ", ".join(hidden),
                        )
                    )
                conns.append(item)
            doc["connections"] = conns
        doc["missing"] = missing
        return doc

    def import_config(
        self,
        doc: Mapping[str, Any],
        mode: str = "upsert",
        dry_run: bool = False,
        *,
        overwrite_secrets: bool = False,
    ) -> ImportReport:
        """Make this server hold the variables, pools and connections of ``doc`` (from
        :meth:`export_config`, or written by hand in the same format).

        - ``mode="upsert"`` creates what is missing and updates what differs (only the
          fields that differ); ``mode="skip-existing"`` never touches an existing item.
        - Idempotent: a second import of the same document changes nothing (everything is
          ``unchanged``). Values compare by meaning (JSON text by its parsed value).
        - A value the document lacks (a secret the source API never returned) is never
          written: the item is created without it, or left as it is, and the report lists it
          under ``missing``. A variable without its value cannot be created: ``skipped``.
        - A secret the document does carry but the server does not show (an existing
          connection's password; on Airflow 3 a sensitive variable's value or a masked key
          of an extra) cannot be compared: it is written when the item is created, and left
          alone on an existing item (noted in the item's ``reason``) unless
          ``overwrite_secrets=True``, which writes it (``updated``) on every import.
        - ``dry_run=True`` reads everything, writes nothing and reports what would happen.
        """
        _check_document(doc)
        _checks.check_choice("mode", mode, IMPORT_MODES)
        _checks.check_flag("dry_run", dry_run)
        _checks.check_flag("overwrite_secrets", overwrite_secrets)
        adapter = self._adapter()
        missing_by_item: dict[tuple[str, str], dict[str, str]] = {}
        for entry in doc.get("missing") or ():
            if isinstance(entry, Mapping):
                key = (str(entry.get("kind")), str(entry.get("name")))
                missing_by_item.setdefault(key, {})[str(entry.get("field"))] = str(
                    entry.get("reason", "")
                )
        outcome: dict[str, list[ImportItem]] = {
            "created": [],
            "updated": [],
            "unchanged": [],
            "skipped": [],
            "missing": [],
        }
        for spec in _KINDS:
            items = doc.get(spec.section)
            if items is None:
                continue
            self._import_kind(
                adapter, spec, items, missing_by_item, mode, dry_run, overwrite_secrets, outcome
            )
        return ImportReport(
            created=tuple(outcome["created"]),
            updated=tuple(outcome["updated"]),
            unchanged=tuple(outcome["unchanged"]),
            skipped=tuple(outcome["skipped"]),
            missing=tuple(outcome["missing"]),
            mode=mode,
            dry_run=dry_run,
        )

    def _import_kind(
        self,
        adapter: VersionAdapter,
        spec: _Kind,
        items: list[Any],
        missing_by_item: Mapping[tuple[str, str], Mapping[str, str]],
        mode: str,
        dry_run: bool,
        overwrite_secrets: bool,
        outcome: dict[str, list[ImportItem]],
    ) -> None:
        listing: Callable[[], Iterator[dict[str, Any]]] = getattr(adapter, spec.section)
        existing = {str(item[spec.id_field]): item for item in listing()}
        create = getattr(adapter, f"create_{spec.kind}")
        update = getattr(adapter, f"update_{spec.kind}")
        for raw in items:
            name = str(raw[spec.id_field])
            desired, unknown = _desired(spec, raw, missing_by_item.get((spec.kind, name), {}))
            current = existing.get(name)
            for field_name, reason in unknown.items():
                fate = (
                    "not created"
                    if current is None and field_name in spec.required
                    else (
                        "created without it: set it on the server"
                        if current is None
                        else "left as it is on the server"
                    )
                )
                outcome["missing"].append(
                    ImportItem(spec.kind, name, (field_name,), f"{reason}; {fate}")
                )
            if current is None:
                lacking = [f for f in spec.required if desired.get(f) is None]
                if lacking:
                    outcome["skipped"].append(
                        ImportItem(
                            spec.kind,
                            name,
                            tuple(lacking),
                            "does not exist and the document lacks its "
                            + ", ".join(lacking)
                            + " (not exported: a masked value)",
                        )
                    )
                    continue
                if not dry_run:
                    to_create = dict(desired)
                    if has_mask(to_create.get("extra")):  # never store the mask itself
                        to_create["extra"] = _without_masked(to_create["extra"])
                    create(to_create)
                written = tuple(f for f in spec.fields if f in desired)
                outcome["created"].append(ImportItem(spec.kind, name, written, "created"))
                continue
            differing, unverifiable = _differing(spec, desired, current)
            if overwrite_secrets:
                differing, unverifiable = differing + unverifiable, []
            note = (
                "; not compared, the server does not show them (overwrite_secrets=True "
                "writes them): " + ", ".join(unverifiable)
                if unverifiable
                else ""
            )
            if not differing:
                outcome["unchanged"].append(ImportItem(spec.kind, name, (), "unchanged" + note))
            elif mode == "skip-existing":
                outcome["skipped"].append(
                    ImportItem(
                        spec.kind,
                        name,
                        tuple(differing),
                        "exists (mode=skip-existing); differs" + note,
                    )
                )
            else:
                if not dry_run:
                    update(desired, current, differing)
                outcome["updated"].append(
                    ImportItem(spec.kind, name, tuple(differing), "updated" + note)
                )


def _missing(kind: str, name: str, field_name: str, reason: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "field": field_name, "reason": reason}


def _check_document(doc: Any) -> None:
    if not isinstance(doc, Mapping):
        raise InvalidArgumentError(
            f"not an export document: a dict is expected, not {type(doc).__name__}"
        )
    if doc.get("format") != CONFIG_FORMAT:
        raise InvalidArgumentError(
            f"not an export document of airflow-client-ext: format is {doc.get('format')!r}, "
            f"expected {CONFIG_FORMAT!r}"
        )
    version = doc.get("version")
    if not isinstance(version, int) or not 1 <= version <= CONFIG_FORMAT_VERSION:
        raise InvalidArgumentError(
            f"export document version {version!r} is not supported (this client reads up to "
            f"{CONFIG_FORMAT_VERSION})"
        )
    for spec in _KINDS:  # every item, before anything is read or written
        items = doc.get(spec.section)
        if items is None:
            continue
        if not isinstance(items, list):
            raise InvalidArgumentError(
                f"the document's {spec.section!r} must be a list, not {type(items).__name__}"
            )
        for index, raw in enumerate(items):
            where = f"{spec.section}[{index}]"
            if not isinstance(raw, Mapping):
                _checks.fail(where, f"an object with a {spec.id_field!r}", raw)
            _checks.check_id(f"{where}.{spec.id_field}", raw.get(spec.id_field), path=False)


def _check_paging(filters: Mapping[str, Any]) -> None:
    """The ``limit`` and ``offset`` among the filters of a listing."""
    _checks.check_page_size("limit", filters.get("limit"), none=f"{PAGE_SIZE}")
    _checks.check_offset(filters.get("offset"), none="0")


def _desired(
    spec: _Kind, raw: Mapping[str, Any], listed_missing: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to manage for one item, and those the document cannot supply (secrets
    that were not exported, masked values) with why."""
    desired: dict[str, Any] = {spec.id_field: raw[spec.id_field]}
    unknown = dict(listed_missing)
    for name in spec.fields:
        if name not in raw:
            continue
        value = raw[name]
        if name == "extra" and isinstance(value, str) and has_mask(value):
            keys = masked_keys(value)
            unknown.setdefault("extra", "masked by the API: " + ", ".join(keys))
            desired["extra"] = value  # compared without the masked keys; never written back
            continue
        if has_mask(value):
            unknown.setdefault(name, "masked by the API")
            continue
        desired[name] = value
    return desired, unknown


def _differing(
    spec: _Kind, desired: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The managed fields whose values differ, and those that cannot be compared because
    the server does not show its current value (a password, a masked value).

    Fields the server does not report at all (include_deferred on old servers) are not
    compared; a field whose wanted value is masked is never written (it would store the
    mask), so it is not compared either.
    """
    differing: list[str] = []
    unverifiable: list[str] = []
    for name in spec.fields:
        if name not in desired:
            continue
        wanted = desired[name]
        if name == "password":
            if "password" in current and current["password"] is None:  # none set: known
                if wanted is not None:
                    differing.append(name)
            else:  # never returned (Airflow 2) or masked (Airflow 3)
                unverifiable.append(name)
            continue
        if name not in current:
            continue
        have = current[name]
        if has_mask(wanted):
            continue
        if name == "extra" and has_mask(have):
            hidden = set(masked_keys(have))
            wanted_shown, have_shown = _drop_keys(wanted, hidden), _drop_keys(have, hidden)
            if _normal(spec.kind, name, wanted_shown) != _normal(spec.kind, name, have_shown):
                differing.append(name)
            elif hidden & _json_keys(wanted):
                unverifiable.append(name)
            continue
        if has_mask(have):
            unverifiable.append(name)
            continue
        if _normal(spec.kind, name, wanted) != _normal(spec.kind, name, have):
            differing.append(name)
    return differing, unverifiable


def _json_keys(extra: Any) -> set[str]:
    """The top-level keys of a connection's extra (JSON text), if it is a JSON object."""
    try:
        doc = json.loads(extra) if isinstance(extra, str) else None
    except ValueError:
        return set()
    return {str(k) for k in doc} if isinstance(doc, dict) else set()


def _drop_keys(extra: Any, keys: set[str]) -> Any:
    """A connection's extra (JSON text) without some keys."""
    if not isinstance(extra, str) or not keys:
        return extra
    try:
        doc = json.loads(extra)
    except ValueError:
        return extra
    if not isinstance(doc, dict):
        return extra
    return json.dumps({k: v for k, v in doc.items() if k not in keys}, sort_keys=True)


def _renamed(exc: ApiError, message: str) -> ApiError:
    """The same error class and fields with a message that names what was not found."""
    return type(exc)(
        message,
        status=exc.status,
        method=exc.method,
        path=exc.path,
        title=exc.title,
        detail=exc.detail,
        type=exc.type,
        body_excerpt=exc.body_excerpt,
        headers=exc.headers,
    )


__all__ = [
    "IMPORT_MODES",
    "LOG_TAIL_CHARS",
    "LOG_TAIL_LINES",
    "PAGE_SIZE",
    "RUN_ID_PATTERN",
    "NdjsonDecoder",
    "OnUpdate",
    "PollSchedule",
    "Workflows",
    "check_conf",
    "check_logical_date",
    "check_run_id",
    "headline",
    "log_tail",
    "new_run_id",
]
