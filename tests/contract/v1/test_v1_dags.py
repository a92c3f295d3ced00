"""DAGs on Airflow 2 (``/api/v1``): list, get, details, source, tasks, pause, reparse, delete."""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from v1_support import DagFiles, poll, wait_for_dag

SUITE_DAGS = {
    "always_fails",
    "dataset_consumer",
    "dataset_producer",
    "dataset_waiting",
    "echo_conf",
    "fail_on_param",
    "mapped_many",
    "quick_success",
    "slow",
    "xcom_push",
}


def test_dags_list_holds_the_suite_dags(v1: ModuleType, v1_client: Any) -> None:
    for dag_id in SUITE_DAGS:
        wait_for_dag(v1, v1_client, dag_id)
    api = v1.DAGApi(v1_client)
    dags = api.get_dags(tags=["airflow-client-ext"], limit=100, order_by="dag_id")
    ids = [d.dag_id for d in dags.dags]
    assert set(ids) >= SUITE_DAGS
    assert ids == sorted(ids)
    assert dags.total_entries == len(ids)
    for dag in dags.dags:
        assert "airflow-client-ext" in {t.name for t in dag.tags}
        assert dag.is_active is True
        assert dag.file_token


def test_dags_list_pages_and_filters(v1: ModuleType, v1_client: Any) -> None:
    wait_for_dag(v1, v1_client, "quick_success")
    api = v1.DAGApi(v1_client)
    for _ in range(60):  # other tests' DAG files may be parsed meanwhile: a set that held
        first = api.get_dags(limit=2, offset=0, order_by="dag_id")
        second = api.get_dags(limit=2, offset=2, order_by="dag_id")
        if first.total_entries == second.total_entries == api.get_dags(limit=1).total_entries:
            break  # still for both pages
        time.sleep(1)
    assert len(first.dags) == 2
    assert first.total_entries == second.total_entries >= 4
    assert {d.dag_id for d in first.dags}.isdisjoint(d.dag_id for d in second.dags)

    matching = api.get_dags(dag_id_pattern="quick_succ")
    assert [d.dag_id for d in matching.dags] == ["quick_success"]

    fields = api.get_dags(dag_id_pattern="quick_succ", fields=["dag_id", "is_paused"])
    (only,) = fields.dags
    assert only.dag_id == "quick_success"
    assert only.fileloc is None  # not among the requested fields


def test_dag_get_and_details(v1: ModuleType, v1_client: Any) -> None:
    wait_for_dag(v1, v1_client, "fail_on_param")
    api = v1.DAGApi(v1_client)
    dag = api.get_dag("fail_on_param")
    assert dag.dag_id == "fail_on_param"
    assert dag.fileloc.endswith("fail_on_param.py")
    assert dag.owners == ["airflow"]
    assert dag.schedule_interval is None
    assert {t.name for t in dag.tags} == {"airflow-client-ext", "params"}

    details = api.get_dag_details("fail_on_param")
    assert details.dag_id == "fail_on_param"
    assert details.catchup is False
    assert details.params["fail"]["value"] is False
    assert details.params["message"]["value"] == "hello"
    assert details.start_date is not None
    assert details.start_date.year == 2024
    assert details.timezone
    assert details.dag_run_timeout is None  # returned as null by the server


def test_dag_details_of_a_dataset_triggered_dag(v1: ModuleType, v1_client: Any) -> None:
    wait_for_dag(v1, v1_client, "dataset_waiting")
    details = v1.DAGApi(v1_client).get_dag_details("dataset_waiting")
    assert details.timetable_description
    expression = details.dataset_expression
    assert expression is not None
    assert "test://airflow-client-ext/never-produced" in str(expression)


def test_dag_source_is_the_file(v1: ModuleType, v1_client: Any, dags_dir: Path) -> None:
    dag = wait_for_dag(v1, v1_client, "xcom_push")
    assert Path(dag.fileloc).name == "xcom_push.py"
    source = v1.DAGApi(v1_client).get_dag_source(dag.file_token)
    assert source.content == (dags_dir / "xcom_push.py").read_text()


def test_dag_tasks_and_task(v1: ModuleType, v1_client: Any) -> None:
    wait_for_dag(v1, v1_client, "quick_success")
    api = v1.DAGApi(v1_client)
    tasks = api.get_tasks("quick_success", order_by="task_id")
    assert [t.task_id for t in tasks.tasks] == ["first", "second"]
    first = tasks.tasks[0]
    assert first.downstream_task_ids == ["second"]
    assert first.trigger_rule.value == "all_success"
    assert first.class_ref.class_name == "_PythonDecoratedOperator"
    assert first.retries == 0
    assert first.is_mapped is False

    second = api.get_task("quick_success", "second")
    assert second.task_id == "second"
    assert second.downstream_task_ids == []
    assert second.execution_timeout is None  # returned as null by the server
    assert second.retry_delay is not None
    assert second.retry_delay.seconds == 300


