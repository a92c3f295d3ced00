"""Call every list/get operation of our spec that the server has and that needs no setup.

Which operations the server has comes from the spec the server itself serves (Airflow 2:
``/api/v1/openapi.yaml``; Airflow 3: ``/openapi.json``), so an operation newer than the
server is counted as "not on this server", never called and never mistaken for a failure.
An operation is called when every required parameter is one we can fill from the matrix's
data (the DAG, a finished run, its task); the others "need setup" (a variable key, an XCom
key, a file token ...). Each call goes through the generated client on the client's
transport; a 2xx answer must deserialize into its model. An error answer is recorded with
its status; only a failure to read an answer fails the sweep.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import ApiError
from airflow_client_ext.features import OPERATIONS, supports
from airflow_client_ext.testing import AirflowInstance

ROOT = Path(__file__).resolve().parents[2]
OUR_SPECS = {"v1": ROOT / "openapi" / "airflow-v1.yaml", "v2": ROOT / "openapi" / "airflow-v2.yaml"}
#: operations left out of the sweep on purpose, and why
LEFT_OUT = {
    "wait_dag_run_until_finished": "a stream, exercised by the wait rows",
    "get_external_log_url": "needs a remote log handler",
    "get_log": "exercised by the task_log row (text and structured logs)",
    "login": "a browser flow: redirects to the login page (HTML)",
    "logout": "a browser flow: redirects to the login page (HTML)",
}


@dataclass
class SweepResult:
    ok: list[str] = field(default_factory=list)
    answered_error: dict[str, int] = field(default_factory=dict)
    not_on_server: list[str] = field(default_factory=list)
    #: what airflow_client_ext.features says this server lacks (must equal not_on_server)
    table_says_missing: list[str] = field(default_factory=list)
    needs_setup: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "ok": sorted(self.ok),
            "answered_error": dict(sorted(self.answered_error.items())),
            "not_on_server": sorted(self.not_on_server),
            "needs_setup": sorted(self.needs_setup),
            "failures": self.failures,
        }


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(GET, path template with parameters named {_}) -> operation, for every GET."""
    found = {}
    for path, item in spec.get("paths", {}).items():
        operation = item.get("get")
        if operation is None:
            continue
        shared = item.get("parameters", [])
        found[("get", re.sub(r"\{[^}]+\}", "{_}", path))] = {
            **operation,
            "parameters": [*shared, *operation.get("parameters", [])],
            "path": path,
        }
    return found


def _resolve(spec: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    ref = parameter.get("$ref")
    if not ref:
        return parameter
    node: Any = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return dict(node)


def server_spec(server: AirflowInstance) -> dict[str, Any]:
    """The spec the running server serves about itself."""
    if server.major < 3:
        resp = server.request("GET", "/api/v1/openapi.yaml")
        assert resp.status == 200, (resp.status, resp.text[:300])
        return dict(yaml.safe_load(resp.text))
    resp = server.request("GET", "/openapi.json")
    assert resp.status == 200, (resp.status, resp.text[:300])
    return dict(json.loads(resp.text))


def _method(client: AirflowClient, name: str) -> Any:
    generated = client.generated
    for api_name in (n for n in generated.__all__ if n.endswith("Api")):
        api = client.api(api_name)
        if hasattr(api, name):
            return getattr(api, name)
    return None


def sweep_operations(
    client: AirflowClient, server: AirflowInstance, *, dag_id: str, run_id: str
) -> SweepResult:
    ours = yaml.safe_load(OUR_SPECS[client.api_version].read_text())
    theirs = _operations(server_spec(server))
    known: dict[str, Any] = {
        "dag_id": dag_id,
        "dag_run_id": run_id,
        "run_id": run_id,
        "task_id": "second",
        "task_try_number": 1,
        "try_number": 1,
    }
    result = SweepResult()
    prefix = "/api/v1" if client.api_version == "v1" else ""
    for key, operation in sorted(_operations(ours).items()):
        name = str(operation["operationId"])
        if name in LEFT_OUT:
            continue
        gated = OPERATIONS.get(f"GET {operation['path']}")
        if gated is not None and not supports(client.server_version, gated):
            result.table_says_missing.append(name)
        if ("get", prefix + key[1]) not in theirs and key not in theirs:
            result.not_on_server.append(name)
            continue
        params = [_resolve(ours, p) for p in operation["parameters"]]
        required = [p for p in params if p.get("required") and p.get("in") != "cookie"]
        if any(p["name"] not in known for p in required):
            result.needs_setup.append(name)
            continue
        method = _method(client, name)
        if method is None:
            result.failures.append(f"{name}: no generated method of that name")
            continue
        kwargs = {p["name"]: known[p["name"]] for p in required}
        try:
            method(**kwargs)
        except ApiError as exc:
            result.answered_error[name] = exc.status
            continue
        except Exception as exc:  # a 2xx that did not deserialize, or worse
            result.failures.append(f"{name}({kwargs}): {type(exc).__name__}: {exc}"[:2000])
            continue
        result.ok.append(name)
    return result
