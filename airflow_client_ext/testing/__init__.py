"""A real, throwaway Apache Airflow for tests: a context manager and a pytest plugin.

::

    from airflow_client_ext.testing import AirflowServer

    with AirflowServer("3.3.2", dags_folder="tests/dags") as srv:
        srv.wait_for_dag("quick_success", unpause=True)
        ...  # talk to srv.api_url as srv.username / srv.password

The pytest plugin (``airflow_client_ext.testing.plugin``, registered through the
``pytest11`` entry point) offers the session fixture ``airflow_server``, parametrized by
``--airflow-version`` (default: 2.11.2 and 3.3.2) or pointing at ``--airflow-url``.

Needs the ``testing`` extra (``pip install airflow-client-ext[testing]``). Importing this
package is cheap: the heavy modules load on first use of a name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._errors import AirflowServerError
    from ._venv import AirflowVenv, cache_root, ensure_venv
    from .instance import AirflowInstance, RemoteAirflow
    from .postgres import PostgresServer
    from .server import AirflowServer, airflow_fqdn, free_port

DEFAULT_VERSIONS: tuple[str, ...] = ("2.11.2", "3.3.2")
"""The Airflow versions the plugin starts when ``--airflow-version`` is not given."""

_LAZY = {
    "AirflowServerError": "._errors",
    "AirflowVenv": "._venv",
    "cache_root": "._venv",
    "ensure_venv": "._venv",
    "AirflowInstance": ".instance",
    "AirflowServer": ".server",
    "RemoteAirflow": ".instance",
    "airflow_fqdn": ".server",
    "free_port": ".server",
    "PostgresServer": ".postgres",
}

__all__ = [
    "DEFAULT_VERSIONS",
    "AirflowInstance",
    "AirflowServer",
    "AirflowServerError",
    "AirflowVenv",
    "PostgresServer",
    "RemoteAirflow",
    "airflow_fqdn",
    "cache_root",
    "ensure_venv",
    "free_port",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
