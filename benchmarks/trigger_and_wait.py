"""How late ``trigger_and_wait`` returns: from the run's ``end_date`` to the call's return.

    python benchmarks/trigger_and_wait.py [--version 2.11.2] [--version 3.3.2]
                                          [--url URL --username U --password P] [--runs 10]

For each server (a real Airflow started through ``airflow_client_ext.testing``, one version
after the other, or ``--url``), ``quick_success`` is run ``--runs`` times per way of waiting,
alternating the ways so that drift on the machine hits them alike:

- ``polling``: ``GET .../dagRuns/{id}`` at 0.5 s growing x1.5 to 5 s (reset on a change);
- ``/wait``: the NDJSON stream of Airflow >= 3.1 (``GET .../dagRuns/{id}/wait``, the server
  checking every 0.5 s); not on Airflow 2.

The overhead of one run is ``return time - run.end_date`` (the server's clock and ours are
the machine's). Printed: median, min and max per way, the requests each wait cost, and the
median latency of one ``GET`` of the run on that server (what every poll pays).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.testing import AirflowInstance, AirflowServer, RemoteAirflow

DAGS = Path(__file__).resolve().parents[1] / "tests" / "dags"
DAG_ID = "quick_success"


def run_once(client: AirflowClient, stream: bool) -> tuple[float, int, str]:
    before = client.transport.stats.requests
    run = client.trigger_and_wait(DAG_ID, timeout=600, use_wait_endpoint=stream)
    returned = datetime.now(timezone.utc)
    assert run.end_date is not None, run
    overhead = (returned - run.end_date).total_seconds()
    return overhead, client.transport.stats.requests - before, run.run_id


def get_latency(client: AirflowClient, run_id: str, calls: int = 10) -> float:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        client.get_dag_run(DAG_ID, run_id)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bench(srv: AirflowInstance, runs: int) -> dict[str, object]:
    client = AirflowClient(srv.url, auth=TokenAuth(srv.username, srv.password))
    client.wait_for_dag(DAG_ID, timeout=300, unpause=True)
    ways = {"polling": False}
    if client.api_version == "v2" and client.supports("wait_stream"):
        ways["/wait"] = True
    made: list[str] = []
    try:
        for stream in ways.values():  # warm up: login, imports, the scheduler's first parse
            made.append(run_once(client, stream)[2])
        results: dict[str, list[tuple[float, int]]] = {name: [] for name in ways}
        for _ in range(runs):
            for name, stream in ways.items():
                overhead, requests, run_id = run_once(client, stream)
                results[name].append((overhead, requests))
                made.append(run_id)
        latency = get_latency(client, made[0])
        print(f"Airflow {client.server_version} ({client.api_version}), {runs} runs per way")
        print(f"  one GET of a run: {latency * 1000:.0f} ms (median)")
        for name, values in results.items():
            overheads = [o for o, _ in values]
            requests = statistics.median(r for _, r in values)
            print(
                f"  {name:8s} end_date -> return: median {statistics.median(overheads):.3f} s "
                f"(min {min(overheads):.3f}, max {max(overheads):.3f}); "
                f"{requests:.0f} requests per trigger_and_wait (median)"
            )
        if "/wait" not in ways:
            print("  /wait    not available (Airflow < 3.1)")
        return {
            "version": client.server_version,
            "get_ms": round(latency * 1000, 1),
            **{
                name: round(statistics.median(o for o, _ in values), 3)
                for name, values in results.items()
            },
        }
    finally:
        api = client.api("DAGRunApi" if client.api_version == "v1" else "DagRunApi")
        for run_id in made:
            api.delete_dag_run(DAG_ID, run_id)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="append", dest="versions")
    parser.add_argument("--url")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="end with a bench-json line")
    args = parser.parse_args()
    found = []
    if args.url:
        found.append(bench(RemoteAirflow(args.url, args.username, args.password), args.runs))
    else:
        for version in args.versions or ["2.11.2", "3.3.2"]:
            with ExitStack() as stack:
                srv = stack.enter_context(AirflowServer(version, dags_folder=DAGS))
                found.append(bench(srv, args.runs))
    if args.json:
        print("bench-json " + json.dumps({"bench": "trigger_and_wait", "servers": found}))


if __name__ == "__main__":
    main()
