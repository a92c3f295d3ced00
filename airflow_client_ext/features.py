"""What each Airflow version can do: ONE table, feature -> first version that has it.

Every "does this server have X" question of the client is answered here, from the server
version the client detected (``GET /api/vN/version``), before a request is sent; never by
sending the call and reading a 404 or a 422. A call that needs a feature the server lacks
raises :class:`~airflow_client_ext.errors.UnsupportedFeatureError` naming the feature and
the first version that has it::

    client.supports("wait_stream")          # False on 3.0.6
    client.require("cursor_paging")         # raises on 3.1.8: "... since Airflow 3.2.2"

The first versions come from the public changelogs and from the specs of every supported
minor (``openapi/``), and are proven by the matrix suite (``make matrix``) on the latest
patch of each minor; ``docs/compatibility.md`` is that run's table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UnsupportedFeatureError

#: The versions the client is proven on: the oldest and newest supported releases.
SUPPORTED_RANGE = ("2.8.0", "3.3.x")


@dataclass(frozen=True)
class Feature:
    """A capability of the server: on which major, since which version, what it is."""

    name: str
    major: int
    since: str
    summary: str
    #: what the client does on a server without it (shown in the compatibility table)
    otherwise: str


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        # -- Airflow 2 (/api/v1) -------------------------------------------------------------
        Feature(
            "pool_include_deferred", 2, "2.7.0",
            "pools count deferred tasks as occupying slots (include_deferred)",
            "the field is left out of exports and pool writes",
        ),
        Feature(
            "session_auth", 2, "2.0.0",
            "the session auth backend (a login cookie for /api/v1)",
            "basic auth on every request",
        ),
        # -- Airflow 3 (/api/v2) -------------------------------------------------------------
        Feature(
            "backfill_api", 3, "3.0.0",
            "the backfill API (create, dry run, list, pause, unpause, cancel)",
            "Airflow 2 has no backfill API",
        ),
        Feature(
            "bulk_variables_pools_connections", 3, "3.0.0",
            "PATCH /variables, /pools, /connections bulk bodies (action_on_existence)",
            "one request per item",
        ),
        Feature(
            "wait_stream", 3, "3.1.0",
            "GET /dags/{dag_id}/dagRuns/{run_id}/wait: the run's state as an NDJSON stream",
            "waits poll the run",
        ),
        Feature(
            "hitl", 3, "3.1.0",
            "human-in-the-loop details of tasks waiting for an answer",
            "not available",
        ),
        Feature(
            "backfill_run_on_latest_version", 3, "3.1.6",
            "backfills that run on the DAG's latest version (run_on_latest_version)",
            "backfills run on the version of each run",
        ),
        Feature(
            "cursor_paging", 3, "3.2.2",
            "cursor paging of DAG runs and task instances (cursor / next_cursor)",
            "offset paging",
        ),
        Feature(
            "bulk_dag_runs", 3, "3.3.0",
            "bulk delete and mark of DAG runs",
            "one request per run",
        ),
        Feature(
            "run_id_prefix_pattern", 3, "3.3.0",
            "server-side filter of DAG runs by run id prefix (run_id_prefix_pattern)",
            "the prefix is filtered on the client",
        ),
    )
}  # fmt: skip


def version_tuple(version: str) -> tuple[int, ...]:
    """``"3.1.0rc1"`` -> ``(3, 1, 0)``: the leading numbers of a version string."""
    numbers = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
    return tuple(numbers)


def feature(name: str) -> Feature:
    """The table's entry for ``name``; a clear error for a name it does not have."""
    try:
        return FEATURES[name]
    except KeyError:
        known = ", ".join(sorted(FEATURES))
        raise ValueError(f"unknown feature {name!r}; the table has: {known}") from None


def supports(server_version: str, name: str) -> bool:
    """Whether a server reporting ``server_version`` has the feature ``name``."""
    entry = feature(name)
    found = version_tuple(server_version)
    if not found or found[0] != entry.major:
        return False
    return found >= version_tuple(entry.since)


def require(server_version: str, name: str, *, action: str = "") -> None:
    """Raise :class:`UnsupportedFeatureError` unless the server has the feature ``name``.

    ``action`` names what the caller was doing, for the message (``"wait on the /wait
    stream"`` reads "Airflow 3.0.6 cannot wait on the /wait stream: ...").
    """
    if supports(server_version, name):
        return
    entry = feature(name)
    head = f"Airflow {server_version} cannot {action}" if action else f"Airflow {server_version}"
    major = version_tuple(server_version)[:1]
    since: str | None
    if major and major[0] != entry.major:
        message = (
            f"{head}: {entry.summary} ({name}) exists only on Airflow {entry.major}, "
            f"since {entry.since}"
        )
        since = None
    else:
        message = (
            f"{head}: {entry.summary} ({name}) needs Airflow {entry.since} or later; "
            f"upgrade the server, or do without it ({entry.otherwise})"
        )
        since = entry.since
    raise UnsupportedFeatureError(message, feature=name, since=since, server_version=server_version)
