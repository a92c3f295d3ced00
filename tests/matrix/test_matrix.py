"""One client for every Airflow 2 and 3: each supported minor, the same checks.

Run per version (``make matrix`` runs them all, one server at a time)::

    pytest tests/matrix -m matrix --airflow-version 3.0.6

The v1 client (2.11.2 spec) speaks to every 2.x, the v2 client (3.3.2 spec) to every 3.x.
What a version lacks is decided by ``airflow_client_ext.features`` and asserted here as the
client's clear refusal, recorded as "n/a" in the compatibility table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from matrix_support import record_operations
from sweep import sweep_operations
from workflows_support import (
    FAILS,
    MAPPED,
    MAPPED_ITEMS,
    QUICK,
    RUN_TIMEOUT,
    SLOW,
    Runs,
    dags_folder,
    delete_items,
    own_dag,
    poll,
    run_api,
)

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import (
    DagRunFailedError,
    NotFoundError,
    UnsupportedFeatureError,
    WaitTimeoutError,
)
from airflow_client_ext.features import FEATURES, supports
from airflow_client_ext.testing import AirflowInstance

ECHO = "echo_conf"
BACKFILL = "backfill_daily"
RUNS_PAST_CAP = 105  # more than one page of the server's maximum_page_limit (100)


@pytest.fixture(scope="session")
def dags(client: AirflowClient, airflow_server: AirflowInstance) -> None:
    """The DAGs of tests/dags the matrix runs, parsed; the quick ones unpaused."""
    for dag_id in (QUICK, FAILS, SLOW, ECHO):
        airflow_server.wait_for_dag(dag_id, timeout=240, unpause=True)
    airflow_server.wait_for_dag(MAPPED, timeout=240)


# -- the server -----------------------------------------------------------------------------
@pytest.mark.row("version detection")
def test_version_detection(client: AirflowClient, airflow_server: AirflowInstance) -> None:
    assert client.server_version == airflow_server.version
    assert client.api_version == ("v1" if airflow_server.major == 2 else "v2")


@pytest.mark.row("health")
def test_health(client: AirflowClient) -> None:
    health = client.health()
    assert health.healthy, health
    assert health.components["metadatabase"] == "healthy"


@pytest.mark.row("DAGs: list and get")
def test_dags_list_and_get(client: AirflowClient, dags: None) -> None:
    listed = {d.dag_id: d for d in client.iter_dags()}
    assert {QUICK, FAILS, SLOW, MAPPED} <= set(listed)
    dag = client.get_dag(QUICK)
    assert dag == listed[QUICK]
    assert dag.is_paused is False
    assert dag.is_active is True
    assert set(dag.tags) == {"airflow-client-ext", "quick"}
    with pytest.raises(NotFoundError, match="not found"):
        client.get_dag(f"no_such_dag_{uuid.uuid4().hex[:6]}")


# -- runs -----------------------------------------------------------------------------------
@pytest.mark.row("trigger_and_wait: success (polling)")
def test_trigger_and_wait_success(client: AirflowClient, runs: Runs, dags: None) -> None:
    seen: list[str] = []
    run = client.trigger_and_wait(
        QUICK,
        timeout=RUN_TIMEOUT,
        use_wait_endpoint=False,
        on_update=lambda r, tis: seen.append(r.state),
    )
    runs.add(run)
    assert run.state == "success"
    assert seen[-1] == "success"
    tis = list(client.iter_task_instances(QUICK, run.run_id))
    assert {(ti.task_id, ti.state) for ti in tis} == {("first", "success"), ("second", "success")}


@pytest.mark.row("trigger_and_wait: the /wait stream")
def test_wait_stream(client: AirflowClient, runs: Runs, dags: None, record_property: Any) -> None:
    if not client.supports("wait_stream"):
        with pytest.raises(UnsupportedFeatureError, match="wait_stream") as info:
            client.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT, use_wait_endpoint=True)
        assert info.value.server_version == client.server_version
        record_property("matrix", f"n/a: {_why_not('wait_stream')}; waits poll")
        return
    before = client.transport.stats.requests
    run = client.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT, use_wait_endpoint=True)
    runs.add(run)
    assert run.state == "success"
    assert client.transport.stats.requests - before <= 8  # a stream, not a poll loop


@pytest.mark.row("trigger_and_wait: failure with log tails")
def test_trigger_and_wait_failure(client: AirflowClient, runs: Runs, dags: None) -> None:
    with pytest.raises(DagRunFailedError) as info:
        client.trigger_and_wait(FAILS, timeout=RUN_TIMEOUT, raise_on_failure=True)
    error = info.value
    runs.add(error.run)
    assert error.run.state == "failed"
    assert error.failed_task_instances
    tails = "\n".join(error.log_tails.values())
    assert "ValueError" in tails or "Exception" in tails or "rror" in tails, tails


@pytest.mark.row("wait: timeout")
def test_wait_timeout(client: AirflowClient, runs: Runs, dags: None) -> None:
    run = runs.add(client.trigger(SLOW))
    assert not isinstance(run, tuple)
    with pytest.raises(WaitTimeoutError) as info:
        client.wait(SLOW, run.run_id, timeout=3)
    assert info.value.last_run is not None
    assert info.value.last_run.run_id == run.run_id


@pytest.mark.row("iter_dag_runs past the page cap")
def test_iter_dag_runs_past_the_page_cap(
    client: AirflowClient, airflow_server: AirflowInstance, airflow_dags_folder: Path | None
) -> None:
    folder = dags_folder(airflow_server, airflow_dags_folder)
    with own_dag(airflow_server, folder) as dag_id:  # paused: its runs stay queued
        airflow_server.wait_for_dag(dag_id, timeout=240)
        made = {_raw_run(client, dag_id, i) for i in range(RUNS_PAST_CAP)}
        walked = [r.run_id for r in client.iter_dag_runs(dag_id)]
        assert len(walked) == len(set(walked)) == RUNS_PAST_CAP
        assert set(walked) == made
        queued = list(client.iter_dag_runs(dag_id, state="queued"))
        assert len(queued) == RUNS_PAST_CAP


@pytest.mark.row("iter_task_instances: mapped, past the page cap")
def test_iter_task_instances_mapped(client: AirflowClient, runs: Runs, dags: None) -> None:
    client.pause(MAPPED)  # the run stays queued: its mapped task instances exist, none runs
    run_id = f"matrix_mapped_{uuid.uuid4().hex[:8]}"
    runs.create_raw(MAPPED, run_id)
    tis = poll(
        "the mapped task instances",
        lambda: list(client.iter_task_instances(MAPPED, run_id)),
        lambda found: len(found) >= MAPPED_ITEMS,
    )
    assert sorted(ti.map_index for ti in tis) == list(range(MAPPED_ITEMS))
    assert {ti.task_id for ti in tis} == {"double"}


@pytest.mark.row("task_log")
def test_task_log(client: AirflowClient, runs: Runs, dags: None) -> None:
    run = client.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT)
    runs.add(run)
    text = client.task_log(QUICK, run.run_id, "second")
    assert text.strip(), "an empty log for a task that ran"
    assert "second" in text or "Done" in text or "Returned value" in text, text[-2000:]


@pytest.mark.row("pause and unpause")
def test_pause_and_unpause(client: AirflowClient, dags: None) -> None:
    assert client.pause(ECHO).is_paused is True
    assert client.get_dag(ECHO).is_paused is True
    assert client.unpause(ECHO).is_paused is False
    assert client.get_dag(ECHO).is_paused is False


@pytest.mark.row("clear_run")
def test_clear_run(client: AirflowClient, runs: Runs, dags: None) -> None:
    run = client.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT)
    runs.add(run)
    cleared = client.clear_run(QUICK, run.run_id, only_failed=False)
    assert cleared.state in ("queued", "running", "success")
    again = client.wait(QUICK, run.run_id, timeout=RUN_TIMEOUT)
    assert again.state == "success"
    tis = list(client.iter_task_instances(QUICK, run.run_id))
    assert all(ti.try_number >= 2 for ti in tis), tis  # each task ran again


@pytest.mark.row("export -> import round trip")
def test_export_import_round_trip(client: AirflowClient) -> None:
    from workflows_support import create_connection, create_pool, create_variable, only_prefix

    prefix = f"mx{uuid.uuid4().hex[:6]}"
    try:
        create_variable(client, f"{prefix}_var", "value-1", "a variable")
        create_pool(client, f"{prefix}_pool", 3, "a pool")
        create_connection(
            client, f"{prefix}_conn", conn_type="http", host="example.invalid", port=8080
        )
        doc = only_prefix(client.export_config(), prefix)
        assert [v["key"] for v in doc["variables"]] == [f"{prefix}_var"]
        delete_items(client, prefix)
        report = client.import_config(doc)
        assert len(report.created) == 3, report.summary()
        again = client.import_config(doc)
        assert len(again.unchanged) == 3, again.summary()
        after = only_prefix(client.export_config(), prefix)
        for section in ("variables", "pools", "connections", "missing"):
            assert after[section] == doc[section], section
    finally:
        delete_items(client, prefix)


@pytest.mark.row("import of 120 variables in a few requests (2.x: the UI's import form)")
def test_import_many_variables(client: AirflowClient) -> None:
    from workflows_support import import_many_variables

    prefix = f"mx{uuid.uuid4().hex[:6]}"
    try:
        import_many_variables(client, prefix, 120)
    finally:
        delete_items(client, prefix)


@pytest.mark.row("variables, pools, connections: set, get, list, update, delete")
def test_settings_one_by_one(client: AirflowClient) -> None:
    """The resource helpers behind the CLI's variables/pools/connections commands."""
    prefix = f"mx{uuid.uuid4().hex[:6]}"
    var, pool, conn = f"{prefix}_var", f"{prefix}_pool", f"{prefix}_conn"
    try:
        assert client.set_variable(var, "one", "a variable").value == "one"
        assert client.set_variable(var, "two").value == "two"  # set replaces
        assert (client.get_variable(var).value, client.get_variable(var).description) == (
            "two",
            "a variable",
        )
        assert var in {v.key for v in client.iter_variables()}
        assert client.set_pool(pool, 3, "a pool").slots == 3
        assert client.set_pool(pool, 5).slots == 5
        assert client.get_pool(pool).description == "a pool"
        assert pool in {p.name for p in client.iter_pools()}
        made = client.add_connection(conn, "http", host="example.invalid", port=8080)
        assert (made.conn_type, made.host, made.port) == ("http", "example.invalid", 8080)
        assert conn in {c.connection_id for c in client.iter_connections()}
        changed = client.update_connection(conn, host="example2.invalid", description="new")
        assert (changed.host, changed.description) == ("example2.invalid", "new")
        assert changed.port == 8080  # kept
        client.delete_variable(var)
        client.delete_pool(pool)
        client.delete_connection(conn)
        for get, name in ((client.get_variable, var), (client.get_pool, pool),
                          (client.get_connection, conn)):  # fmt: skip
            with pytest.raises(NotFoundError):
                get(name)
    finally:
        delete_items(client, prefix)


