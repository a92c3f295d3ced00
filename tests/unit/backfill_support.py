"""A fake Airflow 2 or 3 behind the real client, transport and generated code, for the
backfill tests: it answers the few routes a backfill uses, keeps runs and backfills in
memory as Airflow does (one run per logical date, one active backfill per DAG), and records
every request with its JSON body."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import urllib3

from airflow_client_ext import AirflowClient

UTC = timezone.utc
CANNED = json.loads((Path(__file__).parent / "data" / "airflow-3.3.2.json").read_text())
RUN_V2 = CANNED["/api/v2/dags/quick_success/dagRuns/RUN"]
TIS_V2 = CANNED["/api/v2/dags/quick_success/dagRuns/RUN/taskInstances"]["task_instances"]


def day(n: int) -> datetime:
    """Midnight UTC of January ``n``, 2026."""
    return datetime(2026, 1, n, tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def server_prefix_match(run_id: str, term: str) -> bool:
    """Airflow 3.3's ``run_id_prefix_pattern`` as its docs describe it: trailing
    non-alphanumeric characters dropped, then a range scan ``[lower, upper)`` (the last
    character bumped) in the database's order (here the C collation, code points)."""
    lower = term
    while lower and not lower[-1].isalnum():
        lower = lower[:-1]
    if not lower:
        return True
    upper = lower
    while upper and not chr(ord(upper[-1]) + 1).isalnum():
        upper = upper[:-1]
    if not upper:
        return run_id >= lower
    upper = upper[:-1] + chr(ord(upper[-1]) + 1)
    return lower <= run_id < upper


