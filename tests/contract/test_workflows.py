"""The workflows of ``AirflowClient`` against real Airflow 2 (``/api/v1``) and 3 (``/api/v2``).

Every test takes ``airflow_server`` and so runs on each selected version (2.11.2 and 3.3.2 by
default), through the same version-neutral calls. Runs a test starts are stopped and deleted
after it; DAGs a test needs unpaused are unpaused by the workflow under test
(``unpause=True``), so that the tests hold in any order.

Export/import and paging of configuration are in ``test_workflows_config.py``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from workflows_support import (
    ECHO,
    FAIL_ON_PARAM,
    FAILS,
    MAPPED,
    MAPPED_ITEMS,
    QUICK,
    RUN_TIMEOUT,
    SLOW,
    Runs,
    admin_client,
    dags_folder,
    own_dag,
    poll,
    runs_for_test,
    unique,
)

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext._http import Request, safe_path
from airflow_client_ext.errors import (
    DagPausedError,
    DagRunFailedError,
    InvalidArgumentError,
    NotFoundError,
    UnsupportedFeatureError,
    WaitTimeoutError,
)
from airflow_client_ext.models import DagRun, TaskInstance
from airflow_client_ext.testing import AirflowInstance, free_port
from airflow_client_ext.workflows import RUN_ID_PATTERN


@pytest.fixture(scope="session")
def wf(airflow_server: AirflowInstance) -> Iterator[AirflowClient]:
    """An admin ``AirflowClient`` for the session's server of this version."""
    client = admin_client(airflow_server)
    yield client
    client.close()


@pytest.fixture(scope="session", autouse=True)
def parsed(wf: AirflowClient) -> None:
    """The test DAGs, parsed (a server is healthy before its first parse is done)."""
    for dag_id in (QUICK, FAILS, SLOW, MAPPED, ECHO, FAIL_ON_PARAM):
        wf.wait_for_dag(dag_id, timeout=300)


@pytest.fixture
def runs(wf: AirflowClient) -> Iterator[Runs]:
    with runs_for_test(wf) as made:
        yield made


