"""When to retry, and how long to wait: :class:`RetryPolicy`.

What is retried (each rule is a method of the policy, unit-tested on its own):

- a connection that could not be made (refused, DNS, connect timeout): any method, since the
  request never reached the server;
- a read timeout or a connection lost after the request was sent: only requests that are
  safe to repeat (GET, HEAD, OPTIONS, PUT, or a request with its own idempotency key, such as
  a trigger with a client-chosen ``dag_run_id``);
- an answer of 429 or 503 (the server says it did not process the request): any method;
- an answer of 502 or 504 (a gateway: the request may have been processed): only requests
  that are safe to repeat.

The wait doubles from ``backoff_base`` up to ``backoff_max``, with full jitter (a uniform
draw between 0 and that bound). A ``Retry-After`` header (seconds or an HTTP date) replaces
it when it is at most ``retry_after_max`` seconds (parsed by urllib3's ``Retry``); a longer
one is ignored and the computed backoff is used. ``RetryPolicy(total=0)`` turns
retries off.

The loop itself lives in the transport, not in urllib3's ``Retry``: a retry there must also
re-run the auth flow (a fresh Kerberos token, a refreshed JWT), tell a duplicate trigger from
a conflict, and end in one typed error; urllib3 is called with ``retries`` limited to
redirects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from . import _checks

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and on what to retry, and how long to wait in between.

    >>> RetryPolicy()                       # 3 retries, 0.5 s doubling to 8 s, full jitter
    >>> RetryPolicy(total=0)                # no retries
    >>> client.with_options(retry=RetryPolicy(total=10, backoff_max=30))
    """

    total: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    retry_statuses: frozenset[int] = field(default=frozenset({429, 502, 503, 504}))
    #: statuses that say the request was not processed, so that any method may repeat it
    unprocessed_statuses: frozenset[int] = field(default=frozenset({429, 503}))

    def __post_init__(self) -> None:
        """Every setting checked when the policy is made (an InvalidSettingError, also a
        ValueError, naming it), long before a request needs it."""
        _checks.check_int(
            "RetryPolicy.total", self.total, minimum=0, meaning="0: no retries", setting=True
        )
        for name in ("backoff_base", "backoff_max", "retry_after_max"):
            _checks.check_seconds(
                f"RetryPolicy.{name}", getattr(self, name), zero=True, setting=True
            )
        for name in ("retry_statuses", "unprocessed_statuses"):
            _checks.check_statuses(f"RetryPolicy.{name}", getattr(self, name))

    def replace(self, **changes: object) -> RetryPolicy:
        return replace(self, **changes)  # type: ignore[arg-type]

    # -- decisions --------------------------------------------------------------------------
    def retries_connect_error(self, attempt: int) -> bool:
        """A connection that was never made: safe for every method."""
        return attempt < self.total

    def retries_lost_request(self, attempt: int, *, repeatable: bool) -> bool:
        """A read timeout or a connection lost after sending: only repeatable requests."""
        return attempt < self.total and repeatable

    def retries_status(self, attempt: int, status: int, *, repeatable: bool) -> bool:
        if attempt >= self.total or status not in self.retry_statuses:
            return False
        return repeatable or status in self.unprocessed_statuses

    # -- delays -----------------------------------------------------------------------------
    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt + 1``: full jitter over base * 2**attempt."""
        bound = min(self.backoff_max, self.backoff_base * (2**attempt))
        return random.uniform(0.0, bound)  # noqa: S311 - jitter, not cryptography

    def retry_after(self, value: str | None) -> float | None:
        """Seconds to wait per a ``Retry-After`` header, or None if absent, invalid or too long."""
        if not value:
            return None
        try:
            seconds = _RETRY_AFTER_PARSER.parse_retry_after(value)
        except InvalidHeader:
            return None
        return seconds if 0 <= seconds <= self.retry_after_max else None


#: urllib3's parser of Retry-After (delta-seconds or an HTTP date)
_RETRY_AFTER_PARSER = Retry(total=0)

DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(total=0)
