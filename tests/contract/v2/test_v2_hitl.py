"""Human-in-the-loop: a task waiting for input, its details, the answer, and what follows."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from v2_support import poll, trigger, unpause, value, wait_for_run, wait_for_task_state

pytestmark = pytest.mark.contract


def let_the_scheduler_catch_up(v2: ModuleType, client: Any) -> None:
    """Wait until the scheduler has gone round its loop since now: two new heartbeats.

    An answer given within a second of the task reaching ``awaiting_input`` races the
    scheduler on Airflow 3.3.2: the task is queued again before the scheduler has read the
    executor's "success" for the workload that paused it, and the scheduler then marks the
    task failed ("finished with state success, but the task instance's state attribute is
    queued"). A person never answers that fast; a script should wait like this.
    """
    monitor = v2.MonitorApi(client)

    def heartbeat() -> Any:
        return monitor.get_health().scheduler.latest_scheduler_heartbeat

    for _ in range(2):
        seen = heartbeat()
        poll("a new scheduler heartbeat", heartbeat, lambda beat, seen=seen: beat != seen)


def test_answer_a_waiting_task(v2: ModuleType, v2_client: Any) -> None:
    api = v2.TaskInstanceApi(v2_client)
    unpause(v2, v2_client, "v2_hitl")
    run = trigger(v2, v2_client, "v2_hitl")
    run_id = run.dag_run_id
    waiting = wait_for_task_state(v2, v2_client, "v2_hitl", run_id, "approve", {"awaiting_input"})
    assert waiting.state == v2.TaskInstanceState.AWAITING_INPUT

    listed = api.get_hitl_details("v2_hitl", run_id)
    assert listed.total_entries == 1
    detail = listed.hitl_details[0]
    assert (detail.subject, detail.body, detail.options) == (
        "Ship it?",
        "Choose one",
        ["yes", "no"],
    )
    assert detail.response_received is False
    assert detail.chosen_options is None
    assert detail.task_instance.task_id == "approve"
    pending = api.get_hitl_details("~", "~", response_received=False, dag_id_pattern="v2_hitl")
    assert run_id in {d.task_instance.dag_run_id for d in pending.hitl_details}

    one = api.get_hitl_detail("v2_hitl", run_id, "approve", -1)
    assert one.subject == "Ship it?"
    assert value(one.task_instance.state) == "awaiting_input"

    let_the_scheduler_catch_up(v2, v2_client)

    answer = api.update_hitl_detail(
        "v2_hitl", run_id, "approve", -1, v2.UpdateHITLDetailPayload(chosen_options=["yes"])
    )
    assert answer.chosen_options == ["yes"]
    assert answer.responded_by.name == "admin"
    assert answer.responded_at is not None

    done = wait_for_run(v2, v2_client, "v2_hitl", run_id)
    assert value(done.state) == "success"
    answered = api.get_hitl_detail("v2_hitl", run_id, "approve", -1)
    assert answered.response_received is True
    assert answered.chosen_options == ["yes"]
    history = api.get_hitl_detail_try_detail("v2_hitl", run_id, "approve", -1, 1)
    assert history.chosen_options == ["yes"]
    assert history.task_instance.try_number == 1
    # a second answer is refused: the task already has its response
    with pytest.raises(v2.ApiException) as info:
        api.update_hitl_detail(
            "v2_hitl", run_id, "approve", -1, v2.UpdateHITLDetailPayload(chosen_options=["no"])
        )
    assert info.value.status == 409
