"""Helpers of the ``AirflowClient`` contract tests (``tests/contract/test_client*.py``).

Nothing here stands in for Airflow: the stub HTTP servers serve only what a real Airflow
will not do on demand (a redirect to another host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_client_ext import AirflowClient
from airflow_client_ext.testing import AirflowInstance
from airflow_client_ext.testing.plugin import airflow_targets, target_id

#: a password that no real user has: easy to find anywhere it leaks
WRONG_PASSWORD = "S3cret-Wrong-pw-xyz"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


# -- tests that make sense on one API only --------------------------------------------------
def only_api(api: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run a test that takes ``airflow_server`` only on the servers of ``api`` ("v1"/"v2").

    Works with :func:`parametrize_only_api`, called from the module's
    ``pytest_generate_tests``: the other servers are not collected for it at all (no skip).
    """

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func.only_api = api  # type: ignore[attr-defined]
        return func

    return mark


def _target_api(target: str) -> str | None:
    if target.startswith(("http://", "https://")):
        return None  # a running server: its API is known only once it is reached
    return "v1" if int(target.split(".")[0]) < 3 else "v2"


def parametrize_only_api(metafunc: pytest.Metafunc) -> None:
    """For a test marked with :func:`only_api`: parametrize ``airflow_server`` with the
    selected targets of that API. The module's hook runs before the plugin's, which leaves
    an ``airflow_server`` that a ``parametrize`` mark already names alone."""
    api = getattr(metafunc.function, "only_api", None)
    if api is None or "airflow_server" not in metafunc.fixturenames:
        return
    targets = airflow_targets(metafunc.config)
    chosen = [(i, t) for i, t in enumerate(targets) if _target_api(t) in (api, None)]
    metafunc.definition.add_marker(
        pytest.mark.parametrize(
            "airflow_server",
            [t for _, t in chosen],
            ids=[target_id(t, i) for i, t in chosen],
            indirect=True,
            scope="session",
        )
    )


def require_api(server: AirflowInstance, api: str) -> None:
    """Only for ``--airflow-url`` servers, whose API is unknown at collection."""
    if server.api_version != api:
        pytest.skip(f"a test of /api/{api}; this running server speaks /api/{server.api_version}")


# -- clients that are closed at the end of a test -------------------------------------------
class Clients:
    """Makes ``AirflowClient`` objects and closes them all at the end of the test."""

    def __init__(self) -> None:
        self._made: list[AirflowClient] = []

    def __call__(self, url: str, auth: Any = None, **options: Any) -> AirflowClient:
        client = AirflowClient(url, auth=auth, **options)
        self._made.append(client)
        return client

    def close(self) -> None:
        for client in self._made:
            client.close()
        self._made.clear()


@contextmanager
def clients_for_test() -> Iterator[Clients]:
    made = Clients()
    try:
        yield made
    finally:
        made.close()


# -- version-neutral bits of the generated models -------------------------------------------
def new_variable(client: AirflowClient, key: str, value: str) -> Any:
    """The request body of "create a variable" in the client's generated package."""
    generated = client.generated
    if client.api_version == "v1":
        return generated.Variable(key=key, value=value)
    return generated.VariableBody(key=key, value=value)


def create_variable(client: AirflowClient, key: str, value: str) -> Any:
    api = client.api("VariableApi")
    body = new_variable(client, key, value)
    if client.api_version == "v1":
        return api.post_variables(body)
    return api.post_variable(body)


def dag_file_text(dag_id: str) -> str:
    """A one-task DAG that imports on Airflow 2 and 3."""
    return f'''"""A DAG of the AirflowClient contract tests (removed at the end of the session)."""

import datetime

try:
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator

with DAG(
    dag_id={dag_id!r},
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["airflow-client-ext", "client-contract"],
):
    EmptyOperator(task_id="only")
'''


# -- JWTs for Airflow 3 ---------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def signed_jwt(template: str, secret: str, **changes: Any) -> str:
    """A JWT with the header and claims of ``template`` (a real token of the server),
    ``changes`` applied, signed HS512 with ``secret``."""
    header = template.split(".")[0]
    claims = {**jwt_claims(template), **changes}
    body = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha512).digest()
    return f"{body}.{_b64(signature)}"


def server_jwt_secret(server: AirflowInstance) -> str:
    """The JWT secret of a server started by the harness (it is in its environment)."""
    env: dict[str, str] = getattr(server, "env", {}) or {}
    secret = env.get("AIRFLOW__API_AUTH__JWT_SECRET")
    if not secret:
        pytest.skip("the JWT secret of a running (--airflow-url) server is not known here")
    return secret


def expired_jwt(server: AirflowInstance) -> str:
    """A token signed with the server's own secret and claims, expired an hour ago."""
    now = int(time.time())
    return signed_jwt(
        server.get_token(),
        server_jwt_secret(server),
        iat=now - 7200,
        nbf=now - 7200,
        exp=now - 3600,
    )


# -- secrets --------------------------------------------------------------------------------
def leaks(texts: Iterable[object], secrets: Iterable[str]) -> list[str]:
    """The (shortened) texts that contain one of the secrets."""
    found = []
    secrets = [s for s in secrets if s]
    for text in texts:
        rendered = str(text)
        if any(secret in rendered for secret in secrets):
            found.append(rendered[:300])
    return found


def log_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    """Everything a log handler could print of the records: message, args, traceback."""
    texts = []
    for record in records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]))
            texts.append(str(record.exc_info[1]))
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


def error_texts(exc: BaseException) -> list[str]:
    """What a person or a log may see of an error: str, repr, args and its fields."""
    texts: list[object] = [str(exc), repr(exc), exc.args]
    for name in ("detail", "title", "body_excerpt", "headers", "path", "method", "type"):
        if hasattr(exc, name):
            texts.append(getattr(exc, name))
    return [str(t) for t in texts]


# -- stub HTTP servers for redirects --------------------------------------------------------
class RecordingServer:
    """A tiny HTTP server on 127.0.0.1 that records the headers of each request and answers
    with ``route(path)``: ``(status, headers, body)``."""

    def __init__(self, route: Callable[[RecordingServer, str], tuple[int, dict[str, str], bytes]]):
        self.received: list[tuple[str, dict[str, str]]] = []
        self._route = route
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = server._route(server, self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
