"""Assets: list, get, aliases, events (created by a producer and through the API),
materialization, the runs they trigger, queued events and the asset state store.

DAGs (``tests/dags/v2_assets.py``): ``v2_asset_producer`` updates ``v2_produced`` (and the
alias ``v2_alias``), ``v2_asset_consumer`` is scheduled on ``v2_produced``, and
``v2_asset_waiter`` on ``v2_queue_a & v2_queue_b``, which only the API updates.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from v2_support import poll, status_of, unique, unpause, value, wait_for_dag, wait_for_run

pytestmark = pytest.mark.contract


def asset_ids(v2: ModuleType, client: Any) -> dict[str, int]:
    wait_for_dag(v2, client, "v2_asset_waiter")
    found = v2.AssetApi(client).get_assets(name_prefix_pattern="v2_", limit=100)
    return {a.name: a.id for a in found.assets}


def test_list_and_get_assets(v2: ModuleType, v2_client: Any) -> None:
    api = v2.AssetApi(v2_client)
    ids = asset_ids(v2, v2_client)
    assert {"v2_produced", "v2_queue_a", "v2_queue_b"} <= set(ids)
    produced = api.get_asset(ids["v2_produced"])
    assert (produced.name, produced.uri, produced.group) == ("v2_produced", "v2_produced", "asset")
    assert [d.dag_id for d in produced.scheduled_dags] == ["v2_asset_consumer"]
    assert [(t.dag_id, t.task_id) for t in produced.producing_tasks] == [
        ("v2_asset_producer", "produce")
    ]
    by_dag = api.get_assets(dag_ids=["v2_asset_waiter"], order_by=["name"])
    assert [a.name for a in by_dag.assets] == ["v2_queue_a", "v2_queue_b"]
    assert status_of(lambda: api.get_asset(10**9)) == 404


def test_asset_aliases(v2: ModuleType, v2_client: Any) -> None:
    api = v2.AssetApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_asset_producer")
    aliases = api.get_asset_aliases(name_pattern="v2_alias")
    assert [a.name for a in aliases.asset_aliases] == ["v2_alias"]
    alias = api.get_asset_alias(aliases.asset_aliases[0].id)
    assert isinstance(alias, v2.AssetAliasResponse)
    assert (alias.id, alias.name, alias.group) == (aliases.asset_aliases[0].id, "v2_alias", "asset")


def test_materialize_an_asset_runs_its_producer_and_its_consumer(
    v2: ModuleType, v2_client: Any
) -> None:
    api = v2.AssetApi(v2_client)
    runs = v2.DagRunApi(v2_client)
    ids = asset_ids(v2, v2_client)
    unpause(v2, v2_client, "v2_asset_producer")
    unpause(v2, v2_client, "v2_asset_consumer")

    def consumer_run_ids() -> set[str]:
        return {r.dag_run_id for r in runs.get_dag_runs("v2_asset_consumer", limit=100).dag_runs}

    earlier = consumer_run_ids()
    run = api.materialize_asset(ids["v2_produced"])
    assert run.dag_id == "v2_asset_producer"
    assert value(run.run_type) == "asset_materialization"
    assert value(wait_for_run(v2, v2_client, "v2_asset_producer", run.dag_run_id).state) == (
        "success"
    )

    # the event schedules a run of the consumer. Airflow 3.3.2 answers the asset-events list
    # with a plain 500 while a run an event created has not started yet (its own response
    # model rejects the run's null start_date), so the events are read once that run is done.
    new = poll("the consumer's run", lambda: consumer_run_ids() - earlier, bool, timeout=90)
    assert len(new) == 1
    consumer_run_id = new.pop()
    assert value(wait_for_run(v2, v2_client, "v2_asset_consumer", consumer_run_id).state) == (
        "success"
    )

    events = api.get_asset_events(
        asset_id=ids["v2_produced"], source_run_id=run.dag_run_id, limit=10
    )
    assert events.total_entries == 1
    event = events.asset_events[0]
    assert (event.source_dag_id, event.source_task_id) == ("v2_asset_producer", "produce")
    assert event.name == "v2_produced"
    assert [(r.dag_id, r.run_id) for r in event.created_dagruns] == [
        ("v2_asset_consumer", consumer_run_id)
    ]
    got = runs.get_dag_run("v2_asset_consumer", consumer_run_id)
    assert value(got.run_type) == "asset_triggered"
    upstream = runs.get_upstream_asset_events("v2_asset_consumer", consumer_run_id)
    assert event.id in {e.id for e in upstream.asset_events}


@pytest.fixture
def waiter(v2: ModuleType, v2_client: Any) -> Iterator[dict[str, int]]:
    """``v2_asset_waiter`` unpaused with no queued event; its queue is emptied afterwards."""
    ids = asset_ids(v2, v2_client)
    unpause(v2, v2_client, "v2_asset_waiter")
    api = v2.AssetApi(v2_client)

    def empty() -> None:
        try:
            api.delete_dag_asset_queued_events("v2_asset_waiter")
        except v2.ApiException as exc:
            if exc.status != 404:  # nothing queued
                raise

    empty()
    yield ids
    empty()


def test_asset_events_created_through_the_api_queue_for_a_consumer(
    v2: ModuleType, v2_client: Any, waiter: dict[str, int]
) -> None:
    api = v2.AssetApi(v2_client)
    asset_a, asset_b = waiter["v2_queue_a"], waiter["v2_queue_b"]
    marker = unique("v2_event")

    def post_event(asset_id: int) -> Any:
        event = api.create_asset_event(
            v2.CreateAssetEventsBody(asset_id=asset_id, extra={"marker": marker})
        )
        assert event.asset_id == asset_id
        assert event.extra is not None
        assert event.extra["marker"] == marker
        assert event.source_dag_id is None  # not produced by a task
        return event

    event = post_event(asset_a)
    listed = api.get_asset_events(asset_id=asset_a, order_by=["-timestamp"], limit=5)
    assert event.id in {e.id for e in listed.asset_events}

    # one of the two assets updated: the waiter's run waits, the event stays queued
    queued = api.get_asset_queued_events(asset_a)
    assert [(q.dag_id, q.asset_id) for q in queued.queued_events] == [("v2_asset_waiter", asset_a)]
    by_dag = api.get_dag_asset_queued_events("v2_asset_waiter")
    assert [q.asset_id for q in by_dag.queued_events] == [asset_a]
    one = api.get_dag_asset_queued_event("v2_asset_waiter", asset_a)
    assert (one.dag_id, one.asset_id) == ("v2_asset_waiter", asset_a)
    assert status_of(lambda: api.get_dag_asset_queued_event("v2_asset_waiter", asset_b)) == 404

    # each delete form removes it
    api.delete_dag_asset_queued_event("v2_asset_waiter", asset_a)
    assert api.get_dag_asset_queued_events("v2_asset_waiter").total_entries == 0
    post_event(asset_a)
    api.delete_asset_queued_events(asset_a)
    assert api.get_asset_queued_events(asset_a).total_entries == 0
    post_event(asset_a)
    api.delete_dag_asset_queued_events("v2_asset_waiter")
    assert status_of(lambda: api.get_dag_asset_queued_event("v2_asset_waiter", asset_a)) == 404
    # deleting from an empty queue is a 404
    assert status_of(lambda: api.delete_dag_asset_queued_events("v2_asset_waiter")) == 404
    runs = v2.DagRunApi(v2_client).get_dag_runs("v2_asset_waiter", limit=100)
    assert runs.total_entries == 0  # never both assets: never a run


def test_asset_state_store_round_trip(v2: ModuleType, v2_client: Any) -> None:
    api = v2.AssetStateStoreApi(v2_client)
    asset_id = asset_ids(v2, v2_client)["v2_queue_b"]
    key = unique("v2_watermark")
    try:
        api.set_asset_state_store(asset_id, key, v2.AssetStateStoreBody(value={"offset": 7}))
        got = api.get_asset_state_store(asset_id, key)
        assert (got.key, got.value) == (key, {"offset": 7})
        assert got.last_updated_by is not None
        assert got.last_updated_by.kind == v2.AssetStateStoreWriterKind.API
        listed = api.list_asset_state_store(asset_id)
        assert key in {e.key for e in listed.asset_state_store}

        api.set_asset_state_store(asset_id, key, v2.AssetStateStoreBody(value=8))  # overwrite
        assert api.get_asset_state_store(asset_id, key).value == 8
        api.delete_asset_state_store(asset_id, key)
        assert status_of(lambda: api.get_asset_state_store(asset_id, key)) == 404

        api.set_asset_state_store(asset_id, unique("v2_other"), v2.AssetStateStoreBody(value=1))
        api.clear_asset_state_store(asset_id)
        assert api.list_asset_state_store(asset_id).total_entries == 0
    finally:
        api.clear_asset_state_store(asset_id)
