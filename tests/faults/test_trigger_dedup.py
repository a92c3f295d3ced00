"""Triggers with a client-chosen run id are retried like idempotent calls; a retry that gets
409 for its own run (same conf) returns that run instead of failing or creating a second one.

The server's state is read directly (``runs.get``, ``runs.with_marker``: the server's REST
API, without the proxy or the client under test): every trigger leaves exactly one run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote

import pytest
from calibration import calibrated_read_timeout
from faultproxy import Delay, FaultProxy, ResetAfterRequest, ResetBeforeRequest, Status

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import ConflictError
from airflow_client_ext.testing import AirflowInstance


def new_run_id(kind: str) -> str:
    return f"faults_{kind}_{uuid.uuid4().hex[:12]}"


def test_trigger_reset_after_the_server_processed_it_is_recognised(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    runs,
    fault_figures,
) -> None:
    api = airflow_server.api_version
    client = make_client(proxy.url)
    client.api("DAGApi").get_dag(runs.dag_id)  # detect, log in: not part of what is counted
    proxy.clear()
    marker = uuid.uuid4().hex
    run_id = new_run_id("reset_after")
    conf = {"marker": marker, "n": 1}
    trigger_path = f"/api/{api}/dags/{runs.dag_id}/dagRuns"
    proxy.plan(ResetAfterRequest(), match=f"POST {trigger_path}")

    run = runs.trigger(client, run_id, conf)

    assert run.dag_run_id == run_id
    assert run.conf == conf
    stats = client.transport.stats
    assert stats.deduplicated_triggers == 1
    assert stats.retries == 1
    posts = [r for r in proxy.log if r.method == "POST"]
    assert [(r.action, r.upstream_status) for r in posts] == [
        ("reset-after", 200),  # the server created the run; the client never saw the answer
        ("forwarded", 409),  # the retry: already exists
    ]
    # one lookup of the run, to compare its conf with the one sent
    assert proxy.count("GET", f"{trigger_path}/{run_id}") == 1
    # the server: exactly one run, with our id and conf
    assert runs.with_marker(marker) == [run_id]
    assert (runs.get(run_id) or {}).get("conf") == conf
    fault_figures.add_triggers(airflow_server.version, triggers=1, runs_created=1)


def test_mixed_faults_on_triggers_leave_exactly_one_run_per_trigger(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    runs,
    fault_figures,
) -> None:
    api = airflow_server.api_version
    client = make_client(proxy.url)
    read_timeout = calibrated_read_timeout(client, runs.dag_id)
    impatient = client.with_options(timeout=(5, read_timeout))
    proxy.clear()
    stats = client.transport.stats
    before = stats.snapshot()
    marker = uuid.uuid4().hex
    match = f"POST /api/{api}/dags/{runs.dag_id}/dagRuns"
    scenarios = [
        # (name, faults on the trigger's POSTs, client, deduplicated?)
        ("reset_after", [ResetAfterRequest()], client, True),
        ("503_then_ok", [Status(503), Status(503, retry_after="0")], client, False),
        ("reset_before", [ResetBeforeRequest()], client, False),
        ("slow", [Delay(read_timeout + 2)], impatient, True),
        ("503_then_reset_after", [Status(503), ResetAfterRequest()], client, True),
    ]
    run_ids = []
    for index, (name, faults, caller, _) in enumerate(scenarios):
        run_id = new_run_id(name)
        proxy.plan(*faults, match=match)
        run = runs.trigger(caller, run_id, {"marker": marker, "index": index})
        assert run.dag_run_id == run_id, name
        assert proxy.pending == 0, name
        run_ids.append(run_id)

    expected_dedup = sum(1 for *_, dedup in scenarios if dedup)
    assert stats.deduplicated_triggers - before["deduplicated_triggers"] == expected_dedup
    # what the proxy saw: per trigger 1 + its retries, and one lookup per deduplicated one
    posts = proxy.count("POST", f"/api/{api}/dags/{runs.dag_id}/dagRuns")
    lookups = sum(1 for r in proxy.log if r.method == "GET" and "/dagRuns/" in r.path)
    retries = stats.retries - before["retries"]
    assert posts + lookups == len(scenarios) + expected_dedup + retries
    assert len(proxy.log) == stats.requests - before["requests"]
    # the server: one run per trigger, each with its own id and conf, and no other
    found = runs.with_marker(marker)
    assert sorted(found) == sorted(run_ids)
    for index, run_id in enumerate(run_ids):
        assert (runs.get(run_id) or {}).get("conf") == {"marker": marker, "index": index}
    fault_figures.add_triggers(
        airflow_server.version, triggers=len(run_ids), runs_created=len(found)
    )


def test_retried_trigger_of_a_run_id_taken_with_another_conf_is_a_conflict(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    runs,
    fault_figures,
) -> None:
    """Someone else's run with the same id: the retry's 409 is a real conflict."""
    api = airflow_server.api_version
    marker = uuid.uuid4().hex
    run_id = new_run_id("taken")
    theirs = {"marker": marker, "who": "someone else"}
    runs.create_directly(run_id, theirs)
    client = make_client(proxy.url)
    client.api("DAGApi").get_dag(runs.dag_id)
    proxy.clear()
    trigger_path = f"/api/{api}/dags/{runs.dag_id}/dagRuns"
    # the first attempt is reset before reaching the server: the client must retry, and the
    # retry meets the other run
    proxy.plan(ResetBeforeRequest(), match=f"POST {trigger_path}")

    with pytest.raises(ConflictError) as caught:
        runs.trigger(client, run_id, {"marker": marker, "who": "me"})

    assert caught.value.status == 409
    stats = client.transport.stats
    assert stats.deduplicated_triggers == 0
    assert [r.action for r in proxy.log if r.method == "POST"] == ["reset-before", "forwarded"]
    assert proxy.count("GET", f"{trigger_path}/{quote(run_id, safe='')}") == 1  # compared
    # the server still has only their run, untouched
    assert runs.with_marker(marker) == [run_id]
    assert (runs.get(run_id) or {}).get("conf") == theirs
    fault_figures.of(airflow_server.version).conflicts += 1


def test_first_attempt_409_with_the_same_conf_is_still_a_conflict(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    runs,
    fault_figures,
) -> None:
    """Only a retry may be recognised as our own earlier attempt: a 409 to a first attempt
    means somebody else created that run, even with the same conf."""
    marker = uuid.uuid4().hex
    run_id = new_run_id("same_conf")
    conf = {"marker": marker}
    runs.create_directly(run_id, conf)
    client = make_client(proxy.url)

    with pytest.raises(ConflictError):
        runs.trigger(client, run_id, conf)

    assert client.transport.stats.deduplicated_triggers == 0
    assert client.transport.stats.retries == 0
    assert not any("/dagRuns/" in r.path for r in proxy.log)  # no lookup
    assert runs.with_marker(marker) == [run_id]
    fault_figures.of(airflow_server.version).conflicts += 1
