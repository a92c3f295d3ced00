"""Writing many variables, pools or connections, with one result per item.

The workflows (``import_config``, ``migrate``) decide what to write with
:mod:`airflow_client_ext._compare` and hand the writes of one kind to their adapter's
``write_items``, which answers batch after batch with one result per item: ``None`` (written)
or the error that concerns that item alone (a refusal of the server). An error that concerns
every write (the credentials are refused, no answer) stops the writes: it comes with the
results of the writes that finished beside it, as the last batch, so that a report stays
exact.

Two ways to send them: one request per item, ``workers`` at a time (:func:`write_each`, every
adapter), and bulk requests of a few hundred items (:func:`write_bulk`, used by the Airflow 3
adapter, which builds the bodies), with each item's result read from the bulk answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from ._http import redact_text
from .errors import (
    AirflowClientError,
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InvalidArgumentError,
    InvalidResponseError,
    PermissionDeniedError,
    error_class_for,
)

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


def item_failure(exc: BaseException) -> TypeGuard[AirflowClientError]:
    """True if a write's error concerns that item alone: the server refused it, or the
    generated model refused one of its values (:func:`invalid`); False if it concerns every
    write (credentials, permissions, no answer, a wrong setting): that one stops them all."""
    if isinstance(exc, AuthenticationError | PermissionDeniedError | ConfigurationError):
        return False
    return isinstance(exc, ApiError | InvalidArgumentError)


def invalid(kind: str, name: str, exc: ValueError) -> InvalidArgumentError:
    """The error of an item whose body the generated model refused (a pydantic
    ``ValidationError``), naming the item and the fields but never their values (a value
    may be a secret)."""
    errors = getattr(exc, "errors", None)
    problems = (
        "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())) or 'the item'}: {e.get('msg')}"
            for e in errors()
        )
        if callable(errors)
        else type(exc).__name__
    )
    return InvalidArgumentError(f"{kind} {name!r} cannot be sent: {problems}")


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


# -- bulk requests (Airflow 3) --------------------------------------------------------------
#: Entities per bulk request: a few hundred turn thousands of requests into tens, while a
#: batch the server refuses as a whole (one invalid entity fails its request) or stops
#: early (its items after an error are not processed) costs few items, and one request
#: stays well within a server's time (one row write per entity, in one transaction).
BULK_ITEMS = 200
#: ... and at most this much JSON per request (a proxy in front of Airflow may refuse a
#: larger body: nginx's default client_max_body_size is 1 MiB); a larger item goes alone.
BULK_BYTES = 512 * 1024


@dataclass(frozen=True)
class Entity:
    """One item of a bulk request: its action (``create``, ``update``), the update mask
    (empty: none) and the generated model of its body."""

    action: str
    mask: tuple[str, ...]
    body: Any = field(repr=False)


def write_bulk(
    writes: Sequence[Write],
    build: Callable[[Write], Entity | None],
    send: Callable[[str, tuple[str, ...], list[Any]], Any],
    alone: Callable[[Write], Callable[[], object]],
    *,
    kind: str,
    path: str,
    workers: int,
    secrets: Sequence[str] = (),
    max_items: int = BULK_ITEMS,
    max_bytes: int = BULK_BYTES,
) -> Iterator[Batch]:
    """Write in bulk requests: ``build`` makes each write's entity (None: it is written by
    itself, through ``alone``), ``send(action, mask, bodies)`` sends one action and answers
    its ``BulkActionResponse``. Writes are taken in order, in batches of at most
    ``max_items`` (and ``max_bytes`` of JSON); a batch is one request per action and mask,
    and its results come in order, with the error that stopped the writes, if one did.

    Each item's result is its own: see :func:`attribute` and :func:`refused_batch`.
    ``secrets`` (and each write's) are masked in the server's words."""
    batch: list[tuple[int, Entity | Failure | None]] = []
    size = 0
    for index, write in enumerate(writes):
        entry: Entity | Failure | None
        try:
            entry = build(write)
        except ValueError as exc:  # the generated model refused it: nothing to send
            entry = invalid(kind, write.name, exc)
        weight = _size(entry.body) if isinstance(entry, Entity) else 0
        if batch and (len(batch) >= max_items or size + weight > max_bytes):
            result = _send_batch(writes, batch, send, alone, kind, path, workers, secrets)
            yield result
            if result[1] is not None:
                return
            batch, size = [], 0
        batch.append((index, entry))
        size += weight
    if batch:
        yield _send_batch(writes, batch, send, alone, kind, path, workers, secrets)


def _send_batch(
    writes: Sequence[Write],
    batch: list[tuple[int, Entity | Failure | None]],
    send: Callable[[str, tuple[str, ...], list[Any]], Any],
    alone: Callable[[Write], Callable[[], object]],
    kind: str,
    path: str,
    workers: int,
    secrets: Sequence[str],
) -> Batch:
    results: Results = [(i, e) for i, e in batch if isinstance(e, AirflowClientError)]
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[int, Entity]]] = {}
    for index, entry in batch:
        if isinstance(entry, Entity):
            groups.setdefault((entry.action, entry.mask), []).append((index, entry))
    for (action, mask), members in groups.items():
        named = [(index, writes[index]) for index, _ in members]
        masked = [*secrets, *(s for _, w in named for s in w.secrets)]
        try:
            answer = send(action, mask, [entity.body for _, entity in members])
        except Exception as exc:
            if not item_failure(exc):
                return sorted(results, key=_first), exc
            results += refused_batch(
                named, exc, kind=kind, action=action, path=path, secrets=masked
            )
            continue
        results += attribute(named, answer, kind=kind, action=action, path=path, secrets=masked)
    by_itself = [index for index, entry in batch if entry is None]
    for done, stop in write_each([alone(writes[i]) for i in by_itself], workers):
        results += [(by_itself[position], failure) for position, failure in done]
        if stop is not None:
            return sorted(results, key=_first), stop
    return sorted(results, key=_first), None


def attribute(
    named: Sequence[tuple[int, Write]],
    answer: Any,
    *,
    kind: str,
    action: str,
    path: str,
    secrets: Sequence[str] = (),
) -> Results:
    """Each item's result from a ``BulkActionResponse``: written if its name is among
    ``success``; else refused with the errors whose text names it, or, if none does, with
    all of the action's errors (the server stops an action at its first error: the items
    after it are not written). An item neither written nor named in an error with no error
    at all was skipped by the server: on a create (``action_on_existence="skip"``) it exists
    already, on an update (``action_on_non_existence="skip"``) it is gone."""
    if answer is None:  # the answer has no result for this action
        return [
            (index, InvalidResponseError(
                f"PATCH {path}: the answer has no result for the bulk {action} of {kind} "
                f"{write.name!r}: whether it was written is unknown",
                status=200, method="PATCH", path=path, body_excerpt="",
            ))
            for index, write in named
        ]  # fmt: skip
    written = {str(name) for name in answer.success or ()}
    errors = [
        (redact_text(str(e.get("error", e)), list(secrets)), e.get("status_code"))
        for e in answer.errors or ()
        if isinstance(e, Mapping)
    ]
    results: Results = []
    for index, write in named:
        if write.name in written:
            results.append((index, None))
            continue
        naming = [(text, status) for text, status in errors if _names(text, write.name)]
        if naming:
            text, status = "; ".join(t for t, _ in naming), naming[0][1]
        elif errors:
            text = "not written: the server stopped the batch at an error: " + "; ".join(
                t for t, _ in errors
            )
            status = next((s for _, s in errors if isinstance(s, int)), None)
        elif action == "create":
            text, status = (
                "exists on the server (written there since it was read?): not overwritten; "
                "run again to compare it",
                409,
            )
        else:
            text, status = "no longer on the server (deleted since it was read?)", 404
        results.append((index, _refusal(status, text, kind, action, write.name, path)))
    return results


def refused_batch(
    named: Sequence[tuple[int, Write]],
    exc: AirflowClientError,
    *,
    kind: str,
    action: str,
    path: str,
    secrets: Sequence[str] = (),
) -> Results:
    """Each item's result when the server refused a bulk request as a whole. A validation
    error that points at entities (``loc`` ``[..., "entities", 3, ...]``) is theirs, and the
    others were not written because of them; any other refusal is every item's."""
    blamed: dict[int, list[str]] = {}
    detail = getattr(exc, "detail", None)
    for problem in detail if isinstance(detail, list) else ():
        loc = problem.get("loc") if isinstance(problem, Mapping) else None
        if not isinstance(loc, list) or "entities" not in loc:
            continue
        at = loc.index("entities") + 1
        position = loc[at] if at < len(loc) else None
        if isinstance(position, int) and 0 <= position < len(named):
            where = ".".join(str(part) for part in loc[at + 1 :]) or "the item"
            said = redact_text(str(problem.get("msg")), list(secrets))
            blamed.setdefault(position, []).append(f"{where}: {said}")
    if not blamed:
        return [(index, exc) for index, _ in named]
    culprits = ", ".join(repr(named[p][1].name) for p in sorted(blamed))
    results: Results = []
    for position, (index, write) in enumerate(named):
        text = (
            "; ".join(blamed[position])
            if position in blamed
            else f"not written: the server refused its whole batch because of {culprits}"
        )
        status = getattr(exc, "status", None)
        results.append((index, _refusal(status, text, kind, action, write.name, path)))
    return results


def _refusal(
    status: Any, text: str, kind: str, action: str, name: str, path: str
) -> AirflowClientError:
    code = status if isinstance(status, int) and status >= 400 else 422
    message = f"PATCH {path} -> {code} (bulk {action} of {kind} {name!r}): {text}"
    return error_class_for(code)(message, status=code, method="PATCH", path=path, detail=text)


def _names(text: str, name: str) -> bool:
    """Whether an error text names the item: quoted as Airflow quotes ids (``'x'`` in a set
    or a repr, ```x``` in a sentence, ``"x"``)."""
    return any(form in text for form in (repr(name), f"'{name}'", f'"{name}"', f"`{name}`"))


def _size(body: Any) -> int:
    return len(json.dumps(body.to_dict(), default=str))


def _first(result: tuple[int, Failure]) -> int:
    return result[0]
