"""Monitoring, version, config, plugins, providers and DAG stats on Airflow 2 (``/api/v1``)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from airflow_client_ext.testing import AirflowInstance


def test_health_reports_every_component_healthy(v1: ModuleType, v1_client: Any) -> None:
    health = v1.MonitoringApi(v1_client).get_health()
    assert health.metadatabase.status.value == "healthy"
    assert health.scheduler.status.value == "healthy"
    assert health.scheduler.latest_scheduler_heartbeat is not None


def test_version_is_the_servers(
    v1: ModuleType, v1_client: Any, airflow_server: AirflowInstance
) -> None:
    version = v1.MonitoringApi(v1_client).get_version()
    assert version.version == airflow_server.version
    assert airflow_server.version.startswith("2.")


def test_plugins_list_is_consistent(v1: ModuleType, v1_client: Any) -> None:
    plugins = v1.PluginApi(v1_client).get_plugins(limit=100)
    assert plugins.total_entries == len(plugins.plugins)
    for plugin in plugins.plugins:
        assert plugin.name


def test_providers_include_the_preinstalled_ones(v1: ModuleType, v1_client: Any) -> None:
    providers = v1.ProviderApi(v1_client).get_providers()
    names = {p.package_name for p in providers.providers}
    assert providers.total_entries == len(providers.providers)
    # apache-airflow 2.11 installs these providers with the core
    assert {"apache-airflow-providers-http", "apache-airflow-providers-sqlite"} <= names
    for provider in providers.providers:
        assert provider.version
        assert provider.description is not None


def test_dag_stats_count_runs_by_state(
    v1: ModuleType, v1_client: Any, quick_success_run: Any
) -> None:
    stats = v1.DagStatsApi(v1_client).get_dag_stats(dag_ids="quick_success")
    assert stats.total_entries == 1
    (entry,) = stats.dags
    assert entry.dag_id == "quick_success"
    by_state = {s.state: s.count for s in entry.stats}
    assert set(by_state) >= {"queued", "running", "success", "failed"}
    assert by_state["success"] >= 1


def test_config_is_exposed_only_when_configured(v1: ModuleType, v1_client: Any) -> None:
    """``[webserver] expose_config`` is False by default (the harness's servers): 403. A
    server that exposes its config (``--airflow-url``) answers it section by section.
    """
    api = v1.ConfigApi(v1_client)
    probe = api.get_config_without_preload_content(section="core")
    if probe.status == 403:
        assert "chose not to expose the configuration" in probe.data.decode()
        for call in (api.get_config, lambda: api.get_value("core", "dags_folder")):
            with pytest.raises(v1.ApiException) as caught:
                call()
            assert caught.value.status == 403
        return
    assert probe.status == 200
    config = api.get_config()
    sections = {s.name: {o.key: o.value for o in s.options} for s in config.sections}
    assert "dags_folder" in sections["core"]
    core = api.get_config(section="core")
    assert [s.name for s in core.sections] == ["core"]
    value = api.get_value("core", "dags_folder")
    ((section,),) = [value.sections]
    assert (section.name, section.options[0].key) == ("core", "dags_folder")
    assert section.options[0].value == sections["core"]["dags_folder"]
