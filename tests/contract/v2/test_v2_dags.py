"""DAGs: list, get, details, pause/unpause, patch many, favorites, delete, tasks, versions,
sources, reparse and import errors."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from v2_support import poll, status_of, value, wait_for_dag

pytestmark = pytest.mark.contract


def test_list_dags_filters_by_tag_and_pattern(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "mapped_many")
    everything = api.get_dags(limit=100)
    assert everything.total_entries == len(everything.dags)
    ids = {d.dag_id for d in everything.dags}
    assert {"quick_success", "mapped_many", "v2_daily", "v2_asset_producer"} <= ids

    mapped = api.get_dags(tags=["mapped"])
    assert [d.dag_id for d in mapped.dags] == ["mapped_many"]
    assert {t.name for t in mapped.dags[0].tags} == {"airflow-client-ext", "mapped"}

    both = api.get_dags(tags=["v2", "daily"], tags_match_mode="all")
    assert [d.dag_id for d in both.dags] == ["v2_daily"]

    prefixed = api.get_dags(dag_id_prefix_pattern="v2_asset_", order_by=["dag_id"])
    assert [d.dag_id for d in prefixed.dags] == [
        "v2_asset_consumer",
        "v2_asset_producer",
        "v2_asset_waiter",
    ]

    page = poll(  # other tests' DAG files may have been parsed since `everything`
        "a page of the same DAGs as the whole list",
        lambda: (api.get_dags(limit=2, offset=1, order_by=["dag_id"]), api.get_dags(limit=100)),
        lambda pair: pair[0].total_entries == pair[1].total_entries,
    )[0]
    assert len(page.dags) == 2


def test_get_dag_and_details(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_daily")
    dag = api.get_dag("v2_daily")
    assert dag.dag_id == "v2_daily"
    assert dag.is_stale is False
    assert dag.timetable_summary == "0 0 * * *"  # "@daily", as cron
    assert dag.relative_fileloc == "v2_daily.py"
    assert dag.max_active_runs == 2

    details = api.get_dag_details("v2_daily")
    assert details.dag_id == "v2_daily"
    assert details.catchup is False
    assert details.is_backfillable is True
    assert details.timetable_periodic is True
    assert details.start_date is not None
    assert details.start_date.year == 2024
    assert details.file_token
    assert details.latest_dag_version is not None
    assert details.latest_dag_version.dag_id == "v2_daily"
    assert details.default_args == {"retries": 0}

    params = api.get_dag_details("fail_on_param").params
    assert params is not None
    assert params["fail"]["value"] is False
    assert params["message"]["value"] == "hello"

    assert status_of(lambda: api.get_dag("no_such_dag_v2")) == 404


def test_pause_and_unpause_one_dag(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_warned")
    before = api.get_dag("v2_warned").is_paused
    try:
        assert api.patch_dag("v2_warned", v2.DAGPatchBody(is_paused=False)).is_paused is False
        assert api.get_dag("v2_warned").is_paused is False
        assert "v2_warned" in {d.dag_id for d in api.get_dags(paused=False, limit=100).dags}
        paused = api.patch_dag(
            "v2_warned", v2.DAGPatchBody(is_paused=True), update_mask=["is_paused"]
        )
        assert paused.is_paused is True
        assert "v2_warned" in {d.dag_id for d in api.get_dags(paused=True, limit=100).dags}
    finally:
        api.patch_dag("v2_warned", v2.DAGPatchBody(is_paused=before))


def test_patch_many_dags(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    for dag_id in ("v2_asset_producer", "v2_asset_consumer", "v2_asset_waiter"):
        wait_for_dag(v2, v2_client, dag_id)
    before = {d.dag_id: d.is_paused for d in api.get_dags(dag_id_prefix_pattern="v2_asset_").dags}
    assert len(before) == 3
    try:
        paused = api.patch_dags(v2.DAGPatchBody(is_paused=True), dag_id_pattern="v2_asset_")
        assert {d.dag_id for d in paused.dags} == set(before)
        assert all(d.is_paused for d in paused.dags)
        unpaused = api.patch_dags(
            v2.DAGPatchBody(is_paused=False), dag_id_pattern="v2_asset_", paused=True
        )
        assert {d.dag_id for d in unpaused.dags} == set(before)
        assert not any(d.is_paused for d in api.get_dags(dag_id_pattern="v2_asset_").dags)
    finally:
        for dag_id, was_paused in before.items():
            api.patch_dag(dag_id, v2.DAGPatchBody(is_paused=was_paused))


def test_favorite_and_unfavorite(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "slow")
    api.favorite_dag("slow")
    try:
        assert "slow" in {d.dag_id for d in api.get_dags(is_favorite=True, limit=100).dags}
        assert api.get_dag_details("slow").is_favorite is True
    finally:
        api.unfavorite_dag("slow")
    assert "slow" not in {d.dag_id for d in api.get_dags(is_favorite=True, limit=100).dags}
    assert api.get_dag_details("slow").is_favorite is False


def test_delete_dag_then_the_next_parse_brings_it_back(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_deletable")
    api.delete_dag("v2_deletable")
    assert status_of(lambda: api.get_dag("v2_deletable")) == 404
    # a reparse request needs the DAG's file token, which went with the DAG
    # the file is still there: the DAG processor's next pass puts the DAG back
    dag = wait_for_dag(v2, v2_client, "v2_deletable", timeout=90)
    assert dag.dag_id == "v2_deletable"
    assert dag.is_stale is False


def test_reparse_a_dag_file(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "echo_conf")
    details = api.get_dag_details("echo_conf")
    assert details.last_parsed_time is not None
    v2.DAGParsingApi(v2_client).reparse_dag_file(details.file_token)
    poll(
        "echo_conf.py to be parsed again",
        lambda: api.get_dag("echo_conf").last_parsed_time,
        lambda parsed: parsed is not None and parsed > details.last_parsed_time,
        timeout=60,
    )
    assert status_of(lambda: v2.DAGParsingApi(v2_client).reparse_dag_file("not-a-token")) in (
        400,
        404,
    )


def test_tasks_of_a_dag(v2: ModuleType, v2_client: Any) -> None:
    api = v2.TaskApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_daily")
    tasks = api.get_tasks("v2_daily", order_by="task_id")
    assert tasks.total_entries == 3
    assert [t.task_id for t in tasks.tasks] == ["grp.left", "grp.right", "start"]
    start = api.get_task("v2_daily", "start")
    assert start.task_id == "start"
    assert sorted(start.downstream_task_ids or []) == ["grp.left", "grp.right"]
    assert start.retries == 0
    assert start.operator_name == "@task"
    mapped = api.get_task("mapped_many", "double")
    assert mapped.is_mapped is True
    assert status_of(lambda: api.get_task("v2_daily", "nope")) == 404


def test_dag_versions(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DagVersionApi(v2_client)
    wait_for_dag(v2, v2_client, "quick_success")
    versions = api.get_dag_versions("quick_success")
    assert versions.total_entries >= 1
    first = versions.dag_versions[0]
    assert first.dag_id == "quick_success"
    assert first.bundle_name == "dags-folder"
    one = api.get_dag_version("quick_success", first.version_number)
    assert (one.id, one.version_number) == (first.id, first.version_number)
    across = api.get_dag_versions("~", limit=100)
    assert "quick_success" in {v.dag_id for v in across.dag_versions}


def test_dag_source_as_json(v2: ModuleType, v2_client: Any) -> None:
    wait_for_dag(v2, v2_client, "quick_success")
    source = v2.DagSourceApi(v2_client).get_dag_source("quick_success")
    assert source.dag_id == "quick_success"
    assert source.version_number is not None
    assert source.version_number >= 1
    assert source.content is not None
    assert 'dag_id="quick_success"' in source.content


def test_import_error_of_a_broken_file(v2: ModuleType, v2_client: Any) -> None:
    """``v2_breakable`` fails to import while the Variable ``v2_break_import`` is set."""
    dags = v2.DAGApi(v2_client)
    variables = v2.VariableApi(v2_client)
    errors = v2.ImportErrorApi(v2_client)
    parsing = v2.DAGParsingApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_breakable")
    file_token = dags.get_dag_details("v2_breakable").file_token
    marker = f"broken-{id(file_token):x}"

    def broken_entries() -> list[Any]:
        found = errors.get_import_errors(filename_pattern="v2_breakable", limit=100)
        return [e for e in found.import_errors if marker in e.stack_trace]

    variables.post_variable(v2.VariableBody(key="v2_break_import", value=marker))
    try:
        parsing.reparse_dag_file(file_token)
        entries = poll("the import error of v2_breakable.py", broken_entries, bool, timeout=90)
        entry = entries[0]
        assert entry.filename == "v2_breakable.py"
        assert entry.bundle_name == "dags-folder"
        assert "RuntimeError" in entry.stack_trace
        one = errors.get_import_error(entry.import_error_id)
        assert (one.import_error_id, one.filename) == (entry.import_error_id, entry.filename)
        assert marker in one.stack_trace
        listed = errors.get_import_errors(limit=100)
        assert entry.import_error_id in {e.import_error_id for e in listed.import_errors}
        assert dags.get_dag("v2_breakable").has_import_errors is True
    finally:
        variables.delete_variable("v2_break_import")
        parsing.reparse_dag_file(file_token)
    poll(
        "the import error of v2_breakable.py to clear",
        lambda: errors.get_import_errors(filename_pattern="v2_breakable").total_entries,
        lambda n: n == 0,
        timeout=90,
    )
    assert value(dags.get_dag("v2_breakable").has_import_errors) is False
