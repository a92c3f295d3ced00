"""The typed workflows' reads: a generated GET without the generated method's overhead.

A generated API method validates its arguments (pydantic's ``validate_call``), serializes
the request, sends it through the generated REST client to our transport, reads the answer
and wraps it in an ``ApiResponse``. A workflow that has checked its own arguments
(:mod:`._checks`) needs less: :class:`Operation` calls the operation's generated serializer
(``_<operation>_serialize``: the same URL, query and headers, and the version gate of
:mod:`.client`), sends the request with the client's transport (auth, retries, limits,
typed errors), as the generated REST client does with a GET, and reads the answer with
``read_model`` (:mod:`._answers`: the model in one pass, every field checked; a bad answer
an :class:`~airflow_client_ext.errors.InvalidResponseError` named after the operation).
Arguments from a caller (filters) go through the generated method instead, whose
validation they need.

A GET whose arguments all sit in its path (``get_dag_run``: the DAG and run ids) is the
typed workflows' most frequent call (every poll of a wait), and the generated serializer
costs about as much client CPU as the whole rest of the call's own work. Its answer for such
arguments is the path template with each value percent-encoded, so :class:`Operation`
learns the template once, from the generated serializer itself (called with a marker for
each path parameter), and fills it in: the same URL and headers, which a unit test checks
against the generated serializer for awkward values. Any other arguments (a query, a
header, a value that is not a ``str``) still go through the generated serializer.

The typed results need fewer fields still: a ``TaskInstance`` carries 16 of the 34 fields
of Airflow 3's ``TaskInstanceResponse``, and checking all of them (dates, UUIDs, nested
models) costs more than the HTTP call. :class:`Single` (one ``DagRun``) and
:class:`Listing` (a page of them) read the answer's bytes with a
:func:`~._validate.picker`, which checks only the fields of the result (each by the
generated model's own rules) and skips the rest unread; the result makes its ``raw`` when
it is first read (:class:`Answer`, once per answer), and the other fields are checked then.
What the picker refuses is read whole at once, so a bad field of a result is still the
typed error of ``read_model`` at the call.
"""

from __future__ import annotations

import functools
import inspect
import threading
import typing
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import quote

from ._answers import json_in_utf8
from ._http import Request
from ._validate import picker
from .errors import ConfigurationError
from .models import from_fields

if TYPE_CHECKING:
    from .transport import Transport


class _PathTemplate(NamedTuple):
    """What the generated serializer makes of a GET whose arguments all sit in its path."""

    names: frozenset[str]
    url: str  # with "{name}" where each argument goes
    headers: dict[str, str]
    safe: str  # the characters left as they are in a path value


