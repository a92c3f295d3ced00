"""Datasets on Airflow 2 (``/api/v1``): datasets, events, queued events, triggered runs.

``tests/dags/dataset_producer.py``: ``dataset_producer`` updates ``PRODUCED``;
``dataset_consumer`` runs on each update of it; ``dataset_waiting`` needs ``PRODUCED`` and
``NEVER_PRODUCED``, so an update of ``PRODUCED`` stays queued for it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from v1_support import Runs, delete_if_present, poll, unique, unpause, wait_for_dag, wait_for_run

PRODUCED = "test://airflow-client-ext/produced"
NEVER_PRODUCED = "test://airflow-client-ext/never-produced"


@pytest.fixture(scope="module")
def dataset_dags(v1: ModuleType, v1_client: Any) -> None:
    for dag_id in ("dataset_producer", "dataset_consumer", "dataset_waiting"):
        wait_for_dag(v1, v1_client, dag_id)


def pause(v1: ModuleType, client: Any, dag_id: str) -> None:
    """Pause ``dag_id``: events then neither start its runs nor queue for it."""
    v1.DAGApi(client).patch_dag(dag_id, v1.DAG(is_paused=True), update_mask=["is_paused"])


def clear_queue(v1: ModuleType, client: Any, dag_id: str) -> None:
    """Delete the DAG's queued events, if it has any."""
    delete_if_present(v1, lambda: v1.DatasetApi(client).delete_dag_dataset_queued_events(dag_id))


def test_datasets_list_and_get(v1: ModuleType, v1_client: Any, dataset_dags: None) -> None:
    api = v1.DatasetApi(v1_client)
    datasets = api.get_datasets(uri_pattern="airflow-client-ext", order_by="uri")
    assert [d.uri for d in datasets.datasets] == [NEVER_PRODUCED, PRODUCED]
    # Airflow 2.11 counts every dataset in total_entries, ignoring uri_pattern and dag_ids
    assert datasets.total_entries >= 2

    by_dag = api.get_datasets(dag_ids="dataset_producer")
    assert [d.uri for d in by_dag.datasets] == [PRODUCED]

    produced = api.get_dataset(PRODUCED)
    assert produced.uri == PRODUCED
    assert produced.id == datasets.datasets[1].id
    assert {r.dag_id for r in produced.consuming_dags} == {"dataset_consumer", "dataset_waiting"}
    assert [(t.dag_id, t.task_id) for t in produced.producing_tasks] == [
        ("dataset_producer", "produce")
    ]
    never = api.get_dataset(NEVER_PRODUCED)
    assert [r.dag_id for r in never.consuming_dags] == ["dataset_waiting"]
    assert never.producing_tasks == []

    with pytest.raises(v1.ApiException) as caught:
        api.get_dataset("test://airflow-client-ext/no-such-dataset")
    assert caught.value.status == 404


def test_a_producer_run_emits_a_dataset_event(
    v1: ModuleType, v1_client: Any, dataset_dags: None, runs: Runs
) -> None:
    run = runs.finished("dataset_producer")
    assert run.state.value == "success"
    events = v1.DatasetApi(v1_client).get_dataset_events(
        source_dag_id="dataset_producer", source_run_id=run.dag_run_id
    )
    assert events.total_entries == 1
    (event,) = events.dataset_events
    assert (event.dataset_uri, event.source_task_id, event.source_map_index) == (
        PRODUCED,
        "produce",
        -1,
    )
    assert event.timestamp


