"""A read timeout calibrated against the server under test, for the slow-answer faults."""

from __future__ import annotations

import time

from airflow_client_ext import AirflowClient

# Airflow 2 checks the password hash on every basic-auth call: 0.2-2.5 s per request on a
# 2-core machine, and the spread is wide, so a timeout derived from a few quick samples
# alone is not enough; this floor keeps normal answers well inside the timeout.
FLOOR = 3.0


def calibrated_read_timeout(client: AirflowClient, dag_id: str, floor: float = FLOOR) -> float:
    """A read timeout that normal answers of this server stay well under, on this machine."""
    slowest = 0.0
    for _ in range(3):
        started = time.monotonic()
        client.api("DAGApi").get_dag(dag_id)
        slowest = max(slowest, time.monotonic() - started)
    return round(max(floor, 3 * slowest), 2)
