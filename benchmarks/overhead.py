"""Per-call overhead of ``AirflowClient`` against the bare generated client, as ratios.

    python benchmarks/overhead.py [--version 3.3.2] [--url URL --username U --password P]
                                  [--calls 300]

Both clients make the same call, ``get_dag("quick_success")``, on the same server, in
alternating batches (so that drift on the machine hits both alike); the figure is the median
latency per call. Baseline: the generated package used directly (``ApiClient`` with its own
urllib3 pool, a bearer token on v2, basic auth on v1). Two servers, in one run:

- a real Airflow started through ``airflow_client_ext.testing`` (or ``--url``): what a user
  sees;
- a loopback server that answers a fixed DAG document at once: the client-side cost alone,
  without Airflow's own time per request.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.testing import AirflowInstance, AirflowServer, RemoteAirflow

DAGS = Path(__file__).resolve().parents[1] / "tests" / "dags"
DAG_ID = "quick_success"


def bare_call(
    srv_url: str, api_version: str, username: str, password: str, token: str | None
) -> Callable[[], Any]:
    if api_version == "v2":
        import airflow_client_ext_v2 as v2

        api = v2.DAGApi(v2.ApiClient(v2.Configuration(host=srv_url, access_token=token)))
    else:
        import airflow_client_ext_v1 as v1

        config = v1.Configuration(host=f"{srv_url}/api/v1", username=username, password=password)
        api = v1.DAGApi(v1.ApiClient(config))
    return lambda: api.get_dag(DAG_ID)


def ours_call(srv_url: str, api_version: str, username: str, password: str) -> Callable[[], Any]:
    client = AirflowClient(srv_url, auth=TokenAuth(username, password), api_version=api_version)
    api = client.api("DAGApi")
    return lambda: api.get_dag(DAG_ID)


def measure(calls: dict[str, Callable[[], Any]], total: int, batch: int = 20) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():  # warm up: connections, lazy imports, login
        for _ in range(5):
            call()
    for _ in range(max(1, total // batch)):
        for name, call in calls.items():
            for _ in range(batch):
                started = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, medians: dict[str, float]) -> None:
    bare, ours = medians["bare generated client"], medians["AirflowClient"]
    print(title)
    for name, value in medians.items():
        print(f"  {name:24s} {value * 1000:8.3f} ms per call (median)")
    print(f"  ratio AirflowClient / bare: {ours / bare:.2f}x ({(ours - bare) * 1e6:+.0f} us)")


class _FixedDag(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every call
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="3.3.2")
    parser.add_argument("--url")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    with ExitStack() as stack:
        srv: AirflowInstance
        if args.url:
            srv = RemoteAirflow(args.url, args.username, args.password)
        else:
            srv = stack.enter_context(AirflowServer(args.version, dags_folder=DAGS))
        srv.wait_for_dag(DAG_ID)
        token = srv.get_token() if srv.api_version == "v2" else None
        calls = {
            "bare generated client": bare_call(
                srv.url, srv.api_version, srv.username, srv.password, token
            ),
            "AirflowClient": ours_call(srv.url, srv.api_version, srv.username, srv.password),
        }
        report(f"real Airflow {srv.version} ({srv.api_version})", measure(calls, args.calls))

        # the same call against a loopback server that answers at once
        local = stack.enter_context(_fixed_server(srv.api("GET", f"dags/{DAG_ID}")))
        calls = {
            "bare generated client": bare_call(
                local, srv.api_version, srv.username, srv.password, token or "t"
            ),
            "AirflowClient": ours_call(local, srv.api_version, srv.username, srv.password),
        }
        if srv.api_version == "v2":
            calls["AirflowClient"] = _bearer_ours(local, token or "t")
        title = "loopback server answering at once (client-side cost only)"
        report(title, measure(calls, args.calls * 3))


@contextmanager
def _fixed_server(document: Any) -> Iterator[str]:
    """A loopback server in its own process (in-process, it would share our GIL)."""
    _FixedDag.body = json.dumps(document).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FixedDag)
    process = multiprocessing.get_context("fork").Process(target=server.serve_forever)
    process.start()
    server.server_close()  # the child keeps its copy of the socket
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        process.terminate()
        process.join(10)


def _bearer_ours(url: str, token: str) -> Callable[[], Any]:
    from airflow_client_ext import BearerAuth

    api = AirflowClient(url, auth=BearerAuth(token), api_version="v2").api("DAGApi")
    return lambda: api.get_dag(DAG_ID)


if __name__ == "__main__":
    main()
