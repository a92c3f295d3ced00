"""A small loopback HTTP proxy that injects faults between a client and a real upstream server.

Stdlib only. The retry/fault tests put it between the client and a real Airflow server (or any
upstream HTTP server) to produce faults a real server will not produce on demand::

    from faultproxy import Delay, FaultProxy, ResetAfterRequest, ResetBeforeRequest, Status

    with FaultProxy("http://127.0.0.1:8080") as proxy:
        proxy.plan(Status(503, retry_after="1"), Status(503), match="POST /api/v2/dags/")
        client = make_client(proxy.url)          # proxy.url == "http://127.0.0.1:<port>"
        ...
        assert proxy.count("POST", "/api/v2/dags/") == 3

Semantics:

* ``plan(*faults, match=None)`` queues faults. Each incoming request is tested against the
  active plans in the order they were made; the first matching plan that still has faults
  pending gives its next fault to that request. A request that gets no fault is forwarded
  unchanged. ``match`` is ``None`` (any request), ``"METHOD"``, ``"METHOD /path-prefix"``,
  ``"/path-prefix"`` or a callable ``(method, path) -> bool``. Path prefixes are compared with
  both the path as received and the path forwarded upstream (mount prefix stripped); a callable
  gets the forwarded path. Requests outside the mount prefix never consume a fault.
* Forwarding: HTTP/1.1 keep-alive towards the client, a fresh ``Connection: close`` connection
  per request towards the upstream (so a request is never silently re-sent on a stale upstream
  connection), hop-by-hop headers dropped, ``Host`` set to the upstream's. Request bodies sent
  with ``Transfer-Encoding: chunked`` are forwarded with a ``Content-Length``.
* Responses with a ``Content-Length`` are relayed as they arrive with the same length. Responses
  without one (chunked or close-delimited, e.g. NDJSON streams) are relayed incrementally with
  chunked transfer encoding when ``stream=True`` (the default) and the client speaks HTTP/1.1;
  otherwise the whole body is read first and sent with a ``Content-Length``.
* ``proxy.log`` is a snapshot list of :class:`Record`; ``action`` is one of ``"forwarded"``,
  ``"status <code>"``, ``"reset-before"``, ``"reset-after"``, ``"delay <seconds>"``,
  ``"truncate"``,
  ``"not-found"`` (outside the mount prefix) or ``"upstream-error"`` (the upstream could not be
  reached: the client gets a 502 unless a reset was planned). A request is logged as soon as
  its head (and body, unless reset before) has been read, before it is forwarded or answered;
  ``upstream_status`` is filled in on the same record once the upstream has answered.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import socket
import ssl
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer, TCPServer
from types import TracebackType
from typing import Any, TypeAlias, cast
from urllib.parse import urlsplit

__all__ = [
    "Delay",
    "Fault",
    "FaultProxy",
    "Forward",
    "Matcher",
    "Plan",
    "Record",
    "ResetAfterRequest",
    "ResetBeforeRequest",
    "Status",
    "Truncate",
]


# --------------------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Status:
    """Answer directly with ``code`` without contacting the upstream.

    ``body`` defaults to an RFC 7807-like JSON document ``{"title", "status", "detail"}``;
    ``retry_after`` adds a ``Retry-After`` header; ``headers`` are added last and win over the
    defaults (``Content-Type`` included).
    """

    code: int
    body: str | bytes | None = None
    headers: Mapping[str, str] | None = None
    retry_after: str | int | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class ResetBeforeRequest:
    """Reset the client connection (RST, SO_LINGER 0) right after reading the request head.

    The request body is not read and the upstream never sees the request.
    """


@dataclass(frozen=True)
class ResetAfterRequest:
    """Forward the request, wait for the upstream's full answer, then reset the client."""


@dataclass(frozen=True)
class Delay:
    """Forward the request, then wait ``seconds`` after the upstream answered before relaying."""

    seconds: float


@dataclass(frozen=True)
class Truncate:
    """Forward the request, then relay the head of the upstream's answer (its full
    ``Content-Length``) and only the first half of its body, and close the connection."""


