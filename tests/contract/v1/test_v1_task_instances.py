"""Task instances on Airflow 2 (``/api/v1``): read, tries, dependencies, state, notes, clear,
mapped instances, XComs, logs and extra links.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from v1_support import DagFiles, Runs, trigger, wait_for_dag, wait_for_run

MAPPED_ITEMS = 150  # tests/dags/mapped_many.py


@pytest.fixture(scope="module")
def mapped_run(v1: ModuleType, v1_client: Any) -> Iterator[Any]:
    """A run of ``mapped_many`` that stays queued (the DAG is paused): its 150 mapped task
    instances exist from the run's creation on, and none of them runs.
    """
    wait_for_dag(v1, v1_client, "mapped_many")
    v1.DAGApi(v1_client).patch_dag("mapped_many", v1.DAG(is_paused=True), update_mask=["is_paused"])
    run = trigger(v1, v1_client, "mapped_many")
    yield run
    v1.DAGRunApi(v1_client).delete_dag_run("mapped_many", run.dag_run_id)


@pytest.fixture(scope="module")
def xcom_run(runs: Runs) -> Any:
    run = runs.finished("xcom_push")
    assert run.state.value == "success"
    return run


# ----------------------------------------------------------------------------- reading


def test_list_and_get_task_instances(
    v1: ModuleType, v1_client: Any, quick_success_run: Any
) -> None:
    api = v1.TaskInstanceApi(v1_client)
    run_id = quick_success_run.dag_run_id
    listed = api.get_task_instances("quick_success", run_id)
    assert listed.total_entries == 2
    by_task = {ti.task_id: ti for ti in listed.task_instances}
    assert set(by_task) == {"first", "second"}
    for ti in by_task.values():
        assert ti.state.value == "success"
        assert (ti.dag_id, ti.dag_run_id, ti.map_index) == ("quick_success", run_id, -1)
        assert ti.try_number == 1
        assert ti.duration is not None
        assert ti.operator == "_PythonDecoratedOperator"
        assert ti.pool == "default_pool"
        assert ti.executor_config

    ti = api.get_task_instance("quick_success", run_id, "second")
    assert (ti.task_id, ti.state.value, ti.try_number) == ("second", "success", 1)
    assert ti.start_date >= by_task["first"].end_date
    assert ti.sla_miss is None  # returned as null by the server
    assert ti.trigger is None
    assert ti.triggerer_job is None
    assert ti.rendered_fields is not None

    filtered = api.get_task_instances(
        "quick_success", run_id, state=["success"], pool=["default_pool"], duration_gte=0
    )
    assert filtered.total_entries == 2
    every_run = api.get_task_instances("~", "~", state=["success"], limit=100)
    assert every_run.total_entries >= 2


def test_task_instances_in_batch(v1: ModuleType, v1_client: Any, quick_success_run: Any) -> None:
    batch = v1.TaskInstanceApi(v1_client).get_task_instances_batch(
        v1.ListTaskInstanceForm(
            dag_ids=["quick_success"],
            dag_run_ids=[quick_success_run.dag_run_id],
            task_ids=["first"],
            state=[v1.TaskState.SUCCESS],
        )
    )
    assert [(ti.task_id, ti.dag_run_id) for ti in batch.task_instances] == [
        ("first", quick_success_run.dag_run_id)
    ]
    assert batch.total_entries == 1


def test_tries_of_a_task_instance(v1: ModuleType, v1_client: Any, quick_success_run: Any) -> None:
    api = v1.TaskInstanceApi(v1_client)
    run_id = quick_success_run.dag_run_id
    tries = api.get_task_instance_tries("quick_success", run_id, "first")
    assert tries.total_entries == 1
    (only,) = tries.task_instances
    assert (only.task_id, only.try_number, only.state.value) == ("first", 1, "success")

    detail = api.get_task_instance_try_details("quick_success", run_id, "first", 1)
    assert (detail.task_id, detail.try_number, detail.state.value) == ("first", 1, "success")
    assert detail.start_date == only.start_date


def test_dependencies_of_a_finished_task_instance(
    v1: ModuleType, v1_client: Any, quick_success_run: Any
) -> None:
    # the endpoint lists the dependencies that are NOT met: none for a task that ran
    deps = v1.TaskInstanceApi(v1_client).get_task_instance_dependencies(
        "quick_success", quick_success_run.dag_run_id, "second"
    )
    assert deps.dependencies == []


def test_log_of_a_try(v1: ModuleType, v1_client: Any, quick_success_run: Any) -> None:
    log = v1.TaskInstanceApi(v1_client).get_log(
        "quick_success", quick_success_run.dag_run_id, "first", 1, full_content=True
    )
    assert log.content
    assert "Marking task as SUCCESS" in log.content
    assert "task_id=first" in log.content


def test_extra_links_of_a_task_without_links(
    v1: ModuleType, v1_client: Any, quick_success_run: Any
) -> None:
    links = v1.TaskInstanceApi(v1_client).get_extra_links(
        "quick_success", quick_success_run.dag_run_id, "first"
    )
    assert links == {}


def test_extra_links_of_a_trigger_task(
    v1: ModuleType, v1_client: Any, extra_dags: DagFiles
) -> None:
    dag_id = extra_dags.links_dag_id
    wait_for_dag(v1, v1_client, dag_id)
    task = v1.DAGApi(v1_client).get_task(dag_id, "trigger")
    assert [link.class_name for link in task.extra_links] == ["TriggerDagRunLink"]

    # the DAG stays paused: its run stays queued, and the link exists already
    v1.DAGApi(v1_client).patch_dag(dag_id, v1.DAG(is_paused=True), update_mask=["is_paused"])
    run = trigger(v1, v1_client, dag_id)
    try:
        links = v1.TaskInstanceApi(v1_client).get_extra_links(dag_id, run.dag_run_id, "trigger")
        assert list(links) == ["Triggered DAG"]
        # the triggered run is unknown until the task runs: the link leads to the DAG
        assert links["Triggered DAG"] == "/dags/slow/grid"
    finally:
        v1.DAGRunApi(v1_client).delete_dag_run(dag_id, run.dag_run_id)


# ----------------------------------------------------------------------------- XComs


def test_xcom_entries_and_values(v1: ModuleType, v1_client: Any, xcom_run: Any) -> None:
    api = v1.XComApi(v1_client)
    run_id = xcom_run.dag_run_id
    entries = api.get_xcom_entries("xcom_push", run_id, "push")
    assert {e.key for e in entries.xcom_entries} == {"custom_key", "return_value"}
    assert entries.total_entries == 2
    assert all(e.map_index == -1 and e.task_id == "push" for e in entries.xcom_entries)

    one_key = api.get_xcom_entries("xcom_push", run_id, "push", xcom_key="custom_key")
    assert [e.key for e in one_key.xcom_entries] == ["custom_key"]

    returned = api.get_xcom_entry("xcom_push", run_id, "push", "return_value")
    assert (returned.key, returned.value) == ("return_value", "returned-value")
    # by default the value comes stringified (Python's str() of the stored value) ...
    custom = api.get_xcom_entry("xcom_push", run_id, "push", "custom_key")
    assert custom.value == "{'answer': 42, 'items': [1, 2, 3]}"
    # ... and as JSON with stringify=false
    native = api.get_xcom_entry("xcom_push", run_id, "push", "custom_key", stringify=False)
    assert native.value == {"answer": 42, "items": [1, 2, 3]}


def test_xcom_deserialization_is_disabled_by_default(
    v1: ModuleType, v1_client: Any, xcom_run: Any
) -> None:
    # [api] enable_xcom_deserialize_support is False unless the server sets it
    with pytest.raises(v1.ApiException) as caught:
        v1.XComApi(v1_client).get_xcom_entry(
            "xcom_push", xcom_run.dag_run_id, "push", "custom_key", deserialize=True
        )
    assert caught.value.status == 400
    assert "deserialization is disabled" in caught.value.body


# ----------------------------------------------------------------------------- changes


def test_set_state_note_and_clear_a_task_instance(
    v1: ModuleType, v1_client: Any, runs: Runs
) -> None:
    run = runs.finished("echo_conf_to_fail")
    assert run.state.value == "success"
    run_id = run.dag_run_id
    api = v1.TaskInstanceApi(v1_client)

    preview = api.patch_task_instance(
        "echo_conf",
        run_id,
        "echo",
        v1.UpdateTaskInstance(dry_run=True, new_state=v1.UpdateTaskState.FAILED),
    )
    assert (preview.task_id, preview.dag_run_id) == ("echo", run_id)
    assert api.get_task_instance("echo_conf", run_id, "echo").state.value == "success"

    # Airflow 2.11 answers {} here: it dumps the list of changed task instances with the
    # schema of one reference. The state change is what counts.
    api.patch_task_instance(
        "echo_conf",
        run_id,
        "echo",
        v1.UpdateTaskInstance(dry_run=False, new_state=v1.UpdateTaskState.FAILED),
    )
    assert api.get_task_instance("echo_conf", run_id, "echo").state.value == "failed"

    noted = api.set_task_instance_note(
        "echo_conf", run_id, "echo", v1.SetTaskInstanceNote(note="failed by hand")
    )
    assert (noted.note, noted.state.value) == ("failed by hand", "failed")

    cleared = v1.DAGApi(v1_client).post_clear_task_instances(
        "echo_conf",
        v1.ClearTaskInstances(
            dry_run=False, dag_run_id=run_id, only_failed=True, reset_dag_runs=True
        ),
    )
    assert [(r.task_id, r.dag_run_id) for r in cleared.task_instances] == [("echo", run_id)]
    rerun = wait_for_run(v1, v1_client, "echo_conf", run_id)
    assert rerun.state.value == "success"
    echo = api.get_task_instance("echo_conf", run_id, "echo")
    assert (echo.state.value, echo.try_number, echo.note) == ("success", 2, "failed by hand")
    tries = api.get_task_instance_tries("echo_conf", run_id, "echo")
    assert sorted((t.try_number, t.state.value) for t in tries.task_instances) == [
        (1, "failed"),
        (2, "success"),
    ]
    assert "Marking task as SUCCESS" in api.get_log("echo_conf", run_id, "echo", 2).content


def test_mark_a_failed_task_and_its_downstream_success(
    v1: ModuleType, v1_client: Any, runs: Runs
) -> None:
    run = runs.finished("always_fails")
    assert run.state.value == "failed"
    ti_api = v1.TaskInstanceApi(v1_client)

    def states() -> dict[str, str | None]:
        tis = ti_api.get_task_instances("always_fails", run.dag_run_id).task_instances
        return {ti.task_id: ti.state.value if ti.state else None for ti in tis}

    assert states() == {"boom": "failed", "after": "upstream_failed"}
    dag_api = v1.DAGApi(v1_client)
    body = v1.UpdateTaskInstancesState(
        dry_run=True,
        task_id="boom",
        dag_run_id=run.dag_run_id,
        include_upstream=False,
        include_downstream=True,
        include_future=False,
        include_past=False,
        new_state=v1.UpdateTaskState.SUCCESS,
    )
    preview = dag_api.post_set_task_instances_state("always_fails", body)
    assert sorted(r.task_id for r in preview.task_instances) == ["after", "boom"]
    assert states() == {"boom": "failed", "after": "upstream_failed"}

    body.dry_run = False
    done = dag_api.post_set_task_instances_state("always_fails", body)
    assert sorted(r.task_id for r in done.task_instances) == ["after", "boom"]
    assert states() == {"boom": "success", "after": "success"}


# ----------------------------------------------------------------------------- mapped


def test_mapped_task_instances_are_paginated(
    v1: ModuleType, v1_client: Any, mapped_run: Any
) -> None:
    api = v1.TaskInstanceApi(v1_client)
    run_id = mapped_run.dag_run_id
    first = api.get_mapped_task_instances("mapped_many", run_id, "double", limit=100)
    assert first.total_entries == MAPPED_ITEMS
    assert len(first.task_instances) == 100
    rest = api.get_mapped_task_instances("mapped_many", run_id, "double", limit=100, offset=100)
    assert rest.total_entries == MAPPED_ITEMS
    indexes = [ti.map_index for ti in first.task_instances + rest.task_instances]
    assert sorted(indexes) == list(range(MAPPED_ITEMS))
    untouched = [ti for ti in first.task_instances + rest.task_instances if ti.map_index < 40]
    assert all(ti.state is None for ti in untouched)  # nothing ran: the run is queued

    all_tis = api.get_task_instances("mapped_many", run_id, limit=100)
    assert all_tis.total_entries == MAPPED_ITEMS


def test_one_mapped_task_instance(v1: ModuleType, v1_client: Any, mapped_run: Any) -> None:
    api = v1.TaskInstanceApi(v1_client)
    run_id = mapped_run.dag_run_id
    ti = api.get_mapped_task_instance("mapped_many", run_id, "double", 7)
    assert (ti.task_id, ti.map_index, ti.state) == ("double", 7, None)

    deps = api.get_mapped_task_instance_dependencies("mapped_many", run_id, "double", 7)
    assert deps.dependencies  # the run is not running: the task cannot start
    assert any("running" in (d.reason or "") for d in deps.dependencies)

    tries = api.get_mapped_task_instance_tries("mapped_many", run_id, "double", 7)
    assert [(t.map_index, t.try_number) for t in tries.task_instances] == [(7, ti.try_number)]
    detail = api.get_mapped_task_instance_try_details(
        "mapped_many", run_id, "double", 7, ti.try_number
    )
    assert (detail.map_index, detail.task_id) == (7, "double")

    assert api.get_extra_links("mapped_many", run_id, "double", map_index=7) == {}


def test_set_state_and_note_of_a_mapped_task_instance(
    v1: ModuleType, v1_client: Any, mapped_run: Any
) -> None:
    api = v1.TaskInstanceApi(v1_client)
    run_id = mapped_run.dag_run_id
    preview = api.patch_mapped_task_instance(
        "mapped_many",
        run_id,
        "double",
        42,
        v1.UpdateTaskInstance(dry_run=True, new_state=v1.UpdateTaskState.SKIPPED),
    )
    assert (preview.task_id, preview.dag_run_id) == ("double", run_id)
    assert api.get_mapped_task_instance("mapped_many", run_id, "double", 42).state is None
    # as for unmapped ones, Airflow 2.11 answers {} when it really changes the state
    api.patch_mapped_task_instance(
        "mapped_many",
        run_id,
        "double",
        42,
        v1.UpdateTaskInstance(dry_run=False, new_state=v1.UpdateTaskState.SKIPPED),
    )
    assert api.get_mapped_task_instance("mapped_many", run_id, "double", 42).state.value == (
        "skipped"
    )
    noted = api.set_mapped_task_instance_note(
        "mapped_many", run_id, "double", 42, v1.SetTaskInstanceNote(note="skipped by hand")
    )
    assert (noted.map_index, noted.note, noted.state.value) == (42, "skipped by hand", "skipped")
    others = api.get_mapped_task_instances("mapped_many", run_id, "double", state=["skipped"])
    assert [ti.map_index for ti in others.task_instances] == [42]


def test_clear_only_running_task_instances_finds_none(
    v1: ModuleType, v1_client: Any, mapped_run: Any
) -> None:
    cleared = v1.DAGApi(v1_client).post_clear_task_instances(
        "mapped_many",
        v1.ClearTaskInstances(
            dry_run=True, dag_run_id=mapped_run.dag_run_id, only_failed=False, only_running=True
        ),
    )
    assert cleared.task_instances == []