@pytest.mark.row("run and task states set; a DAG file reparsed where the server can")
def test_states_and_reparse(
    client: AirflowClient, runs: Runs, dags: None, record_property: Any
) -> None:
    run = client.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT)
    runs.add(run)
    assert client.set_dag_run_state(QUICK, run.run_id, "failed").state == "failed"
    assert client.get_dag_run(QUICK, run.run_id).state == "failed"
    ti = next(iter(client.iter_task_instances(QUICK, run.run_id)))
    marked = client.set_task_instance_state(QUICK, run.run_id, ti.task_id, "failed")
    assert marked.state == "failed"
    assert client.set_dag_run_state(QUICK, run.run_id, "success").state == "success"
    # the table's entry is Airflow 2's (2.10.0); every Airflow 3 has the endpoint
    if client.api_version == "v2" or client.supports("reparse_dag_file"):
        client.reparse_dag(QUICK)  # accepted: the DAG processor parses the file again
    else:
        with pytest.raises(UnsupportedFeatureError, match=r"2\.10\.0"):
            client.reparse_dag(QUICK)
        record_property("matrix", f"states only: {_why_not('reparse_dag_file')}")


@pytest.mark.row("CLI: trigger --wait")
def test_cli_trigger_wait(airflow_server: AirflowInstance, dags: None) -> None:
    script = Path(sys.executable).with_name("airflow-client-ext")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_")}
    env.update(
        AIRFLOW_URL=airflow_server.url,
        AIRFLOW_USERNAME=airflow_server.username,
        AIRFLOW_PASSWORD=airflow_server.password,
    )
    done = subprocess.run(
        [str(script), "--json", "trigger", QUICK, "--wait", "--timeout", str(int(RUN_TIMEOUT))],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT + 60,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    run = json.loads(done.stdout)
    assert run["state"] == "success", run
    assert airflow_server.password not in done.stdout + done.stderr


# -- every operation that needs no setup ------------------------------------------------------
@pytest.mark.row("sweep: every list/get operation needing no setup deserializes")
def test_sweep(
    client: AirflowClient,
    airflow_server: AirflowInstance,
    runs: Runs,
    dags: None,
    request: pytest.FixtureRequest,
    record_property: Any,
) -> None:
    run = client.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT)
    runs.add(run)
    result = sweep_operations(client, airflow_server, dag_id=QUICK, run_id=run.run_id)
    record_operations(request.config, airflow_server.version, result.summary())
    assert not result.failures, "\n".join(result.failures)
    # the version table and the server's own spec agree on what this server lacks
    assert sorted(result.table_says_missing) == sorted(result.not_on_server)
    assert len(result.ok) >= 20, result.summary()
    record_property(
        "matrix",
        f"{len(result.ok)} operations answered and deserialized, "
        f"{len(result.not_on_server)} not on this server, {len(result.needs_setup)} need setup",
    )


