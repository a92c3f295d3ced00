"""Servers with the Starship plugin, for tests/contract/test_starship.py and test_migrate.py.

The session's servers (the ``airflow_server`` fixture) have no Starship; Starship and run
history need their own: each fixture here starts an ``AirflowServer`` with
``astronomer-starship`` (and the PostgreSQL drivers) in its venv, on a throwaway PostgreSQL
started and stopped with it. Servers are module-scoped and parametrized by major, so that
only one pair runs at a time.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.testing import AirflowServer

STARSHIP = "astronomer-starship==2.10.1"
#: One venv per Airflow version for all Starship servers (the cache key includes these).
STARSHIP_PACKAGES = (STARSHIP,)
DAGS = Path(__file__).resolve().parents[1] / "dags"


@contextlib.contextmanager
def starship_server(
    version: str,
    *,
    database: str = "postgres",
    dags: Path = DAGS,
    extra_env: dict[str, str] | None = None,
) -> Iterator[AirflowServer]:
    server = AirflowServer(
        version,
        dags,
        extra_packages=STARSHIP_PACKAGES,
        database=database,
        startup_timeout=600,
        extra_env=extra_env,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()  # every process, by its process group; PostgreSQL by its pid


def client_for(server: AirflowServer) -> AirflowClient:
    return AirflowClient(server.url, auth=TokenAuth(server.username, server.password))


def clone_history(
    client: AirflowClient, dag_id: str, count: int, *, prefix: str = "synthetic", batch: int = 250
) -> list[str]:
    """Give the DAG ``count`` more finished runs on this server, copies of its newest real
    run and task instances (new run ids, dates one minute apart, new task instance ids):
    run history of a realistic shape without running thousands of runs."""
    starship = client.starship
    (template, *_) = starship.dag_runs(dag_id, limit=1).records
    tis = [t for t in starship.task_instances(dag_id, limit=1).records]
    base = datetime(2020, 1, 1, tzinfo=timezone.utc)
    run_ids = []
    for start in range(0, count, batch):
        runs, instances = [], []
        for i in range(start, min(count, start + batch)):
            when = base + timedelta(minutes=i)
            run_id = f"{prefix}__{i:06d}"
            run_ids.append(run_id)
            run = dict(template, run_id=run_id)
            for key in (
                "execution_date",
                "logical_date",
                "data_interval_start",
                "data_interval_end",
                "queued_at",
                "run_after",
                "start_date",
            ):
                if run.get(key) is not None:
                    run[key] = when.isoformat()
            run["end_date"] = (when + timedelta(seconds=30)).isoformat()
            runs.append(run)
            for ti in tis:
                copy = dict(ti, run_id=run_id)
                if "id" in copy and copy["id"] is not None:  # Airflow 3: a UUID key
                    copy["id"] = str(uuid.uuid4())
                copy["start_date"] = (when + timedelta(seconds=5)).isoformat()
                copy["end_date"] = (when + timedelta(seconds=10)).isoformat()
                instances.append(copy)
        starship.create_dag_runs(runs)
        starship.create_task_instances(instances)
    return run_ids


def stable_state(client: AirflowClient, prefix: str, dag_ids: Sequence[str]) -> dict[str, Any]:
    """What the stable API shows of the items a test made (names starting with ``prefix``)
    and of some DAGs: the basis of comparing a target with its source."""
    from airflow_client_ext._versions import adapter_for

    adapter = adapter_for(client)
    variables = {
        v["key"]: (v["value"], v["description"])
        for v in adapter.variables()
        if v["key"].startswith(prefix)
    }
    pools = {
        p["name"]: (p["slots"], p["description"], bool(p.get("include_deferred")))
        for p in adapter.pools()
        if p["name"].startswith(prefix)
    }
    connections = {
        c["connection_id"]: (
            *tuple(
                c.get(f) for f in ("conn_type", "description", "host", "login", "schema", "port")
            ),
            _json_or_text(c.get("extra")),
        )
        for c in adapter.connections()
        if c["connection_id"].startswith(prefix)
    }
    dags = {}
    runs_api = client.api("DAGRunApi" if client.api_version == "v1" else "DagRunApi")
    ti_api = client.api("TaskInstanceApi")
    for dag_id in dag_ids:
        dag = adapter.get_dag(dag_id)
        runs = {}
        for run in client.paginate(runs_api.get_dag_runs, dag_id=dag_id):
            run_id = getattr(run, "dag_run_id", None)
            state = getattr(run.state, "value", run.state)
            runs[run_id] = str(state)
        dags[dag_id] = {"is_paused": dag.is_paused, "runs": runs}
        if runs:
            newest = sorted(runs)[-1]
            tis = client.paginate(ti_api.get_task_instances, dag_id=dag_id, dag_run_id=newest)
            dags[dag_id]["newest_tis"] = sorted(
                (t.task_id, str(getattr(t.state, "value", t.state))) for t in tis
            )
    return {"variables": variables, "pools": pools, "connections": connections, "dags": dags}


def _json_or_text(value: Any) -> Any:
    import json

    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
