"""A fake Airflow 2 or 3 behind the real client, transport and generated code, for the
resource helpers (variables, pools, connections, DAG/run/task instance changes, XComs,
configuration): it keeps the items in memory, answers as each major does (Airflow 3 masks
sensitive variable values and passwords), and records every request with its JSON body."""

from __future__ import annotations

import copy
import io
import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import urllib3

from airflow_client_ext import AirflowClient
from airflow_client_ext.auth import BearerAuth

CANNED = json.loads(
    (__import__("pathlib").Path(__file__).parent / "data" / "airflow-3.3.2.json").read_text()
)
DAG_V2 = CANNED["/api/v2/dags/quick_success"]
RUN_V2 = CANNED["/api/v2/dags/quick_success/dagRuns/RUN"]
TI_V2 = CANNED["/api/v2/dags/quick_success/dagRuns/RUN/taskInstances"]["task_instances"][0]
DISABLED = (
    "Testing connections is disabled in Airflow configuration. Contact your deployment admin "
    "to enable it."
)
HIDDEN = (
    "Your Airflow administrator chose not to expose the configuration, most likely for "
    "security reasons."
)
TS = "2026-01-01T00:00:00+00:00"
TOKEN = "tok-resources-never-shown"


class Sent:
    def __init__(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        self.method, self.path, self.query, self.body = method, path, query, body

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


def _not_found(what: str) -> dict[str, Any]:
    return {"detail": f"{what} not found", "status": 404, "title": "Not Found"}


def _sensitive(key: str) -> bool:
    return any(w in key.lower() for w in ("password", "secret", "token", "api_key"))


class FakeResources:
    """``FakeResources(2)`` speaks /api/v1 as 2.11.2, ``FakeResources(3)`` /api/v2 as 3.3.2."""

    def __init__(self, major: int, version: str | None = None) -> None:
        self.major = major
        self.version = version or ("2.11.2" if major == 2 else "3.3.2")
        self.api = "/api/v1" if major == 2 else "/api/v2"
        self.variables: dict[str, dict[str, Any]] = {}
        self.pools: dict[str, dict[str, Any]] = {
            "default_pool": {"name": "default_pool", "slots": 128, "description": "Default pool"}
        }
        self.connections: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, str] = {"r1": "failed"}
        self.ti_state: dict[tuple[str, int], str] = {("extract", -1): "failed"}
        self.test_connection_enabled = True
        self.expose_config = True
        self.sent: list[Sent] = []
        self.reparse_requests = 0

    def client(self) -> AirflowClient:
        made = AirflowClient(
            "http://airflow.test:8080",
            auth=BearerAuth(TOKEN),
            api_version="v1" if self.major == 2 else "v2",
        )
        made._info.server_version = self.version
        made.transport._manager_for = lambda url: self  # type: ignore[method-assign]
        return made

    def writes(self) -> list[Sent]:
        return [s for s in self.sent if s.method != "GET"]

    # -- what urllib3 sees --------------------------------------------------------------------
    def request(self, method: str, url: str, body: Any = None, **_: Any) -> urllib3.HTTPResponse:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        doc = json.loads(body) if body else None
        path = unquote(parts.path)
        self.sent.append(Sent(method, path, query, doc))
        status, answer = self.route(method, path[len(self.api) :], query, doc)
        content_type = "application/json"
        if isinstance(answer, bytes):  # Airflow 2's bodiless answers: Flask labels them HTML
            data, content_type = answer, "text/html; charset=utf-8"
        else:
            data = b"" if answer is None else json.dumps(answer).encode()
        return urllib3.HTTPResponse(
            body=io.BytesIO(data),
            status=status,
            headers={"Content-Type": content_type, "Content-Length": str(len(data))},
            preload_content=False,
        )

    def route(
        self, method: str, path: str, query: dict[str, list[str]], doc: Any
    ) -> tuple[int, Any]:
        steps = path.strip("/").split("/")
        head = steps[0]
        for name, store in (
            ("variables", self.variables),
            ("pools", self.pools),
            ("connections", self.connections),
        ):
            if head == name and steps[1:2] != ["test"]:
                return self._item_route(name, store, method, steps[1:], doc)
        if path == "/connections/test":
            if not self.test_connection_enabled:
                return 403, {"detail": DISABLED, "status": 403, "title": "Forbidden"}
            ok = doc.get("host") != "unreachable"
            message = "Connection successfully tested" if ok else "nope"
            return 200, {"status": ok, "message": message}
        if head == "config":
            return self._config(steps, query)
        if head == "parseDagFile":
            # 2.11: an empty 201, or "Duplicate request" while one is pending
            self.reparse_requests += 1
            if self.major == 3:
                return 201, None
            return 201, b"" if self.reparse_requests == 1 else b"Duplicate request"
        if path == "/dags":
            return 200, {"dags": [self._dag()], "total_entries": 1}
        if head == "dags":
            return self._dag_route(method, steps[1:], doc)
        return 404, {"detail": f"no route {method} {path}"}

    # -- variables, pools, connections ------------------------------------------------------
    def _item_route(
        self, name: str, store: dict[str, dict[str, Any]], method: str, rest: list[str], doc: Any
    ) -> tuple[int, Any]:
        id_field = {"variables": "key", "pools": "name", "connections": "connection_id"}[name]
        if not rest:
            if method == "GET":
                items = [self._shown(name, item) for item in store.values()]
                return 200, {name: items, "total_entries": len(items)}
            if method == "POST":
                if doc[id_field] in store:
                    return 409, {"detail": f"{doc[id_field]} exists"}
                store[doc[id_field]] = dict(doc)
                return (200 if self.major == 2 else 201), self._shown(name, store[doc[id_field]])
        key = rest[0]
        if key not in store:
            return 404, _not_found(f"{name[:-1]} {key}")
        if method == "GET":
            return 200, self._shown(name, store[key])
        if method == "PATCH":
            store[key].update(doc)
            return 200, self._shown(name, store[key])
        if method == "DELETE":
            del store[key]
            return 204, None
        return 405, {"detail": "no"}

    def _shown(self, name: str, item: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(item)
        if name == "variables":
            shown.setdefault("description", None)
            if self.major == 3:
                shown["is_encrypted"] = False
                if _sensitive(shown["key"]):
                    shown["value"] = "***"
        if name == "pools":
            shown.setdefault("description", None)
            shown.setdefault("include_deferred", False)
            for field in ("occupied", "running", "queued", "scheduled", "deferred"):
                shown[f"{field}_slots"] = 0
            shown["open_slots"] = shown["slots"]
        if name == "connections":
            for field in ("description", "host", "login", "schema", "port", "extra"):
                shown.setdefault(field, None)
            password = shown.pop("password", None)
            if self.major == 3:
                shown["password"] = "***" if password else None
        return shown

    # -- configuration ----------------------------------------------------------------------------
    def _config(self, steps: list[str], query: dict[str, list[str]]) -> tuple[int, Any]:
        if not self.expose_config:
            return 403, {"detail": HIDDEN, "status": 403, "title": "Forbidden"}
        options = {"core": {"parallelism": "32", "fernet_key": "fernet-secret"}}
        if len(steps) == 5:  # config/section/{s}/option/{o}
            section, option = steps[2], steps[4]
            if option not in options.get(section, {}):
                return 404, {"detail": "not found"}
            chosen = {section: {option: options[section][option]}}
        else:
            section = query["section"][0]
            chosen = {section: options.get(section, {})}
        return 200, {
            "sections": [
                {"name": s, "options": [{"key": k, "value": v} for k, v in opts.items()]}
                for s, opts in chosen.items()
            ]
        }

    # -- DAGs, runs, task instances, XComs ----------------------------------------------------
    def _dag(self) -> dict[str, Any]:
        if self.major == 3:
            return {**DAG_V2, "dag_id": "etl", "file_token": "tok-etl"}
        return {
            "dag_id": "etl",
            "is_paused": False,
            "is_active": True,
            "file_token": "tok-etl",
            "tags": [],
            "owners": ["me"],
        }

    def _run(self, run_id: str) -> dict[str, Any]:
        if self.major == 3:
            return {**RUN_V2, "dag_id": "etl", "dag_run_id": run_id, "state": self.runs[run_id]}
        return {"dag_id": "etl", "dag_run_id": run_id, "state": self.runs[run_id], "conf": {}}

    def _ti(self, task_id: str, map_index: int) -> dict[str, Any]:
        state = self.ti_state.get((task_id, map_index))
        if self.major == 3:
            return {
                **TI_V2,
                "dag_id": "etl",
                "dag_run_id": "r1",
                "task_id": task_id,
                "map_index": map_index,
                "state": state,
            }
        return {
            "dag_id": "etl",
            "dag_run_id": "r1",
            "task_id": task_id,
            "map_index": map_index,
            "state": state,
            "try_number": 1,
        }

    def _ref(self, task_id: str) -> dict[str, Any]:
        return {"dag_id": "etl", "dag_run_id": "r1", "task_id": task_id, "execution_date": TS}

    def _dag_route(self, method: str, rest: list[str], doc: Any) -> tuple[int, Any]:
        if rest[0] != "etl":
            return 404, _not_found(f"DAG {rest[0]}")
        rest = rest[1:]
        if not rest:
            if method == "DELETE":
                return 204, None
            if method == "PATCH":
                return 200, {**self._dag(), "is_paused": doc["is_paused"]}
            return 200, self._dag()
        if rest == ["clearTaskInstances"]:
            wanted = doc.get("task_ids")
            cleared = [k for k in self.ti_state if not wanted or k[0] in wanted]
            if not doc.get("dry_run"):
                for key in cleared:
                    self.ti_state[key] = None  # type: ignore[assignment]
            if self.major == 3:
                return 200, {
                    "task_instances": [self._ti(t, i) for t, i in cleared],
                    "total_entries": len(cleared),
                }
            refs = [self._ref(t) for t, _ in cleared]
            return 200, {"task_instances": refs}
        if rest == ["dagRuns"]:
            runs = [self._run(run_id) for run_id in self.runs]
            return 200, {"dag_runs": runs, "total_entries": len(runs)}
        if rest[0] == "dagRuns" and len(rest) == 3 and rest[2] == "taskInstances":
            tis = [self._ti(t, i) for t, i in self.ti_state]
            return 200, {"task_instances": tis, "total_entries": len(tis)}
        if rest[0] == "dagRuns" and len(rest) == 2:
            run_id = rest[1]
            if run_id not in self.runs:
                return 404, _not_found(f"run {run_id}")
            if method == "DELETE":
                del self.runs[run_id]
                return 204, None
            if method == "PATCH":
                self.runs[run_id] = doc["state"]
            return 200, self._run(run_id)
        if rest[0] == "dagRuns" and rest[2] == "taskInstances" and len(rest) >= 4:
            task_id = rest[3]
            tail = rest[4:]
            map_index = int(tail[0]) if tail and tail[0].lstrip("-").isdigit() else -1
            if "xcomEntries" in tail:
                return self._xcom(task_id, tail)
            if method == "PATCH":
                self.ti_state[(task_id, map_index)] = doc["new_state"]
                if self.major == 3:
                    return 200, {
                        "task_instances": [self._ti(task_id, map_index)],
                        "total_entries": 1,
                    }
                return 200, self._ref(task_id)
            return 200, self._ti(task_id, map_index)
        return 404, {"detail": "no route"}

    def _xcom(self, task_id: str, tail: list[str]) -> tuple[int, Any]:
        item = {
            "key": "return_value",
            "timestamp": TS,
            "map_index": -1,
            "task_id": "extract",
            "dag_id": "etl",
        }
        if self.major == 3:
            item.update(logical_date=None, run_id="r1")
        else:
            item["execution_date"] = TS
        if tail[-1] == "xcomEntries":
            return 200, {"xcom_entries": [item], "total_entries": 1}
        value: Any = {"rows": 3} if self.major == 3 else "{'rows': 3}"
        return 200, {**item, "value": value}
