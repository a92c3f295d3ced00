"""Helpers of the workflow contract tests (``tests/contract/test_workflows*.py``).

The workflows under test are used for what they do; the cleanup and the setup that must not
depend on them (creating items to export, stopping a run) go through the generated APIs.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.errors import ApiError, NotFoundError
from airflow_client_ext.models import DagRun
from airflow_client_ext.testing import AirflowInstance, AirflowServerError

T = TypeVar("T")

#: the DAGs of tests/dags the tests run
QUICK = "quick_success"
FAILS = "always_fails"
SLOW = "slow"
MAPPED = "mapped_many"
MAPPED_ITEMS = 150
ECHO = "echo_conf"
FAIL_ON_PARAM = "fail_on_param"
#: generous: a 2-core machine shared with other servers
RUN_TIMEOUT = 300.0


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def admin_client(server: AirflowInstance) -> AirflowClient:
    return AirflowClient(server.url, auth=TokenAuth(server.username, server.password))


def run_api(client: AirflowClient) -> Any:
    """The generated DAG run API (``DAGRunApi`` on v1, ``DagRunApi`` on v2)."""
    return client.api("DAGRunApi" if client.api_version == "v1" else "DagRunApi")


def poll(what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 120) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: {result!r}")
        time.sleep(0.5)


# -- runs: created by a test, stopped and deleted after it ----------------------------------
class Runs:
    """Runs a test started; ``cleanup`` fails unfinished ones and deletes them all."""

    def __init__(self, client: AirflowClient) -> None:
        self.client = client
        self.started: list[tuple[str, str]] = []

    def add(self, run: DagRun | tuple[str, str]) -> DagRun | tuple[str, str]:
        key = (run.dag_id, run.run_id) if isinstance(run, DagRun) else run
        self.started.append(key)
        return run

    def create_raw(self, dag_id: str, run_id: str) -> None:
        """A run made through the generated API (works on a paused DAG)."""
        generated = self.client.generated
        if self.client.api_version == "v1":
            body = generated.DAGRun(dag_run_id=run_id, conf={})
            run_api(self.client).post_dag_run(dag_id, body)
        else:
            body = generated.TriggerDAGRunPostBody(dag_run_id=run_id, conf={})
            run_api(self.client).trigger_dag_run(dag_id, body)
        self.started.append((dag_id, run_id))

    def stop(self, dag_id: str, run_id: str) -> None:
        """Mark a run failed (its running task is told to stop)."""
        generated = self.client.generated
        with contextlib.suppress(NotFoundError):
            if self.client.api_version == "v1":
                body = generated.UpdateDagRunState(state="failed")
                run_api(self.client).update_dag_run_state(dag_id, run_id, body)
            else:
                body = generated.DAGRunPatchBody(state=generated.DagRunMutableStates.FAILED)
                run_api(self.client).patch_dag_run(dag_id, run_id, body)

    def cleanup(self) -> None:
        for dag_id, run_id in self.started:
            try:
                state = run_api(self.client).get_dag_run(dag_id, run_id).state
            except NotFoundError:
                continue
            if getattr(state, "value", state) not in ("success", "failed"):
                self.stop(dag_id, run_id)
            with contextlib.suppress(NotFoundError):
                run_api(self.client).delete_dag_run(dag_id, run_id)


@contextlib.contextmanager
def runs_for_test(client: AirflowClient) -> Iterator[Runs]:
    runs = Runs(client)
    try:
        yield runs
    finally:
        runs.cleanup()


# -- a DAG of our own -----------------------------------------------------------------------
def dags_folder(server: AirflowInstance, fallback: Path | None) -> Path:
    folder = getattr(server, "dags_folder", None) or fallback
    if folder is None and server.home is not None:
        folder = server.home / "dags"
    if folder is None:
        pytest.skip("a running (--airflow-url) server needs --airflow-dags for this test")
    return Path(folder)


def dag_file_text(dag_id: str) -> str:
    """A one-task DAG that imports on Airflow 2 and 3 and succeeds at once."""
    return f'''"""A DAG of the workflow contract tests (removed at the end of its test)."""

import datetime

try:
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator

with DAG(
    dag_id={dag_id!r},
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["airflow-client-ext", "workflows-contract"],
):
    EmptyOperator(task_id="only")
'''


@contextlib.contextmanager
def own_dag(server: AirflowInstance, folder: Path) -> Iterator[str]:
    """A fresh DAG (paused at creation, as every DAG is) under a unique id."""
    dag_id = unique("wf_dag")
    path = folder / f"{dag_id}.py"
    path.write_text(dag_file_text(dag_id))
    try:
        yield dag_id
    finally:
        path.unlink(missing_ok=True)
        with contextlib.suppress(AirflowServerError):
            server.api("DELETE", f"dags/{dag_id}", ok=(200, 204, 404))


# -- variables, pools and connections -------------------------------------------------------
def create_variable(client: AirflowClient, key: str, value: str, description: str | None) -> None:
    generated = client.generated
    fields = {"key": key, "value": value}
    if description is not None:  # Airflow 2 refuses a null description
        fields["description"] = description
    if client.api_version == "v1":
        client.api("VariableApi").post_variables(generated.Variable(**fields))
    else:
        client.api("VariableApi").post_variable(generated.VariableBody(**fields))


def create_pool(client: AirflowClient, name: str, slots: int, description: str) -> None:
    generated = client.generated
    model = generated.Pool if client.api_version == "v1" else generated.PoolBody
    body = model(name=name, slots=slots, description=description, include_deferred=True)
    client.api("PoolApi").post_pool(body)


def create_connection(client: AirflowClient, connection_id: str, **fields: Any) -> None:
    generated = client.generated
    model = generated.Connection if client.api_version == "v1" else generated.ConnectionBody
    client.api("ConnectionApi").post_connection(model(connection_id=connection_id, **fields))


def get_variable_value(client: AirflowClient, key: str) -> str | None:
    value: str | None = client.api("VariableApi").get_variable(key).value
    return value


def delete_items(client: AirflowClient, prefix: str) -> None:
    """Delete every variable, pool and connection whose name starts with ``prefix``."""
    variables = client.api("VariableApi")
    for item in list(client.paginate(variables.get_variables)):
        if item.key.startswith(prefix):
            _delete(lambda key=item.key: variables.delete_variable(key))
    pools = client.api("PoolApi")
    for item in list(client.paginate(pools.get_pools)):
        if item.name.startswith(prefix):
            _delete(lambda name=item.name: pools.delete_pool(name))
    connections = client.api("ConnectionApi")
    for item in list(client.paginate(connections.get_connections)):
        if item.connection_id.startswith(prefix):
            _delete(lambda cid=item.connection_id: connections.delete_connection(cid))


def _delete(call: Callable[[], Any]) -> None:
    try:
        call()
    except ApiError as exc:
        if exc.status != 404:
            raise


def only_prefix(doc: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The export document reduced to the items (and missing entries) of one test."""
    keys = {"variables": "key", "pools": "name", "connections": "connection_id"}
    out = dict(doc)
    for section, key in keys.items():
        if section in doc:
            out[section] = [i for i in doc[section] if str(i[key]).startswith(prefix)]
    out["missing"] = [m for m in doc.get("missing", []) if str(m["name"]).startswith(prefix)]
    return out


