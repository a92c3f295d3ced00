"""DAG runs on Airflow 2 (``/api/v1``): trigger, read, list, batch, state, note, clear, delete."""

from __future__ import annotations

import datetime
import uuid
from types import ModuleType
from typing import Any

import pytest
from v1_support import (
    ECHO_CONF,
    ECHO_NOTE,
    RFC3339_UTC,
    Runs,
    trigger,
    unique,
    wait_for_dag,
    wait_for_run,
)


def paused_run(v1: ModuleType, client: Any, dag_id: str = "slow") -> Any:
    """A run that stays queued: its DAG is paused, so the scheduler never starts it."""
    wait_for_dag(v1, client, dag_id)
    v1.DAGApi(client).patch_dag(dag_id, v1.DAG(is_paused=True), update_mask=["is_paused"])
    return trigger(v1, client, dag_id)


def test_trigger_with_conf_round_trips_the_conf(v1: ModuleType, v1_client: Any, runs: Runs) -> None:
    created = runs.created["echo_conf"]  # POST /dags/echo_conf/dagRuns with ECHO_CONF
    assert created.dag_id == "echo_conf"
    assert created.state.value in {"queued", "running"}
    assert created.conf == ECHO_CONF
    assert created.run_type == "manual"
    assert created.external_trigger is True
    assert created.note == ECHO_NOTE

    finished = runs.finished("echo_conf")
    assert finished.state.value == "success"
    assert finished.conf == ECHO_CONF
    assert finished.start_date is not None
    assert finished.end_date is not None
    assert finished.end_date >= finished.start_date
    assert finished.logical_date == created.logical_date
    assert finished.execution_date == finished.logical_date

    # the task returned the conf it saw: its XCom proves the server passed the conf on
    xcom = v1.XComApi(v1_client).get_xcom_entry(
        "echo_conf", created.dag_run_id, "echo", "return_value", stringify=False
    )
    assert xcom.value == ECHO_CONF


def test_trigger_with_a_logical_date(v1: ModuleType, v1_client: Any) -> None:
    # a logical date of its own: two runs of a DAG cannot share one
    when = datetime.datetime(2024, 3, 4, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        seconds=uuid.uuid4().int % 10**8
    )
    wait_for_dag(v1, v1_client, "slow")
    api = v1.DAGRunApi(v1_client)
    run_id = unique("v1_slow_dated")
    v1.DAGApi(v1_client).patch_dag("slow", v1.DAG(is_paused=True), update_mask=["is_paused"])
    run = api.post_dag_run("slow", v1.DAGRun(dag_run_id=run_id, logical_date=when))
    try:
        assert run.logical_date == when
        assert run.execution_date == when
        assert run.data_interval_start == run.data_interval_end == when
        with pytest.raises(v1.ApiException) as caught:  # same logical date: a conflict
            api.post_dag_run("slow", v1.DAGRun(dag_run_id=unique("v1_dup"), logical_date=when))
        assert caught.value.status == 409
    finally:
        api.delete_dag_run("slow", run_id)