class Operation:
    """``Operation(client.api("DagRunApi"), "get_dag_run", client.transport)(dag_id="d",
    dag_run_id="r")``: the model of the operation's 2xx answer. Keyword arguments only,
    already checked; its signature is the generated method's."""

    __slots__ = (
        "__signature__",
        "_api_client",
        "_defaults",
        "_name",
        "_path",
        "_serialize",
        "_transport",
        "_types",
        "parameters",
    )

    def __init__(self, api: Any, operation: str, transport: Transport) -> None:
        method = getattr(api, operation)
        self._serialize = getattr(api, f"_{operation}_serialize")
        self.__signature__ = inspect.signature(method)
        public = self.__signature__.parameters
        #: the names of the generated method's parameters
        self.parameters = frozenset(public)
        empty = inspect.Parameter.empty
        #: what the generated method passes for an argument left out (required ones: none)
        self._defaults = {
            name: public[name].default
            for name in inspect.signature(self._serialize).parameters
            if name in public and public[name].default is not empty
        }
        model = self.__signature__.return_annotation
        self._types = {"200": getattr(model, "__name__", str(model))}
        self._name = f"{type(api).__name__}.{operation}"
        self._api_client = api.api_client
        self._transport = transport
        #: None: not learnt yet; False: not a GET of path arguments only
        self._path: _PathTemplate | Literal[False] | None = None

    def __call__(self, **arguments: Any) -> Any:
        response, url = self._send(arguments)
        return self._api_client.read_model(response, self._types, self._name, ("GET", url))

    def answer(self, **arguments: Any) -> Answer:
        """The 2xx answer, its model not read yet (see :class:`Answer`)."""
        response, url = self._send(arguments)
        read_model = self._api_client.read_model
        return Answer(response, lambda: read_model(response, self._types, self._name, ("GET", url)))

    def _send(self, arguments: dict[str, Any]) -> tuple[Any, str]:
        path = self._path
        if path is None:
            path = self._path = self._learn_path(list(arguments))
        if (
            path
            and arguments.keys() == path.names
            and all(type(v) is str for v in arguments.values())
        ):
            url = path.url.format_map({k: quote(v, safe=path.safe) for k, v in arguments.items()})
            headers = dict(path.headers)
        else:
            method, url, headers, body, fields = self._serialize(**{**self._defaults, **arguments})
            if method != "GET" or body is not None or fields:  # a body needs the REST client
                raise TypeError(
                    f"{self._name} is not a GET without a body: call the generated method"
                )
        return self._transport.send(Request("GET", url, headers)), url

    def _learn_path(self, names: list[str]) -> _PathTemplate | Literal[False]:
        """The template of the URL if the generated serializer puts every one of ``names``
        in the path of a GET without a body or query, else False. The serializer runs as
        for a call (the version gate too): an error it raises is the call's."""
        markers = {name: f"afxpath{i}marker" for i, name in enumerate(names)}
        method, url, headers, body, fields = self._serialize(**{**self._defaults, **markers})
        safe = self._api_client.configuration.safe_chars_for_path_param
        if method != "GET" or body is not None or fields or any(c in url for c in "?{}"):
            return False
        if any(url.count(marker) != 1 for marker in markers.values()):
            return False
        template = url
        for name, marker in markers.items():
            template = template.replace(marker, "{" + name + "}")
        return _PathTemplate(frozenset(names), template, dict(headers), safe)

    def __repr__(self) -> str:
        return f"Operation({self._name})"


class Answer:
    """A loaded 2xx answer: :meth:`pick` reads some of its fields, :meth:`model` its whole
    generated model (once, when first asked; the typed error of ``read_model`` if it does
    not fit)."""

    __slots__ = ("_lock", "_model", "_read", "response")

    def __init__(self, response: Any, read: Callable[[], Any]) -> None:
        self.response = response
        self._read: Callable[[], Any] | None = read
        self._model: Any = None
        self._lock = threading.Lock()

    def pick(self, read: Callable[[bytes], Any] | None) -> Any:
        """What ``read`` (a :func:`~._validate.picker`) makes of a JSON body in UTF-8, or
        None where there is no picker, or it refuses the answer or cannot read it: then
        only the whole model tells what the answer holds, or what is wrong with it."""
        from pydantic import ValidationError  # loaded with the generated models

        if read is None or self.response.status != 200:
            return None
        if not json_in_utf8(self.response.headers):
            return None
        try:
            return read(self.response.data)
        except ValidationError:
            return None

    def model(self) -> Any:
        with self._lock:
            if self._read is not None:
                self._model = self._read()
                self._read = None
            return self._model

    def item(self, field: str, index: int) -> Any:
        """Item ``index`` of the model's list ``field``."""
        return getattr(self.model(), field)[index]


@functools.lru_cache(maxsize=512)
def list_field(cls: Any) -> str:
    """The name of the list field of a generated collection model class (``dag_runs``)."""
    fields = getattr(cls, "model_fields", None)
    if not isinstance(fields, Mapping):
        raise ConfigurationError(f"paginate: {cls.__name__} is not a generated collection model")
    candidates = [str(name) for name, info in fields.items() if _is_list(info.annotation)]
    if len(candidates) != 1:
        raise ConfigurationError(
            f"paginate: cannot tell the items of {cls.__name__} (list fields: "
            f"{', '.join(candidates) or 'none'})"
        )
    return candidates[0]


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return False


