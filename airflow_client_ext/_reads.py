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
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ._http import Request

if TYPE_CHECKING:
    from .transport import Transport


class Operation:
    """``Operation(client.api("DagRunApi"), "get_dag_run", client.transport)(dag_id="d",
    dag_run_id="r")``: the model of the operation's 2xx answer. Keyword arguments only,
    already checked; its signature is the generated method's."""

    __slots__ = (
        "__signature__",
        "_api_client",
        "_defaults",
        "_name",
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

    def __call__(self, **arguments: Any) -> Any:
        method, url, headers, body, fields = self._serialize(**{**self._defaults, **arguments})
        if method != "GET" or body is not None or fields:  # a body needs the REST client
            raise TypeError(f"{self._name} is not a GET without a body: call the generated method")
        response = self._transport.send(Request(method, url, headers))
        return self._api_client.read_model(response, self._types, self._name, (method, url))

    def __repr__(self) -> str:
        return f"Operation({self._name})"


__all__ = ["Operation"]
