"""How long ``migrate`` takes for N variables, pools, connections and runs (not run in CI).

    python benchmarks/migrate.py --airflow-version 3.3.2 --variables 2000 --runs 2000

Starts two servers of the version (PostgreSQL, astronomer-starship in their venvs), fills
the source (variables and connections through Starship, pools through the stable API, one
real run of ``quick_success`` cloned into ``--runs`` runs), then times: a dry run, the
migration (per kind), a second run (which must change nothing), and a migration interrupted
halfway through the variables and resumed. ``--source-url``/``--target-url`` use running
servers instead (admin/admin).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "contract"))

from starship_support import client_for, clone_history, starship_server

from airflow_client_ext import AirflowClient, MigrationError, TokenAuth, migrate
from airflow_client_ext._versions import adapter_for
from airflow_client_ext.migration import DEFAULT_WHAT
from airflow_client_ext.starship import StarshipConnection, StarshipVariable
from airflow_client_ext.testing import AirflowServer

DAG = "quick_success"


@contextmanager
def servers(
    args: argparse.Namespace,
) -> Iterator[tuple[AirflowClient, AirflowClient, AirflowServer | None]]:
    if args.source_url:
        auth = TokenAuth("admin", "admin")
        source = AirflowClient(args.source_url, auth=auth)
        yield source, AirflowClient(args.target_url, auth=auth), None
        return
    with ExitStack() as stack:
        started = time.monotonic()
        env = _workers_env(args.airflow_version, args.server_workers)
        source = stack.enter_context(starship_server(args.airflow_version, extra_env=env))
        target = stack.enter_context(starship_server(args.airflow_version, extra_env=env))
        print(f"two servers up in {time.monotonic() - started:.1f} s", flush=True)
        yield client_for(source), client_for(target), source


def _workers_env(version: str, workers: int | None) -> dict[str, str] | None:
    """The environment for ``workers`` webserver (2.x) or api-server (3.x) workers; the
    harness runs one (Airflow's own default is 4)."""
    if workers is None:
        return None
    name = "AIRFLOW__WEBSERVER__WORKERS" if version.startswith("2.") else "AIRFLOW__API__WORKERS"
    return {name: str(workers)}


def import_with_cli(server: AirflowServer, kind: str, doc: object) -> None:
    """Fill the source fast: ``airflow variables|connections import`` (one process)."""
    assert server.home is not None
    path = server.home / f"bench-{kind}.json"
    path.write_text(json.dumps(doc))
    server.airflow(kind, "import", str(path), timeout=600)


def timed(label: str, func):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = func()
    print(f"{label}: {time.monotonic() - started:.1f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow-version", default="3.3.2")
    parser.add_argument("--variables", type=int, default=2000)
    parser.add_argument("--pools", type=int, default=50)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--prefix", default="bench_")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--source-url")
    parser.add_argument("--target-url")
    parser.add_argument(
        "--variables-only",
        action="store_true",
        help="fill and migrate variables only, then stop (the throughput figure of make bench)",
    )
    parser.add_argument("--server-workers", type=int, help="webserver/api-server workers")
    parser.add_argument("--json", action="store_true", help="end with a bench-json line")
    args = parser.parse_args()
    p = args.prefix
    with servers(args) as (source, target, local):
        starship = source.starship

        def fill() -> None:
            variables = {f"{p}var_{i:05d}": f"value {i}" for i in range(args.variables)}
            connections = {
                f"{p}conn_{i:04d}": {
                    "conn_type": "postgres", "host": "db", "port": 5432, "login": "u",
                    "password": f"secret-{i}",
                }
                for i in range(args.connections)
            }  # fmt: skip
            if local is not None:
                import_with_cli(local, "variables", variables)
                import_with_cli(local, "connections", connections)
            else:
                for key, value in variables.items():
                    starship.create_variable(StarshipVariable(key, value))
                for conn_id, c in connections.items():
                    starship.create_connection(StarshipConnection(conn_id, **c))  # type: ignore[arg-type]
            adapter = adapter_for(source)
            for i in range(args.pools):
                adapter.create_pool({"name": f"{p}pool_{i:03d}", "slots": i + 1})
            source.wait_for_dag(DAG, timeout=300)
            if not starship.dag_runs(DAG, limit=1).records:
                source.trigger_and_wait(DAG, unpause=True, timeout=300)
            clone_history(source, DAG, args.runs, prefix=f"{p}run")

        timed("fill the source", fill)
        target.wait_for_dag(DAG, timeout=300)
        dry = timed("dry run", lambda: migrate(source, target, dry_run=True, dag_ids=[DAG]))
        print(f"  {dry.summary()}")

        what = ("variables",) if args.variables_only else DEFAULT_WHAT
        report = timed(
            "migration",
            lambda: migrate(source, target, what=what, dag_ids=[DAG], workers=args.workers),
        )
        print(f"  {report.summary()}")
        print(f"  by kind: {report.counts_by_kind()}")
        print(f"  seconds per kind: { {k: round(v, 1) for k, v in report.seconds.items()} }")
        again = timed("second run", lambda: migrate(source, target, what=what, dag_ids=[DAG]))
        print(f"  {again.summary()}")
        assert not again.changed
        if args.json:
            print("bench-json " + json.dumps({
                "bench": "migrate",
                "version": args.airflow_version,
                "variables": args.variables,
                "server_workers": args.server_workers or 1,
                "seconds": round(report.seconds.get("variables", 0.0), 1),
            }))  # fmt: skip
        if args.variables_only:
            return

        # interrupted halfway through N new variables, then run again
        late = {f"{p}late_{i:05d}": f"value {i}" for i in range(args.variables)}
        if local is not None:
            import_with_cli(local, "variables", late)
        else:
            for key, value in late.items():
                starship.create_variable(StarshipVariable(key, value))
        half = args.variables // 2
        seen = [0]

        def stop_halfway(outcome: str, item: object) -> None:
            if outcome == "created" and getattr(item, "kind", "") == "variable":
                seen[0] += 1
                if seen[0] == half:
                    raise KeyError("simulated crash")

        try:
            migrate(source, target, on_item=stop_halfway, dag_ids=[DAG])
        except MigrationError as exc:
            print(f"interrupted: {exc.report.summary()}")
            print(f"  by kind: {exc.report.counts_by_kind()}")
        resumed = timed("resumed", lambda: migrate(source, target, dag_ids=[DAG]))
        print(f"  {resumed.summary()}")
        print(f"  by kind: {resumed.counts_by_kind()}")
        assert resumed.complete


if __name__ == "__main__":
    main()
