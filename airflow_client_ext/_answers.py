"""Answers the generated code cannot read become :class:`InvalidResponseError`.

The generated ``ApiClient.response_deserialize`` parses a 2xx body with ``json.loads`` and
the operation's pydantic model; what goes wrong there escaped as a bare
``JSONDecodeError``, a pydantic ``ValidationError`` (seen against Airflow 3.1) or an
``ApiException`` with status 0. :func:`checked_methods` gives the generated ``ApiClient``
subclass of :mod:`airflow_client_ext.client` the methods that read an answer at our seam
(the generated code is never edited):

- ``call_api`` notes the method and URL on the response it returns;
- ``read_model`` gives the model of a 2xx answer: it checks that the answer should carry one
  (the content type is JSON, the body is not empty), reads the bytes into the model in one
  pass where it can (:mod:`airflow_client_ext._validate`: every field checked, the same
  model as the generated path), and otherwise, or when that pass refuses the answer, reads
  it the generated way. Any failure to parse or validate it becomes one
  :class:`InvalidResponseError` naming the operation, the fields, the server's version and
  what to do; the original exception stays as ``__cause__``. The typed workflows call it
  with the operation's name;
- ``response_deserialize`` answers the generated API methods through ``read_model``, the
  operation named after the generated method that called it.

Operations typed ``object``, ``str``, ``bytes`` or ``file`` (a login redirect, a raw
stream) keep the generated behaviour, except that unparseable JSON is still reported.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from typing import Any

from . import __version__
from ._http import read_problem, redact_text, safe_path
from ._validate import Reader, reader
from .errors import BODY_EXCERPT_LIMIT, InvalidResponseError

#: response types the generated code does not parse as a model
_LOOSE_TYPES = frozenset({"object", "str", "bytes", "bytearray", "file"})
_CHARSET = re.compile(r"charset=([a-zA-Z\-\d]+)", re.IGNORECASE)
_JSON_TYPE = re.compile(r"^application/(json|[\w!#$&.+\-^_]+\+json)\s*(;|$)", re.IGNORECASE)
_SECRET_NAME = re.compile(r"pass|secret|token|key|auth|credential|extra", re.IGNORECASE)
_MAX_FIELDS = 5
_UNKNOWN = object()
_REQUEST = "_airflow_client_ext_request"


def checked_methods(api_client_class: Any) -> dict[str, Any]:
    """``call_api``, ``read_model`` and ``response_deserialize`` for a subclass of a
    generated ApiClient."""
    from pydantic import ValidationError  # loaded with the generated package anyway

    package = api_client_class.__module__.rsplit(".", 1)[0]
    api_exception = importlib.import_module(f"{package}.exceptions").ApiException
    api_response = importlib.import_module(f"{package}.api_response").ApiResponse
    models = importlib.import_module(f"{package}.models")
    generated = api_client_class.response_deserialize
    readers: dict[str, Reader | None] = {}  # model name -> its one-pass reader

    def one_pass(model: str) -> Reader | None:
        read = readers.get(model, _UNKNOWN)
        if read is _UNKNOWN:
            cls = getattr(models, model, None)
            read = readers[model] = reader(cls) if isinstance(cls, type) else None
        return read  # type: ignore[return-value]

    def call_api(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = api_client_class.call_api(self, method, url, *args, **kwargs)
        setattr(response, _REQUEST, (method.upper(), url))
        return response

    def read_model(
        self: Any,
        response_data: Any,
        response_types_map: Any,
        operation: Any = None,
        request: tuple[str, str] | None = None,
    ) -> Any:
        """The model of a 2xx answer (a generated RESTResponse after ``.read()``, or a
        loaded urllib3 response); ``operation``: its name (``DagRunApi.get_dag_run``), or
        the frame of the generated method that asks; ``request``: its method and URL, when
        ``call_api`` did not note them."""
        if request is not None:
            setattr(response_data, _REQUEST, request)
        types = response_types_map or {}
        model = _response_type(response_data.status, types)
        try:
            if model is not None and model not in _LOOSE_TYPES:
                body = response_data.data or b""
                is_json, utf8 = _content_type(response_data.headers.get("Content-Type"))
                _check_shape(response_data, is_json, body)
                read = one_pass(model)
                if read is not None and utf8:  # other charsets: decoded by the generated path
                    made = _read_or_none(read, body)
                    if made is not None:
                        return made
            return generated(self, response_data, types).data
        except _Shape as exc:
            raise _invalid(self, response_data, model, operation, exc.why, []) from None
        except ValidationError as exc:
            fields = _fields(exc)
            why = "a body that does not fit the model: " + "; ".join(fields[1])
            raise _invalid(self, response_data, model, operation, why, fields[0]) from exc
        except ValueError as exc:  # json.JSONDecodeError, or a oneOf/anyOf that matched none
            why = _value_error(exc, response_data)
            raise _invalid(self, response_data, model, operation, why, []) from exc
        except (TypeError, AttributeError, KeyError) as exc:
            why = f"a body that does not fit the model ({type(exc).__name__}: {str(exc)[:200]})"
            raise _invalid(self, response_data, model, operation, why, []) from exc
        except api_exception as exc:  # "Unsupported content type", status 0
            why = f"a body that could not be read: {exc.reason}"
            raise _invalid(self, response_data, model, operation, why, []) from exc

    def response_deserialize(self: Any, response_data: Any, response_types_map: Any = None) -> Any:
        if not 200 <= response_data.status <= 299:
            return generated(self, response_data, response_types_map)
        data = read_model(self, response_data, response_types_map, sys._getframe(1))
        return api_response(
            status_code=response_data.status,
            data=data,
            headers=response_data.headers,
            raw_data=response_data.data,
        )

    return {
        "call_api": call_api,
        "read_model": read_model,
        "response_deserialize": response_deserialize,
    }


def _read_or_none(read: Reader, body: bytes) -> Any:
    try:
        return read(body)
    except Exception:  # refused: the generated path reads it, or says why it cannot
        return None


@functools.lru_cache(maxsize=64)
def _content_type(content_type: str | None) -> tuple[bool, bool]:
    """(JSON, or no Content-Type: as the generated path reads it; in UTF-8, the charset
    the one-pass reader reads)."""
    if content_type is None:
        return True, True
    charset = _CHARSET.search(content_type)
    utf8 = charset is None or charset.group(1).lower() in ("utf-8", "utf8")
    return bool(_JSON_TYPE.match(content_type)), utf8


def json_in_utf8(headers: Any) -> bool:
    """Whether an answer with these headers is JSON in UTF-8 (or says nothing of it)."""
    is_json, utf8 = _content_type(headers.get("Content-Type"))
    return is_json and utf8


class _Shape(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _response_type(status: int, types: dict[str, Any]) -> str | None:
    found = types.get(str(status)) or types.get(f"{str(status)[0]}XX")
    return str(found) if found is not None else None


def _check_shape(response: Any, is_json: bool, body: bytes) -> None:
    if not is_json:
        content_type = response.headers.get("Content-Type")
        raise _Shape(f"Content-Type {content_type!r} where JSON was expected")
    if not body or body.isspace():
        raise _Shape(f"an empty body ({len(body)} bytes) where JSON was expected")


def _fields(exc: Any) -> tuple[list[str], list[str]]:
    """The paths of the fields that failed (``state``, ``dag_runs.0.state``) and a short
    reading of each (values of secret-looking fields are not shown)."""
    paths: list[str] = []
    readings: list[str] = []
    errors = exc.errors()
    for error in errors[:_MAX_FIELDS]:
        path = ".".join(str(part) for part in error.get("loc", ())) or "(the whole body)"
        paths.append(path)
        value = error.get("input")
        if _SECRET_NAME.search(path) or isinstance(value, (dict, list)):
            got = f"a {type(value).__name__}"
        else:
            text = repr(value)
            got = text if len(text) <= 60 else text[:60] + "..."
        readings.append(f"{path}: {error.get('msg', 'invalid')} (got {got})")
    if len(errors) > _MAX_FIELDS:
        readings.append(f"+{len(errors) - _MAX_FIELDS} more")
    return paths, readings


def _value_error(exc: ValueError, response: Any) -> str:
    pos = getattr(exc, "pos", None)
    if pos is not None and hasattr(exc, "msg"):  # json.JSONDecodeError
        body = (response.data or b"").rstrip()
        cut = "" if body.endswith((b"}", b"]")) else " (truncated? it ends mid-document)"
        return (
            f"a body that is not valid JSON{cut}: {exc.msg} at character {pos} ({len(body)} bytes)"
        )
    return f"a body that does not fit the model: {str(exc)[:300]}"


def _operation(caller: Any) -> str | None:
    """``DagRunApi.get_dag_run`` from the generated method that called us, if it is one."""
    module = str(caller.f_globals.get("__name__", ""))
    if not module.startswith("airflow_client_ext_"):
        return None
    name = re.sub(r"_with_http_info$", "", caller.f_code.co_name)
    owner = caller.f_locals.get("self")
    return f"{type(owner).__name__}.{name}" if owner is not None else name


def _invalid(
    api_client: Any,
    response: Any,
    model: str | None,
    caller: Any,
    why: str,
    fields: list[str],
) -> InvalidResponseError:
    """The error for an answer that could not be read; ``caller``: the operation's name, or
    the frame of the generated method that read it."""
    method, url = getattr(response, _REQUEST, ("?", ""))
    path = safe_path(url) if url else "?"
    client = getattr(api_client, "airflow_client", None)
    info = getattr(client, "_info", None)
    server_version = getattr(info, "server_version", None) or "unknown"
    auth = getattr(client, "auth", None)
    secrets: list[str] = auth.secrets() if auth is not None else []
    content_type = response.headers.get("Content-Type") or ""
    excerpt = read_problem(response.data or b"", content_type, BODY_EXCERPT_LIMIT).excerpt
    excerpt = redact_text(excerpt, secrets)
    operation = caller if caller is None or isinstance(caller, str) else _operation(caller)
    name = f" ({operation})" if operation else ""
    expected = f" {model}" if model else ""
    raw = (
        f'client.api("{operation.split(".")[0]}").{operation.split(".")[1]}'
        "_without_preload_content(...)"
        if operation and "." in operation
        else "client.api(...).<operation>_without_preload_content(...)"
    )
    message = (
        f"{method} {path}{name} answered {response.status} with "
        f"{redact_text(why, secrets)}. Expected{expected} as in the spec this client was "
        f"generated from; server: Airflow {server_version}. What to do: if the server is "
        "right, this server's answer does not match the spec of airflow-client-ext "
        f"{__version__}: upgrade airflow-client-ext, or report the server version and this "
        f"message; if a proxy or a broken server sent it, check the server. The raw answer is "
        f"available with {raw}. Body starts: {excerpt[:200]}"
    )
    return InvalidResponseError(
        message,
        status=response.status,
        method=method,
        path=path,
        body_excerpt=excerpt,
        operation=operation,
        fields=fields,
        server_version=server_version,
        content_type=content_type,
    )


__all__ = ["checked_methods", "json_in_utf8"]
