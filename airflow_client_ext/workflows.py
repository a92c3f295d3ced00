"""The workflows people script against Airflow, the same on Airflow 2 and 3.

:class:`Workflows` is a mixin of :class:`~airflow_client_ext.client.AirflowClient`::

    run = client.trigger("etl", conf={"day": "2026-01-01"})
    run = client.wait("etl", run.run_id, timeout=600, on_update=print)
    run = client.trigger_and_wait("etl", conf={...}, timeout=600)   # raises if it fails
    for ti in client.iter_task_instances("etl", run.run_id): ...
    print(client.task_log("etl", run.run_id, "extract"))
    doc = client.export_config(); report = other.import_config(doc)

Every call goes through the client's transport (auth, retries, typed errors). Results are
the version-neutral types of :mod:`airflow_client_ext.models`; the Airflow 2/3 differences
are mapped by the adapters of :mod:`airflow_client_ext._versions`.

The methods are grouped by concept, one mixin per module, composed here: listings in
:mod:`~airflow_client_ext._paging`, DAGs and health in :mod:`~airflow_client_ext._dags`,
runs (trigger, wait, logs) in :mod:`~airflow_client_ext._runs`, backfills in
:mod:`~airflow_client_ext._backfill`, export/import of
configuration in :mod:`~airflow_client_ext._config_io`, variables, pools and connections one
by one in :mod:`~airflow_client_ext._settings`, DAG, run and task instance changes in
:mod:`~airflow_client_ext._admin`, XComs and configuration in
:mod:`~airflow_client_ext._inspect`, the plumbing they share in
:mod:`~airflow_client_ext._workflow_base`. Every name stays importable from here.
"""

from __future__ import annotations

from ._admin import _AdminWorkflows
from ._backfill import _BackfillWorkflows
from ._checks import RUN_ID_PATTERN, check_conf
from ._config_io import _KINDS as _KINDS
from ._config_io import IMPORT_MODES, _ConfigWorkflows
from ._config_io import _desired as _desired
from ._config_io import _differing as _differing
from ._config_io import _normal as _normal
from ._dags import _DagWorkflows
from ._inspect import _InspectWorkflows
from ._paging import PAGE_SIZE
from ._paging import _list_field as _list_field
from ._runs import (
    LOG_TAIL_CHARS,
    LOG_TAIL_LINES,
    NdjsonDecoder,
    OnUpdate,
    _RunWorkflows,
    check_logical_date,
    check_run_id,
    headline,
    log_tail,
    new_run_id,
)
from ._settings import _SettingsWorkflows
from ._workflow_base import PollSchedule


class Workflows(
    _BackfillWorkflows,
    _RunWorkflows,
    _DagWorkflows,
    _ConfigWorkflows,
    _SettingsWorkflows,
    _AdminWorkflows,
    _InspectWorkflows,
):
    """Workflows of :class:`~airflow_client_ext.client.AirflowClient` (a mixin).

    Timing knobs (class attributes; set them on an instance to change one client):
    ``poll_initial``/``poll_factor``/``poll_cap`` (seconds between polls: 0.5 growing x1.5
    to 5), ``poll_fast_cap``/``poll_fast_for`` (at most 0.75 s between polls during the
    first 60 s of a wait, so that a quick run is seen within a second of its end),
    ``wait_stream_interval`` (seconds between the server's checks on ``/wait``: 0.2).
    """


__all__ = [
    "IMPORT_MODES",
    "LOG_TAIL_CHARS",
    "LOG_TAIL_LINES",
    "PAGE_SIZE",
    "RUN_ID_PATTERN",
    "NdjsonDecoder",
    "OnUpdate",
    "PollSchedule",
    "Workflows",
    "check_conf",
    "check_logical_date",
    "check_run_id",
    "headline",
    "log_tail",
    "new_run_id",
]