def names(items: Any) -> list[str]:
    return sorted(item.key for item in items)


_DELETE_BY_PREFIX = """
import sys
from airflow.models.variable import Variable
from airflow.utils.session import create_session
with create_session() as session:
    session.query(Variable).filter(Variable.key.startswith(sys.argv[1])).delete(
        synchronize_session=False
    )
"""


@contextlib.contextmanager
def many_variables(
    server: AirflowInstance, client: AirflowClient, prefix: str, count: int
) -> Iterator[dict[str, str]]:
    """``count`` variables ``<prefix>_000``... with values ``"0"``..., removed afterwards.

    They are set up in bulk, outside the workflows under test: with Airflow 3's bulk
    endpoint; on Airflow 2, which has none and hashes the basic-auth password on every
    request (about 2 s each on a busy 2-core machine), with the server's own CLI and
    interpreter where the harness runs it. On a running (--airflow-url) Airflow 2 server,
    one API call per variable.
    """
    values = {f"{prefix}_{i:03d}": str(i) for i in range(count)}
    if client.api_version == "v2":
        _bulk_v2(client, "create", values)
        try:
            yield values
        finally:
            _bulk_v2(client, "delete", values)
        return
    venv = getattr(server, "venv", None)
    env = getattr(server, "env", None)
    local = venv is not None and bool(env) and server.home is not None
    if local:
        assert server.home is not None
        path = server.home / f"{prefix}.json"
        path.write_text(json.dumps(values))
        server.airflow("variables", "import", str(path), timeout=300)
        path.unlink()
    else:
        for key, value in values.items():
            create_variable(client, key, value, None)
    try:
        yield values
    finally:
        if local:
            subprocess.run(
                [str(venv.python), "-c", _DELETE_BY_PREFIX, prefix],
                env=env,
                check=True,
                capture_output=True,
                timeout=300,
            )
        else:
            delete_items(client, prefix)


