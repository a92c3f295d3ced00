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

from ._checks import check_feature
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
    #: the spec operations ("METHOD path" as the generated client sends them) that only
    #: servers with the feature have: a call of one through ``client.api(...)`` on an older
    #: server raises before anything is sent
    operations: tuple[str, ...] = ()


_TI = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}"
_TI3 = "/api/v2" + _TI

FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        # -- Airflow 2 (/api/v1) -------------------------------------------------------------
        Feature(
            "session_auth", 2, "2.0.0",
            "the session auth backend (a login cookie for /api/v1)",
            "basic auth on every request",
        ),
        Feature(
            "pool_include_deferred", 2, "2.7.0",
            "pools count deferred tasks as occupying slots (include_deferred)",
            "the field is left out of exports and pool writes",
        ),
        Feature(
            "dataset_queued_events", 2, "2.9.0",
            "the queued dataset events of a DAG or a dataset (get and delete)",
            "not available",
            operations=(
                "GET /dags/{dag_id}/datasets/queuedEvent",
                "DELETE /dags/{dag_id}/datasets/queuedEvent",
                "GET /dags/{dag_id}/datasets/queuedEvent/{uri}",
                "DELETE /dags/{dag_id}/datasets/queuedEvent/{uri}",
                "GET /datasets/queuedEvent/{uri}",
                "DELETE /datasets/queuedEvent/{uri}",
            ),
        ),
        Feature(
            "create_dataset_event", 2, "2.9.0",
            "creating a dataset event through the API (POST /datasets/events)",
            "not available",
            operations=("POST /datasets/events",),
        ),
        Feature(
            "task_instance_tries", 2, "2.10.0",
            "the history of a task instance's tries",
            "only the latest try (the task instance itself)",
            operations=(
                f"GET {_TI}/tries",
                f"GET {_TI}/tries/{{task_try_number}}",
                f"GET {_TI}/{{map_index}}/tries",
                f"GET {_TI}/{{map_index}}/tries/{{task_try_number}}",
            ),
        ),
        Feature(
            "task_instance_dependencies", 2, "2.10.0",
            "why a task instance is not running (its unmet dependencies)",
            "not available",
            operations=(f"GET {_TI}/dependencies", f"GET {_TI}/{{map_index}}/dependencies"),
        ),
        Feature(
            "reparse_dag_file", 2, "2.10.0",
            "asking the server to parse a DAG file again (PUT /parseDagFile)",
            "wait for the next parse",
            operations=("PUT /parseDagFile/{file_token}",),
        ),
        Feature(
            "trigger_data_interval", 2, "2.9.0",
            "a triggered run's data interval set by the caller (data_interval_start/end)",
            "the server gives a triggered run the interval that ends at its logical date",
        ),
        Feature(
            "dag_stats", 2, "2.10.0",
            "run counts by state per DAG (GET /dagStats)",
            "count the runs from the run listing",
            operations=("GET /dagStats",),
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
            operations=("GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/wait",),
        ),
        Feature(
            "hitl", 3, "3.1.0",
            "human-in-the-loop details of tasks waiting for an answer",
            "not available",
            operations=(
                "GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails",
                f"GET {_TI3}/{{map_index}}/hitlDetails",
                f"PATCH {_TI3}/{{map_index}}/hitlDetails",
            ),
        ),
        Feature(
            "task_instance_delete_and_bulk", 3, "3.1.0",
            "deleting a task instance, and bulk task instance updates",
            "not available",
            operations=(
                f"DELETE {_TI3}",
                "PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances",
            ),
        ),
        Feature(
            "favorite_dags", 3, "3.1.0",
            "marking DAGs as a user's favorites",
            "not available",
            operations=(
                "POST /api/v2/dags/{dag_id}/favorite",
                "POST /api/v2/dags/{dag_id}/unfavorite",
            ),
        ),
        Feature(
            "plugin_import_errors", 3, "3.1.0",
            "the import errors of plugins",
            "not available",
            operations=("GET /api/v2/plugins/importErrors",),
        ),
        Feature(
            "external_log_url", 3, "3.1.0",
            "the URL of a task's log in an external log service",
            "not available",
            operations=(f"GET {_TI3}/externalLogUrl/{{try_number}}",),
        ),
        Feature(
            "backfill_run_on_latest_version", 3, "3.1.6",
            "backfills that run on the DAG's latest version (run_on_latest_version)",
            "backfills run on the version of each run",
        ),
        Feature(
            "hitl_tries", 3, "3.2.0",
            "the human-in-the-loop details of an earlier try",
            "only the latest try's",
            operations=(f"GET {_TI3}/{{map_index}}/hitlDetails/tries/{{try_number}}",),
        ),
        Feature(
            "bulk_update_mask", 3, "3.2.0",
            "bulk updates of variables and pools limited to named fields (update_mask)",
            "a bulk update writes every field it sends: the item merged with the server's",
        ),
        Feature(
            "delete_xcom", 3, "3.2.0",
            "deleting an XCom entry",
            "not available",
            operations=(f"DELETE {_TI3}/xcomEntries/{{xcom_key}}",),
        ),
        Feature(
            "cursor_paging", 3, "3.2.2",
            "cursor paging of DAG runs and task instances (cursor / next_cursor)",
            "offset paging",
        ),
        Feature(
            "cursor_paging_ordered", 3, "3.3.0",
            "cursor paging with order_by (3.2.2 answers 500 to order_by=-run_after with a "
            "cursor, airflow issue 67970)",
            "offset paging when order_by is given",
        ),
        Feature(
            "bulk_dag_runs", 3, "3.3.0",
            "bulk delete and mark of DAG runs",
            "one request per run",
            operations=("PATCH /api/v2/dags/{dag_id}/dagRuns",),
        ),
        Feature(
            "clear_dag_runs", 3, "3.3.0",
            "clearing many runs (or partitions) of a DAG in one call",
            "one clear per run",
            operations=(
                "POST /api/v2/dags/{dag_id}/clearDagRuns",
                "POST /api/v2/dags/{dag_id}/clearPartitions",
            ),
        ),
        Feature(
            "run_id_prefix_pattern", 3, "3.3.0",
            "server-side filter of DAG runs by run id prefix (run_id_prefix_pattern)",
            "the prefix is filtered on the client",
        ),
        Feature(
            "connection_test_queue", 3, "3.3.0",
            "testing a connection on a worker (enqueue-test)",
            "test on the API server (POST /connections/test), where enabled",
            operations=(
                "GET /api/v2/connections/enqueue-test",
                "POST /api/v2/connections/enqueue-test",
            ),
        ),
        Feature(
            "state_stores", 3, "3.3.0",
            "the state stores of assets and task instances",
            "not available",
            operations=tuple(
                f"{method} {path}"
                for path, methods in (
                    ("/api/v2/assets/{asset_id}/state-store", ("GET", "DELETE")),
                    ("/api/v2/assets/{asset_id}/state-store/{key}", ("GET", "PUT", "DELETE")),
                    (f"{_TI3}/state-store", ("GET", "DELETE")),
                    (f"{_TI3}/state-store/{{key}}", ("GET", "PUT", "PATCH", "DELETE")),
                )
                for method in methods
            ),
        ),
        Feature(
            "task_group_instances", 3, "3.3.0",
            "updating the task instances of a task group at once (with a dry run)",
            "update each task instance",
            operations=(
                "PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskGroupInstances/{group_id}",
                "PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskGroupInstances/{group_id}"
                "/dry_run",
            ),
        ),
    )
}  # fmt: skip

#: "METHOD path" of a gated operation -> its feature
OPERATIONS: dict[str, str] = {op: f.name for f in FEATURES.values() for op in f.operations}


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
    return FEATURES[check_feature(name, FEATURES)]


def supports(server_version: str, name: str) -> bool:
    """Whether a server reporting ``server_version`` has the feature ``name``."""
    entry = feature(name)
    found = version_tuple(server_version)
    if not found or found[0] != entry.major:
        return False
    return found >= version_tuple(entry.since)


def require_operation(server_version: str, method: str, path: str) -> None:
    """Raise :class:`UnsupportedFeatureError` if the operation ``method path`` (the path
    template the generated client fills) belongs to a feature the server lacks."""
    name = OPERATIONS.get(f"{method.upper()} {path}")
    if name is not None:
        require(server_version, name, action=f"serve {method.upper()} {path}")


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