def test_mapped_task_is_described_as_mapped(v1: ModuleType, v1_client: Any) -> None:
    wait_for_dag(v1, v1_client, "mapped_many")
    task = v1.DAGApi(v1_client).get_task("mapped_many", "double")
    assert task.is_mapped is True


def test_pause_and_unpause_one_dag(v1: ModuleType, v1_client: Any) -> None:
    dag_id = "fail_on_param"  # no test triggers it: unpausing it starts nothing
    wait_for_dag(v1, v1_client, dag_id)
    api = v1.DAGApi(v1_client)
    before = api.get_dag(dag_id).is_paused
    try:
        paused = api.patch_dag(dag_id, v1.DAG(is_paused=True), update_mask=["is_paused"])
        assert paused.is_paused is True
        assert api.get_dag(dag_id).is_paused is True
        assert dag_id in {d.dag_id for d in api.get_dags(paused=True, limit=100).dags}
        unpaused = api.patch_dag(dag_id, v1.DAG(is_paused=False), update_mask=["is_paused"])
        assert unpaused.is_paused is False
        assert dag_id not in {d.dag_id for d in api.get_dags(paused=True, limit=100).dags}
        assert dag_id in {d.dag_id for d in api.get_dags(paused=False, limit=100).dags}
    finally:
        api.patch_dag(dag_id, v1.DAG(is_paused=before), update_mask=["is_paused"])


def test_pause_and_unpause_dags_by_pattern(v1: ModuleType, v1_client: Any) -> None:
    for dag_id in ("dataset_producer", "dataset_consumer", "dataset_waiting"):
        wait_for_dag(v1, v1_client, dag_id)
    api = v1.DAGApi(v1_client)
    before = {d.dag_id: d.is_paused for d in api.get_dags(dag_id_pattern="dataset_").dags}
    assert set(before) == {"dataset_producer", "dataset_consumer", "dataset_waiting"}
    try:
        # the producer only: the consumers are left as other tests set them
        paused = api.patch_dags(
            "dataset_producer", v1.DAG(is_paused=True), update_mask=["is_paused"]
        )
        assert [(d.dag_id, d.is_paused) for d in paused.dags] == [("dataset_producer", True)]
        assert paused.total_entries == 1
        unpaused = api.patch_dags(
            "dataset_producer",
            v1.DAG(is_paused=False),
            update_mask=["is_paused"],
            tags=["datasets"],
            only_active=True,
        )
        assert [(d.dag_id, d.is_paused) for d in unpaused.dags] == [("dataset_producer", False)]
        assert api.get_dag("dataset_producer").is_paused is False
    finally:
        api.patch_dag(
            "dataset_producer",
            v1.DAG(is_paused=before["dataset_producer"]),
            update_mask=["is_paused"],
        )


def test_reparse_dag_file(v1: ModuleType, v1_client: Any) -> None:
    dag = wait_for_dag(v1, v1_client, "echo_conf")
    api = v1.DAGApi(v1_client)
    api.reparse_dag_file(dag.file_token)
    # The request is queued for the DAG processor, which parses the file at its next turn.
    # On SQLite the processor only turns between the scheduler's loops, and the
    # SequentialExecutor runs tasks inside those loops: the parse waits for the runs that
    # the suite started to get through the executor.
    poll(
        "echo_conf to be parsed again",
        lambda: api.get_dag("echo_conf").last_parsed_time,
        lambda parsed: parsed > dag.last_parsed_time,
        timeout=300,
        interval=2.0,
    )


def test_unknown_dag_is_not_found(v1: ModuleType, v1_client: Any) -> None:
    with pytest.raises(v1.ApiException) as caught:
        v1.DAGApi(v1_client).get_dag("no_such_dag_anywhere")
    assert caught.value.status == 404


def test_delete_dag(v1: ModuleType, v1_client: Any, extra_dags: DagFiles) -> None:
    api = v1.DAGApi(v1_client)
    dag_id = extra_dags.deletable_dag_id
    assert wait_for_dag(v1, v1_client, dag_id).dag_id == dag_id
    # the file goes first, or the scheduler would bring the DAG back at its next parse
    assert extra_dags.deletable_file is not None
    extra_dags.deletable_file.unlink()
    api.delete_dag(dag_id)
    with pytest.raises(v1.ApiException) as caught:
        api.get_dag(dag_id)
    assert caught.value.status == 404
