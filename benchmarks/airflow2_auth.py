"""Airflow 2: the latency of a small GET with basic auth on every request against the session
login (one login, then a cookie), side by side in one run.

    python benchmarks/airflow2_auth.py [--version 2.11.2] [--url URL --username U --password P]
                                       [--calls 60] [--json]

Both clients send ``GET /api/v1/dags/quick_success`` to the same real Airflow 2 (started
through ``airflow_client_ext.testing``, or ``--url``), in alternating batches so that drift
on the machine hits both alike; the figure is the median wall time per call. The baseline is
``BasicAuth(..., session=False)``: Airflow 2 checks the password hash on every such request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import ExitStack
from pathlib import Path

from airflow_client_ext import AirflowClient, BasicAuth
from airflow_client_ext.testing import AirflowInstance, AirflowServer, RemoteAirflow

DAGS = Path(__file__).resolve().parents[1] / "tests" / "dags"
DAG_ID = "quick_success"


def measure(srv: AirflowInstance, calls: int, batch: int = 10) -> dict[str, float]:
    session = BasicAuth(srv.username, srv.password)
    clients = {
        "basic auth per request": AirflowClient(
            srv.url, auth=BasicAuth(srv.username, srv.password, session=False)
        ),
        "session login": AirflowClient(srv.url, auth=session),
    }
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for client in clients.values():  # warm up: detection, connections, the login
        for _ in range(4):
            client.get_dag(DAG_ID)
    for _ in range(max(1, calls // batch)):
        for name, client in clients.items():
            for _ in range(batch):
                started = time.perf_counter()
                client.get_dag(DAG_ID)
                samples[name].append(time.perf_counter() - started)
    logins = session._session.logins if session._session else 0
    for client in clients.values():
        client.close()
    if logins != 1:
        raise SystemExit(f"the session client logged in {logins} times (expected 1)")
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="2.11.2")
    parser.add_argument("--url")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--json", action="store_true", help="a bench-json line instead of a table")
    args = parser.parse_args()
    with ExitStack() as stack:
        srv: AirflowInstance
        if args.url:
            srv = RemoteAirflow(args.url, args.username, args.password)
        else:
            srv = stack.enter_context(AirflowServer(args.version, dags_folder=DAGS))
        srv.wait_for_dag(DAG_ID)
        figures = measure(srv, args.calls)
        base = figures["basic auth per request"]
        if args.json:
            print(
                "bench-json "
                + json.dumps({"bench": "airflow2_auth", "version": srv.version, **figures})
            )
            return
        print(f"Airflow {srv.version}: GET /api/v1/dags/{DAG_ID}, median of {args.calls} calls")
        for name, ms in figures.items():
            print(f"  {name:24s} {ms:7.1f} ms  ({ms / base:.2f}x basic auth)")


if __name__ == "__main__":
    main()
