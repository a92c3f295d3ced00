"""airflow-client-ext: one client for Apache Airflow 2 (``/api/v1``) and 3 (``/api/v2``).

::

    from airflow_client_ext import AirflowClient, TokenAuth

    client = AirflowClient("http://localhost:8080", auth=TokenAuth("admin", "admin"))
    client.api_version                      # "v1" or "v2", detected
    client.api("DAGApi").get_dags(limit=5)  # any generated API, with auth and retries

The generated clients live in the top-level packages ``airflow_client_ext_v1`` and
``airflow_client_ext_v2``; this package is the handwritten layer on top. Importing it is
cheap: names load on first use, and no generated module loads before a call needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .auth import Auth, BasicAuth, BearerAuth, HeaderAuth, NoAuth, TokenAuth, WebLoginAuth
    from .client import AirflowClient
    from .errors import (
        DagPausedError,
        DagRunFailedError,
        InvalidResponseError,
        ResponseLimitError,
        WaitTimeoutError,
    )
    from .kerberos import KerberosAuth
    from .migration import MigrationError, MigrationReport, migrate
    from .models import Dag, DagRun, Health, ImportItem, ImportReport, TaskInstance
    from .retry import RetryPolicy

_LAZY = {
    "AirflowClient": ".client",
    "Auth": ".auth",
    "BasicAuth": ".auth",
    "BearerAuth": ".auth",
    "HeaderAuth": ".auth",
    "KerberosAuth": ".kerberos",
    "NoAuth": ".auth",
    "TokenAuth": ".auth",
    "WebLoginAuth": ".auth",
    "migrate": ".migration",
    "MigrationError": ".migration",
    "MigrationReport": ".migration",
    "RetryPolicy": ".retry",
    "Dag": ".models",
    "DagRun": ".models",
    "Health": ".models",
    "ImportItem": ".models",
    "ImportReport": ".models",
    "TaskInstance": ".models",
    "DagPausedError": ".errors",
    "DagRunFailedError": ".errors",
    "InvalidResponseError": ".errors",
    "ResponseLimitError": ".errors",
    "WaitTimeoutError": ".errors",
}

__all__ = [
    "AirflowClient",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "Dag",
    "DagPausedError",
    "DagRun",
    "DagRunFailedError",
    "HeaderAuth",
    "Health",
    "ImportItem",
    "ImportReport",
    "InvalidResponseError",
    "KerberosAuth",
    "MigrationError",
    "MigrationReport",
    "NoAuth",
    "ResponseLimitError",
    "RetryPolicy",
    "TaskInstance",
    "TokenAuth",
    "WaitTimeoutError",
    "WebLoginAuth",
    "__version__",
    "migrate",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
