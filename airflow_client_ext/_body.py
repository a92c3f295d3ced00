"""Reading an answer's body with bounded memory and time.

urllib3's read timeout bounds each ``recv`` on the socket, not the whole body: a server (or
a proxy) that sends one byte every few seconds keeps a call alive for hours, and a body of
several gigabytes is read into memory whole. The transport reads every body here instead,
in chunks, under two limits:

- a total deadline for the body (``max_body_seconds``; by default five times the read
  timeout, at least 30 s): before each chunk the socket's timeout is lowered to what is
  left, so the call ends at the deadline, not one read timeout later;
- a maximum size (``max_body_bytes``, 64 MiB by default) for an answer that is loaded whole
  (the JSON the generated models parse). The size is that of the decoded body, so a small
  gzip bomb is caught as well. An error answer (non-2xx) is cut at a prefix instead: only
  its start is shown.

Streamed answers (task logs, the ``/wait`` stream) go through :func:`iter_body`: the same
deadline, no size limit, the caller keeps what it needs.

A limit that is hit raises :class:`BodyTooLarge` or :class:`BodyTooSlow`, urllib3
``HTTPError`` subclasses, so the transport's loop treats them with the other read errors;
it turns them into :class:`~airflow_client_ext.errors.ResponseLimitError`.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Generator
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, ReadTimeoutError

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
#: the body deadline, when not given, is this many read timeouts (and at least the floor)
BODY_SECONDS_PER_READ_TIMEOUT = 5
MIN_BODY_SECONDS = 30.0
#: how much of an error answer (non-2xx) is read: enough for any problem document or page
ERROR_BODY_PREFIX = 1024 * 1024
CHUNK = 64 * 1024


class BodyLimitHit(HTTPError):
    """The body went past a limit; ``limit`` names the option, ``value`` its setting."""

    limit = ""

    def __init__(self, message: str, *, value: float, received: int) -> None:
        super().__init__(message)
        self.value = value
        self.received = received


class BodyTooLarge(BodyLimitHit):
    limit = "max_body_bytes"


class BodyTooSlow(BodyLimitHit):
    limit = "max_body_seconds"


def body_seconds(max_body_seconds: float | None, timeout: urllib3.Timeout) -> float:
    """The deadline for one body: the option, or a multiple of the read timeout."""
    if max_body_seconds is not None:
        return max_body_seconds
    read = timeout.read_timeout
    if not isinstance(read, (int, float)):
        return MIN_BODY_SECONDS * 10
    return max(MIN_BODY_SECONDS, BODY_SECONDS_PER_READ_TIMEOUT * float(read))


def iter_body(
    response: urllib3.BaseHTTPResponse,
    seconds: float,
    *,
    length: int | None = None,
) -> Generator[bytes, None, None]:
    """The decoded chunks of a body as they arrive, all of them within ``seconds``.

    ``length``: the body's declared, unencoded length; once that much has arrived and the
    response has closed its end (urllib3 does at the declared length), the body is over
    without one more read to see it end: a small body takes a single read.
    """
    deadline = time.monotonic() + seconds
    received = 0
    # without a Content-Encoding there is nothing to decode: urllib3's decoding buffer is
    # skipped (the bytes are the same)
    decode = "Content-Encoding" in response.headers
    try:
        while True:
            chunk = _chunk(response, deadline, seconds, received, decode)
            if not chunk:
                return
            received += len(chunk)
            yield chunk
            if length is not None and received >= length and response.closed:
                return
    except BaseException:
        response.close()  # a connection with unread data is not reused
        raise
    finally:
        response.release_conn()


def _chunk(
    response: urllib3.BaseHTTPResponse, deadline: float, seconds: float, received: int, decode: bool
) -> bytes:
    """The next chunk of a body (b"" at its end), before ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _too_slow(seconds, received)
    _limit_socket_wait(response, left)
    try:
        return response.read1(CHUNK, decode_content=decode)
    except ReadTimeoutError:
        if time.monotonic() >= deadline - 0.05:
            raise _too_slow(seconds, received) from None
        raise


