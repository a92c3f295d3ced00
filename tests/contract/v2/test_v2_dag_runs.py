"""DAG runs: trigger (conf, null logical date), read, list, batch list, patch, clear, bulk,
delete, partitions and the ``/wait`` stream.

Runs that tests change are made on ``fail_on_param``, which this suite never unpauses: its
runs stay queued and run no task, so they cost nothing and cannot change state on their own.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from v2_support import (
    ndjson,
    status_of,
    trigger,
    trigger_and_wait,
    unique,
    unpause,
    value,
    wait_for_dag,
    wait_for_run,
)

pytestmark = pytest.mark.contract

IDLE_DAG = "fail_on_param"  # paused: its runs stay queued


@pytest.fixture
def idle_run(v2: ModuleType, v2_client: Any) -> Any:
    """A queued run of the paused ``fail_on_param``, deleted afterwards."""
    wait_for_dag(v2, v2_client, IDLE_DAG)
    api = v2.DAGApi(v2_client)
    if not api.get_dag(IDLE_DAG).is_paused:
        api.patch_dag(IDLE_DAG, v2.DAGPatchBody(is_paused=True))
    run = trigger(v2, v2_client, IDLE_DAG, dag_run_id=unique("v2_idle"))
    yield run
    runs = v2.DagRunApi(v2_client)
    try:
        runs.delete_dag_run(IDLE_DAG, run.dag_run_id)
    except v2.ApiException as exc:
        if exc.status != 404:  # the test may have deleted it
            raise


def test_trigger_body_sends_logical_date_as_null(v2: ModuleType) -> None:
    body = v2.TriggerDAGRunPostBody(conf={"k": "v"})
    assert json.loads(body.to_json()) == {"conf": {"k": "v"}, "logical_date": None}


def test_trigger_with_conf_runs_it_and_returns_it(v2: ModuleType, v2_client: Any) -> None:
    unpause(v2, v2_client, "echo_conf")
    conf = {"greeting": "hello", "numbers": [1, 2, 3], "nested": {"ok": True}}
    run_id = unique("v2_conf")
    run = trigger(v2, v2_client, "echo_conf", conf, dag_run_id=run_id, note="from the v2 suite")
    assert run.dag_run_id == run_id
    assert run.logical_date is None  # sent as null: a run without a logical date
    assert run.conf == conf
    assert value(run.run_type) == "manual"
    assert value(run.triggered_by) == "rest_api"
    assert run.note == "from the v2 suite"
    assert run.run_after is not None
    done = wait_for_run(v2, v2_client, "echo_conf", run_id)
    assert value(done.state) == "success"
    assert done.end_date is not None
    assert done.start_date is not None
    assert done.duration is not None
    assert done.duration > 0
    entry = v2.XComApi(v2_client).get_xcom_entry(
        "echo_conf", run_id, "echo", "return_value", deserialize=True
    )
    assert entry.actual_instance.value == conf  # the dict, as returned by the task


def test_trigger_with_a_logical_date(v2: ModuleType, v2_client: Any) -> None:
    wait_for_dag(v2, v2_client, IDLE_DAG)
    runs = v2.DagRunApi(v2_client)
    run = runs.trigger_dag_run(
        IDLE_DAG,
        v2.TriggerDAGRunPostBody(
            logical_date="2024-03-04T05:06:07Z", dag_run_id=unique("v2_logical"), conf={}
        ),
    )
    try:
        assert run.logical_date is not None
        assert run.logical_date.isoformat().startswith("2024-03-04T05:06:07")
        assert value(run.state) == "queued"
    finally:
        runs.delete_dag_run(IDLE_DAG, run.dag_run_id)


def test_get_and_list_runs(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    got = runs.get_dag_run("quick_success", quick_run.dag_run_id)
    assert got.dag_run_id == quick_run.dag_run_id
    assert value(got.state) == "success"
    assert got.conf == {"origin": "v2-contract"}
    assert got.dag_versions
    assert got.dag_versions[0].dag_id == "quick_success"

    listed = runs.get_dag_runs("quick_success", state=["success"], limit=100)
    assert quick_run.dag_run_id in {r.dag_run_id for r in listed.dag_runs}
    assert all(value(r.state) == "success" for r in listed.dag_runs)

    everywhere = runs.get_dag_runs("~", run_type=["manual"], order_by=["-run_after"], limit=100)
    assert quick_run.dag_run_id in {r.dag_run_id for r in everywhere.dag_runs}

    assert status_of(lambda: runs.get_dag_run("quick_success", "no_such_run")) == 404


def test_list_runs_in_batch(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    body = v2.DAGRunsBatchBody(
        dag_ids=["quick_success", "xcom_push"],
        states=[v2.DagRunState.SUCCESS],
        run_after_gte=quick_run.run_after,
        order_by="run_after",
        page_limit=50,
    )
    batch = runs.get_list_dag_runs_batch("~", body)
    assert quick_run.dag_run_id in {r.dag_run_id for r in batch.dag_runs}
    assert {r.dag_id for r in batch.dag_runs} <= {"quick_success", "xcom_push"}
    assert batch.total_entries >= 1


def test_patch_run_note_and_state(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    noted = runs.patch_dag_run(
        IDLE_DAG, idle_run.dag_run_id, v2.DAGRunPatchBody(note="a note"), update_mask=["note"]
    )
    assert noted.note == "a note"
    assert value(noted.state) == "queued"
    failed = runs.patch_dag_run(
        IDLE_DAG, idle_run.dag_run_id, v2.DAGRunPatchBody(state=v2.DagRunMutableStates.FAILED)
    )
    assert value(failed.state) == "failed"
    got = runs.get_dag_run(IDLE_DAG, idle_run.dag_run_id)
    assert (value(got.state), got.note) == ("failed", "a note")
    succeeded = runs.patch_dag_run(
        IDLE_DAG, idle_run.dag_run_id, v2.DAGRunPatchBody(state=v2.DagRunMutableStates.SUCCESS)
    )
    assert value(succeeded.state) == "success"


def test_clear_run_dry_run_then_for_real(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    runs.patch_dag_run(
        IDLE_DAG, idle_run.dag_run_id, v2.DAGRunPatchBody(state=v2.DagRunMutableStates.FAILED)
    )
    dry = runs.clear_dag_run(IDLE_DAG, idle_run.dag_run_id, v2.DAGRunClearBody(dry_run=True))
    preview = dry.actual_instance
    assert isinstance(preview, v2.ClearTaskInstanceCollectionResponse)
    assert [ti.actual_instance.task_id for ti in preview.task_instances] == ["check"]
    assert isinstance(preview.task_instances[0].actual_instance, v2.TaskInstanceResponse)
    assert value(runs.get_dag_run(IDLE_DAG, idle_run.dag_run_id).state) == "failed"

    cleared = runs.clear_dag_run(
        IDLE_DAG, idle_run.dag_run_id, v2.DAGRunClearBody(dry_run=False, note="cleared")
    ).actual_instance
    assert isinstance(cleared, v2.DAGRunResponse)
    assert cleared.dag_run_id == idle_run.dag_run_id
    assert value(cleared.state) == "queued"
    assert cleared.note == "cleared"


def test_clear_a_failed_run_runs_it_again(v2: ModuleType, v2_client: Any) -> None:
    unpause(v2, v2_client, "always_fails")
    first = trigger_and_wait(v2, v2_client, "always_fails")
    assert value(first.state) == "failed"
    runs = v2.DagRunApi(v2_client)
    tis = v2.TaskInstanceApi(v2_client)
    only_failed = runs.clear_dag_run(
        "always_fails", first.dag_run_id, v2.DAGRunClearBody(dry_run=True, only_failed=True)
    ).actual_instance
    assert {ti.actual_instance.task_id for ti in only_failed.task_instances} == {"boom", "after"}
    runs.clear_dag_run("always_fails", first.dag_run_id, v2.DAGRunClearBody(dry_run=False))
    again = wait_for_run(v2, v2_client, "always_fails", first.dag_run_id)
    assert value(again.state) == "failed"
    boom = tis.get_task_instance("always_fails", first.dag_run_id, "boom")
    assert boom.try_number == 2
    assert value(boom.state) == "failed"


def test_clear_many_runs(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    second = trigger(v2, v2_client, IDLE_DAG, dag_run_id=unique("v2_idle"))
    try:
        for run in (idle_run, second):
            runs.patch_dag_run(
                IDLE_DAG, run.dag_run_id, v2.DAGRunPatchBody(state=v2.DagRunMutableStates.FAILED)
            )
        selected = [
            v2.BulkDAGRunBody(dag_run_id=r.dag_run_id, dag_id=IDLE_DAG) for r in (idle_run, second)
        ]
        dry = runs.clear_dag_runs(
            IDLE_DAG, v2.BulkDAGRunClearBody(dry_run=True, dag_runs=selected)
        ).actual_instance
        assert isinstance(dry, v2.ClearTaskInstanceCollectionResponse)
        assert {ti.actual_instance.dag_run_id for ti in dry.task_instances} == {
            idle_run.dag_run_id,
            second.dag_run_id,
        }
        done = runs.clear_dag_runs(
            IDLE_DAG, v2.BulkDAGRunClearBody(dry_run=False, dag_runs=selected, note="many")
        ).actual_instance
        assert isinstance(done, v2.DAGRunCollectionResponse)
        assert {r.dag_run_id for r in done.dag_runs} == {idle_run.dag_run_id, second.dag_run_id}
        assert {value(r.state) for r in done.dag_runs} == {"queued"}
    finally:
        runs.delete_dag_run(IDLE_DAG, second.dag_run_id)


def test_bulk_update_and_delete_runs(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    doomed = trigger(v2, v2_client, IDLE_DAG, dag_run_id=unique("v2_idle"))
    update = v2.BulkUpdateActionBulkDAGRunBody(
        action="update",
        entities=[
            v2.BulkDAGRunBody(
                dag_run_id=idle_run.dag_run_id,
                dag_id=IDLE_DAG,
                state=v2.DagRunMutableStates.FAILED,
                note="bulk note",
            )
        ],
    )
    delete = v2.BulkDeleteActionBulkDAGRunBody(
        action="delete",
        entities=[
            v2.BulkDeleteEntityBulkDAGRunBody(
                v2.BulkDAGRunBody(dag_run_id=doomed.dag_run_id, dag_id=IDLE_DAG)
            )
        ],
    )
    result = runs.bulk_dag_runs(
        IDLE_DAG,
        v2.BulkBodyBulkDAGRunBody(
            actions=[v2.BulkActionBulkDAGRunBody(update), v2.BulkActionBulkDAGRunBody(delete)]
        ),
    )
    assert not result.update.errors, result.update.errors
    assert not result.delete.errors, result.delete.errors
    got = runs.get_dag_run(IDLE_DAG, idle_run.dag_run_id)
    assert (value(got.state), got.note) == ("failed", "bulk note")
    assert status_of(lambda: runs.get_dag_run(IDLE_DAG, doomed.dag_run_id)) == 404


def test_delete_run(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    runs = v2.DagRunApi(v2_client)
    runs.delete_dag_run(IDLE_DAG, idle_run.dag_run_id)
    assert status_of(lambda: runs.get_dag_run(IDLE_DAG, idle_run.dag_run_id)) == 404
    assert status_of(lambda: runs.delete_dag_run(IDLE_DAG, idle_run.dag_run_id)) == 404


def test_clear_partitions_of_an_unpartitioned_run(
    v2: ModuleType, v2_client: Any, idle_run: Any
) -> None:
    runs = v2.DagRunApi(v2_client)
    dry = runs.clear_dag_run_partitions(
        IDLE_DAG, v2.ClearPartitionsBody(run_id=idle_run.dag_run_id, dry_run=True)
    )
    assert dry.dry_run is True
    assert dry.dag_runs_cleared in (0, 1)
    assert dry.task_instances_cleared == 0


def test_wait_streams_the_final_state_and_results(
    v2: ModuleType, v2_client: Any, quick_run: Any
) -> None:
    raw = v2.DagRunApi(v2_client).wait_dag_run_until_finished(
        "quick_success", quick_run.dag_run_id, interval=1, result=["second"]
    )
    lines = ndjson(raw)
    assert lines[-1] == {"state": "success", "results": {"second": 2}}


def test_wait_streams_states_until_the_run_ends(v2: ModuleType, v2_client: Any) -> None:
    unpause(v2, v2_client, "slow")
    run = trigger(v2, v2_client, "slow", {"seconds": 3})
    raw = v2.DagRunApi(v2_client).wait_dag_run_until_finished(
        "slow", run.dag_run_id, interval=0.5, result=["sleep"], _request_timeout=120
    )
    lines = ndjson(raw)
    assert len(lines) >= 2  # at least one intermediate state before the final one
    assert {line["state"] for line in lines[:-1]} <= {"queued", "running"}
    assert lines[-1] == {"state": "success", "results": {"sleep": 3.0}}
