"""Redirects never carry credentials to another host.

A real Airflow does not redirect an API call to another host on demand, so two tiny stub
servers on loopback play the parts: ``first`` answers 302 towards ``second`` (or towards
itself), and each records the headers it received. ``localhost`` and ``127.0.0.1`` are
different hosts to urllib3, as are two ports of one address.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from client_support import Clients, RecordingServer, clients_for_test, leaks

from airflow_client_ext import Auth, BasicAuth, BearerAuth, HeaderAuth

DAGS = json.dumps({"dags": [], "total_entries": 0}).encode()
JSON = {"Content-Type": "application/json"}

# kind -> (a fresh auth, the API it speaks, the header that carries it, the header's value)
AUTHS: dict[str, tuple[Callable[[], Auth], str, str, str]] = {
    "basic": (
        lambda: BasicAuth("redirect-user", "Redirect-pw-4711"),
        "v1",
        "authorization",
        "Basic " + base64.b64encode(b"redirect-user:Redirect-pw-4711").decode(),
    ),
    "bearer": (
        lambda: BearerAuth("redirect-token-0815"),
        "v2",
        "authorization",
        "Bearer redirect-token-0815",
    ),
    "api-key": (
        lambda: HeaderAuth("X-API-Key", "redirect-key-2342"),
        "v2",
        "x-api-key",
        "redirect-key-2342",
    ),
}


@pytest.fixture
def clients() -> Iterator[Clients]:
    with clients_for_test() as made:
        yield made


@pytest.fixture
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    """``first`` redirects ``/cross-host/...`` to ``second`` as ``localhost``,
    ``/cross-port/...`` to ``second`` as ``127.0.0.1``, ``/same/...`` to its own
    ``/final/...``; ``second`` and ``/final/`` answer an empty DAG list."""

    def second_route(_: RecordingServer, path: str) -> tuple[int, dict[str, str], bytes]:
        return 200, JSON, DAGS

    second = RecordingServer(second_route).start()

    def first_route(me: RecordingServer, path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/cross-host/"):
            return 302, {"Location": f"http://localhost:{second.port}{path}"}, b""
        if path.startswith("/cross-port/"):
            return 302, {"Location": f"http://127.0.0.1:{second.port}{path}"}, b""
        if path.startswith("/same/"):
            return 302, {"Location": f"http://127.0.0.1:{me.port}/final{path}"}, b""
        return 200, JSON, DAGS

    first = RecordingServer(first_route)
    try:
        first.start()
        yield first, second
    finally:
        first.stop()
        second.stop()


def call(clients: Clients, base: str, auth: Any, api: str) -> Any:
    client = clients(base, auth, api_version=api, trust_env=False, timeout=5)
    return client.api("DAGApi").get_dags(limit=1)


@pytest.mark.parametrize("kind", sorted(AUTHS))
@pytest.mark.parametrize("where", ["cross-host", "cross-port"])
def test_credentials_are_dropped_on_a_redirect_to_another_host(
    servers: tuple[RecordingServer, RecordingServer], clients: Clients, kind: str, where: str
) -> None:
    first, second = servers
    make_auth, api, header, value = AUTHS[kind]
    auth = make_auth()
    result = call(clients, f"http://127.0.0.1:{first.port}/{where}", auth, api)
    assert result.total_entries == 0  # the redirect was followed to the end

    [(first_path, sent)] = first.received
    assert first_path == f"/{where}/api/{api}/dags?limit=1"
    assert sent[header] == value  # the credentials went to the host they were meant for

    [(second_path, received)] = second.received
    assert second_path == first_path
    assert header not in received  # ... and not a step further
    assert "authorization" not in received
    assert leaks(received.values(), [value, *auth.secrets()]) == []


@pytest.mark.parametrize("kind", sorted(AUTHS))
def test_credentials_are_kept_on_a_redirect_to_the_same_host(
    servers: tuple[RecordingServer, RecordingServer], clients: Clients, kind: str
) -> None:
    first, second = servers
    make_auth, api, header, value = AUTHS[kind]
    result = call(clients, f"http://127.0.0.1:{first.port}/same", make_auth(), api)
    assert result.total_entries == 0

    [(path, sent), (final_path, kept)] = first.received
    assert path == f"/same/api/{api}/dags?limit=1"
    assert final_path == f"/final{path}"
    assert sent[header] == kept[header] == value  # same scheme, host and port: kept
    assert second.received == []