def test_an_api_event_queues_for_a_dag_waiting_on_two_datasets(
    v1: ModuleType, v1_client: Any, dataset_dags: None
) -> None:
    api = v1.DatasetApi(v1_client)
    pause(v1, v1_client, "dataset_consumer")  # no run of it needed here
    unpause(v1, v1_client, "dataset_waiting")
    clear_queue(v1, v1_client, "dataset_waiting")
    marker = unique("v1_event")
    event = api.create_dataset_event(
        v1.CreateDatasetEvent(dataset_uri=PRODUCED, extra={"marker": marker})
    )
    assert event.dataset_uri == PRODUCED
    assert event.extra == {"marker": marker, "from_rest_api": True}
    assert event.source_dag_id is None

    listed = api.get_dataset_events(dataset_id=event.dataset_id, order_by="-timestamp", limit=5)
    assert marker in {e.extra.get("marker") for e in listed.dataset_events}

    queued = api.get_dag_dataset_queued_event("dataset_waiting", PRODUCED)
    assert (queued.dag_id, queued.uri) == ("dataset_waiting", PRODUCED)
    assert queued.created_at is not None

    for_dag = api.get_dag_dataset_queued_events("dataset_waiting")
    assert [(q.dag_id, q.uri) for q in for_dag.queued_events] == [("dataset_waiting", PRODUCED)]
    assert for_dag.total_entries == 1

    for_dataset = api.get_dataset_queued_events(PRODUCED)
    assert ("dataset_waiting", PRODUCED) in {(q.dag_id, q.uri) for q in for_dataset.queued_events}

    # nothing updates NEVER_PRODUCED: no run of dataset_waiting, the event stays queued
    assert api.get_dag_dataset_queued_event("dataset_waiting", PRODUCED).created_at == (
        queued.created_at
    )


def test_queued_events_can_be_deleted(v1: ModuleType, v1_client: Any, dataset_dags: None) -> None:
    api = v1.DatasetApi(v1_client)
    pause(v1, v1_client, "dataset_consumer")  # no run of it needed here
    unpause(v1, v1_client, "dataset_waiting")
    clear_queue(v1, v1_client, "dataset_waiting")

    def queue_one() -> None:
        api.create_dataset_event(v1.CreateDatasetEvent(dataset_uri=PRODUCED))
        assert api.get_dag_dataset_queued_event("dataset_waiting", PRODUCED).uri == PRODUCED

    def assert_gone() -> None:
        with pytest.raises(v1.ApiException) as caught:
            api.get_dag_dataset_queued_event("dataset_waiting", PRODUCED)
        assert caught.value.status == 404

    queue_one()
    api.delete_dag_dataset_queued_event("dataset_waiting", PRODUCED)
    assert_gone()

    queue_one()
    api.delete_dag_dataset_queued_events("dataset_waiting")
    assert_gone()

    queue_one()
    api.delete_dataset_queued_events(PRODUCED)
    assert_gone()
    with pytest.raises(v1.ApiException) as caught:
        api.get_dataset_queued_events(PRODUCED)
    assert caught.value.status == 404


def test_an_event_triggers_the_consumer_with_upstream_events(
    v1: ModuleType, v1_client: Any, dataset_dags: None
) -> None:
    unpause(v1, v1_client, "dataset_consumer")
    runs_api = v1.DAGRunApi(v1_client)
    before = {r.dag_run_id for r in runs_api.get_dag_runs("dataset_consumer", limit=100).dag_runs}
    marker = unique("v1_trigger")
    event = v1.DatasetApi(v1_client).create_dataset_event(
        v1.CreateDatasetEvent(dataset_uri=PRODUCED, extra={"marker": marker})
    )

    def run_with_our_event() -> tuple[Any, Any] | None:
        # other tests' events may trigger runs too: find the one our event triggered
        for run in runs_api.get_dag_runs("dataset_consumer", limit=100).dag_runs:
            if run.dag_run_id in before:
                continue
            upstream = runs_api.get_upstream_dataset_events("dataset_consumer", run.dag_run_id)
            for upstream_event in upstream.dataset_events:
                if (upstream_event.extra or {}).get("marker") == marker:
                    return run, upstream_event
        return None

    found = poll("the run our dataset event triggered", run_with_our_event, bool, timeout=240)
    assert found is not None
    run, ours = found
    assert run.run_type == "dataset_triggered"
    assert run.external_trigger is False
    finished = wait_for_run(v1, v1_client, "dataset_consumer", run.dag_run_id)
    assert finished.state.value == "success"
    # the same operation, from the Dataset tag's class
    upstream = v1.DatasetApi(v1_client).get_upstream_dataset_events(
        "dataset_consumer", run.dag_run_id
    )
    assert upstream.total_entries == len(upstream.dataset_events) >= 1
    assert ours.dataset_id == event.dataset_id
    assert run.dag_run_id in {r.dag_run_id for r in ours.created_dagruns}