def test_get_and_list_runs(
    v1: ModuleType, v1_client: Any, quick_success_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = v1.DAGRunApi(v1_client)
    run_id = quick_success_run.dag_run_id
    run = api.get_dag_run("quick_success", run_id)
    assert (run.dag_id, run.dag_run_id, run.state.value) == ("quick_success", run_id, "success")
    assert run.conf == {"origin": "v1-contract"}

    partial = api.get_dag_run("quick_success", run_id, fields=["dag_run_id", "state"])
    assert partial.dag_run_id == run_id
    assert partial.conf is None  # not requested

    listed = api.get_dag_runs(
        "quick_success", state=["success"], order_by="-execution_date", limit=100
    )
    assert run_id in {r.dag_run_id for r in listed.dag_runs}
    assert all(r.state.value == "success" for r in listed.dag_runs)
    dates = [r.execution_date for r in listed.dag_runs]
    assert dates == sorted(dates, reverse=True)

    # Date filters: the generated Configuration formats datetimes with "%z" ("+0000"),
    # which Airflow rejects (400 "... is not a 'date-time'"); RFC 3339 wants "+00:00" or "Z".
    monkeypatch.setattr(v1_client.configuration, "datetime_format", RFC3339_UTC)
    utc = datetime.timezone.utc
    window = api.get_dag_runs(
        "quick_success",
        execution_date_gte=run.execution_date.astimezone(utc),
        execution_date_lte=run.execution_date.astimezone(utc),
    )
    assert [r.dag_run_id for r in window.dag_runs] == [run_id]

    every_dag = api.get_dag_runs("~", limit=100, end_date_gte=run.end_date.astimezone(utc))
    assert run_id in {r.dag_run_id for r in every_dag.dag_runs}


def test_list_runs_in_batch(v1: ModuleType, v1_client: Any, quick_success_run: Any) -> None:
    api = v1.DAGRunApi(v1_client)
    batch = api.get_dag_runs_batch(
        v1.ListDagRunsForm(
            dag_ids=["quick_success", "echo_conf"],
            states=["success"],
            order_by="-start_date",
            page_limit=100,
        )
    )
    assert quick_success_run.dag_run_id in {r.dag_run_id for r in batch.dag_runs}
    assert {r.dag_id for r in batch.dag_runs} <= {"quick_success", "echo_conf"}
    assert batch.total_entries >= len(batch.dag_runs) >= 1

    none_failed = api.get_dag_runs_batch(
        v1.ListDagRunsForm(dag_ids=["quick_success"], states=["failed"], page_limit=100)
    )
    assert quick_success_run.dag_run_id not in {r.dag_run_id for r in none_failed.dag_runs}


def test_update_state_set_note_and_delete(v1: ModuleType, v1_client: Any) -> None:
    api = v1.DAGRunApi(v1_client)
    run = paused_run(v1, v1_client)
    assert run.state.value == "queued"

    failed = api.update_dag_run_state("slow", run.dag_run_id, v1.UpdateDagRunState(state="failed"))
    assert failed.state.value == "failed"
    assert failed.end_date is not None

    noted = api.set_dag_run_note(
        "slow", run.dag_run_id, v1.SetDagRunNote(note="marked failed by the v1 suite")
    )
    assert noted.note == "marked failed by the v1 suite"

    success = api.update_dag_run_state(
        "slow", run.dag_run_id, v1.UpdateDagRunState(state="success")
    )
    assert success.state.value == "success"
    fetched = api.get_dag_run("slow", run.dag_run_id)
    assert (fetched.state.value, fetched.note) == ("success", "marked failed by the v1 suite")

    queued = api.update_dag_run_state("slow", run.dag_run_id, v1.UpdateDagRunState(state="queued"))
    assert queued.state.value == "queued"

    api.delete_dag_run("slow", run.dag_run_id)
    with pytest.raises(v1.ApiException) as caught:
        api.get_dag_run("slow", run.dag_run_id)
    assert caught.value.status == 404


def test_clear_a_run_runs_it_again(v1: ModuleType, v1_client: Any, runs: Runs) -> None:
    run = runs.finished("echo_conf_to_clear")  # conf {"round": 1}
    assert run.state.value == "success"
    api = v1.DAGRunApi(v1_client)

    preview = api.clear_dag_run("echo_conf", run.dag_run_id, v1.ClearDagRun(dry_run=True))
    refs = preview.actual_instance
    assert isinstance(refs, v1.TaskInstanceReferenceCollection)
    assert [(r.task_id, r.dag_run_id) for r in refs.task_instances] == [("echo", run.dag_run_id)]
    assert api.get_dag_run("echo_conf", run.dag_run_id).state.value == "success"

    cleared = api.clear_dag_run("echo_conf", run.dag_run_id, v1.ClearDagRun(dry_run=False))
    again = cleared.actual_instance
    assert isinstance(again, v1.DAGRun)
    assert (again.dag_run_id, again.state.value) == (run.dag_run_id, "queued")
    assert again.conf == {"round": 1}

    rerun = wait_for_run(v1, v1_client, "echo_conf", run.dag_run_id)
    assert rerun.state.value == "success"
    echo = v1.TaskInstanceApi(v1_client).get_task_instance("echo_conf", run.dag_run_id, "echo")
    assert (echo.state.value, echo.try_number) == ("success", 2)
