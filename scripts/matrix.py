"""Run the matrix suite on each Airflow version, one server at a time; write the table.

    python scripts/matrix.py                      # every version of testing.versions.MATRIX,
                                                  # then docs/compatibility.md
    python scripts/matrix.py --version 2.8.4 --version 3.0.6 --no-doc    # what CI runs
    python scripts/matrix.py --version 3.1.8  # one version again; the doc keeps the others'
                                              # latest reports, each with its commit

Each version is its own pytest session (``pytest tests/matrix --airflow-version V
--airflow-database postgres``), so one Airflow runs at a time on the machine and stops before
the next starts. PostgreSQL, as a deployment runs: on SQLite Airflow 3.0's backfill creation
failed part-way with "database is locked" (3.3 itself says SQLite does not support it under
concurrent access). The JSON reports go
to ``build/matrix/``; ``docs/compatibility.md`` is written from them (never by hand), with
the client's commit and the date. Exits non-zero if any version's session failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "build" / "matrix"
DOC = ROOT / "docs" / "compatibility.md"


def run_version(version: str, pytest_args: list[str]) -> tuple[int, float, Path]:
    report = REPORTS / f"{version}.json"
    report.unlink(missing_ok=True)
    cmd = [
        sys.executable, "-m", "pytest", "tests/matrix", "-p", "no:cacheprovider",
        "--airflow-version", version, "--airflow-database", "postgres", "--airflow-secrets-guard",
        "--matrix-report", str(report), *pytest_args,
    ]  # fmt: skip
    print(f"\n=== Airflow {version}: {' '.join(cmd[3:])}", flush=True)
    t0 = time.monotonic()
    code = subprocess.call(cmd, cwd=ROOT)
    return code, time.monotonic() - t0, report


def client_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    sha = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{sha} (with uncommitted changes)" if dirty else sha


def _cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    outcome, note = result["outcome"], result["note"]
    if outcome == "works":  # a note says what part the version can do ("dry run only: ...")
        return f"works ({note})".replace("|", "/") if note else "works"
    if outcome == "n/a":
        return "not on this version: " + note.removeprefix("n/a: ")
    return f"**{outcome}**: {note}".replace("|", "/")


def render(reports: dict[str, dict[str, Any]], versions: list[str]) -> str:
    from airflow_client_ext.features import FEATURES, SUPPORTED_RANGE, supports
    from airflow_client_ext.testing.versions import VERSION_FIXES

    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Compatibility: airflow-client-ext on every supported Airflow",
        "",
        f"Written by `make matrix` on {today} (client commit {client_commit()}) from the "
        "latest run on each version; the commit each ran is in the last table. Do not edit "
        "by hand: run `make matrix` again.",
        "",
        f"Supported: Airflow {SUPPORTED_RANGE[0]} to {SUPPORTED_RANGE[1]}; proven on the "
        "latest patch of every minor below. The v1 client (generated from the 2.11.2 spec) "
        "speaks to every 2.x, the v2 client (3.3.2 spec) to every 3.x; the client detects "
        "which from `GET /api/vN/version`. Each server runs on a throwaway PostgreSQL "
        "(Airflow 2: the LocalExecutor).",
        "",
        "## The matrix suite (`pytest tests/matrix -m matrix`)",
        "",
    ]
    rows: list[str] = []
    for version in versions:
        for row in reports.get(version, {}).get("rows", {}).get(version, {}):
            if row not in rows:
                rows.append(row)
    out.append("| check | " + " | ".join(versions) + " |")
    out.append("|---|" + "---|" * len(versions))
    for row in rows:
        cells = [_cell(reports.get(v, {}).get("rows", {}).get(v, {}).get(row)) for v in versions]
        out.append(f"| {row} | " + " | ".join(cells) + " |")
    out += ["", "## Features by version (`airflow_client_ext.features`)", ""]
    out.append(
        "Decided from the server's version before a request is sent; a call that needs a "
        "missing feature raises `UnsupportedFeatureError` naming it and its first version."
    )
    out += ["", "| feature | first version | " + " | ".join(versions) + " |"]
    out.append("|---|---|" + "---|" * len(versions))
    for name, entry in FEATURES.items():
        cells = []
        for v in versions:
            if supports(v, name):
                cells.append("yes")
            elif int(v.split(".")[0]) != entry.major:
                cells.append("-")
            else:
                cells.append(f"no: {entry.otherwise}")
        out.append(f"| `{name}`: {entry.summary} | {entry.since} | " + " | ".join(cells) + " |")
    out += ["", "## Servers and suite times", ""]
    out.append(
        "| version | installer | start to healthy (s) | suite (s) | operations swept: "
        "answered / not on server / need setup | result | client commit |"
    )
    out.append("|---|---|---|---|---|---|---|")
    for v in versions:
        data = reports.get(v)
        if data is None:
            out.append(f"| {v} | | | | | not run | |")
            continue
        server = data.get("servers", {}).get(v, {})
        ops = data.get("operations", {}).get(v, {})
        swept = (
            f"{len(ops.get('ok', []))} / {len(ops.get('not_on_server', []))} / "
            f"{len(ops.get('needs_setup', []))}"
            if ops
            else ""
        )
        result = "passed" if data.get("exitstatus") == 0 else f"exit {data.get('exitstatus')}"
        out.append(
            f"| {v} | {server.get('installer', '')} | {server.get('start_total_s', '')} | "
            f"{data.get('seconds', '')} | {swept} | {result} | {data.get('commit', '')} |"
        )
    out += ["", "## What each version needs to install and run (`testing/versions.py`)", ""]
    for version, fix in VERSION_FIXES.items():
        for pin in fix.pins:
            out.append(f"- {version}: pin `{pin.requirement}`: {pin.reason}")
        for setting in fix.settings:
            out.append(f"- {version}: `{setting.name}={setting.value}`: {setting.reason}")
    return "\n".join(out) + "\n"


def main() -> int:
    from airflow_client_ext.testing.versions import MATRIX

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="append", dest="versions")
    parser.add_argument("--no-doc", action="store_true", help="do not write the doc")
    args, pytest_args = parser.parse_known_args()
    versions = args.versions or list(MATRIX)
    REPORTS.mkdir(parents=True, exist_ok=True)
    failed = []
    reports: dict[str, dict[str, Any]] = {}
    for version in versions:
        code, seconds, report = run_version(version, pytest_args)
        print(f"=== Airflow {version}: exit {code} in {seconds:.0f} s", flush=True)
        if code != 0:
            failed.append(version)
        if report.exists():
            data = json.loads(report.read_text())
            data["commit"] = client_commit()
            report.write_text(json.dumps(data, indent=2))
    if not args.no_doc:
        # every supported version, each from its latest report (its commit is in the doc)
        for version in MATRIX:
            path = REPORTS / f"{version}.json"
            if path.exists():
                reports[version] = json.loads(path.read_text())
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(render(reports, list(MATRIX)))
        print(f"wrote {DOC.relative_to(ROOT)}")
    if failed:
        print("matrix failed on: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