@dataclass(frozen=True)
class Forward:
    """Explicit pass-through (useful in sequences)."""


Fault: TypeAlias = Status | ResetBeforeRequest | ResetAfterRequest | Delay | Truncate | Forward
Matcher: TypeAlias = str | Callable[[str, str], bool] | None
_Test: TypeAlias = Callable[[str, str, str], bool]
_FAULT_TYPES = (Status, ResetBeforeRequest, ResetAfterRequest, Delay, Truncate, Forward)


@dataclass
class Record:
    """One request the proxy received."""

    method: str
    path: str  # as received (mount prefix and query string included)
    headers: dict[str, str]  # as received; repeated headers joined with ", "
    body: bytes  # b"" when the body was not read (reset-before)
    action: str
    upstream_status: int | None = None
    connection: int = 0  # sequence number of the client connection (1, 2, ...)


class Plan:
    """A queue of faults for the requests that match one rule (returned by ``plan``)."""

    def __init__(self, faults: Iterable[Fault], match: Matcher) -> None:
        self.match = match
        self._faults: deque[Fault] = deque(faults)
        self._test = _compile_match(match)

    @property
    def remaining(self) -> int:
        """Faults not consumed yet."""
        return len(self._faults)

    def __repr__(self) -> str:
        return f"Plan(match={self.match!r}, pending={list(self._faults)!r})"


def _compile_match(match: Matcher) -> _Test:
    """Turn ``match`` into a test ``(method, forwarded_path, received_path) -> bool``."""
    if match is None:
        return lambda method, path, received: True
    if callable(match):
        func = match
        return lambda method, path, received: bool(func(method, path))
    text = match.strip()
    want_method: str | None
    prefix: str | None
    if " " in text:
        want_method, prefix = (part.strip() for part in text.split(None, 1))
    elif text.startswith("/"):
        want_method, prefix = None, text
    else:
        want_method, prefix = text, None
    bad_method = want_method is not None and not want_method.replace("-", "").isalpha()
    if not text or bad_method or (prefix is not None and not prefix.startswith("/")):
        raise ValueError(f"match must be 'METHOD', 'METHOD /path' or '/path', got {match!r}")
    if want_method is not None:
        want_method = want_method.upper()

    def test(method: str, path: str, received: str) -> bool:
        if want_method is not None and method.upper() != want_method:
            return False
        return prefix is None or path.startswith(prefix) or received.startswith(prefix)

    return test


# ---------------------------------------------------------------------------------- the proxy

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_CHUNK = 64 * 1024
_NOT_FOUND_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
    b"</body></html>\n"
)


class _BadRequest(Exception):
    """The client sent a malformed body framing."""


