"""The workflows people script against Airflow (moved to :mod:`airflow_client_ext._runs`;
split by concept in the next commit). Every name stays importable from here."""

from __future__ import annotations

from ._runs import _KINDS as _KINDS
from ._runs import (
    IMPORT_MODES,
    LOG_TAIL_CHARS,
    LOG_TAIL_LINES,
    PAGE_SIZE,
    RUN_ID_PATTERN,
    NdjsonDecoder,
    OnUpdate,
    PollSchedule,
    Workflows,
    check_conf,
    check_logical_date,
    check_run_id,
    headline,
    log_tail,
    new_run_id,
)
from ._runs import _desired as _desired
from ._runs import _differing as _differing
from ._runs import _list_field as _list_field
from ._runs import _normal as _normal

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
