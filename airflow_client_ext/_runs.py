"""Runs: trigger one, wait for it (polling, or the ``/wait`` stream of Airflow >= 3.1),
both at once; read a run, clear it, read a task's log; the log tails of a failed run.

Also the pure pieces they use: run ids, the checks of a trigger's arguments, the NDJSON
decoder of the ``/wait`` stream, log tails and headlines, the observer of state changes.
"""

from __future__ import annotations

import json
import logging
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError

from . import _checks
from ._checks import check_conf
from ._http import Request
from ._paging import _PagingWorkflows
from ._versions import VersionAdapter
from ._workflow_base import _renamed
from .errors import (
    AirflowClientError,
    ApiError,
    DagPausedError,
    DagRunFailedError,
    NotFoundError,
    TransportError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from .models import DagRun, TaskInstance

logger = logging.getLogger("airflow_client_ext.workflows")

#: Called by ``wait`` on each change of the run's state or of any task instance's state.
OnUpdate = Callable[[DagRun, Sequence[TaskInstance]], None]

#: Bounds of the log tail carried by DagRunFailedError, per failed task instance.
LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4096
#: Failed task instances whose logs are fetched for DagRunFailedError (a mapped task may
#: fail 1000 times; the error lists them all but reads only the first logs).
MAX_FAILED_LOGS = 10


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


class _RunWorkflows(_PagingWorkflows):
    """Runs of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

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

        - Polls the run, fast at first (0.5 s, at most 0.75 s apart during the first minute)
          then backing off to 5 s; on Airflow >= 3.1
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

    def _failure(
        self, adapter: VersionAdapter, run: DagRun, max_logs: int = MAX_FAILED_LOGS
    ) -> DagRunFailedError:
        """The error of a failed run: its failed task instances and the log tails of the
        first ``max_logs`` of them."""
        failed = [ti for ti in self.iter_task_instances(run.dag_id, run.run_id) if ti.failed]
        failed.sort(key=lambda ti: ti.end_date or datetime.max.replace(tzinfo=timezone.utc))
        tails: dict[str, str] = {}
        for ti in failed[:max_logs]:
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
