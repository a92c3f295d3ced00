"""RetryPolicy: what is retried, and how long the waits are."""

from __future__ import annotations

import email.utils
import time

import pytest

from airflow_client_ext import RetryPolicy


def test_defaults_are_a_few_retries_with_capped_backoff() -> None:
    policy = RetryPolicy()
    assert policy.total == 3
    assert policy.retry_statuses == {429, 502, 503, 504}


def test_total_zero_turns_every_retry_off() -> None:
    policy = RetryPolicy(total=0)
    assert not policy.retries_connect_error(0)
    assert not policy.retries_lost_request(0, repeatable=True)
    assert not policy.retries_status(0, 503, repeatable=True)


def test_connection_never_made_is_retried_for_any_method_until_total() -> None:
    policy = RetryPolicy(total=2)
    assert policy.retries_connect_error(0)
    assert policy.retries_connect_error(1)
    assert not policy.retries_connect_error(2)


def test_lost_request_is_retried_only_when_repeatable() -> None:
    policy = RetryPolicy()
    assert policy.retries_lost_request(0, repeatable=True)
    assert not policy.retries_lost_request(0, repeatable=False)


@pytest.mark.parametrize(
    ("status", "repeatable", "expected"),
    [
        (503, False, True),  # the server says it did not process it
        (429, False, True),
        (502, False, False),  # a gateway: the POST may have been processed
        (504, False, False),
        (502, True, True),
        (504, True, True),
        (500, True, False),  # an application error is not retried
        (409, True, False),
        (404, True, False),
    ],
)
def test_status_rules(status: int, repeatable: bool, expected: bool) -> None:
    assert RetryPolicy().retries_status(0, status, repeatable=repeatable) is expected


def test_backoff_is_full_jitter_under_a_doubling_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=8.0)
    for attempt, bound in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        samples = [policy.backoff(attempt) for _ in range(200)]
        assert all(0.0 <= s <= bound for s in samples)
        assert max(samples) > bound * 0.7  # really spread up to the bound
        assert min(samples) < bound * 0.3  # and down towards zero (full jitter)


def test_retry_after_in_seconds_and_as_http_date_within_the_bound() -> None:
    policy = RetryPolicy(retry_after_max=60)
    assert policy.retry_after("2") == 2
    assert policy.retry_after("0") == 0
    date = email.utils.formatdate(time.time() + 5, usegmt=True)
    delay = policy.retry_after(date)
    assert delay is not None
    assert 3 <= delay <= 6


def test_retry_after_that_is_too_long_or_garbage_is_ignored() -> None:
    policy = RetryPolicy(retry_after_max=60)
    assert policy.retry_after("120") is None
    assert policy.retry_after("soon") is None
    assert policy.retry_after(None) is None


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="total"):
        RetryPolicy(total=-1)
    with pytest.raises(ValueError, match="backoff_base must be a finite number of seconds >= 0"):
        RetryPolicy(backoff_base=-1)


def test_replace_keeps_the_other_settings() -> None:
    policy = RetryPolicy(total=7, backoff_max=3).replace(total=1)
    assert (policy.total, policy.backoff_max) == (1, 3)
