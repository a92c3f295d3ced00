"""Import time of the layer and of the generated packages, as ratios against named baselines.

    python benchmarks/import_time.py [--eager DIR] [--runs 15]

Each figure is the median wall time of ``python -c "import X"`` in a fresh interpreter, minus
the median of a bare ``python -c "pass"``. Baselines, each measured in the same run:
- the same generated package built without lazy imports (``--eager DIR``: a folder made by
  ``scripts/generate.py --eager-imports --out DIR``), when given;
- the official client, ``airflow_client.client`` (apache-airflow-client), when installed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(code: str, runs: int, pythonpath: str | None = None) -> float:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def importable(module: str, pythonpath: str | None = None) -> bool:
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], env=env, check=False)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eager", type=Path, help="folder of eagerly importing packages")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="end with a bench-json line")
    args = parser.parse_args()

    base = median_seconds("pass", args.runs)
    rows: list[tuple[str, float]] = []

    def measure(label: str, module: str, pythonpath: str | None = None) -> float:
        seconds = max(median_seconds(f"import {module}", args.runs, pythonpath) - base, 1e-6)
        rows.append((label, seconds))
        return seconds

    layer = measure("airflow_client_ext", "airflow_client_ext")
    lazy = {
        v: measure(f"airflow_client_ext_{v} (lazy)", f"airflow_client_ext_{v}")
        for v in ("v1", "v2")
    }
    eager: dict[str, float] = {}
    if args.eager:
        for v in ("v1", "v2"):
            eager[v] = measure(
                f"airflow_client_ext_{v} (eager)", f"airflow_client_ext_{v}", str(args.eager)
            )
    official = None
    if importable("airflow_client.client"):
        official = measure("airflow_client.client (official)", "airflow_client.client")

    print(
        f"median of {args.runs} fresh interpreters, "
        f"interpreter start ({base * 1000:.0f} ms) subtracted"
    )
    for label, seconds in rows:
        print(f"  {label:36s} {seconds * 1000:8.1f} ms")
    print("ratios (baseline / ours, higher is better):")
    for v in ("v1", "v2"):
        if v in eager:
            print(f"  eager {v} / lazy {v}: {eager[v] / lazy[v]:.1f}x")
    if official is not None:
        print(f"  official client / airflow_client_ext: {official / layer:.0f}x")
        print(f"  official client / lazy v2: {official / lazy['v2']:.1f}x")
    if args.json:
        ms = {label: round(seconds * 1000, 1) for label, seconds in rows}
        print("bench-json " + json.dumps({"bench": "import_time", "ms": ms}))


if __name__ == "__main__":
    main()
