"""``airflow-client-ext``: drive Airflow 2 and 3 from a pipeline or a terminal.

::

    export AIRFLOW_URL=https://airflow.example.com AIRFLOW_USERNAME=ci AIRFLOW_PASSWORD=...
    airflow-client-ext trigger etl --conf '{"day": "2026-01-01"}' --wait --timeout 900
    airflow-client-ext runs etl --state failed --json

Needs the ``cli`` extra (click, rich): ``pip install "airflow-client-ext[cli]"``. Importing
``airflow_client_ext`` never imports this package.

One module per concern: ``_root`` (the root group, its global options, exit codes and
:func:`main`), ``_state`` (:class:`CliState`: options, client, secrets, output), ``_errors``
(error reports), ``_params`` (argument types and parsers), ``_exit`` (exit codes),
``_output`` (JSON, tables, progress); the commands: ``_runs`` (trigger, wait, runs, logs),
``_backfill`` (backfill, pause-/unpause-/cancel-backfill), ``_dags`` (pause, unpause, the
``dags`` group), ``_server`` (health, version), ``_config`` (export, import, migrate),
``_profiles`` (profiles list/add/remove/show, login, logout); the resource groups
``_run_cmds`` (run), ``_tasks`` (tasks), ``_variables``, ``_pools``, ``_connections``,
``_xcom``, ``_server_config`` (config get), ``_completion``; ``_formats``
(-o table|json|yaml|plain) and ``_options`` (--yes, --limit, --show-secrets) serve them.
The root group is defined first; importing the command modules below registers their
commands on it.
"""

from __future__ import annotations

from .. import __version__
from ._errors import LOG_TAIL_LINES, PAUSED_HINT, error_document, report_error, show_usage_error
from ._exit import ExitCode, exit_code_for
from ._output import progress_for
from ._params import (
    DAG_ID,
    DAG_ID_OR_ALL,
    NEW_RUN_ID,
    NOTE,
    RUN_ID,
    RUN_STATES,
    SECONDS,
    TASK_ID,
    URL,
    Checked,
    parse_conf,
    parse_datetime,
    split_states,
)
from ._root import AUTH_SCHEMES, EPILOG, PROG, AirflowCli, cli, main
from ._state import CliState, pass_state

# isort: split
# the commands: each module registers its commands on `cli` when imported
from ._backfill import backfill
from ._config import MIGRATE_KINDS, export_, import_, import_view, migrate_, migrate_view
from ._dags import dags, pause, unpause
from ._profiles import login, logout, profiles
from ._runs import DEFAULT_WAIT_TIMEOUT, follow, logs, newest_first, runs, trigger, wait
from ._server import health, version

# isort: split
# the resource groups (one module each) and shell completion
from ._completion import completion
from ._connections import connections
from ._pools import pools
from ._run_cmds import run_
from ._server_config import config
from ._tasks import tasks
from ._variables import variables
from ._xcom import xcom

__all__ = [
    "AUTH_SCHEMES",
    "DAG_ID",
    "DAG_ID_OR_ALL",
    "DEFAULT_WAIT_TIMEOUT",
    "EPILOG",
    "LOG_TAIL_LINES",
    "MIGRATE_KINDS",
    "NEW_RUN_ID",
    "NOTE",
    "PAUSED_HINT",
    "PROG",
    "RUN_ID",
    "RUN_STATES",
    "SECONDS",
    "TASK_ID",
    "URL",
    "AirflowCli",
    "Checked",
    "CliState",
    "ExitCode",
    "__version__",
    "backfill",
    "cli",
    "completion",
    "config",
    "connections",
    "dags",
    "error_document",
    "exit_code_for",
    "export_",
    "follow",
    "health",
    "import_",
    "import_view",
    "login",
    "logout",
    "logs",
    "main",
    "migrate_",
    "migrate_view",
    "newest_first",
    "parse_conf",
    "parse_datetime",
    "pass_state",
    "pause",
    "pools",
    "profiles",
    "progress_for",
    "report_error",
    "run_",
    "runs",
    "show_usage_error",
    "split_states",
    "tasks",
    "trigger",
    "unpause",
    "variables",
    "version",
    "wait",
    "xcom",
]
