"""Task instances: list, get, tries, dependencies, logs, extra links, patch (and dry runs),
clear, bulk, delete, task groups, mapped instances, and the task state store.

Tests that change task instances use runs of ``v2_daily``, which this suite keeps paused:
its manual runs get their task instances at creation and run none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from v2_support import (
    status_of,
    trigger,
    unique,
    unpause,
    value,
    wait_for_dag,
    wait_for_run,
    wait_for_task_state,
)

pytestmark = pytest.mark.contract

IDLE_DAG = "v2_daily"  # paused: start >> grp.left, grp.right; its manual runs stay queued


@pytest.fixture
def idle_run(v2: ModuleType, v2_client: Any) -> Iterator[Any]:
    """A queued run of the paused ``v2_daily`` (3 task instances, none running)."""
    wait_for_dag(v2, v2_client, IDLE_DAG)
    dags = v2.DAGApi(v2_client)
    if not dags.get_dag(IDLE_DAG).is_paused:
        dags.patch_dag(IDLE_DAG, v2.DAGPatchBody(is_paused=True))
    run = trigger(v2, v2_client, IDLE_DAG, dag_run_id=unique("v2_ti"))
    yield run
    try:
        v2.DagRunApi(v2_client).delete_dag_run(IDLE_DAG, run.dag_run_id)
    except v2.ApiException as exc:
        if exc.status != 404:
            raise


def states(v2: ModuleType, client: Any, dag_id: str, run_id: str) -> dict[str, Any]:
    listed = v2.TaskInstanceApi(client).get_task_instances(dag_id, run_id, limit=100)
    return {ti.task_id: value(ti.state) for ti in listed.task_instances}


# --------------------------------------------------------------------------- read-only


def test_list_and_get_task_instances(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    run_id = quick_run.dag_run_id
    listed = api.get_task_instances("quick_success", run_id, order_by=["start_date"])
    assert listed.total_entries == 2
    assert [(t.task_id, value(t.state)) for t in listed.task_instances] == [
        ("first", "success"),
        ("second", "success"),
    ]
    first = api.get_task_instance("quick_success", run_id, "first")
    assert (first.dag_id, first.dag_run_id, first.map_index) == ("quick_success", run_id, -1)
    assert first.try_number == 1
    assert first.operator == "_PythonDecoratedOperator"
    assert first.start_date is not None
    assert first.end_date is not None
    assert first.end_date >= first.start_date
    assert first.dag_version is not None
    assert first.dag_version.dag_id == "quick_success"

    across = api.get_task_instances(
        "~", "~", dag_id_pattern="quick_success", state=["success"], limit=100
    )
    assert {(t.dag_id, t.dag_run_id) for t in across.task_instances} >= {("quick_success", run_id)}
    assert status_of(lambda: api.get_task_instance("quick_success", run_id, "nope")) == 404


def test_list_task_instances_in_batch(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    body = v2.TaskInstancesBatchBody(
        dag_ids=["quick_success"],
        dag_run_ids=[quick_run.dag_run_id],
        task_ids=["second"],
        state=[v2.TaskInstanceState.SUCCESS],
    )
    batch = v2.TaskInstanceApi(v2_client).get_task_instances_batch("~", "~", body)
    assert batch.total_entries == 1
    only = batch.task_instances[0]
    assert (only.task_id, only.dag_run_id) == ("second", quick_run.dag_run_id)


def test_tries_of_a_task_instance(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    tries = api.get_task_instance_tries("quick_success", quick_run.dag_run_id, "first")
    assert tries.total_entries == 1
    assert [(t.try_number, value(t.state)) for t in tries.task_instances] == [(1, "success")]
    one = api.get_task_instance_try_details("quick_success", quick_run.dag_run_id, "first", 1)
    assert (one.task_id, one.try_number, value(one.state)) == ("first", 1, "success")
    assert one.hostname


def test_dependencies_of_finished_and_waiting_instances(
    v2: ModuleType, v2_client: Any, quick_run: Any, idle_run: Any
) -> None:
    api = v2.TaskInstanceApi(v2_client)
    done = api.get_task_instance_dependencies("quick_success", quick_run.dag_run_id, "second")
    assert done.dependencies == []  # nothing blocks a finished task
    blocked = api.get_task_instance_dependencies(IDLE_DAG, idle_run.dag_run_id, "grp.left")
    reasons = {d.name: d.reason for d in blocked.dependencies}
    assert reasons, blocked
    assert any("upstream" in (r or "").lower() for r in reasons.values()), reasons


def test_log_of_a_task(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    log = v2.TaskInstanceApi(v2_client).get_log(
        "quick_success", quick_run.dag_run_id, "first", 1, full_content=True
    )
    messages = [item.actual_instance for item in log.content]
    assert all(isinstance(m, v2.StructuredLogMessage) for m in messages)
    events = [m.event for m in messages]
    assert "Done. Returned value was: 1" in events
    # structured fields beyond timestamp/event survive deserialization
    done = next(m for m in messages if m.event == "Done. Returned value was: 1")
    assert done.timestamp is not None
    assert done.additional_properties.get("level") == "info"
    assert done.additional_properties.get("logger")


def test_extra_links_of_a_task(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    links = v2.ExtraLinksApi(v2_client).get_extra_links(
        "quick_success", quick_run.dag_run_id, "first"
    )
    assert links.total_entries == 0  # @task operators define no extra link
    assert links.extra_links == {}


def test_external_log_url_needs_a_remote_log_handler(
    v2: ModuleType, v2_client: Any, quick_run: Any
) -> None:
    api = v2.TaskInstanceApi(v2_client)
    assert (
        status_of(
            lambda: api.get_external_log_url("quick_success", quick_run.dag_run_id, "first", 1)
        )
        == 400
    )


# ----------------------------------------------------------------------------- changes


def test_task_instances_of_a_paused_dags_run_wait(
    v2: ModuleType, v2_client: Any, idle_run: Any
) -> None:
    assert states(v2, v2_client, IDLE_DAG, idle_run.dag_run_id) == {
        "start": None,
        "grp.left": None,
        "grp.right": None,
    }


def test_patch_state_and_note_with_dry_run(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    run_id = idle_run.dag_run_id
    body = v2.PatchTaskInstanceBody(new_state=v2.TaskInstanceState.SUCCESS)
    preview = api.patch_task_instance_dry_run(IDLE_DAG, run_id, "start", body)
    assert [t.task_id for t in preview.task_instances] == ["start"]
    assert set(states(v2, v2_client, IDLE_DAG, run_id).values()) == {None}  # dry run

    patched = api.patch_task_instance(IDLE_DAG, run_id, "start", body)
    assert [(t.task_id, value(t.state)) for t in patched.task_instances] == [("start", "success")]
    assert states(v2, v2_client, IDLE_DAG, run_id) == {
        "start": "success",
        "grp.left": None,
        "grp.right": None,
    }

    noted = api.patch_task_instance(
        IDLE_DAG, run_id, "start", v2.PatchTaskInstanceBody(note="looked at"), update_mask=["note"]
    )
    assert [t.note for t in noted.task_instances] == ["looked at"]
    got = api.get_task_instance(IDLE_DAG, run_id, "start")
    assert (got.note, value(got.state)) == ("looked at", "success")


def test_patch_a_task_group(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    run_id = idle_run.dag_run_id
    body = v2.PatchTaskInstanceBody(new_state=v2.TaskInstanceState.FAILED)
    preview = api.patch_task_group_instances_dry_run(IDLE_DAG, run_id, "grp", body)
    assert {t.task_id for t in preview.task_instances} == {"grp.left", "grp.right"}
    assert states(v2, v2_client, IDLE_DAG, run_id)["grp.left"] is None

    done = api.patch_task_group_instances(IDLE_DAG, run_id, "grp", body)
    assert {t.task_id for t in done.task_instances} == {"grp.left", "grp.right"}
    assert states(v2, v2_client, IDLE_DAG, run_id) == {
        "start": None,
        "grp.left": "failed",
        "grp.right": "failed",
    }
    in_group = api.get_task_instances(IDLE_DAG, run_id, task_group_id="grp")
    assert {t.task_id for t in in_group.task_instances} == {"grp.left", "grp.right"}


def test_clear_task_instances(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    run_id = idle_run.dag_run_id
    failed = v2.PatchTaskInstanceBody(new_state=v2.TaskInstanceState.FAILED)
    api.patch_task_group_instances(IDLE_DAG, run_id, "grp", failed)
    body = v2.ClearTaskInstancesBody(
        dry_run=True, dag_run_id=run_id, task_ids=[v2.TaskIdsInner("grp.left")], only_failed=True
    )
    preview = api.post_clear_task_instances(IDLE_DAG, body)
    assert [t.task_id for t in preview.task_instances] == ["grp.left"]
    assert states(v2, v2_client, IDLE_DAG, run_id)["grp.left"] == "failed"

    body.dry_run = False
    cleared = api.post_clear_task_instances(IDLE_DAG, body)
    assert [t.task_id for t in cleared.task_instances] == ["grp.left"]
    after = states(v2, v2_client, IDLE_DAG, run_id)
    assert after["grp.left"] is None
    assert (after["start"], after["grp.right"]) == (None, "failed")


def test_bulk_update_and_delete_task_instances(
    v2: ModuleType, v2_client: Any, idle_run: Any
) -> None:
    api = v2.TaskInstanceApi(v2_client)
    run_id = idle_run.dag_run_id
    update = v2.BulkUpdateActionBulkTaskInstanceBody(
        action="update",
        entities=[
            v2.BulkTaskInstanceBody(
                task_id="start", new_state=v2.TaskInstanceState.SKIPPED, note="bulk"
            ),
            v2.BulkTaskInstanceBody(task_id="grp.left", new_state=v2.TaskInstanceState.SUCCESS),
        ],
    )
    delete = v2.BulkDeleteActionBulkTaskInstanceBody(
        action="delete", entities=[v2.BulkDeleteEntityBulkTaskInstanceBody("grp.right")]
    )
    result = api.bulk_task_instances(
        IDLE_DAG,
        run_id,
        v2.BulkBodyBulkTaskInstanceBody(
            actions=[
                v2.BulkActionBulkTaskInstanceBody(update),
                v2.BulkActionBulkTaskInstanceBody(delete),
            ]
        ),
    )
    assert not result.update.errors, result.update.errors
    assert not result.delete.errors, result.delete.errors
    assert states(v2, v2_client, IDLE_DAG, run_id) == {"start": "skipped", "grp.left": "success"}
    assert api.get_task_instance(IDLE_DAG, run_id, "start").note == "bulk"


def test_delete_a_task_instance(v2: ModuleType, v2_client: Any, idle_run: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    run_id = idle_run.dag_run_id
    api.delete_task_instance(IDLE_DAG, run_id, "grp.right")
    assert status_of(lambda: api.get_task_instance(IDLE_DAG, run_id, "grp.right")) == 404
    assert set(states(v2, v2_client, IDLE_DAG, run_id)) == {"start", "grp.left"}


# ------------------------------------------------------------------------------ mapped


def test_mapped_task_instances_over_150_items(v2: ModuleType, v2_client: Any) -> None:
    """150 mapped instances: more than one page, read while the run is going on."""
    api = v2.TaskInstanceApi(v2_client)
    unpause(v2, v2_client, "mapped_many")
    run = trigger(v2, v2_client, "mapped_many")
    run_id = run.dag_run_id
    first = wait_for_task_state(
        v2, v2_client, "mapped_many", run_id, "double", {"success"}, map_index=0
    )
    assert (first.map_index, first.try_number) == (0, 1)

    page1 = api.get_mapped_task_instances("mapped_many", run_id, "double", limit=100)
    assert page1.total_entries == 150
    page2 = api.get_mapped_task_instances("mapped_many", run_id, "double", limit=100, offset=100)
    indexes = [t.map_index for t in page1.task_instances + page2.task_instances]
    assert sorted(indexes) == list(range(150))
    assert len(page2.task_instances) == 50

    last = api.get_mapped_task_instance("mapped_many", run_id, "double", 149)
    assert (last.task_id, last.map_index) == ("double", 149)

    tries = api.get_mapped_task_instance_tries("mapped_many", run_id, "double", 0)
    assert [(t.map_index, t.try_number) for t in tries.task_instances] == [(0, 1)]
    detail = api.get_mapped_task_instance_try_details("mapped_many", run_id, "double", 0, 1)
    assert (detail.map_index, detail.try_number, value(detail.state)) == (0, 1, "success")
    unmapped = api.get_task_instance_tries("mapped_many", run_id, "double", map_index=0)
    assert unmapped.total_entries == 1

    deps = api.get_task_instance_dependencies_by_map_index("mapped_many", run_id, "double", 0)
    assert deps.dependencies == []

    body = v2.PatchTaskInstanceBody(note="index 149")
    preview = api.patch_task_instance_dry_run_by_map_index(
        "mapped_many", run_id, "double", 149, body, update_mask=["note"]
    )
    assert [t.map_index for t in preview.task_instances] == [149]
    noted = api.patch_task_instance_by_map_index(
        "mapped_many", run_id, "double", 149, body, update_mask=["note"]
    )
    assert [(t.map_index, t.note) for t in noted.task_instances] == [(149, "index 149")]
    # the run ends on its own (marking it success while 150 instances report in made Airflow
    # 3.3.2 on SQLite answer 500 "Database error" under load)
    done = wait_for_run(v2, v2_client, "mapped_many", run_id, timeout=600)
    assert value(done.state) == "success"
    finished = api.get_mapped_task_instances(
        "mapped_many", run_id, "double", state=["success"], limit=1
    )
    assert finished.total_entries == 150
    assert api.get_mapped_task_instance("mapped_many", run_id, "double", 149).note == "index 149"


# -------------------------------------------------------------------------- state store


def test_task_state_store_round_trip(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    api = v2.TaskStateStoreApi(v2_client)
    where = ("quick_success", quick_run.dag_run_id, "first")
    key = unique("v2_state")
    try:
        api.set_task_state_store(*where, key, v2.TaskStateStoreBody(value={"cursor": 10}))
        got = api.get_task_state_store(*where, key)
        assert (got.key, got.value) == (key, {"cursor": 10})
        assert got.expires_at is not None
        assert got.expires_at > got.updated_at
        listed = api.list_task_state_store(*where)
        assert key in {e.key for e in listed.task_state_store}

        api.patch_task_state_store(*where, key, v2.TaskStateStorePatchBody(value=[1, 2]))
        assert api.get_task_state_store(*where, key).value == [1, 2]

        api.delete_task_state_store(*where, key)
        assert status_of(lambda: api.get_task_state_store(*where, key)) == 404

        other = unique("v2_state")
        api.set_task_state_store(*where, other, v2.TaskStateStoreBody(value="x"))
        api.clear_task_state_store(*where)
        assert api.list_task_state_store(*where).total_entries == 0
    finally:
        api.clear_task_state_store(*where)
