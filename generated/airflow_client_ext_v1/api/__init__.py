# flake8: noqa

__all__ = [
    "ConfigApi",
    "ConnectionApi",
    "DAGApi",
    "DAGRunApi",
    "DagStatsApi",
    "DagWarningApi",
    "DatasetApi",
    "EventLogApi",
    "ImportErrorApi",
    "MonitoringApi",
    "PermissionApi",
    "PluginApi",
    "PoolApi",
    "ProviderApi",
    "RoleApi",
    "TaskInstanceApi",
    "UserApi",
    "VariableApi",
    "XComApi",
]

import typing as _typing

if _typing.TYPE_CHECKING:
    # import apis into api package
    from airflow_client_ext_v1.api.config_api import ConfigApi
    from airflow_client_ext_v1.api.connection_api import ConnectionApi
    from airflow_client_ext_v1.api.dag_api import DAGApi
    from airflow_client_ext_v1.api.dag_run_api import DAGRunApi
    from airflow_client_ext_v1.api.dag_stats_api import DagStatsApi
    from airflow_client_ext_v1.api.dag_warning_api import DagWarningApi
    from airflow_client_ext_v1.api.dataset_api import DatasetApi
    from airflow_client_ext_v1.api.event_log_api import EventLogApi
    from airflow_client_ext_v1.api.import_error_api import ImportErrorApi
    from airflow_client_ext_v1.api.monitoring_api import MonitoringApi
    from airflow_client_ext_v1.api.permission_api import PermissionApi
    from airflow_client_ext_v1.api.plugin_api import PluginApi
    from airflow_client_ext_v1.api.pool_api import PoolApi
    from airflow_client_ext_v1.api.provider_api import ProviderApi
    from airflow_client_ext_v1.api.role_api import RoleApi
    from airflow_client_ext_v1.api.task_instance_api import TaskInstanceApi
    from airflow_client_ext_v1.api.user_api import UserApi
    from airflow_client_ext_v1.api.variable_api import VariableApi
    from airflow_client_ext_v1.api.x_com_api import XComApi
    
else:
    from importlib import import_module

    _exports = {
        "ConfigApi": ".config_api",
        "ConnectionApi": ".connection_api",
        "DAGApi": ".dag_api",
        "DAGRunApi": ".dag_run_api",
        "DagStatsApi": ".dag_stats_api",
        "DagWarningApi": ".dag_warning_api",
        "DatasetApi": ".dataset_api",
        "EventLogApi": ".event_log_api",
        "ImportErrorApi": ".import_error_api",
        "MonitoringApi": ".monitoring_api",
        "PermissionApi": ".permission_api",
        "PluginApi": ".plugin_api",
        "PoolApi": ".pool_api",
        "ProviderApi": ".provider_api",
        "RoleApi": ".role_api",
        "TaskInstanceApi": ".task_instance_api",
        "UserApi": ".user_api",
        "VariableApi": ".variable_api",
        "XComApi": ".x_com_api",
    }

    def __getattr__(name: str) -> object:
        if (module_name := _exports.get(name)) is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module_name, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(globals().keys() | _exports.keys())
