"""``make bench``: every benchmark of this folder in one run, and one table of their figures.

    python benchmarks/bench.py [--eager DIR] [--results benchmarks/RESULTS.md] [--quick]

Runs, one after the other (each starts its own servers and stops them; never two at once):

- ``typed.py``: client CPU per call against canned Airflow 3.3.2 answers on loopback: raw
  urllib3 + json, the official client 3.3.2, ours (generated path, typed path);
- ``instructions.py``: the same calls' instructions (valgrind's callgrind; skipped, with a
  note, where valgrind is not installed): ratios that do not move with the machine's load;
- ``import_time.py``: import times against eager generation and the official client;
- ``airflow2_auth.py``: a small GET on Airflow 2.11.2, basic auth on every request against
  the session login;
- ``migrate.py --variables-only``: 2000 variables migrated 3.3.2 -> 3.3.2 and 2.11.2 ->
  2.11.2 (the harness's one server worker, and Airflow's default 4);
- ``trigger_and_wait.py``: from a run's end to ``trigger_and_wait``'s return on 2.11.2 and
  3.3.2;
- ``backfill.py``: a 30-day backfill of a quick ``@daily`` DAG on 2.11.2 and 3.3.2.

Each script ends with a ``bench-json {...}`` line (``typed-bench`` for typed.py); the table is
made from those. ``--results FILE`` writes the table with the machine and the date, as
``benchmarks/RESULTS.md`` keeps one full run. ``--quick`` skips the server-backed ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> list[dict[str, Any]]:
    """Run one benchmark; its bench-json documents (its output goes to ours as it comes)."""
    command = [sys.executable, str(HERE / script), *args]
    print(f"$ {' '.join(command[1:])}", flush=True)
    found: list[dict[str, Any]] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            head, _, rest = line.partition(" ")
            if head in ("bench-json", "typed-bench"):
                found.append(json.loads(rest))
            elif not line.startswith("127.0.0.1 - -"):
                print(f"  {line.rstrip()}", flush=True)
    if process.returncode != 0:
        raise SystemExit(f"{script} failed with exit code {process.returncode}")
    return found


def rows(docs: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str]]:
    """(what, figure, against) rows of the table."""
    table: list[tuple[str, str, str]] = []
    for typed in docs.get("typed", []):
        for call, ways in typed["results"].items():
            raw = ways["raw"]["ms"]
            for way in ("official", "generated", "typed"):
                if way in ways:
                    figure = f"{ways[way]['ms']:.3f} ms ({ways[way]['x_raw']:.2f}x raw)"
                    table.append((f"{call}: {way}", figure, f"raw {raw:.3f} ms"))
    for doc in docs.get("instructions", []):
        for call, ways in doc["results"].items():
            raw = ways["raw"]
            for way in ("official", "generated", "typed"):
                if way not in ways:
                    continue
                figure = f"{ways[way] / 1000:.0f}k instructions ({ways[way] / raw:.2f}x raw)"
                table.append((f"{call}: {way}", figure, f"raw {raw / 1000:.0f}k"))
    for doc in docs.get("import_time", []):
        ms = doc["ms"]
        base = ms.get("airflow_client.client (official)")
        for label, value in ms.items():
            against = f"official {base:.0f} ms" if base and "official" not in label else ""
            table.append((f"import {label}", f"{value:.0f} ms", against))
    for doc in docs.get("airflow2_auth", []):
        basic, session = doc["basic auth per request"], doc["session login"]
        table.append(
            (
                f"Airflow {doc['version']} small GET, session login",
                f"{session:.1f} ms ({session / basic:.2f}x)",
                f"basic auth {basic:.1f} ms",
            )
        )
    for doc in docs.get("migrate", []):
        what = f"migrate {doc['variables']} variables {doc['version']} -> {doc['version']}"
        if doc.get("server_workers", 1) != 1:
            what += f" ({doc['server_workers']} server workers)"
        table.append((what, f"{doc['seconds']:.1f} s", ""))
    for doc in docs.get("trigger_and_wait", []):
        for server in doc["servers"]:
            for way in ("polling", "/wait"):
                if way in server:
                    table.append(
                        (
                            f"trigger_and_wait lag {server['version']} ({way})",
                            f"{server[way]:.3f} s median",
                            f"one GET {server['get_ms']:.0f} ms",
                        )
                    )
    for doc in docs.get("backfill", []):
        for server in doc["servers"]:
            table.append(
                (
                    f"30-day backfill {server['version']} ({server['runs']} runs)",
                    f"{server['total_s']:.0f} s to the last run's end",
                    f"runs made in {server['created_s']:.1f} s",
                )
            )
    return table


def render(table: list[tuple[str, str, str]]) -> str:
    head = ("what", "figure", "against")
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(3)]

    def line(cells: tuple[str, str, str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(row) for row in table)])


def machine() -> str:
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eager", help="eagerly importing packages, for import_time.py")
    parser.add_argument("--results", type=Path, help="write the table here (markdown)")
    parser.add_argument("--quick", action="store_true", help="only the server-free ones")
    args = parser.parse_args()
    docs: dict[str, list[dict[str, Any]]] = {}

    def collect(script: str, *script_args: str) -> None:
        for doc in run(script, *script_args):
            docs.setdefault(str(doc.get("bench")), []).append(doc)

    collect("typed.py")
    if shutil.which("valgrind"):
        collect("instructions.py", "--json")
    else:
        print("valgrind is not installed: no instruction counts (apt-get install valgrind)")
    collect("import_time.py", "--json", *(["--eager", args.eager] if args.eager else []))
    if not args.quick:
        collect("airflow2_auth.py", "--json")
        for version, workers in (("3.3.2", None), ("3.3.2", 4), ("2.11.2", None), ("2.11.2", 4)):
            extra = ["--server-workers", str(workers)] if workers else []
            collect(
                "migrate.py", "--airflow-version", version, "--variables", "2000",
                "--connections", "0", "--pools", "0", "--runs", "0", "--variables-only",
                "--json", *extra,
            )  # fmt: skip
        collect("trigger_and_wait.py", "--json")
        collect("backfill.py", "--json")
    table = render(rows(docs))
    print(f"\n{machine()}\n{table}")
    if args.results:
        args.results.write_text(
            "# Benchmark results\n\nOne full `make bench` run (`benchmarks/bench.py`); "
            f"machine: {machine()}.\nRatios are against the named baseline measured in the "
            "same run.\n\n" + table + "\n"
        )


if __name__ == "__main__":
    main()
