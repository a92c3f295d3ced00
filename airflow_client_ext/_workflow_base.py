"""What every workflow of :class:`~airflow_client_ext.client.AirflowClient` stands on.

:class:`_WorkflowBase` holds the timing knobs, the client and its version adapter, the poll
schedule and the DAG lookup whose :class:`~airflow_client_ext.errors.NotFoundError` says what
to check; the mixins of :mod:`airflow_client_ext.workflows` build on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from . import _checks
from ._http import safe_url
from ._versions import VersionAdapter, adapter_for
from .errors import ApiError, NotFoundError
from .models import Dag

if TYPE_CHECKING:
    from .client import AirflowClient


class PollSchedule:
    """Delays between polls: fast at first, growing by ``factor`` up to ``cap``.

    ``reset()`` starts over (after a change, the next one tends to come soon)::

        >>> s = PollSchedule(0.5, 1.5, 5.0)
        >>> [s.next() for _ in range(8)]
        [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875, 5.0, 5.0]

    With ``fast_cap``, the delays stay at most ``fast_cap`` until ``fast_for`` seconds of
    delays have been handed out (a run that ends in its first minute is seen soon after it
    ends; a long one is not polled as often)::

        >>> s = PollSchedule(0.5, 1.5, 5.0, fast_cap=0.75, fast_for=2.0)
        >>> [s.next() for _ in range(6)]
        [0.5, 0.75, 0.75, 1.125, 1.6875, 2.53125]
    """

    def __init__(
        self,
        initial: float = 0.5,
        factor: float = 1.5,
        cap: float = 5.0,
        *,
        fast_cap: float | None = None,
        fast_for: float = 0.0,
    ) -> None:
        names = ("PollSchedule.initial", "PollSchedule.factor", "PollSchedule.cap")
        self.initial, self.factor, self.cap = _checks.check_backoff(
            initial, factor, cap, names=names
        )
        if fast_cap is not None:
            _checks.check_backoff(
                initial,
                factor,
                fast_cap,
                names=("PollSchedule.initial", "PollSchedule.factor", "PollSchedule.fast_cap"),
            )
        _checks.check_seconds("PollSchedule.fast_for", fast_for, zero=True, setting=True)
        self.fast_cap = fast_cap
        self.fast_for = fast_for
        self._next = self.initial
        self._given = 0.0

    def next(self) -> float:
        cap = self.cap
        if self.fast_cap is not None and self._given < self.fast_for:
            cap = min(cap, self.fast_cap)
        delay = min(self._next, cap)
        self._next = delay * self.factor
        self._given += delay
        return delay

    def reset(self) -> None:
        self._next = self.initial


class _WorkflowBase:
    """The plumbing of the workflow mixins; :class:`~airflow_client_ext.workflows.Workflows`
    documents the timing knobs."""

    poll_initial: float = 0.5
    poll_factor: float = 1.5
    poll_cap: float = 5.0
    #: the cap of the delays during the first ``poll_fast_for`` seconds of a wait
    poll_fast_cap: float = 0.75
    poll_fast_for: float = 60.0
    wait_stream_interval: float = 0.2
    #: how long the /wait stream may stay silent before we poll instead
    wait_stream_silence: float = 30.0

    # injectable for tests
    _clock: Callable[[], float] = staticmethod(time.monotonic)
    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def _client(self) -> AirflowClient:
        return cast("AirflowClient", self)

    def _adapter(self) -> VersionAdapter:
        return adapter_for(self._client)

    def _schedule(self) -> PollSchedule:
        return PollSchedule(
            self.poll_initial,
            self.poll_factor,
            self.poll_cap,
            fast_cap=self.poll_fast_cap,
            fast_for=self.poll_fast_for,
        )

    def _check_timing(self) -> None:
        """The timing knobs above, checked before a wait sends anything."""
        names = ("poll_initial", "poll_factor", "poll_cap")
        _checks.check_backoff(self.poll_initial, self.poll_factor, self.poll_cap, names=names)
        names = ("poll_initial", "poll_factor", "poll_fast_cap")
        _checks.check_backoff(self.poll_initial, self.poll_factor, self.poll_fast_cap, names=names)
        _checks.check_seconds("poll_fast_for", self.poll_fast_for, zero=True, setting=True)
        _checks.check_seconds("wait_stream_interval", self.wait_stream_interval)
        _checks.check_seconds("wait_stream_silence", self.wait_stream_silence)

    def _get_dag(self, adapter: VersionAdapter, dag_id: str) -> Dag:
        try:
            return adapter.get_dag(dag_id)
        except NotFoundError as exc:
            raise _renamed(
                exc,
                f"DAG {dag_id!r} not found on {safe_url(self._client.base_url)}: it does not "
                "exist, or its file is not parsed yet (client.wait_for_dag waits for it)",
            ) from exc


def _renamed(exc: ApiError, message: str) -> ApiError:
    """The same error class and fields with a message that names what was not found."""
    return type(exc)(
        message,
        status=exc.status,
        method=exc.method,
        path=exc.path,
        title=exc.title,
        detail=exc.detail,
        type=exc.type,
        body_excerpt=exc.body_excerpt,
        headers=exc.headers,
    )
