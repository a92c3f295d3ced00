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
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import quote

from ._http import Request

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
        response = self._transport.send(Request("GET", url, headers))
        return self._api_client.read_model(response, self._types, self._name, ("GET", url))

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


__all__ = ["Operation"]
