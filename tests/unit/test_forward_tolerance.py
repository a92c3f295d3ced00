"""A server newer than the client ("3.9.0") never fails a call with what it adds.

The answers are real ones of Airflow 3.3.2 (``data/airflow-3.3.2.json``, captured from a
server the harness started), changed as a newer release could change them: a new version
number, fields the client does not know, and enum values it has never seen (a run state, a
task instance state, a run type). A stub server on loopback serves them, since no 3.9.0
exists to start; everything goes through the real client, transport and generated models.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from airflow_client_ext import AirflowClient, BearerAuth

CANNED = json.loads((Path(__file__).parent / "data" / "airflow-3.3.2.json").read_text())
DAG = "/api/v2/dags/quick_success"
RUN = f"{DAG}/dagRuns/RUN"


def newer(answers: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(answers)
    out["/api/v2/version"]["version"] = "3.9.0"
    for path in (DAG, f"{DAG}/details", RUN):
        out[path]["field_of_airflow_3_9"] = {"nested": [1, 2, 3]}
    out[RUN]["state"] = "awaiting_approval"  # a run state 3.3 does not have
    out[RUN]["run_type"] = "partition_refresh"
    tis = out[f"{RUN}/taskInstances"]["task_instances"]
    tis[0]["state"] = "paused_for_input"  # a task instance state 3.3 does not have
    tis[0]["another_new_field"] = True
    return out


class _Handler(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self.answers.get(path)
        data = json.dumps(body if body is not None else {"detail": "Not Found"}).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"answers": newer(CANNED)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def test_a_3_9_server_is_detected_and_read(server: str) -> None:
    client = AirflowClient(server, auth=BearerAuth("canned"))
    assert (client.api_version, client.server_version) == ("v2", "3.9.0")
    dag = client.get_dag("quick_success")
    assert dag.dag_id == "quick_success"
    assert set(dag.tags) == {"airflow-client-ext", "quick"}
    details = client.api("DAGApi").get_dag_details("quick_success")
    assert details.dag_id == "quick_success"


def test_unknown_states_and_run_types_come_back_as_their_strings(server: str) -> None:
    client = AirflowClient(server, auth=BearerAuth("canned"))
    run = client.get_dag_run("quick_success", "RUN")
    assert run.state == "awaiting_approval"
    assert run.run_type == "partition_refresh"
    assert not run.finished  # an unknown state is not taken for the end of the run
    tis = sorted(client.iter_task_instances("quick_success", "RUN"), key=lambda t: t.task_id)
    assert [ti.state for ti in tis] == ["paused_for_input", "success"]


def test_the_generated_models_keep_the_unknown_values_too(server: str) -> None:
    client = AirflowClient(server, auth=BearerAuth("canned"))
    raw = client.api("DagRunApi").get_dag_run("quick_success", "RUN")
    state = raw.state
    assert getattr(state, "value", state) == "awaiting_approval"
    assert str(getattr(state, "value", state)) == "awaiting_approval"
