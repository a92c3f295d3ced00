"""A tiny SPNEGO (HTTP ``Negotiate``) server, for what Airflow 2.11.2 never does: send its
own Kerberos token back (mutual authentication).

It accepts tokens with pyspnego's server side, using the service keytab named by
``KRB5_KTNAME`` (the test sets it), and answers ``GET`` with Airflow's ``/version`` document.
``server_token`` says what the 200 carries in ``WWW-Authenticate``: the real token of the
exchange (``"real"``), nothing (``"none"``, as Airflow 2.11.2), a well-formed token of an
earlier exchange (``"stale"``), or bytes that are no token (``"garbage"``). ``fail_next``
answers that many authenticated requests with 503 first (for retries). It runs in a thread
of the test process; ``stop()`` shuts it down.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import spnego
from spnego.exceptions import SpnegoError


class SpnegoStub:
    def __init__(self) -> None:
        self.server_token = "real"
        self.fail_next = 0
        self.tokens: list[str] = []  # every Negotiate token received, in order
        self.accepted: list[str] = []  # the client principal of each accepted token
        self.rejected: list[str] = []  # why a token was refused
        self._stale: bytes | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SpnegoStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                stub._answer(self)

        return Handler

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        header = handler.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "negotiate" or not token:
            self._send(handler, 401, {"title": "Unauthorized"}, "Negotiate")
            return
        with self._lock:
            self.tokens.append(token)
        server = spnego.server(protocol="kerberos")
        try:
            reply = server.step(base64.b64decode(token)) or b""
        except SpnegoError as exc:
            with self._lock:
                self.rejected.append(str(exc))
            self._send(handler, 401, {"title": "Unauthorized"}, "Negotiate")
            return
        with self._lock:
            self.accepted.append(str(server.client_principal))
            if self.fail_next:
                self.fail_next -= 1
                self._send(handler, 503, {"title": "Service Unavailable"}, None)
                return
            stale, self._stale = self._stale, reply
        answer = {
            "real": reply,
            "none": None,
            "stale": stale,
            "garbage": b"\x60\x03not a kerberos token",
        }[self.server_token]
        negotiate = f"Negotiate {base64.b64encode(answer).decode()}" if answer else None
        self._send(handler, 200, {"version": "2.11.2", "git_version": None}, negotiate)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, doc: object, negotiate: str | None
    ) -> None:
        body = json.dumps(doc).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if negotiate:
            handler.send_header("WWW-Authenticate", negotiate)
        handler.end_headers()
        handler.wfile.write(body)
