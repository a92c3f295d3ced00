"""Helpers of the v2 contract suite: unique names, polling with a deadline, runs and DAGs.

(Named ``v2_support`` rather than ``helpers``: test folders without ``__init__.py`` share one
module namespace with the v1 suite.) Everything goes through the generated client
``airflow_client_ext_v2``, passed in as ``v2`` with an ``ApiClient``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[3]
FINISHED = frozenset({"success", "failed"})
T = TypeVar("T")


def unique(prefix: str) -> str:
    """A name that no other test (nor an earlier session on the same server) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def poll(
    what: str,
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float = 120.0,
    interval: float = 0.5,
) -> T:
    """Call ``probe`` until ``done(result)``; fail with the last result after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: {result!r}")
        time.sleep(interval)


def value(enum_or_str: Any) -> Any:
    """The plain value of a generated enum member (or the value itself)."""
    return getattr(enum_or_str, "value", enum_or_str)


def status_of(call: Callable[[], Any]) -> int:
    """The HTTP status of the ``ApiException`` that ``call`` raises (fails if it does not)."""
    from airflow_client_ext_v2 import ApiException

    try:
        call()
    except ApiException as exc:
        return int(exc.status)
    raise AssertionError("the call succeeded; an HTTP error was expected")


def wait_for_dag(v2: ModuleType, client: Any, dag_id: str, timeout: float = 120.0) -> Any:
    """Wait until ``dag_id`` is parsed and served; return its ``DAGResponse``."""
    api = v2.DAGApi(client)

    def probe() -> Any:
        try:
            return api.get_dag(dag_id)
        except v2.ApiException as exc:
            if exc.status != 404:
                raise
            return None

    return poll(f"DAG {dag_id} to be parsed", probe, lambda d: d is not None, timeout=timeout)


def unpause(v2: ModuleType, client: Any, dag_id: str) -> Any:
    """Wait for ``dag_id`` and unpause it (DAGs are paused at creation); return the DAG."""
    wait_for_dag(v2, client, dag_id)
    dag = v2.DAGApi(client).patch_dag(dag_id, v2.DAGPatchBody(is_paused=False))
    assert dag.is_paused is False
    return dag


def trigger(
    v2: ModuleType, client: Any, dag_id: str, conf: dict[str, Any] | None = None, **kw: Any
) -> Any:
    """Trigger a run (``logical_date`` left unset: sent as null); return its ``DAGRunResponse``."""
    body = v2.TriggerDAGRunPostBody(conf=conf or {}, **kw)
    run = v2.DagRunApi(client).trigger_dag_run(dag_id, body)
    assert run.dag_id == dag_id
    return run


def wait_for_run(
    v2: ModuleType,
    client: Any,
    dag_id: str,
    run_id: str,
    states: frozenset[str] | set[str] = FINISHED,
    timeout: float = 120.0,
) -> Any:
    """Poll the run until its state is one of ``states``; return its ``DAGRunResponse``."""
    api = v2.DagRunApi(client)
    return poll(
        f"run {dag_id}/{run_id} to reach {sorted(states)}",
        lambda: api.get_dag_run(dag_id, run_id),
        lambda run: value(run.state) in states,
        timeout=timeout,
    )


def trigger_and_wait(
    v2: ModuleType,
    client: Any,
    dag_id: str,
    conf: dict[str, Any] | None = None,
    timeout: float = 120.0,
    **kw: Any,
) -> Any:
    """Trigger ``dag_id`` and wait until the run finishes; return the finished run."""
    run = trigger(v2, client, dag_id, conf, **kw)
    return wait_for_run(v2, client, dag_id, run.dag_run_id, timeout=timeout)


def wait_for_task_state(
    v2: ModuleType,
    client: Any,
    dag_id: str,
    run_id: str,
    task_id: str,
    states: set[str],
    map_index: int | None = None,
    timeout: float = 120.0,
) -> Any:
    """Poll one task instance until its state is one of ``states``; return it."""
    api = v2.TaskInstanceApi(client)

    def probe() -> Any:
        try:
            if map_index is None:
                return api.get_task_instance(dag_id, run_id, task_id)
            return api.get_mapped_task_instance(dag_id, run_id, task_id, map_index)
        except v2.ApiException as exc:
            if exc.status != 404:  # a mapped instance does not exist before expansion
                raise
            return None

    return poll(
        f"task {dag_id}/{run_id}/{task_id}[{map_index}] to reach {sorted(states)}",
        probe,
        lambda ti: ti is not None and value(ti.state) in states,
        timeout=timeout,
    )


def ndjson(raw: bytes | bytearray) -> list[dict[str, Any]]:
    """Decode a newline-delimited JSON body (``/wait``) into its objects."""
    return [json.loads(line) for line in bytes(raw).decode().splitlines() if line.strip()]
