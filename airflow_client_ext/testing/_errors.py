"""Errors of the test harness."""

from __future__ import annotations


class AirflowServerError(RuntimeError):
    """Starting, talking to or stopping a throwaway Airflow failed.

    The message names the Airflow version and, for a failed start, shows the tail of each
    process's log file.
    """
