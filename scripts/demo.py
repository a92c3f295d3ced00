"""The main job, `make demo`: a real local Airflow, the demo DAG triggered and waited for.

    python scripts/demo.py [--airflow-version 3.3.2]

Starts a throwaway Airflow through ``airflow_client_ext.testing`` with ``scripts/demo_dags``,
waits until the ``demo`` DAG is parsed, unpauses and triggers it with the generated client of
the server's API (``airflow_client_ext_v2`` with a token on Airflow 3,
``airflow_client_ext_v1`` with basic auth on Airflow 2), prints each task state change until
the run ends, then stops the server. Exits 0 when the run succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow_client_ext.testing import AirflowInstance, AirflowServer

DAGS = Path(__file__).resolve().parent / "demo_dags"
TERMINAL = {"success", "failed"}


def say(message: str) -> None:
    print(f"{datetime.now():%H:%M:%S}  {message}", flush=True)


def trigger_v2(srv: AirflowInstance, run_id: str) -> tuple[Any, Any]:
    import airflow_client_ext_v2 as v2

    client = v2.ApiClient(v2.Configuration(host=srv.url, access_token=srv.get_token()))
    runs, tis = v2.DagRunApi(client), v2.TaskInstanceApi(client)
    runs.trigger_dag_run("demo", v2.TriggerDAGRunPostBody(dag_run_id=run_id, conf={"rows": 4}))

    def run_state() -> str:
        return str(runs.get_dag_run("demo", run_id).state.value)

    def task_states() -> dict[str, str]:
        items = tis.get_task_instances("demo", run_id).task_instances
        return {
            ti.task_id + _index(ti.map_index): str(ti.state.value if ti.state else None)
            for ti in items
        }

    return run_state, task_states


def trigger_v1(srv: AirflowInstance, run_id: str) -> tuple[Any, Any]:
    import airflow_client_ext_v1 as v1

    config = v1.Configuration(host=srv.api_url, username=srv.username, password=srv.password)
    client = v1.ApiClient(config)
    runs, tis = v1.DAGRunApi(client), v1.TaskInstanceApi(client)
    runs.post_dag_run("demo", v1.DAGRun(dag_run_id=run_id, conf={"rows": 4}))

    def run_state() -> str:
        return str(runs.get_dag_run("demo", run_id).state.value)

    def task_states() -> dict[str, str]:
        items = tis.get_task_instances("demo", run_id).task_instances or []
        return {
            str(ti.task_id) + _index(ti.map_index): str(ti.state.value if ti.state else None)
            for ti in items
        }

    return run_state, task_states


def _index(map_index: int | None) -> str:
    return f"[{map_index}]" if map_index is not None and map_index >= 0 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow-version", default="3.3.2")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    say(f"starting Airflow {args.airflow_version} (the first start provisions its venv)")
    with AirflowServer(args.airflow_version, dags_folder=DAGS) as srv:
        say(f"Airflow {srv.version} is healthy at {srv.url} (API {srv.api_version})")
        srv.wait_for_dag("demo", unpause=True)
        run_id = f"demo__{uuid.uuid4().hex[:8]}"
        trigger = trigger_v2 if srv.api_version == "v2" else trigger_v1
        run_state, task_states = trigger(srv, run_id)
        say(f"triggered demo, run {run_id}")
        seen: dict[str, str] = {}
        deadline = time.monotonic() + args.timeout
        state = "queued"
        while time.monotonic() < deadline:
            for task, task_state in sorted(task_states().items()):
                if seen.get(task) != task_state:
                    seen[task] = task_state
                    say(f"  {task:14s} {task_state}")
            state = run_state()
            if state in TERMINAL:
                break
            time.sleep(1)
        say(f"run {run_id}: {state}")
    say("Airflow stopped")
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
