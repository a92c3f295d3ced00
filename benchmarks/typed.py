"""Client CPU per call of the typed workflow results, against raw HTTP, as ratios.

    python benchmarks/typed.py [--seconds 0.3] [--rounds 15] [--items 100] [--json-only]

A loopback server in another process answers real Airflow 3.3.2 answers
(``tests/unit/data/airflow-3.3.2.json``: a DAG run, and a page of task instances multiplied
to ``--items``) over keep-alive HTTP/1.1. In this process each way of reading them is timed
in CPU seconds (``time.process_time``: the server's work is not counted), in rounds of one
batch of about ``--seconds`` per way (the order turning each round, a garbage collection
before each batch), so that drift on the machine hits every way alike; the figures are the
median per call over ``--rounds`` rounds, and the median of each round's ratio to raw:

- ``raw``: urllib3 ``PoolManager.request`` and ``json.loads``, no model at all;
- ``official``: the official client ``apache-airflow-client`` (``airflow_client.client``);
- ``generated``: ours through ``client.api("DagRunApi").get_dag_run`` and
  ``client.api("TaskInstanceApi").get_task_instances(limit=100)``;
- ``typed``: ours through ``client.get_dag_run`` (a ``DagRun``) and one page of
  ``client.iter_task_instances`` (``TaskInstance`` objects).

Printed: a table in ms with the ratio of each to ``raw``, then one JSON line (``typed-bench``)
for a table of benchmarks.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

DATA = Path(__file__).resolve().parents[1] / "tests" / "unit" / "data" / "airflow-3.3.2.json"
DAG = "/api/v2/dags/quick_success"
RUN = f"{DAG}/dagRuns/RUN"
TIS = f"{RUN}/taskInstances"
TOKEN = "bench-token"


def answers(items: int) -> dict[str, bytes]:
    """Path -> body: the canned answers, the task instance page grown to ``items``."""
    canned = json.loads(DATA.read_text())
    page = canned[TIS]
    model = page["task_instances"]
    grown = []
    for i in range(items):
        ti = copy.deepcopy(model[i % len(model)])
        ti["task_id"] = f"task_{i:03d}"
        ti["task_display_name"] = ti["task_id"]
        grown.append(ti)
    page = dict(page, task_instances=grown, total_entries=items)
    canned[TIS] = page
    return {path: json.dumps(doc).encode() for path, doc in canned.items()}


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every client reuses its connection
    disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to a call
    bodies: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.bodies.get(self.path.split("?", 1)[0])
        status = 200 if body is not None else 404
        body = body if body is not None else b'{"detail": "Not Found"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def canned_server(bodies: dict[str, bytes]) -> Iterator[str]:
    """The loopback server, in its own process (in this one it would share our GIL)."""
    handler = type("Handler", (_Canned,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    process = multiprocessing.get_context("fork").Process(target=server.serve_forever)
    process.start()
    server.server_close()  # the child keeps its copy of the socket
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        process.terminate()
        process.join(10)


Call = Callable[[], Any]


def raw_calls(url: str) -> tuple[Call, Call]:
    import urllib3

    pool = urllib3.PoolManager()
    headers = {"Accept": "application/json", "Authorization": f"Bearer {TOKEN}"}

    def get(path: str) -> Call:
        return lambda: json.loads(pool.request("GET", url + path, headers=headers).data)

    return get(RUN), get(TIS + "?limit=100")


def official_calls(url: str) -> tuple[Call, Call]:
    from airflow_client.client import ApiClient, Configuration
    from airflow_client.client.api.dag_run_api import DagRunApi
    from airflow_client.client.api.task_instance_api import TaskInstanceApi

    api_client = ApiClient(Configuration(host=url, access_token=TOKEN))
    runs, tis = DagRunApi(api_client), TaskInstanceApi(api_client)
    return (
        lambda: runs.get_dag_run("quick_success", "RUN"),
        lambda: tis.get_task_instances("quick_success", "RUN", limit=100),
    )


def _ours(url: str) -> Any:
    from airflow_client_ext import AirflowClient, BearerAuth

    return AirflowClient(url, auth=BearerAuth(TOKEN), api_version="v2")


def generated_calls(url: str) -> tuple[Call, Call]:
    client = _ours(url)
    runs, tis = client.api("DagRunApi"), client.api("TaskInstanceApi")
    return (
        lambda: runs.get_dag_run("quick_success", "RUN"),
        lambda: tis.get_task_instances("quick_success", "RUN", limit=100),
    )


def typed_calls(url: str, items: int) -> tuple[Call, Call]:
    client = _ours(url)

    def page() -> list[Any]:
        tis = list(client.iter_task_instances("quick_success", "RUN"))
        assert len(tis) == items, len(tis)  # one page: total_entries is reached
        return tis

    return lambda: client.get_dag_run("quick_success", "RUN"), page


class Measured:
    """CPU seconds per call of each way, one sample per round."""

    def __init__(self, samples: dict[str, list[float]]) -> None:
        self.samples = samples

    def median(self, way: str) -> float:
        return statistics.median(self.samples[way])

    def ratio(self, way: str, base: str = "raw") -> float:
        """The median over rounds of the ratio within each round: a load that comes and
        goes on the machine hits both sides of a ratio alike."""
        pairs = zip(self.samples[way], self.samples[base], strict=True)
        return statistics.median(a / b for a, b in pairs)


def measure(calls: dict[str, Call], seconds: float, rounds: int) -> Measured:
    """CPU seconds per call of each, in ``rounds`` rounds of one batch per way; the order
    of the ways turns each round, and each batch starts after a garbage collection."""
    per_batch: dict[str, int] = {}
    for name, call in calls.items():  # warm up (connections, imports), size the batches
        call()
        started, n = time.process_time(), 0
        while time.process_time() - started < seconds / 3 or n < 3:
            call()
            n += 1
        per_call = (time.process_time() - started) / n
        per_batch[name] = max(5, int(seconds / max(per_call, 1e-6)))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            call, n = calls[name], per_batch[name]
            gc.collect()
            started = time.process_time()
            for _ in range(n):
                call()
            samples[name].append((time.process_time() - started) / n)
    return Measured(samples)


WAYS = ("raw", "official", "generated", "typed")
KINDS = ("small GET (a DAG run)", "page of task instances")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="CPU seconds per batch")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--items", type=int, default=100, help="task instances per page")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()

    bodies = answers(args.items)
    with canned_server(bodies) as url:
        makers: dict[str, Callable[[], tuple[Call, Call]]] = {
            "raw": lambda: raw_calls(url),
            "official": lambda: official_calls(url),
            "generated": lambda: generated_calls(url),
            "typed": lambda: typed_calls(url, args.items),
        }
        pairs = {way: make() for way, make in makers.items()}
        results: dict[str, Measured] = {}
        for index, kind in enumerate(KINDS):
            calls = {way: pair[index] for way, pair in pairs.items()}
            results[kind] = measure(calls, args.seconds, args.rounds)

    sizes = {KINDS[0]: len(bodies[RUN]), KINDS[1]: len(bodies[TIS])}
    if not args.json_only:
        print(
            f"client CPU per call, median of {args.rounds} rounds of alternating batches "
            "(ratio: the median of each round's ratio to raw)"
        )
        print(f"{'':28s}" + "".join(f"{way:>20s}" for way in WAYS))
        for kind in KINDS:
            got = results[kind]
            cells = [f"{got.median(w) * 1000:7.3f} ms {got.ratio(w):5.2f}x" for w in WAYS]
            size = f"{sizes[kind] // 1024} KB" if sizes[kind] >= 1024 else f"{sizes[kind]} B"
            label = f"{kind} ({size})"
            print(f"{label:28s}" + "".join(f"{c:>20s}" for c in cells))
    line = {
        "bench": "typed",
        "items": args.items,
        "unit": "ms client CPU per call",
        "results": {
            kind: {
                way: {
                    "ms": round(results[kind].median(way) * 1000, 4),
                    "x_raw": round(results[kind].ratio(way), 3),
                }
                for way in WAYS
            }
            for kind in KINDS
        },
    }
    print("typed-bench " + json.dumps(line, sort_keys=True))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