def _bulk_v2(client: AirflowClient, action: str, values: dict[str, str]) -> None:
    v2 = client.generated
    if action == "create":
        body = v2.BulkCreateActionVariableBody(
            action="create",
            entities=[v2.VariableBody(key=k, value=v) for k, v in values.items()],
            action_on_existence=v2.BulkActionOnExistence.FAIL,
        )
    else:
        body = v2.BulkDeleteActionVariableBody(
            action="delete",
            entities=[v2.BulkDeleteEntityVariableBody(k) for k in values],
            action_on_non_existence=v2.BulkActionNotOnExistence.SKIP,
        )
    answer = client.api("VariableApi").bulk_variables(
        v2.BulkBodyVariableBody(actions=[v2.BulkActionVariableBody(body)])
    )
    result = getattr(answer, action)
    assert result is not None
    assert not result.errors, result.errors
    assert sorted(result.success) == sorted(values)


def import_many_variables(client: AirflowClient, prefix: str, count: int) -> None:
    """Import ``count`` variables ``<prefix>_000``..., every 20th with a description, then
    change every value and clear two descriptions: each time every item is reported as
    itself, the server holds exactly the document, and the writes take a few requests
    (Airflow 3: bulk requests; Airflow 2: the webserver's import form for the variables
    without a description, one API request for each described one)."""
    from airflow_client_ext.models import CONFIG_FORMAT

    variables: list[dict[str, Any]] = [
        {"key": f"{prefix}_{i:03d}", "value": f"v{i}"} for i in range(count)
    ]
    for i in range(0, count, 20):
        variables[i]["description"] = f"described {i}"
    doc = {"format": CONFIG_FORMAT, "version": 1, "variables": variables}
    before = client.transport.stats.requests
    report = client.import_config(doc)
    sent = client.transport.stats.requests - before
    assert sorted(i.name for i in report.created) == sorted(v["key"] for v in variables)
    # the reads (the comparison, the read back) are pages of 100; the writes are few
    limit = 2 * (count // 100 + 1) + count // 20 + 12
    assert sent <= limit, f"{sent} requests for {count} variables (at most {limit})"

    for i, item in enumerate(variables):
        item["value"] = f"w{i}"
        if i in (20, 40):
            item["description"] = None
    report = client.import_config(doc)
    assert len(report.updated) == count, report.summary()
    held = only_prefix(client.export_config(pools=False, connections=False), prefix)
    assert {v["key"]: (v["value"], v.get("description")) for v in held["variables"]} == {
        v["key"]: (v["value"], v.get("description")) for v in variables
    }
    assert not client.import_config(doc).changed
