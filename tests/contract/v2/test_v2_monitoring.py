"""Server-wide read-only endpoints: health, version, plugins, providers, jobs, config, auth,
DAG stats, tags, warnings and event logs."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from v2_support import status_of, value, wait_for_dag

from airflow_client_ext.testing import AirflowInstance
from airflow_client_ext.testing.server import fetch_token

pytestmark = pytest.mark.contract


def test_health_reports_every_component(v2: ModuleType, v2_client: Any) -> None:
    health = v2.MonitorApi(v2_client).get_health()
    assert health.metadatabase.status == "healthy"
    assert health.scheduler.status == "healthy"
    assert health.scheduler.latest_scheduler_heartbeat is not None
    assert health.dag_processor is not None
    assert health.dag_processor.status == "healthy"
    # the harness starts no triggerer: Airflow reports it with null fields
    assert health.triggerer is not None


def test_version_matches_the_server(
    v2: ModuleType, v2_client: Any, airflow_server: AirflowInstance
) -> None:
    info = v2.VersionApi(v2_client).get_version()
    assert info.version == airflow_server.version
    assert info.version.startswith("3.")


def test_plugins_and_plugin_import_errors(v2: ModuleType, v2_client: Any) -> None:
    api = v2.PluginApi(v2_client)
    plugins = api.get_plugins(limit=100)
    assert plugins.total_entries == len(plugins.plugins)
    errors = api.import_errors()
    assert errors.total_entries == len(errors.import_errors) == 0


def test_providers_include_the_standard_provider(v2: ModuleType, v2_client: Any) -> None:
    providers = v2.ProviderApi(v2_client).get_providers(limit=100)
    names = {p.package_name: p for p in providers.providers}
    assert providers.total_entries == len(providers.providers)
    standard = names["apache-airflow-providers-standard"]
    assert standard.version[0].isdigit()
    assert standard.description


def test_jobs_show_a_live_scheduler_and_dag_processor(v2: ModuleType, v2_client: Any) -> None:
    api = v2.JobApi(v2_client)
    schedulers = api.get_jobs(job_type="SchedulerJob", is_alive=True)
    assert schedulers.total_entries >= 1
    job = schedulers.jobs[0]
    assert job.job_type == "SchedulerJob"
    assert job.state == "running"
    assert job.latest_heartbeat is not None
    processors = api.get_jobs(job_type="DagProcessorJob", is_alive=True)
    assert {j.job_type for j in processors.jobs} == {"DagProcessorJob"}


def test_config_is_exposed_only_when_configured(v2: ModuleType, v2_client: Any) -> None:
    """403 unless ``[api] expose_config`` is on (it is off on the harness's servers)."""
    api = v2.ConfigApi(v2_client)
    refused = None
    try:
        config = api.get_config(section="core")
    except v2.ApiException as exc:
        refused = exc
    if refused is not None:
        assert refused.status == 403
        assert "not to expose the configuration" in str(refused.body)
        assert status_of(lambda: api.get_config_value("core", "parallelism")) == 403
        return
    assert [s.name for s in config.sections] == ["core"]
    options = {o.key: o.value.actual_instance for o in config.sections[0].options}
    assert "dags_folder" in options
    one = api.get_config_value("core", "parallelism")
    [option] = one.sections[0].options
    assert option.key == "parallelism"
    assert option.value.actual_instance == options["parallelism"]


def test_login_redirects_to_the_auth_managers_login_page(v2: ModuleType, v2_client: Any) -> None:
    # 307 to the simple auth manager's page, which the client follows: an HTML page
    response = v2.LoginApi(v2_client).login_with_http_info()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in str(response.data).lower()


def test_logout_revokes_the_token_it_was_called_with(
    v2: ModuleType, v2_client: Any, airflow_server: AirflowInstance
) -> None:
    # a token of its own: logging out the session's token would break the other tests
    token = fetch_token(airflow_server.url, airflow_server.username, airflow_server.password)
    auth = {"in": "header", "type": "bearer", "key": "Authorization", "value": f"Bearer {token}"}
    dags = v2.DAGApi(v2_client)
    assert dags.get_dags(limit=1, _request_auth=auth).total_entries >= 1
    response = v2.LoginApi(v2_client).logout_with_http_info(_request_auth=auth)
    assert response.status_code == 200  # the redirect to the login page, followed
    with pytest.raises(v2.ApiException) as info:
        dags.get_dags(limit=1, _request_auth=auth)
    assert info.value.status == 403  # a revoked token is "invalid" (403), not missing (401)
    assert "Invalid JWT token" in str(info.value.body)
    assert dags.get_dags(limit=1).total_entries >= 1  # the session's token still works


def test_dag_stats_count_runs_by_state(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    stats = v2.DagStatsApi(v2_client).get_dag_stats(dag_ids=["quick_success"])
    assert [d.dag_id for d in stats.dags] == ["quick_success"]
    by_state = {value(s.state): s.count for s in stats.dags[0].stats}
    assert set(by_state) >= {"queued", "running", "success", "failed"}
    assert by_state["success"] >= 1


def test_dag_tags_list_and_filter(v2: ModuleType, v2_client: Any) -> None:
    api = v2.DAGApi(v2_client)
    wait_for_dag(v2, v2_client, "v2_daily")
    tags = api.get_dag_tags(limit=100)
    assert {"airflow-client-ext", "v2", "daily"} <= set(tags.tags)
    assert tags.total_entries == len(tags.tags)
    only = api.get_dag_tags(tag_name_pattern="dail")
    assert only.tags == ["daily"]


def test_dag_warning_for_a_runtime_varying_value(v2: ModuleType, v2_client: Any) -> None:
    wait_for_dag(v2, v2_client, "v2_warned")
    api = v2.DagWarningApi(v2_client)
    warnings = api.list_dag_warnings(dag_id="v2_warned")
    assert warnings.total_entries == 1
    warning = warnings.dag_warnings[0]
    assert warning.dag_id == "v2_warned"
    assert warning.warning_type == v2.DagWarningType.RUNTIME_VARYING_VALUE
    assert "datetime.datetime.now()" in warning.message
    typed = api.list_dag_warnings(warning_type=v2.DagWarningType.RUNTIME_VARYING_VALUE)
    assert "v2_warned" in {w.dag_id for w in typed.dag_warnings}


def test_event_logs_record_api_actions(v2: ModuleType, v2_client: Any, quick_run: Any) -> None:
    api = v2.EventLogApi(v2_client)
    logs = api.get_event_logs(dag_id="quick_success", run_id=quick_run.dag_run_id, limit=100)
    assert logs.total_entries >= 1
    assert all(e.dag_id == "quick_success" for e in logs.event_logs)
    first = logs.event_logs[0]
    again = api.get_event_log(first.event_log_id)
    assert again.event_log_id == first.event_log_id
    assert again.event == first.event
    assert again.when == first.when
    triggers = api.get_event_logs(dag_id="quick_success", event="trigger_dag_run", limit=100)
    assert triggers.total_entries >= 1
    assert {e.event for e in triggers.event_logs} == {"trigger_dag_run"}