class Sent:
    def __init__(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        self.method, self.path, self.query, self.body = method, path, query, body

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


class FakeAirflow:
    """Routes of /api/v1 (``major=2``) or /api/v2 (``major=3``) a backfill uses."""

    def __init__(self, major: int, version: str | None = None, dag_id: str = "etl") -> None:
        self.major = major
        self.version = version or ("2.11.2" if major == 2 else "3.3.2")
        self.dag_id = dag_id
        self.details: dict[str, Any] = {
            "dag_id": dag_id,
            "is_paused": False,
            "start_date": "2025-01-01T00:00:00+00:00",
            "end_date": None,
            "timezone": "UTC",
            "schedule_interval": {"__type": "CronExpression", "value": "@daily"},
        }
        #: the dates Airflow 3's timetable gives (its dry run and create use them)
        self.schedule = [day(n) for n in range(1, 31)]
        self.runs: dict[str, dict[str, Any]] = {}  # run id -> a neutral record
        self.backfills: list[dict[str, Any]] = []
        self.sent: list[Sent] = []
        self.tis: dict[str, list[tuple[str, str]]] = {}  # run id -> [(task, state)]
        self.on_list: Callable[[FakeAirflow], None] | None = None
        self.conflict_on_create: set[str] = set()  # run ids whose POST answers 409
        #: faults of the next backfill POSTs, in order: "before" answers 500 having made
        #: nothing (SQLite's "database is locked"); "after" makes the backfill, then 500;
        #: "partial" makes it without its last run, then 500
        self.create_faults: list[str] = []

    # -- the client -----------------------------------------------------------------------
    def client(self) -> AirflowClient:
        made = AirflowClient(
            "http://airflow.test:8080", api_version="v1" if self.major == 2 else "v2"
        )
        made._info.server_version = self.version
        made.transport._manager_for = lambda url: self  # type: ignore[method-assign]
        made._sleep = lambda seconds: None  # type: ignore[method-assign]
        return made

    def add_run(
        self,
        logical_date: datetime,
        state: str,
        run_id: str | None = None,
        run_type: str = "scheduled",
    ) -> str:
        run_id = run_id or f"{run_type}__{iso(logical_date)}"
        self.runs[run_id] = {
            "run_id": run_id,
            "logical_date": logical_date,
            "state": state,
            "run_type": run_type,
            "conf": {},
            "interval": (logical_date, logical_date + timedelta(days=1)),
        }
        return run_id

    def posts(self, path_end: str = "") -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.method in ("POST", "PUT", "PATCH") and s.path.endswith(path_end)
        ]

    # -- what urllib3 sees ------------------------------------------------------------------
    def request(self, method: str, url: str, body: Any = None, **_: Any) -> urllib3.HTTPResponse:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        doc = json.loads(body) if body else None
        self.sent.append(Sent(method, unquote(parts.path), query, doc))
        status, answer, content_type = self.route(method, unquote(parts.path), query, doc)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return urllib3.HTTPResponse(
            body=io.BytesIO(data),
            status=status,
            headers={"Content-Type": content_type, "Content-Length": str(len(data))},
            preload_content=False,
        )

    def route(
        self, method: str, path: str, query: dict[str, list[str]], doc: Any
    ) -> tuple[int, Any, str]:
        api = "/api/v1" if self.major == 2 else "/api/v2"
        dag = f"{api}/dags/{self.dag_id}"
        json_type = "application/json"
        if method == "GET" and path == f"{dag}/details":
            return 200, self.details, json_type
        if method == "PATCH" and path == dag:
            self.details["is_paused"] = doc["is_paused"]
            return 200, self._dag(), json_type
        if method == "GET" and path == f"{dag}/dagRuns":
            return 200, self._list(query), json_type
        if method == "POST" and path == f"{dag}/dagRuns":
            return self._post_run(doc)
        if path.startswith(f"{dag}/dagRuns/") and path.endswith("/clear"):
            run_id = path.split("/")[-2]
            self.runs[run_id]["state"] = "queued"
            return 200, self._run_doc(self.runs[run_id]), json_type
        if method == "GET" and path.endswith("/taskInstances"):
            return 200, self._tis(path.split("/")[-2]), json_type
        if "/logs/" in path:
            task = path.split("/")[-3]
            return 200, f"noise\nValueError: {task} broke\n".encode(), "text/plain"
        if path.startswith(f"{api}/backfills"):
            return self._backfill_route(method, path, query, doc)
        return 404, {"detail": f"no route {method} {path}"}, json_type

    # -- runs -----------------------------------------------------------------------------
    def _run_doc(self, run: dict[str, Any]) -> dict[str, Any]:
        start, end = run["interval"]
        if self.major == 2:
            return {
                "dag_run_id": run["run_id"],
                "dag_id": self.dag_id,
                "logical_date": iso(run["logical_date"]),
                "execution_date": iso(run["logical_date"]),
                "start_date": None,
                "end_date": None,
                "data_interval_start": iso(start),
                "data_interval_end": iso(end),
                "last_scheduling_decision": None,
                "run_type": run["run_type"],
                "state": run["state"],
                "external_trigger": True,
                "conf": run["conf"],
                "note": None,
            }
        doc = copy.deepcopy(RUN_V2)
        doc.update(
            dag_run_id=run["run_id"],
            dag_id=self.dag_id,
            logical_date=iso(run["logical_date"]),
            data_interval_start=iso(start),
            data_interval_end=iso(end),
            run_type=run["run_type"],
            state=run["state"],
            conf=run["conf"],
            end_date=None,
        )
        return doc

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        if self.on_list is not None:
            self.on_list(self)
        gte = query.get("execution_date_gte") or query.get("logical_date_gte")
        lte = query.get("execution_date_lte") or query.get("logical_date_lte")
        runs = sorted(self.runs.values(), key=lambda r: r["logical_date"])
        if gte:
            runs = [r for r in runs if r["logical_date"] >= datetime.fromisoformat(gte[0])]
        if lte:
            runs = [r for r in runs if r["logical_date"] <= datetime.fromisoformat(lte[0])]
        if "run_type" in query:
            runs = [r for r in runs if r["run_type"] in query["run_type"]]
        if "run_id_prefix_pattern" in query:
            term = query["run_id_prefix_pattern"][0]
            runs = [r for r in runs if server_prefix_match(r["run_id"], term)]
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        page = runs[offset : offset + limit] if "cursor" not in query else runs
        collection: dict[str, Any] = {
            "dag_runs": [self._run_doc(r) for r in page],
            "total_entries": len(runs),
        }
        if self.major == 3:
            collection["next_cursor"] = None
        return collection

    def _post_run(self, doc: dict[str, Any]) -> tuple[int, Any, str]:
        date = datetime.fromisoformat(doc["logical_date"])
        taken = any(r["logical_date"] == date for r in self.runs.values())
        if doc["dag_run_id"] in self.conflict_on_create or taken or doc["dag_run_id"] in self.runs:
            if doc["dag_run_id"] in self.conflict_on_create:
                self.add_run(date, "running", "scheduled__meanwhile")
            detail = f"DAGRun with DAG ID: '{self.dag_id}' and DAGRun logical date: '{date}'"
            return (
                409,
                {"title": "Conflict", "status": 409, "detail": detail},
                "application/problem+json",
            )
        run_id = self.add_run(date, "queued", doc["dag_run_id"], "manual")
        run = self.runs[run_id]
        run["conf"] = doc.get("conf") or {}
        run["interval"] = (
            datetime.fromisoformat(doc["data_interval_start"]),
            datetime.fromisoformat(doc["data_interval_end"]),
        )
        return 200, self._run_doc(run), "application/json"

    def _tis(self, run_id: str) -> dict[str, Any]:
        tis = []
        for task, state in self.tis.get(run_id, [("extract", "success")]):
            if self.major == 2:
                tis.append(
                    {"task_id": task, "dag_id": self.dag_id, "dag_run_id": run_id, "state": state,
                     "try_number": 1, "map_index": -1}
                )  # fmt: skip
            else:
                ti = copy.deepcopy(TIS_V2[0])
                ti.update(task_id=task, dag_id=self.dag_id, dag_run_id=run_id, state=state)
                tis.append(ti)
        return {"task_instances": tis, "total_entries": len(tis)}

    def _dag(self) -> dict[str, Any]:
        if self.major == 2:
            return {"dag_id": self.dag_id, "is_paused": self.details["is_paused"]}
        doc = copy.deepcopy(CANNED["/api/v2/dags/quick_success"])
        doc.update(dag_id=self.dag_id, is_paused=self.details["is_paused"])
        return doc

    # -- Airflow 3's backfills ---------------------------------------------------------------
    def _planned(self, doc: dict[str, Any]) -> list[datetime]:
        start, end = (
            datetime.fromisoformat(doc["from_date"]),
            datetime.fromisoformat(doc["to_date"]),
        )
        reprocess = doc.get("reprocess_behavior") or "none"
        found = []
        for date in self.schedule:
            if not start <= date <= end:
                continue
            run = next((r for r in self.runs.values() if r["logical_date"] == date), None)
            if run is None or (run["state"] in ("success", "failed") and (
                reprocess == "completed" or (reprocess == "failed" and run["state"] == "failed")
            )):  # fmt: skip
                found.append(date)
        return found[::-1] if doc.get("run_backwards") else found

    def _backfill_doc(self, b: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": b["id"],
            "dag_id": self.dag_id,
            "from_date": b["from_date"],
            "to_date": b["to_date"],
            "dag_run_conf": b.get("dag_run_conf"),
            "is_paused": b["is_paused"],
            "reprocess_behavior": b.get("reprocess_behavior") or "none",
            "max_active_runs": b.get("max_active_runs", 10),
            "created_at": "2026-02-01T00:00:00+00:00",
            "completed_at": b["completed_at"],
            "updated_at": "2026-02-01T00:00:00+00:00",
            "dag_display_name": self.dag_id,
        }

    def _backfill_route(
        self, method: str, path: str, query: dict[str, list[str]], doc: Any
    ) -> tuple[int, Any, str]:
        json_type = "application/json"
        if method == "POST" and path.endswith("/dry_run"):
            planned = self._planned(doc)
            items = [
                {"logical_date": iso(d), "partition_key": None, "partition_date": None}
                for d in planned
            ]
            return 200, {"backfills": items, "total_entries": len(items)}, json_type
        if method == "POST":
            fault = self.create_faults.pop(0) if self.create_faults else None
            if fault == "before":
                return 500, b"Internal Server Error", "text/plain"
            if any(b["completed_at"] is None for b in self.backfills):
                detail = f"There is already a running backfill for dag {self.dag_id}"
                return 409, {"detail": detail}, json_type
            record = {
                **doc,
                "id": len(self.backfills) + 1,
                "is_paused": False,
                "completed_at": None,
                "dates": self._planned(doc),
            }
            # "partial": made with the runs of all but the last date, then 500 (3.0.6 on SQLite)
            for date in record["dates"][:-1] if fault == "partial" else record["dates"]:
                run = next((r for r in self.runs.values() if r["logical_date"] == date), None)
                if run is None:
                    run = self.runs[self.add_run(date, "queued", run_type="backfill")]
                run.update(state="queued", run_type="backfill")
            self.backfills.append(record)
            if fault in ("after", "partial"):
                return 500, b"Internal Server Error", "text/plain"
            return 200, self._backfill_doc(record), json_type
        if method == "GET" and path.endswith("/backfills"):
            docs = [
                self._backfill_doc(b) for b in self.backfills if b["dag_id"] == query["dag_id"][0]
            ]
            return 200, {"backfills": docs, "total_entries": len(docs)}, json_type
        number = int(path.split("/")[4])
        record = self.backfills[number - 1]
        states = [r["state"] for r in self.runs.values() if r["logical_date"] in record["dates"]]
        if record["completed_at"] is None and states and set(states) <= {"success", "failed"}:
            # like Airflow 3's scheduler, a loop after the last run ended
            record["completed_at"] = "2026-02-02T00:00:00+00:00"
        if method == "PUT":
            action = path.split("/")[-1]
            record["is_paused"] = action in ("pause", "cancel")
            if action == "cancel":
                record["completed_at"] = "2026-02-02T00:00:00+00:00"
        return 200, self._backfill_doc(record), json_type
