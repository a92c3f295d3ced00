"""Airflow 2: many variables in a few posts of the webserver's variable import form.

Airflow 2's REST API writes one variable per request, and each request costs its
webserver 30-60 ms of CPU: 2000 variables take over a minute. Its UI has an import form
(``POST /variable/varimport``: a JSON file of key -> value, the form's CSRF token, the
login session's cookie) that writes hundreds in one request. The form has limits, and
they decide what goes through it (:func:`importable`):

- it stores no description, and it replaces a variable as a whole (``Variable.set``:
  delete, then insert): only a variable that is to have no description goes through it
  (it has none and gets none, or the write clears it);
- it answers with a redirect whatever happened (its counts are flash messages), so each
  item's result comes from reading the variables back after each post (whose results are
  then handed on, before the next post): a variable that holds the value written is
  written; the others are written one request each after all, so that an error is that
  item's own (a 409, a 400 ...);
- creates are posted with ``action_if_exists=skip`` (a variable that appeared meanwhile is
  left alone, and its create then meets the API's 409, as it would have without the
  form), updates with ``overwrite``;
- it sits behind the webserver's login: the client's username and password
  (:func:`~airflow_client_ext.auth.web_login_for`). With other credentials (Kerberos, a
  token of a gateway), or when the form is not there for this user (no login form, a
  403, a 404), every variable goes one request each, as before.

A post whose answer is lost (a reset, a read timeout) is not posted again: what the read
back finds is reported, and the error stops the writes as any lost write does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._http import Request
from ._writes import Batch, Results, Write, write_each
from .auth import WebFormAuth, web_login_for
from .errors import ApiError, TransportError, UnexpectedResponseError

if TYPE_CHECKING:
    from ._versions import V1Adapter

logger = logging.getLogger("airflow_client_ext")

#: Fewer importable variables than this go one request each (the form costs a page, a
#: post and a read back of every variable).
MIN_ITEMS = 20
#: Variables per post: the webserver writes them in one request, which its worker timeout
#: (120 s by default) must outlast on a slow database.
ITEMS_PER_POST = 500
FORM_PAGE = "/variable/add"
IMPORT_PATH = "/variable/varimport"


def importable(write: Write) -> bool:
    """True if the import form writes exactly what ``write`` asks for: the variable is to
    have no description."""
    if write.item.get("description") not in (None, ""):
        return False
    if write.current is None or "description" in write.fields:
        return True
    return write.current.get("description") in (None, "")


def write_variables(adapter: V1Adapter, writes: Sequence[Write], workers: int) -> Iterator[Batch]:
    """The variables of ``writes``, through the import form where it can write them, the
    others one request each; batches of results as :func:`._writes.write_each` gives."""
    chosen = [index for index, write in enumerate(writes) if importable(write)]
    web = web_login_for(adapter.client.auth)
    if len(chosen) < MIN_ITEMS or web is None:
        yield from write_each([adapter._alone("variable", w) for w in writes], workers)
        return
    form = WebFormAuth(web, adapter.client.base_url, FORM_PAGE)
    posts = _posts("skip", [i for i in chosen if writes[i].is_create])
    posts += _posts("overwrite", [i for i in chosen if not writes[i].is_create])
    written: set[int] = set()
    for action, part in posts:
        try:
            _post(adapter, form, action, {writes[i].name: writes[i].item["value"] for i in part})
        except TransportError as exc:  # no answer: it may have been carried out
            try:
                done = _read_back(adapter, writes, part)
            except TransportError:
                done = []
            yield done, exc
            return
        except (ApiError, UnexpectedResponseError) as exc:
            # the answer's text stays out of the log: an error page may echo the variables
            logger.info(
                "the variable import form is not usable (%s %s answered %s, %s): "
                "one request per variable",
                exc.method, exc.path, exc.status, type(exc).__name__,
            )  # fmt: skip
            break
        # each post's results as soon as it is done: an interruption loses no more than
        # the post in flight, and a progress display moves post by post
        done = _read_back(adapter, writes, part)
        written.update(index for index, _ in done)
        if done:
            yield done, None
    left = [index for index in range(len(writes)) if index not in written]
    calls = [adapter._alone("variable", writes[i]) for i in left]
    for results, failed in write_each(calls, workers):
        yield [(left[k], failure) for k, failure in results], failed


def _posts(action: str, indexes: list[int]) -> list[tuple[str, list[int]]]:
    return [
        (action, indexes[k : k + ITEMS_PER_POST]) for k in range(0, len(indexes), ITEMS_PER_POST)
    ]


def _post(adapter: V1Adapter, form: WebFormAuth, action: str, variables: dict[str, Any]) -> None:
    document = json.dumps(variables).encode()
    request = Request(
        "POST",
        adapter.client.base_url + IMPORT_PATH,
        headers={"Accept": "text/html"},
        fields={
            "action_if_exists": action,
            "file": ("variables.json", document, "application/json"),
        },
        redirect_is_answer=True,
    )
    adapter.client.transport.send(request, auth=form)


def _read_back(adapter: V1Adapter, writes: Sequence[Write], posted: list[int]) -> Results:
    """The posted writes that the server now holds as asked (value, no description)."""
    held = {item["key"]: item for item in adapter.variables()}
    done: Results = []
    for index in posted:
        now = held.get(writes[index].name) or {}
        if now.get("value") == writes[index].item["value"] and not now.get("description"):
            done.append((index, None))
    return done


__all__ = ["importable", "write_variables"]
