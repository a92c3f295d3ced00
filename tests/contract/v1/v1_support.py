"""Helpers of the v1 contract suite: unique names, polling with a deadline, runs and DAGs.

(Named ``v1_support`` rather than ``helpers``: test folders without ``__init__.py`` share one
module namespace, and the v2 suite may have helpers of its own.)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[3]
FINISHED = {"success", "failed"}
#: A ``Configuration.datetime_format`` that Airflow 2 accepts in query parameters (for UTC
#: datetimes): the generated default ends with ``%z`` (``+0000``), which is not RFC 3339.
RFC3339_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"
T = TypeVar("T")


def unique(prefix: str) -> str:
    """A name no other test (or earlier session on the same server) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def poll(
    what: str,
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float = 120.0,
    interval: float = 1.0,
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


def delete_if_present(v1: ModuleType, delete: Callable[[], Any]) -> None:
    """Call ``delete``; a 404 (already gone) is fine, any other error is not."""
    try:
        delete()
    except v1.ApiException as exc:
        if exc.status != 404:
            raise


def wait_for_dag(v1: ModuleType, client: Any, dag_id: str, timeout: float = 240.0) -> Any:
    """Wait until the scheduler has parsed ``dag_id`` and the API serves it."""

    def probe() -> Any:
        try:
            return v1.DAGApi(client).get_dag(dag_id)
        except v1.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    return poll(f"DAG {dag_id} to be parsed", probe, lambda d: d is not None, timeout=timeout)


def unpause(v1: ModuleType, client: Any, dag_id: str) -> Any:
    """Unpause ``dag_id`` (DAGs are paused at creation) once it is parsed."""
    wait_for_dag(v1, client, dag_id)
    dag = v1.DAGApi(client).patch_dag(dag_id, v1.DAG(is_paused=False), update_mask=["is_paused"])
    assert dag.is_paused is False
    return dag


def trigger(v1: ModuleType, client: Any, dag_id: str, conf: dict[str, Any] | None = None) -> Any:
    """Trigger a run with a unique run id; returns the created ``DAGRun``."""
    run_id = unique(f"v1_{dag_id}")
    body = v1.DAGRun(dag_run_id=run_id, conf=conf or {})
    run = v1.DAGRunApi(client).post_dag_run(dag_id, body)
    assert run.dag_run_id == run_id
    return run


def wait_for_run(
    v1: ModuleType,
    client: Any,
    dag_id: str,
    run_id: str,
    states: set[str] = FINISHED,
    timeout: float = 240.0,
) -> Any:
    """Poll ``GET /dags/{dag_id}/dagRuns/{run_id}`` until its state is one of ``states``."""
    api = v1.DAGRunApi(client)
    return poll(
        f"run {dag_id}/{run_id} to reach {sorted(states)}",
        lambda: api.get_dag_run(dag_id, run_id),
        lambda run: run.state is not None and run.state.value in states,
        timeout=timeout,
    )


def write_trigger_dag_file(folder: Path, dag_id: str, trigger_dag_id: str) -> Path:
    """Write a DAG ``dag_id`` whose task ``trigger`` (a ``TriggerDagRunOperator``, which has
    an extra link) triggers ``trigger_dag_id``.
    """
    path = folder / f"{dag_id}.py"
    path.write_text(
        f'''"""Written by the v1 contract suite at runtime: a task with an extra link."""

import datetime

try:
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
except ImportError:
    from airflow import DAG
    from airflow.operators.trigger_dagrun import TriggerDagRunOperator

with DAG(
    dag_id={dag_id!r},
    tags=["airflow-client-ext", "runtime"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
):
    TriggerDagRunOperator(task_id="trigger", trigger_dag_id={trigger_dag_id!r})
'''
    )
    return path


def write_dag_file(folder: Path, dag_id: str, task_kwargs: str = "") -> Path:
    """Write a one-task DAG ``dag_id`` (works on Airflow 2 and 3) into ``folder``.

    ``task_kwargs``: Python source of more keyword arguments of the task (``"pool='p'"``).
    """
    path = folder / f"{dag_id}.py"
    path.write_text(
        f'''"""Written by the v1 contract suite at runtime."""

import datetime

try:
    from airflow.sdk import dag, task
except ImportError:
    from airflow.decorators import dag, task


@dag(
    dag_id={dag_id!r},
    tags=["airflow-client-ext", "runtime"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
)
def runtime_dag():
    @task({task_kwargs})
    def only() -> None:
        return None

    only()


runtime_dag()
'''
    )
    return path


#: The conf of the run that checks the conf round trip (a prestarted run, see ``Runs``).
ECHO_CONF: dict[str, Any] = {
    "text": "h\u00e9llo",
    "numbers": [1, 2.5],
    "nested": {"flag": True, "none": None},
}
ECHO_NOTE = "triggered by the v1 suite"

#: The runs the suite needs finished: key -> (DAG, conf, note). All are triggered together on
#: first use of ``Runs``, so the (sequential) executor works through them while other tests
#: run; each test then waits for its own run only.
PRESTARTED: dict[str, tuple[str, dict[str, Any] | None, str | None]] = {
    # in the order the tests (files in alphabetical order) first need them
    "quick_success": ("quick_success", {"origin": "v1-contract"}, None),
    "dataset_producer": ("dataset_producer", None, None),
    "echo_conf": ("echo_conf", ECHO_CONF, ECHO_NOTE),
    "echo_conf_to_clear": ("echo_conf", {"round": 1}, None),
    "echo_conf_to_fail": ("echo_conf", None, None),
    "always_fails": ("always_fails", None, None),
    "xcom_push": ("xcom_push", None, None),
}


class Runs:
    """The prestarted runs of ``PRESTARTED``, each used by one test (or read-only by many)."""

    def __init__(self, v1: ModuleType, client: Any) -> None:
        self.v1 = v1
        self.client = client
        self.created: dict[str, Any] = {}
        for dag_id in dict.fromkeys(dag_id for dag_id, _, _ in PRESTARTED.values()):
            unpause(v1, client, dag_id)
        api = v1.DAGRunApi(client)
        for key, (dag_id, conf, note) in PRESTARTED.items():
            body = v1.DAGRun(dag_run_id=unique(f"v1_{key}"), conf=conf or {}, note=note)
            self.created[key] = api.post_dag_run(dag_id, body)

    def finished(self, key: str, timeout: float = 300.0) -> Any:
        """The run ``key`` once it has finished."""
        run = self.created[key]
        return wait_for_run(self.v1, self.client, run.dag_id, run.dag_run_id, timeout=timeout)


@dataclass
class DagFiles:
    """The DAG files the ``extra_dags`` fixture wrote into the server's DAGs folder."""

    broken: Path
    warning_dag_id: str
    missing_pool: str
    deletable_dag_id: str
    links_dag_id: str
    warning_file: Path | None = None
    deletable_file: Path | None = None
    links_file: Path | None = None


def lost_in_deserialization(model: Any, raw: Any, path: str = "$") -> list[str]:
    """Where the deserialized ``model`` lost something the server sent in ``raw`` (its JSON).

    A generated model keeps only the properties the spec declares and ignores the others, so
    a property the spec names differently from the server (or forgets) silently comes back
    as None. This lists each such key, and each non-null value that came back as None.
    """
    if isinstance(model, BaseModel):
        fields = type(model).model_fields
        if "actual_instance" in fields:  # an anyOf / oneOf wrapper
            return lost_in_deserialization(model.actual_instance, raw, path)
        if not isinstance(raw, dict):
            return []
        by_key = {(info.alias or name): name for name, info in fields.items()}
        lost: list[str] = []
        for key, value in raw.items():
            name = by_key.get(key)
            if name is None:
                lost.append(f"{path}.{key} (not in the model)")
            elif value is not None and getattr(model, name) is None:
                lost.append(f"{path}.{key} (sent {json.dumps(value)[:80]}, got None)")
            else:
                lost.extend(lost_in_deserialization(getattr(model, name), value, f"{path}.{key}"))
        return lost
    if isinstance(model, list) and isinstance(raw, list):
        return [
            loss
            for i, (item, raw_item) in enumerate(zip(model, raw, strict=False))
            for loss in lost_in_deserialization(item, raw_item, f"{path}[{i}]")
        ]
    if isinstance(model, dict) and isinstance(raw, dict):
        return [
            loss
            for key in raw.keys() & model.keys()
            for loss in lost_in_deserialization(model[key], raw[key], f"{path}.{key}")
        ]
    return []
