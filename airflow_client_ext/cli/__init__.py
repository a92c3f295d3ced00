"""``airflow-client-ext``: drive Airflow 2 and 3 from a pipeline or a terminal.

::

    export AIRFLOW_URL=https://airflow.example.com AIRFLOW_USERNAME=ci AIRFLOW_PASSWORD=...
    airflow-client-ext trigger etl --conf '{"day": "2026-01-01"}' --wait --timeout 900
    airflow-client-ext runs etl --state failed --json

Needs the ``cli`` extra (click, rich): ``pip install "airflow-client-ext[cli]"``. Importing
``airflow_client_ext`` never imports this package.

The group and its commands live in ``_root``; ``_exit`` holds the exit codes, ``_output``
the JSON, tables and progress.
"""

from __future__ import annotations

from .. import __version__
from ._exit import ExitCode, exit_code_for
from ._output import progress_for
from ._root import (
    AUTH_SCHEMES,
    DAG_ID,
    DAG_ID_OR_ALL,
    DEFAULT_WAIT_TIMEOUT,
    EPILOG,
    LOG_TAIL_LINES,
    MIGRATE_KINDS,
    NEW_RUN_ID,
    NOTE,
    PAUSED_HINT,
    PROG,
    RUN_ID,
    RUN_STATES,
    SECONDS,
    TASK_ID,
    URL,
    AirflowCli,
    Checked,
    CliState,
    cli,
    error_document,
    export_,
    follow,
    health,
    import_,
    import_view,
    logs,
    main,
    migrate_,
    migrate_view,
    newest_first,
    parse_conf,
    parse_datetime,
    pass_state,
    pause,
    report_error,
    runs,
    show_usage_error,
    split_states,
    trigger,
    unpause,
    version,
    wait,
)

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
    "cli",
    "error_document",
    "exit_code_for",
    "export_",
    "follow",
    "health",
    "import_",
    "import_view",
    "logs",
    "main",
    "migrate_",
    "migrate_view",
    "newest_first",
    "parse_conf",
    "parse_datetime",
    "pass_state",
    "pause",
    "progress_for",
    "report_error",
    "runs",
    "show_usage_error",
    "split_states",
    "trigger",
    "unpause",
    "version",
    "wait",
]