class Page(NamedTuple):
    """A page of a :class:`Listing`: its items made into result objects."""

    items: list[Any]
    total_entries: int | None
    next_cursor: str | None


class Shape(NamedTuple):
    """How a result object (``TaskInstance``) is made from a generated model: the model's
    fields it reads, and ``fields_of`` from those (a model's ``__dict__``, or what a
    :func:`~._validate.picker` read) to the result's fields, all but ``raw``."""

    result: type
    names: tuple[str, ...]
    fields_of: Callable[[Mapping[str, Any]], dict[str, Any]]

    def of_model(self, raw: Any) -> Any:
        """The result of a generated model, which it keeps as ``raw``."""
        fields = self.fields_of(raw.__dict__)
        fields["raw"] = raw
        return from_fields(self.result, fields)

    def of_picked(self, picked: Mapping[str, Any], raw_later: Callable[[], Any]) -> Any:
        """The result of picked fields; ``raw_later()`` makes its ``raw`` when it is first
        read (see :class:`~.models.RawOnFirstUse`)."""
        fields = self.fields_of(picked)
        fields["_raw_later"] = raw_later
        return from_fields(self.result, fields)


class Single:
    """A GET of one item that becomes a result object without the generated model:
    ``Single(operation, model, shape)(**arguments)``.

    The answer's bytes are read by a :func:`~._validate.picker` into a dict of the fields
    ``shape.names``, each checked as the generated model checks it, and the result makes
    its ``raw`` when it is first read, from the same answer: the answer's other fields are
    checked then. An answer the picker refuses is read whole at once, as
    :class:`Operation` reads it: its typed error now, or the model, which the generated
    path may still read.
    """

    __slots__ = ("_operation", "_pick", "_shape")

    def __init__(self, operation: Operation, model: type, shape: Shape) -> None:
        self._operation = operation
        self._pick = picker(model, {model: shape.names})
        self._shape = shape

    def __call__(self, **arguments: Any) -> Any:
        answer = self._operation.answer(**arguments)
        picked = answer.pick(self._pick)
        if picked is None:
            return self._shape.of_model(answer.model())
        return self._shape.of_picked(picked, answer.model)


class Listing:
    """A list GET whose page becomes result objects, as :class:`Single` reads one:
    ``Listing(operation, page_model, item_model, shape)(**arguments)`` is a :class:`Page`,
    each item's ``raw`` made from the page's model, which is read once for all."""

    __slots__ = ("_field", "_operation", "_pick", "_shape")

    def __init__(
        self, operation: Operation, page_model: type, item_model: type, shape: Shape
    ) -> None:
        self._operation = operation
        self._field = list_field(page_model)
        page_names = [self._field, "total_entries", "next_cursor"]
        page_names = [n for n in page_names if n in page_model.model_fields]  # type: ignore[attr-defined]
        self._pick = picker(page_model, {page_model: page_names, item_model: shape.names})
        self._shape = shape

    @property
    def parameters(self) -> frozenset[str]:
        return self._operation.parameters

    def __call__(self, **arguments: Any) -> Page:
        answer = self._operation.answer(**arguments)
        field, shape = self._field, self._shape
        picked = answer.pick(self._pick)
        if picked is None:
            page = answer.model()
            items = [shape.of_model(raw) for raw in getattr(page, field) or ()]
            return Page(items, page.total_entries, getattr(page, "next_cursor", None))
        later = answer.item
        items = [
            shape.of_picked(item, partial(later, field, index))
            for index, item in enumerate(picked[field] or ())
        ]
        return Page(items, picked.get("total_entries"), picked.get("next_cursor"))


__all__ = ["Answer", "Listing", "Operation", "Page", "Shape", "Single", "list_field"]
