"""The version table: feature -> first Airflow version, decided before anything is sent."""

from __future__ import annotations

import pytest

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