# -- helpers --------------------------------------------------------------------------------
def _why_not(feature: str) -> str:
    entry = FEATURES[feature]
    return f"{feature} needs Airflow {entry.since}"


def _raw_run(client: AirflowClient, dag_id: str, index: int) -> str:
    """A run of a paused DAG with its own logical date, through the generated API."""
    run_id = f"matrix_page_{index:04d}"
    when = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=index)
    generated = client.generated
    if client.api_version == "v1":
        body = generated.DAGRun(dag_run_id=run_id, logical_date=when, conf={})
        run_api(client).post_dag_run(dag_id, body)
    else:
        body = generated.TriggerDAGRunPostBody(dag_run_id=run_id, logical_date=when, conf={})
        run_api(client).trigger_dag_run(dag_id, body)
    return run_id


@pytest.mark.row("backfill: dry run, runs to success, a repeat makes none, prefix listing")
def test_backfill(client: AirflowClient, record_property: Any) -> None:
    """``backfill_daily`` over three days of 2026: the same dates on every minor; the runs
    made where the server can take them (Airflow 2 from 2.9: a run's data interval; Airflow
    3: the backfill API), found again by their run id prefix."""
    client.wait_for_dag(BACKFILL, timeout=240)
    first = datetime(2026, 3, 1, tzinfo=timezone.utc)
    dates = [first + timedelta(days=i) for i in range(3)]
    dry = client.backfill(BACKFILL, "2026-03-01", "2026-03-03", dry_run=True)
    assert list(dry.dates) == dates
    if client.api_version == "v1" and not client.supports("trigger_data_interval"):
        with pytest.raises(UnsupportedFeatureError, match="trigger_data_interval"):
            client.backfill(BACKFILL, "2026-03-01", "2026-03-03", unpause=True)
        record_property("matrix", f"dry run only: {_why_not('trigger_data_interval')}")
        return
    made = client.backfill(BACKFILL, "2026-03-01", "2026-03-03", unpause=True)
    try:
        assert list(made.created) == dates
        done = client.wait_backfill(made, timeout=RUN_TIMEOUT * 3)
        assert [run.state for run in done.runs] == ["success"] * 3
        assert [run.logical_date for run in done.runs] == dates
        again = client.backfill(BACKFILL, "2026-03-01", "2026-03-03")
        assert again.created == ()
        prefix = "batch_" if client.api_version == "v1" else "backfill__"
        listed = {r.run_id for r in client.iter_dag_runs(BACKFILL, run_id_prefix=prefix)}
        assert listed >= {run.run_id for run in done.runs}
        assert all(run_id.startswith(prefix) for run_id in listed)
    finally:
        client.pause(BACKFILL)
        for run in client.iter_dag_runs(BACKFILL):
            run_api(client).delete_dag_run(BACKFILL, run.run_id)


@pytest.mark.row("the version table answers without a request")
def test_every_feature_of_the_table_has_a_known_answer(client: AirflowClient) -> None:
    """The table answers for this server from the detected version alone."""
    before = client.transport.stats.requests
    for name in FEATURES:
        assert client.supports(name) is supports(client.server_version, name)
    assert client.transport.stats.requests == before
