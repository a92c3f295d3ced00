"""The version table: feature -> first Airflow version, decided before anything is sent."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from airflow_client_ext import AirflowClient, features
from airflow_client_ext.errors import UnsupportedFeatureError
from airflow_client_ext.testing.versions import MATRIX


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.11.2", False),
        ("3.0.6", False),
        ("3.1.0", True),
        ("3.1.8", True),
        ("3.3.2", True),
        ("3.10.0", True),  # numbers, not strings: 3.10 > 3.9
        ("4.0.0", False),  # another major: the table does not guess
        ("3.1.0rc1", True),
    ],
)
def test_wait_stream_since_3_1(version: str, expected: bool) -> None:
    assert features.supports(version, "wait_stream") is expected


def test_cursor_paging_starts_at_a_patch_release() -> None:
    assert not features.supports("3.2.1", "cursor_paging")
    assert features.supports("3.2.2", "cursor_paging")


def test_an_airflow_2_feature_is_not_claimed_for_airflow_3() -> None:
    assert features.supports("2.7.0", "pool_include_deferred")
    assert not features.supports("2.6.3", "pool_include_deferred")
    assert not features.supports("3.3.2", "pool_include_deferred")


def test_require_names_the_feature_the_first_version_and_what_to_do() -> None:
    with pytest.raises(UnsupportedFeatureError) as info:
        features.require("3.1.8", "cursor_paging", action="walk DAG runs by cursor")
    error = info.value
    assert (error.feature, error.since, error.server_version) == ("cursor_paging", "3.2.2", "3.1.8")
    message = str(error)
    assert message.startswith("Airflow 3.1.8 cannot walk DAG runs by cursor: cursor paging")
    assert "(cursor_paging) needs Airflow 3.2.2 or later" in message
    assert "offset paging" in message  # what the client does without it


def test_require_on_the_other_major_says_which_major_has_it() -> None:
    with pytest.raises(UnsupportedFeatureError, match=r"exists only on Airflow 3, since 3\.0\.0"):
        features.require("2.11.2", "backfill_api")


def test_an_unknown_feature_name_is_a_programming_error_listing_the_table() -> None:
    with pytest.raises(ValueError, match=r"unknown feature 'wait'.*wait_stream"):
        features.supports("3.3.2", "wait")


def test_every_entry_is_on_a_major_the_client_speaks_and_in_the_supported_range() -> None:
    oldest = {2: features.version_tuple(MATRIX[0]), 3: (3, 0, 0)}
    for entry in features.FEATURES.values():
        since = features.version_tuple(entry.since)
        assert since[0] == entry.major in (2, 3), entry
        assert entry.summary, entry
        assert entry.otherwise, entry
        if entry.major == 3:
            assert since >= oldest[3], entry


def test_the_client_answers_from_the_detected_version_without_a_request() -> None:
    client = AirflowClient("http://127.0.0.1:9", api_version="v2")  # nothing listens there
    client._info.server_version = "3.0.6"  # as detection would have stored it
    assert client.supports("backfill_api")
    assert not client.supports("wait_stream")
    with pytest.raises(UnsupportedFeatureError, match=r"needs Airflow 3\.1\.0"):
        client.require("wait_stream")
    assert client.transport.stats.requests == 0


# -- the table against the specs of every supported minor -------------------------------------
ROOT = Path(__file__).resolve().parents[2]
SPECS = {
    "v1": ("airflow-v1.yaml", "2.11.2", ("2.8.4", "2.9.3", "2.10.5")),
    "v2": ("airflow-v2.yaml", "3.3.2", ("3.0.6", "3.1.8", "3.2.2")),
}


@functools.cache
def _operations(path: Path) -> set[str]:
    spec = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {
        f"{method.upper()} {route}"
        for route, item in spec["paths"].items()
        for method in ("get", "post", "put", "patch", "delete")
        if method in item
    }


@pytest.mark.parametrize("api", sorted(SPECS))
def test_the_table_says_exactly_which_operations_each_minor_serves(api: str) -> None:
    """An operation of our spec is on a server iff that minor's own spec has it: every
    operation newer than the oldest minor is gated by a feature, with the right version."""
    ours_file, ours_version, older = SPECS[api]
    ours = _operations(ROOT / "openapi" / ours_file)
    assert {op for op in features.OPERATIONS if op in ours} == {
        op
        for op in features.OPERATIONS
        if features.feature(features.OPERATIONS[op]).major == (2 if api == "v1" else 3)
    }, "a gated operation that our spec does not have"
    for version in (*older, ours_version):
        spec_file = ROOT / "openapi" / ("compat/" if version in older else "")
        served = _operations(
            spec_file / (f"airflow-{api}-{version}.yaml" if version in older else ours_file)
        )
        for op in sorted(ours):
            name = features.OPERATIONS.get(op)
            claimed = name is None or features.supports(version, name)
            assert claimed == (op in served), (version, op, name)


def test_a_generated_call_the_server_lacks_is_refused_before_sending() -> None:
    client = AirflowClient("http://127.0.0.1:9", api_version="v2")  # nothing listens there
    client._info.server_version = "3.0.6"
    with pytest.raises(UnsupportedFeatureError, match=r"wait_stream\) needs Airflow 3\.1\.0"):
        client.api("DagRunApi").wait_dag_run_until_finished("d", "r", interval=1.0)
    with pytest.raises(UnsupportedFeatureError, match=r"GET /api/v2/connections/enqueue-test"):
        client.api("ConnectionApi").get_connection_test("token")
    assert client.transport.stats.requests == 0
    v1 = AirflowClient("http://127.0.0.1:9", api_version="v1")
    v1._info.server_version = "2.9.3"
    with pytest.raises(UnsupportedFeatureError, match=r"needs Airflow 2\.10\.0") as info:
        v1.api("DagStatsApi").get_dag_stats(dag_ids="a")
    assert info.value.feature == "dag_stats"
    assert v1.transport.stats.requests == 0
