"""Writing many variables, pools or connections, with one result per item.

The workflows (``import_config``, ``migrate``) decide what to write with
:mod:`airflow_client_ext._compare` and hand the writes of one kind to their adapter's
``write_items``, which answers batch after batch with one result per item: ``None`` (written)
or the error that concerns that item alone (a refusal of the server). An error that concerns
every write (the credentials are refused, no answer) stops the writes: it comes with the
results of the writes that finished beside it, as the last batch, so that a report stays
exact.

Here is how the writes are sent, for every adapter: one call per item, ``workers`` at a time
(:func:`write_each`). The bulk requests of Airflow 3 live in :mod:`airflow_client_ext._bulk`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from .errors import AirflowClientError, ApiError, AuthenticationError, PermissionDeniedError

#: The result of one write: None when it was written, else why not.
Failure = AirflowClientError | None
#: Results: (index of the write in what was given, its result), in that order.
Results = list[tuple[int, Failure]]
#: A batch of results, and the error that stopped the writes with it (None: go on).
Batch = tuple[Results, BaseException | None]


@dataclass(frozen=True)
class Write:
    """One variable, pool or connection to write: a create when ``current`` is None, else
    an update of ``fields`` (``item`` holds their wanted values, ``current`` what the server
    has). ``secrets``: values to mask in what the server says about it. Only the name shows
    in a repr: the rest may hold secrets."""

    name: str
    item: Mapping[str, Any] = field(repr=False)
    current: Mapping[str, Any] | None = field(default=None, repr=False)
    fields: tuple[str, ...] = ()
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def is_create(self) -> bool:
        return self.current is None


def item_failure(exc: BaseException) -> TypeGuard[ApiError]:
    """True if a write's error concerns that item alone (the server refused it); False if it
    concerns every write (credentials, permissions, no answer): that one stops them all."""
    return isinstance(exc, ApiError) and not isinstance(
        exc, AuthenticationError | PermissionDeniedError
    )


def write_each(calls: Sequence[Callable[[], object]], workers: int) -> Iterator[Batch]:
    """Make each call (one write), ``workers`` at a time, in groups of ``workers * 4``:
    yield each group's results in order. A call that fails for every write stops the
    writes: the group's other calls finish (in flight) or are not started (one at a time),
    and their results come with that error, last."""
    size = workers * 4
    for start in range(0, len(calls), size):
        group = list(enumerate(calls[start : start + size], start))
        done: Results = []
        stop: BaseException | None = None
        if workers > 1 and len(group) > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [(index, pool.submit(call)) for index, call in group]
            for index, future in futures:
                exc = future.exception()
                if exc is None:
                    done.append((index, None))
                elif item_failure(exc):
                    done.append((index, exc))
                else:
                    stop = stop or exc
        else:
            for index, call in group:
                try:
                    call()
                except Exception as exc:
                    if not item_failure(exc):
                        stop = exc
                        break
                    done.append((index, exc))
                else:
                    done.append((index, None))
        yield done, stop
        if stop is not None:
            return