def load_body(
    response: urllib3.BaseHTTPResponse, *, max_bytes: int, seconds: float, prefix: bool = False
) -> urllib3.BaseHTTPResponse:
    """``response`` with its whole decoded body read, at most ``max_bytes`` of it, within
    ``seconds``: as urllib3 returns it with ``preload_content=True`` (``.data`` is the
    body, ``read()`` has nothing more).

    ``prefix=True``: a longer body is cut at ``max_bytes`` (and its connection closed)
    instead of raising :class:`BodyTooLarge`. urllib3's own preload keeps the body in the
    response's ``_body``; so does this, when the headers still describe it (no
    Content-Encoding or Transfer-Encoding, the same length): no second response is made.
    Otherwise, or should a urllib3 release keep it elsewhere, a :class:`LoadedResponse` with
    the headers rewritten.
    """
    headers = response.headers
    encoding = headers.get("Content-Encoding")
    length_header = headers.get("Content-Length")
    declared = None if encoding else _length(length_header)  # else the compressed size
    if declared is not None and declared > max_bytes and not prefix:
        response.close()
        response.release_conn()
        raise _too_large(max_bytes, 0, declared)
    deadline = time.monotonic() + seconds
    decode = encoding is not None
    parts: list[bytes] = []
    received = 0
    try:  # iter_body's loop, gathering
        while True:
            chunk = _chunk(response, deadline, seconds, received, decode)
            if not chunk:
                break
            parts.append(chunk)
            received += len(chunk)
            if received > max_bytes:
                response.close()
                if not prefix:
                    raise _too_large(max_bytes, received, declared)
                parts = [b"".join(parts)[:max_bytes]]
                break
            if declared is not None and received >= declared and response.closed:
                break
    except BaseException:
        response.close()  # a connection with unread data is not reused
        raise
    finally:
        response.release_conn()
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    length = str(len(data))
    if (
        encoding is None
        and length_header == length
        and "Transfer-Encoding" not in headers
        and isinstance(response, urllib3.HTTPResponse)
        and response.closed
    ):
        response._body = data
        if response.data is data or not data:
            return response
    return LoadedResponse.of(response, data)


class LoadedResponse(urllib3.HTTPResponse):
    """An answer whose whole body was read, and decoded, already: it is ``.data``, and
    there is nothing more to read (``read()`` gives ``b""``), as with urllib3's own
    ``preload_content=True``. Made without passing the body through a file object."""

    def __init__(self, data: bytes, **kwargs: Any) -> None:
        super().__init__(body=io.BytesIO(), preload_content=False, **kwargs)
        self._loaded = data

    @property
    def data(self) -> bytes:
        return self._loaded

    @classmethod
    def of(cls, response: urllib3.BaseHTTPResponse, data: bytes) -> LoadedResponse:
        """``response`` with ``data`` as its body, and headers that say so."""
        headers = urllib3.HTTPHeaderDict(response.headers)
        headers.discard("Content-Encoding")  # the body is decoded already
        headers.discard("Transfer-Encoding")
        headers["Content-Length"] = str(len(data))
        return cls(
            data,
            headers=headers,
            status=response.status,
            version=response.version,
            reason=response.reason,
            decode_content=False,
            enforce_content_length=False,
            retries=response.retries,
            request_url=response.geturl(),
        )


def _length(header: str | None) -> int | None:
    try:
        return int(header) if header is not None else None
    except ValueError:
        return None


def _limit_socket_wait(response: urllib3.BaseHTTPResponse, left: float) -> None:
    """Let the next ``recv`` wait no longer than the deadline allows (urllib3 sets the
    socket's timeout again for the next request on this connection)."""
    sock = getattr(response.connection, "sock", None)
    if sock is None:  # http.client let go of it (HTTP/1.0, Connection: close): the body's
        raw = getattr(getattr(getattr(response, "_fp", None), "fp", None), "raw", None)
        sock = getattr(raw, "_sock", None)  # reader still holds it
    if not isinstance(sock, socket.socket):
        return
    current = sock.gettimeout()
    if current is None or current > left:
        sock.settimeout(max(left, 0.001))


def _too_slow(seconds: float, received: int) -> BodyTooSlow:
    return BodyTooSlow(
        f"the body of the answer did not arrive within {seconds:g} s "
        f"(max_body_seconds={seconds:g}; {received} bytes received): the server or the "
        "network is too slow. Raise max_body_seconds (AirflowClient(..., max_body_seconds=...) "
        "or client.with_options(max_body_seconds=...)) if such an answer is expected",
        value=seconds,
        received=received,
    )


def _too_large(max_bytes: int, received: int, declared: int | None) -> BodyTooLarge:
    size = f"{declared} bytes announced" if declared is not None else f"{received}+ bytes read"
    return BodyTooLarge(
        f"the answer's body is larger than max_body_bytes={max_bytes} ({size}). Ask for less "
        "(a smaller page: limit=...), or raise max_body_bytes (AirflowClient(..., "
        "max_body_bytes=...) or client.with_options(max_body_bytes=...))",
        value=max_bytes,
        received=received,
    )


__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ERROR_BODY_PREFIX",
    "BodyLimitHit",
    "BodyTooLarge",
    "BodyTooSlow",
    "LoadedResponse",
    "body_seconds",
    "iter_body",
    "load_body",
]
