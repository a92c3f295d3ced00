"""How long a 30-day backfill of a quick ``@daily`` DAG takes, on Airflow 2 and 3.

    python benchmarks/backfill.py [--version 2.11.2] [--version 3.3.2] [--days 30] [--json]

For each server (a real Airflow started through ``airflow_client_ext.testing``, one after
the other): ``client.backfill("backfill_daily", ...)`` over ``--days`` days that avoid the
13th (its task fails on the 13th on purpose), then ``wait_backfill``; printed: the time to
create the runs, the time until the last one ended, and the runs made. Airflow 2 runs the
client's runs with the DAG's own ``max_active_runs`` (16 by default); Airflow 3 runs its
backfill with the backfill's ``max_active_runs`` (10 by default).

The servers' database is PostgreSQL, as in production (``--database sqlite`` for the
harness's default): on SQLite, 3.3.2's scheduler died with ``StaleDataError`` ("UPDATE
statement on table 'dag_run' expected to update 7 row(s); 1 were matched") seconds after
the 30 runs were made, and the backfill never moved past queued.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "contract"))

from starship_support import starship_server  # PostgreSQL drivers: the cached venvs

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.testing import AirflowServer

DAGS = Path(__file__).resolve().parents[1] / "tests" / "dags"
DAG_ID = "backfill_daily"
FIRST = datetime(2026, 8, 14, tzinfo=timezone.utc)  # 30 days from here skip the 13th


def bench(srv: AirflowServer, days: int) -> dict[str, object]:
    client = AirflowClient(srv.url, auth=TokenAuth(srv.username, srv.password))
    client.wait_for_dag(DAG_ID, timeout=300)
    started = time.monotonic()
    made = client.backfill(DAG_ID, FIRST, FIRST + timedelta(days=days - 1), unpause=True)
    created = time.monotonic() - started
    done = client.wait_backfill(made, timeout=3600)
    total = time.monotonic() - started
    states = sorted({run.state for run in done.runs})
    print(
        f"Airflow {client.server_version}: {len(done.runs)} runs ({', '.join(states)}), "
        f"created in {created:.1f} s, all ended after {total:.1f} s"
    )
    client.close()
    return {"version": srv.version, "runs": len(done.runs), "created_s": round(created, 1),
            "total_s": round(total, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="append", dest="versions")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--json", action="store_true", help="end with a bench-json line")
    args = parser.parse_args()
    found = []
    for version in args.versions or ["2.11.2", "3.3.2"]:
        with ExitStack() as stack:
            srv = stack.enter_context(starship_server(version, database=args.database, dags=DAGS))
            found.append(bench(srv, args.days))
    if args.json:
        print("bench-json " + json.dumps({"bench": "backfill", "servers": found}))


if __name__ == "__main__":
    main()
