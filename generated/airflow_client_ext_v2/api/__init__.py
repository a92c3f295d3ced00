# flake8: noqa

__all__ = [
    "AssetApi",
    "AssetStateStoreApi",
    "BackfillApi",
    "ConfigApi",
    "ConnectionApi",
    "DAGApi",
    "DAGParsingApi",
    "DagRunApi",
    "DagSourceApi",
    "DagStatsApi",
    "DagVersionApi",
    "DagWarningApi",
    "EventLogApi",
    "ExtraLinksApi",
    "ImportErrorApi",
    "JobApi",
    "LoginApi",
    "MonitorApi",
    "PluginApi",
    "PoolApi",
    "ProviderApi",
    "TaskApi",
    "TaskInstanceApi",
    "TaskStateStoreApi",
    "VariableApi",
    "VersionApi",
    "XComApi",
    "ExperimentalApi",
]

import typing as _typing

if _typing.TYPE_CHECKING:
    # import apis into api package
    from airflow_client_ext_v2.api.asset_api import AssetApi
    from airflow_client_ext_v2.api.asset_state_store_api import AssetStateStoreApi
    from airflow_client_ext_v2.api.backfill_api import BackfillApi
    from airflow_client_ext_v2.api.config_api import ConfigApi
    from airflow_client_ext_v2.api.connection_api import ConnectionApi
    from airflow_client_ext_v2.api.dag_api import DAGApi
    from airflow_client_ext_v2.api.dag_parsing_api import DAGParsingApi
    from airflow_client_ext_v2.api.dag_run_api import DagRunApi
    from airflow_client_ext_v2.api.dag_source_api import DagSourceApi
    from airflow_client_ext_v2.api.dag_stats_api import DagStatsApi
    from airflow_client_ext_v2.api.dag_version_api import DagVersionApi
    from airflow_client_ext_v2.api.dag_warning_api import DagWarningApi
    from airflow_client_ext_v2.api.event_log_api import EventLogApi
    from airflow_client_ext_v2.api.extra_links_api import ExtraLinksApi
    from airflow_client_ext_v2.api.import_error_api import ImportErrorApi
    from airflow_client_ext_v2.api.job_api import JobApi
    from airflow_client_ext_v2.api.login_api import LoginApi
    from airflow_client_ext_v2.api.monitor_api import MonitorApi
    from airflow_client_ext_v2.api.plugin_api import PluginApi
    from airflow_client_ext_v2.api.pool_api import PoolApi
    from airflow_client_ext_v2.api.provider_api import ProviderApi
    from airflow_client_ext_v2.api.task_api import TaskApi
    from airflow_client_ext_v2.api.task_instance_api import TaskInstanceApi
    from airflow_client_ext_v2.api.task_state_store_api import TaskStateStoreApi
    from airflow_client_ext_v2.api.variable_api import VariableApi
    from airflow_client_ext_v2.api.version_api import VersionApi
    from airflow_client_ext_v2.api.x_com_api import XComApi
    from airflow_client_ext_v2.api.experimental_api import ExperimentalApi
    
else:
    from importlib import import_module

    _exports = {
        "AssetApi": ".asset_api",
        "AssetStateStoreApi": ".asset_state_store_api",
        "BackfillApi": ".backfill_api",
        "ConfigApi": ".config_api",
        "ConnectionApi": ".connection_api",
        "DAGApi": ".dag_api",
        "DAGParsingApi": ".dag_parsing_api",
        "DagRunApi": ".dag_run_api",
        "DagSourceApi": ".dag_source_api",
        "DagStatsApi": ".dag_stats_api",
        "DagVersionApi": ".dag_version_api",
        "DagWarningApi": ".dag_warning_api",
        "EventLogApi": ".event_log_api",
        "ExtraLinksApi": ".extra_links_api",
        "ImportErrorApi": ".import_error_api",
        "JobApi": ".job_api",
        "LoginApi": ".login_api",
        "MonitorApi": ".monitor_api",
        "PluginApi": ".plugin_api",
        "PoolApi": ".pool_api",
        "ProviderApi": ".provider_api",
        "TaskApi": ".task_api",
        "TaskInstanceApi": ".task_instance_api",
        "TaskStateStoreApi": ".task_state_store_api",
        "VariableApi": ".variable_api",
        "VersionApi": ".version_api",
        "XComApi": ".x_com_api",
        "ExperimentalApi": ".experimental_api",
    }

    def __getattr__(name: str) -> object:
        if (module_name := _exports.get(name)) is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module_name, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(globals().keys() | _exports.keys())