class FaultProxy:
    """A loopback reverse proxy to ``upstream`` that injects planned faults.

    ``prefix`` mounts the proxy at a path prefix: requests must start with it (else 404
    text/html), it is stripped before forwarding, and ``Location`` headers pointing at the
    upstream (absolute, or path-absolute under the upstream's base path) are rewritten to
    ``url + prefix``. ``stream=False`` buffers responses of unknown length instead of relaying
    them incrementally. ``upstream_timeout`` is the socket timeout towards the upstream.
    """

    def __init__(
        self,
        upstream: str,
        prefix: str = "",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stream: bool = True,
        upstream_timeout: float = 60.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream must be an http(s):// URL, got {upstream!r}")
        self.upstream = upstream
        self._scheme = parts.scheme
        self._up_host = parts.hostname
        self._up_port = parts.port or (443 if parts.scheme == "https" else 80)
        self._up_hostheader = parts.netloc.rpartition("@")[2]
        self._up_base = parts.path.rstrip("/")
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.stream = stream
        self.upstream_timeout = upstream_timeout
        self._ssl_context = ssl_context
        self._bind = (host, port)

        self._lock = threading.Lock()
        self._plans: list[Plan] = []
        self._log: list[Record] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[int, tuple[socket.socket, threading.Thread]] = {}
        self._conn_ids = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FaultProxy:
        """Bind a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FaultProxy already started")
        self._stopping.clear()
        server = _Server(self._bind, self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FaultProxy-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, close every client connection and wait (bounded) for the threads."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections.values())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, worker in connections:
            worker.join(max(0.0, deadline - time.monotonic()))
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._server = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (clients add the mount prefix themselves)."""
        if self._server is None:
            raise RuntimeError("FaultProxy is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ planning / inspection

    def plan(self, *faults: Fault, match: Matcher = None) -> Plan:
        """Queue ``faults`` for the requests matching ``match`` (see the module docstring)."""
        for fault in faults:
            if not isinstance(fault, _FAULT_TYPES):
                raise TypeError(f"not a fault: {fault!r}")
        new = Plan(faults, match)
        with self._lock:
            self._plans.append(new)
        return new

    @property
    def log(self) -> list[Record]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._log)

    @property
    def pending(self) -> int:
        """Faults planned but not consumed yet (all plans)."""
        with self._lock:
            return sum(p.remaining for p in self._plans)

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        """Number of requests received with that method and/or whose path contains a string."""
        with self._lock:
            return sum(
                1
                for r in self._log
                if (method is None or r.method.upper() == method.upper())
                and (path_contains is None or path_contains in r.path)
            )

    def clear(self) -> None:
        """Drop every pending fault and the log."""
        with self._lock:
            self._plans.clear()
            self._log.clear()

    # ------------------------------------------------------------------ used by the handler

    def _next_fault(self, method: str, path: str, received: str) -> Fault:
        with self._lock:
            for p in self._plans:
                if p._faults and p._test(method, path, received):
                    fault = p._faults.popleft()
                    self._plans = [q for q in self._plans if q._faults]
                    return fault
        return Forward()

    def _record(self, record: Record) -> None:
        with self._lock:
            self._log.append(record)

    def _register(self, sock: socket.socket) -> int:
        with self._lock:
            conn_id = next(self._conn_ids)
            self._connections[conn_id] = (sock, threading.current_thread())
        return conn_id

    def _unregister(self, conn_id: int) -> None:
        with self._lock:
            self._connections.pop(conn_id, None)

    def _strip_prefix(self, path: str) -> str | None:
        """The path to forward (upstream base path excluded), or None when outside the mount."""
        if not self.prefix:
            return path
        if path == self.prefix or path.startswith((self.prefix + "/", self.prefix + "?")):
            rest = path[len(self.prefix) :]
            return rest if rest.startswith("/") else "/" + rest
        return None

    def _connect(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._up_host,
                self._up_port,
                timeout=self.upstream_timeout,
                context=self._ssl_context or ssl.create_default_context(),
            )
        return http.client.HTTPConnection(
            self._up_host, self._up_port, timeout=self.upstream_timeout
        )

    def _rewrite_location(self, value: str) -> str:
        """Map a ``Location`` pointing at the upstream to the proxy (mount prefix included)."""
        parts = urlsplit(value)
        if parts.scheme:
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                return value
            try:
                port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            except ValueError:
                return value
            same = parts.hostname.lower() == self._up_host.lower() and port == self._up_port
            if not same:
                return value
            rest = value[len(parts.scheme) + 3 + len(parts.netloc) :]
            base = self.url
        elif value.startswith("/") and not value.startswith("//"):
            rest, base = value, ""
        else:
            return value  # relative to the current path: already right
        if self._up_base:
            base_path = self._up_base
            if rest != base_path and not rest.startswith(tuple(base_path + c for c in "/?#")):
                return value  # outside the upstream's base path: cannot be mapped
            rest = rest[len(base_path) :]
        return base + self.prefix + rest


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can be slow: skip it.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"FaultProxy-conn-{client_address[1]}",
            daemon=True,
        )
        worker.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client going away is normal here; report anything else.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or self.proxy._stopping.is_set():
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    _conn_id = 0
    _was_reset = False
    _expect_continue = False

    def __init__(self, request: Any, client_address: Any, server: BaseServer) -> None:
        self.proxy = cast(_Server, server).proxy
        super().__init__(request, client_address, server)

    # ---------------------------------------------------------------- connection handling

    def setup(self) -> None:
        super().setup()
        self._conn_id = self.proxy._register(self.connection)

    def finish(self) -> None:
        self.proxy._unregister(self._conn_id)
        if not self._was_reset:
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_expect_100(self) -> bool:
        # Send "100 Continue" only when the body is really read (never before a reset).
        self._expect_continue = True
        return True

    def handle_one_request(self) -> None:
        self._expect_continue = False
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                self.close_connection = True
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            try:
                self._handle()
            except _BadRequest as exc:
                self.close_connection = True
                self.send_error(HTTPStatus.BAD_REQUEST, str(exc))
            if not self._was_reset:
                self.wfile.flush()
        except OSError:
            # The client went away (or the proxy is stopping): drop the connection.
            self.close_connection = True

    # ---------------------------------------------------------------- one request

    def _handle(self) -> None:
        proxy = self.proxy
        method = self.command
        received = self.path
        target = _origin_form(received)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value

        def record(action: str, body: bytes) -> Record:
            entry = Record(method, received, headers, body, action, None, self._conn_id)
            proxy._record(entry)
            return entry

        path = proxy._strip_prefix(target)
        if path is None:
            record("not-found", self._read_body())
            self._send_direct(404, _NOT_FOUND_HTML, {"Content-Type": "text/html; charset=utf-8"})
            return

        fault = proxy._next_fault(method, path, target)
        if isinstance(fault, ResetBeforeRequest):
            record("reset-before", b"")
            self._reset()
            return

        body = self._read_body()
        if isinstance(fault, Status):
            record(f"status {fault.code}", body)
            self._send_status(fault)
            return

        # Logged on arrival (so a client that gave up still finds its request in the log);
        # the upstream status is filled in when known.
        if isinstance(fault, ResetAfterRequest):
            entry = record("reset-after", body)
        elif isinstance(fault, Delay):
            entry = record(f"delay {float(fault.seconds)}", body)
        elif isinstance(fault, Truncate):
            entry = record("truncate", body)
        else:
            entry = record("forwarded", body)
        conn = proxy._connect()
        response: http.client.HTTPResponse | None = None
        error = ""
        try:
            response = self._forward(conn, method, path, body)
            entry.upstream_status = response.status
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        try:
            if isinstance(fault, ResetAfterRequest):
                if response is not None:
                    with contextlib.suppress(OSError, http.client.HTTPException):
                        response.read()  # let the upstream finish its answer
                self._reset()
                return
            if response is None:
                entry.action = "upstream-error"
                self._send_direct(
                    502,
                    f"upstream error: {error}\n".encode(),
                    {"Content-Type": "text/plain; charset=utf-8"},
                )
                return
            if isinstance(fault, Delay) and proxy._stopping.wait(fault.seconds):
                self.close_connection = True
                return
            if isinstance(fault, Truncate):
                self._relay_half(response)
                return
            self._relay(response)
        finally:
            conn.close()

    def _read_body(self) -> bytes:
        if self._expect_continue:
            self._expect_continue = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise _BadRequest(f"bad Content-Length {length!r}") from None
        if size < 0:
            raise _BadRequest(f"bad Content-Length {length!r}")
        data = self.rfile.read(size)
        if len(data) < size:
            raise ConnectionError("client closed the connection in the middle of the body")
        return data

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise ConnectionError("client closed the connection in a chunked body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(f"bad chunk size line {line!r}") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: dropped
                return b"".join(parts)
            data = self.rfile.read(size)
            if len(data) < size:
                raise ConnectionError("client closed the connection in a chunked body")
            parts.append(data)
            self.rfile.readline(65537)  # CRLF after the chunk

    def _forward(
        self, conn: http.client.HTTPConnection, method: str, path: str, body: bytes
    ) -> http.client.HTTPResponse:
        proxy = self.proxy
        drop = set(_HOP_BY_HOP) | {"host", "content-length", "expect"}
        for value in self.headers.get_all("Connection", []):
            drop.update(token.strip().lower() for token in value.split(","))
        conn.putrequest(method, proxy._up_base + path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", proxy._up_hostheader)
        for name, value in self.headers.items():
            if name.lower() not in drop:
                conn.putheader(name, value)
        had_body = "Content-Length" in self.headers or "Transfer-Encoding" in self.headers
        if body or had_body:
            conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Connection", "close")
        conn.endheaders(body or None)
        return conn.getresponse()

    def _relay(self, response: http.client.HTTPResponse) -> None:
        proxy = self.proxy
        status = response.status
        drop = set(_HOP_BY_HOP) | {"content-length"}
        for value in response.headers.get_all("Connection", []):
            drop.update(token.strip().lower() for token in value.split(","))
        headers: list[tuple[str, str]] = []
        for name, value in response.getheaders():
            if name.lower() in drop:
                continue
            if name.lower() == "location":
                value = proxy._rewrite_location(value)
            headers.append((name, value))
        length = response.getheader("Content-Length")

        if self.command == "HEAD" or status in (204, 304) or 100 <= status < 200:
            if length is not None and status not in (204, 304):
                headers.append(("Content-Length", length))
            self._send_head(status, response.reason, headers)
            return

        if response.length is not None and not response.chunked:
            expected = response.length
            headers.append(("Content-Length", str(expected)))
            self._send_head(status, response.reason, headers)
            sent = 0
            while sent < expected:
                data = self._read_upstream(response)
                if not data:
                    self.close_connection = True  # upstream broke off: so must we
                    return
                self.wfile.write(data)
                sent += len(data)
            return

        if proxy.stream and self.request_version >= "HTTP/1.1":
            headers.append(("Transfer-Encoding", "chunked"))
            self._send_head(status, response.reason, headers)
            while True:
                try:
                    data = response.read1(_CHUNK)
                except (OSError, http.client.HTTPException):
                    self.close_connection = True  # no terminating chunk: client sees an error
                    return
                if not data:
                    break
                self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
            return

        try:
            data = response.read()
        except http.client.IncompleteRead as exc:
            data = exc.partial
        except OSError:
            data = b""
        headers.append(("Content-Length", str(len(data))))
        self._send_head(status, response.reason, headers)
        self.wfile.write(data)

    def _relay_half(self, response: http.client.HTTPResponse) -> None:
        try:
            data = response.read()
        except http.client.IncompleteRead as exc:
            data = exc.partial
        keep = {"content-type", "date", "server"}
        headers = [(k, v) for k, v in response.getheaders() if k.lower() in keep]
        headers.append(("Content-Length", str(len(data))))
        self._send_head(response.status, response.reason, headers)
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True  # a FIN before the announced length: a cut body

    def _read_upstream(self, response: http.client.HTTPResponse) -> bytes:
        try:
            return response.read1(_CHUNK)
        except (OSError, http.client.HTTPException):
            return b""

    def _send_head(self, status: int, reason: str, headers: list[tuple[str, str]]) -> None:
        self.send_response_only(status, reason or None)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send_direct(self, code: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        if code in (204, 304):
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_status(self, fault: Status) -> None:
        if fault.body is None:
            try:
                title = HTTPStatus(fault.code).phrase
            except ValueError:
                title = "Error"
            doc = {"title": title, "status": fault.code, "detail": "injected by FaultProxy"}
            body = json.dumps(doc).encode()
        elif isinstance(fault.body, str):
            body = fault.body.encode()
        else:
            body = fault.body
        headers: dict[str, str] = {"Content-Type": fault.content_type}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        for name, value in (fault.headers or {}).items():
            for existing in [k for k in headers if k.lower() == name.lower()]:
                del headers[existing]
            headers[name] = value
        self._send_direct(fault.code, body, headers)

    def _reset(self) -> None:
        """Close the client connection with an RST (SO_LINGER 0), without a FIN first."""
        self._was_reset = True
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # rfile holds a reference on the socket: release it so close() really closes (no
        # shutdown() first, which would send a FIN before the RST).
        self.rfile.close()
        self.wfile.close()
        sock.close()


def _origin_form(target: str) -> str:
    """``/path?query`` for an origin-form or absolute-form request target."""
    if target.startswith("/"):
        return target
    parts = urlsplit(target)
    if parts.scheme and parts.netloc:
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path
    return "/" + target
