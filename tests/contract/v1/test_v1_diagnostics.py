"""Event logs, import errors and DAG warnings on Airflow 2 (``/api/v1``)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from v1_support import DagFiles, poll


def test_event_logs_of_a_run(v1: ModuleType, v1_client: Any, quick_success_run: Any) -> None:
    api = v1.EventLogApi(v1_client)
    run_id = quick_success_run.dag_run_id
    successes = api.get_event_logs(dag_id="quick_success", run_id=run_id, event="success")
    assert sorted(e.task_id for e in successes.event_logs) == ["first", "second"]
    assert successes.total_entries == 2
    for entry in successes.event_logs:
        assert (entry.dag_id, entry.run_id, entry.event) == ("quick_success", run_id, "success")
        assert entry.try_number == 1
        assert entry.when is not None

    one = successes.event_logs[0]
    fetched = api.get_event_log(one.event_log_id)
    assert (fetched.event_log_id, fetched.task_id, fetched.when) == (
        one.event_log_id,
        one.task_id,
        one.when,
    )

    of_first = api.get_event_logs(
        dag_id="quick_success",
        task_id="first",
        run_id=run_id,
        included_events="running,success",
        order_by="when",
    )
    assert [e.event for e in of_first.event_logs] == ["running", "success"]
    without_running = api.get_event_logs(
        dag_id="quick_success", run_id=run_id, excluded_events="running", limit=100
    )
    assert "running" not in {e.event for e in without_running.event_logs}
    assert {"success"} <= {e.event for e in without_running.event_logs}


def test_event_log_not_found(v1: ModuleType, v1_client: Any) -> None:
    with pytest.raises(v1.ApiException) as caught:
        v1.EventLogApi(v1_client).get_event_log(2**31 - 1)
    assert caught.value.status == 404


def test_import_errors_show_the_broken_file(
    v1: ModuleType, v1_client: Any, extra_dags: DagFiles
) -> None:
    api = v1.ImportErrorApi(v1_client)
    name = extra_dags.broken.name

    def ours() -> list[Any]:
        errors = api.get_import_errors(limit=100, order_by="-timestamp").import_errors
        return [e for e in errors if Path(e.filename).name == name]

    (error,) = poll(f"the import error of {name}", ours, bool, timeout=240)
    assert "RuntimeError: broken on purpose" in error.stack_trace
    assert error.timestamp

    fetched = api.get_import_error(error.import_error_id)
    assert (fetched.filename, fetched.stack_trace) == (error.filename, error.stack_trace)

    with pytest.raises(v1.ApiException) as caught:
        api.get_import_error(2**31 - 1)
    assert caught.value.status == 404


def test_dag_warnings_report_a_missing_pool(
    v1: ModuleType, v1_client: Any, extra_dags: DagFiles
) -> None:
    api = v1.DagWarningApi(v1_client)
    dag_id = extra_dags.warning_dag_id
    warnings = poll(
        f"the DAG warning of {dag_id}",
        lambda: api.get_dag_warnings(dag_id=dag_id).dag_warnings,
        bool,
        timeout=240,
    )
    (warning,) = warnings
    assert warning.warning_type == "non-existent pool"
    assert extra_dags.missing_pool in warning.message
    assert warning.timestamp

    by_type = api.get_dag_warnings(warning_type="non-existent pool", limit=100)
    assert dag_id in {w.dag_id for w in by_type.dag_warnings}
    assert by_type.total_entries >= 1