@pytest.fixture
def sent(wf: AirflowClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path (and query) of every request the client sends during the test."""
    paths: list[str] = []
    send = wf.transport.send

    def recording(request: Request, **kwargs: Any) -> Any:
        paths.append(safe_path(request.url))
        return send(request, **kwargs)

    monkeypatch.setattr(wf.transport, "send", recording)
    return paths


def aware(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None and value.utcoffset() is not None


# -- trigger and wait -----------------------------------------------------------------------
def test_trigger_and_wait_returns_a_successful_run_with_its_updates(
    wf: AirflowClient, runs: Runs
) -> None:
    updates: list[tuple[str, dict[str, str | None]]] = []
    conf = {"day": "2026-01-01", "n": [1, 2]}

    run = wf.trigger_and_wait(
        QUICK,
        conf=conf,
        timeout=RUN_TIMEOUT,
        unpause=True,
        on_update=lambda r, tis: updates.append((r.state, {t.key: t.state for t in tis})),
    )
    runs.add(run)

    assert isinstance(run, DagRun)
    assert (run.dag_id, run.state, dict(run.conf)) == (QUICK, "success", conf)
    assert RUN_ID_PATTERN.match(run.run_id)
    assert run.run_id.startswith("manual__")
    assert run.run_type == "manual"
    assert aware(run.start_date)
    assert aware(run.end_date)
    assert run.start_date is not None
    assert run.end_date is not None
    assert run.end_date >= run.start_date
    assert run.raw is not None
    # Airflow 2 fills the logical date with "now"; Airflow 3 leaves it null unless given
    if wf.api_version == "v1":
        assert aware(run.logical_date)
    else:
        assert run.logical_date is None

    # on_update: first what was seen, then each change, ending with the finished run
    assert updates[0][0] in ("queued", "running")
    assert updates[-1] == ("success", {"first": "success", "second": "success"})
    assert len(updates) >= 2
    assert all(a != b for a, b in itertools.pairwise(updates))  # changes only

    tis = list(wf.iter_task_instances(QUICK, run.run_id))
    assert all(isinstance(ti, TaskInstance) for ti in tis)
    assert {(t.task_id, t.map_index, t.state, t.try_number) for t in tis} == {
        ("first", -1, "success", 1),
        ("second", -1, "success", 1),
    }
    assert all(aware(t.start_date) and aware(t.end_date) for t in tis)
    assert run.run_id in {r.run_id for r in wf.iter_dag_runs(QUICK, state=["success"])}
    assert run.run_id not in {r.run_id for r in wf.iter_dag_runs(QUICK, state="failed")}


def test_trigger_with_a_run_id_logical_date_and_note(wf: AirflowClient, runs: Runs) -> None:
    run_id = unique("wf_given")
    # a logical date of its own: Airflow keeps one run per DAG and logical date
    when = datetime(2025, 6, 1, tzinfo=timezone.utc) + timedelta(seconds=int(run_id[-6:], 16))
    run = wf.trigger(
        QUICK, {"x": 1}, run_id=run_id, logical_date=when, note="by a test", unpause=True
    )
    runs.add(run)
    assert (run.run_id, run.logical_date, run.note) == (run_id, when, "by a test")
    assert run.state in ("queued", "running")
    again = wf.get_dag_run(QUICK, run_id)
    assert (again.run_id, again.logical_date, again.note) == (run_id, when, "by a test")
    assert wf.wait(QUICK, run_id, timeout=RUN_TIMEOUT).state == "success"


def test_conf_reaches_the_task_and_its_log_reads_as_text(wf: AirflowClient, runs: Runs) -> None:
    conf = {"day": "2026-01-01", "nested": {"k": [1, 2, 3]}, "unicode": "éß"}
    run = runs.add(wf.trigger_and_wait(ECHO, conf=conf, timeout=RUN_TIMEOUT, unpause=True))
    assert isinstance(run, DagRun)

    log = wf.task_log(ECHO, run.run_id, "echo")
    assert isinstance(log, str)
    assert "echo_conf conf=" + json.dumps(conf, sort_keys=True) in log
    assert wf.task_log(ECHO, run.run_id, "echo", try_number=1) == log  # latest try is 1
    assert len(log.splitlines()) > 3  # lines, not one blob of JSON
    assert not log.lstrip().startswith(("{", "[("))


def test_a_failed_run_raises_with_its_failed_tasks_and_log_tails(
    wf: AirflowClient, runs: Runs
) -> None:
    with pytest.raises(DagRunFailedError) as info:
        wf.trigger_and_wait(FAILS, timeout=RUN_TIMEOUT, unpause=True)
    error = info.value
    runs.add(error.run)

    assert error.run.state == "failed"
    assert error.run.dag_id == FAILS
    assert [ti.key for ti in error.failed_task_instances] == ["boom"]  # not upstream_failed
    assert error.failed_task_instances[0].state == "failed"
    tail = error.log_tails["boom"]
    assert "always_fails: this task fails on purpose" in tail
    assert len(tail) <= 4096
    assert len(tail.splitlines()) <= 40
    assert "boom: RuntimeError: always_fails: this task fails on purpose" in str(error)

    # the same run, waited for without raise_on_failure (the default of wait): returned
    run = wf.wait(FAILS, error.run.run_id, timeout=30)
    assert (run.state, run.run_id) == ("failed", error.run.run_id)
    states = {ti.task_id: ti.state for ti in wf.iter_task_instances(FAILS, run.run_id)}
    assert states == {"boom": "failed", "after": "upstream_failed"}
    assert run.run_id in {r.run_id for r in wf.iter_dag_runs(FAILS, state=["failed"])}
    only_failed = list(wf.iter_task_instances(FAILS, run.run_id, state=["failed"]))
    assert [ti.task_id for ti in only_failed] == ["boom"]


def test_params_decide_and_clear_run_reruns_the_failed_tasks(wf: AirflowClient, runs: Runs) -> None:
    ok = runs.add(wf.trigger_and_wait(FAIL_ON_PARAM, {"fail": False}, RUN_TIMEOUT, unpause=True))
    assert isinstance(ok, DagRun)
    assert ok.state == "success"
    assert "hello" in wf.task_log(FAIL_ON_PARAM, ok.run_id, "check")

    failed = wf.trigger_and_wait(FAIL_ON_PARAM, {"fail": True}, RUN_TIMEOUT, raise_on_failure=False)
    runs.add(failed)
    assert failed.state == "failed"

    cleared = wf.clear_run(FAIL_ON_PARAM, failed.run_id, only_failed=True)
    assert cleared.run_id == failed.run_id
    assert cleared.state in ("queued", "running")
    again = wf.wait(FAIL_ON_PARAM, failed.run_id, timeout=RUN_TIMEOUT)
    assert again.state == "failed"  # the param still says fail
    (check,) = wf.iter_task_instances(FAIL_ON_PARAM, failed.run_id)
    assert (check.task_id, check.try_number, check.state) == ("check", 2, "failed")

    latest = wf.task_log(FAIL_ON_PARAM, failed.run_id, "check")
    first = wf.task_log(FAIL_ON_PARAM, failed.run_id, "check", try_number=1)
    assert wf.task_log(FAIL_ON_PARAM, failed.run_id, "check", try_number=2) == latest
    for log in (first, latest):
        assert "fail_on_param: failing because params.fail=True" in log
    assert first != latest


def test_a_wait_that_times_out_reports_the_last_state(wf: AirflowClient, runs: Runs) -> None:
    run = wf.trigger(SLOW, {"seconds": 15}, unpause=True)
    runs.add(run)
    modes: list[bool | None] = [None, False]  # the default (the stream on 3.1+), then polling
    for mode in modes:
        started = time.monotonic()
        with pytest.raises(WaitTimeoutError) as info:
            wf.wait(SLOW, run.run_id, timeout=2, use_wait_endpoint=mode)
        elapsed = time.monotonic() - started
        assert 2 <= elapsed < 12, elapsed
        error = info.value
        assert error.timeout == 2
        assert error.last_run is not None
        assert error.last_run.run_id == run.run_id
        assert error.last_state in ("queued", "running")
        assert error.last_state == error.last_run.state
        assert f"did not finish within 2 s (last state: {error.last_state})" in str(error)
    runs.stop(SLOW, run.run_id)


def test_wait_uses_the_servers_wait_stream_where_there_is_one(
    wf: AirflowClient, runs: Runs, sent: list[str]
) -> None:
    run = runs.add(wf.trigger_and_wait(QUICK, timeout=RUN_TIMEOUT, unpause=True))
    assert isinstance(run, DagRun)
    assert run.state == "success"
    waits = [p for p in sent if p.split("?")[0].endswith("/wait")]
    if wf.api_version == "v2":  # Airflow 3.3: GET .../dagRuns/{id}/wait streams NDJSON
        path = f"/api/v2/dags/{QUICK}/dagRuns/{quote(run.run_id, safe='')}/wait"
        assert waits == [f"{path}?interval={wf.wait_stream_interval}"]  # 0.2 s by default
        assert wf.wait_stream_interval == 0.2
        polled = wf.wait(QUICK, run.run_id, use_wait_endpoint=False)
        assert polled == run
    else:  # Airflow 2 has no such endpoint: polling, and a clear error if asked for it
        assert waits == []
        with pytest.raises(UnsupportedFeatureError, match=r"exists only on Airflow 3, since 3\.1"):
            wf.wait(QUICK, run.run_id, use_wait_endpoint=True)


# -- DAGs: paused, unpaused, not there ------------------------------------------------------
def test_a_paused_dag_is_not_triggered_unless_unpause_is_set(
    wf: AirflowClient,
    runs: Runs,
    airflow_server: AirflowInstance,
    airflow_dags_folder: Path | None,
) -> None:
    folder = dags_folder(airflow_server, airflow_dags_folder)
    with own_dag(airflow_server, folder) as dag_id:
        dag = wf.wait_for_dag(dag_id, timeout=240)
        assert (dag.dag_id, dag.is_paused, dag.is_active) == (dag_id, True, True)

        with pytest.raises(DagPausedError) as info:
            wf.trigger(dag_id)
        assert info.value.dag_id == dag_id
        assert "sit queued" in str(info.value)
        assert "unpause=True" in str(info.value)
        assert list(wf.iter_dag_runs(dag_id)) == []  # nothing was created

        assert wf.unpause(dag_id).is_paused is False
        assert wf.pause(dag_id).is_paused is True

        run = wf.trigger_and_wait(dag_id, timeout=RUN_TIMEOUT, unpause=True)
        runs.add(run)
        assert run.state == "success"
        assert wf.wait_for_dag(dag_id, timeout=5).is_paused is False
        assert [r.run_id for r in wf.iter_dag_runs(dag_id)] == [run.run_id]


def test_what_does_not_exist_is_named(wf: AirflowClient) -> None:
    missing = unique("wf_no_such_dag")
    with pytest.raises(NotFoundError) as info:
        wf.trigger(missing, {"a": 1})
    assert missing in str(info.value)
    assert info.value.status == 404
    with pytest.raises(NotFoundError, match=missing):
        wf.pause(missing)
    with pytest.raises(NotFoundError) as run_info:
        wf.wait(QUICK, "manual__no_such_run", timeout=5)
    assert "manual__no_such_run" in str(run_info.value)

    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as wait_info:
        wf.wait_for_dag(missing, timeout=2)
    assert time.monotonic() - started < 15
    assert missing in str(wait_info.value)
    assert "Import errors:" in str(wait_info.value)
    assert wait_info.value.last_run is None

    with pytest.raises(InvalidArgumentError, match="JSON object"):
        wf.trigger(QUICK, conf="day=1")  # type: ignore[arg-type]


# -- mapped tasks and paging ----------------------------------------------------------------
def test_all_mapped_task_instances_come_back_past_one_page(wf: AirflowClient, runs: Runs) -> None:
    wf.pause(MAPPED)  # the run stays queued: its 150 mapped task instances exist, none runs
    with pytest.raises(DagPausedError):
        wf.trigger(MAPPED)
    run_id = unique("wf_mapped")
    runs.create_raw(MAPPED, run_id)

    tis = poll(
        "the mapped task instances",
        lambda: list(wf.iter_task_instances(MAPPED, run_id)),
        lambda found: len(found) >= MAPPED_ITEMS,
    )
    assert len(tis) == MAPPED_ITEMS > 100
    assert sorted(ti.map_index for ti in tis) == list(range(MAPPED_ITEMS))
    assert {ti.task_id for ti in tis} == {"double"}
    assert {ti.key for ti in tis} == {f"double[{i}]" for i in range(MAPPED_ITEMS)}

    # the generic paginate, on the generated method itself, agrees (small pages too)
    method = wf.api("TaskInstanceApi").get_task_instances
    raw = list(wf.paginate(method, dag_id=MAPPED, dag_run_id=run_id))
    assert sorted(r.map_index for r in raw) == list(range(MAPPED_ITEMS))
    small = list(wf.paginate(method, dag_id=MAPPED, dag_run_id=run_id, limit=40))
    assert sorted(r.map_index for r in small) == list(range(MAPPED_ITEMS))
    first_page = method(dag_id=MAPPED, dag_run_id=run_id, limit=100)
    assert (len(first_page.task_instances), first_page.total_entries) == (100, MAPPED_ITEMS)

    assert wf.task_log(MAPPED, run_id, "double", map_index=7) == ""  # never ran: no try yet
    assert wf.get_dag_run(MAPPED, run_id).state == "queued"


# -- health ---------------------------------------------------------------------------------
def test_health_and_waiting_until_healthy(wf: AirflowClient) -> None:
    health = wf.health()
    assert health.healthy
    assert health.components["metadatabase"] == "healthy"
    assert health.components["scheduler"] == "healthy"
    assert health.raw is not None
    assert wf.wait_until_healthy(timeout=30).healthy

    nobody = AirflowClient(f"http://127.0.0.1:{free_port()}", auth=TokenAuth("a", "b"))
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as info:
        nobody.wait_until_healthy(timeout=2)
    assert 2 <= time.monotonic() - started < 15
    assert "unreachable" in (info.value.last_state or "")
    nobody.close()
