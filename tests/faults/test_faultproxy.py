"""Tests of the fault-injecting proxy against a tiny in-process upstream HTTP server."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3
from faultproxy import (
    Delay,
    FaultProxy,
    Forward,
    ResetAfterRequest,
    ResetBeforeRequest,
    Status,
)
from urllib3.exceptions import ProtocolError, ReadTimeoutError

# ------------------------------------------------------------------------------- the upstream


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for s in self.seen if path is None or s.path == path)


class _UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: Upstream

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(
        self, code: int, body: bytes, ctype: str = "application/json", **extra: str
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))
        self.wfile.flush()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.state.lock:
            self.state.seen.append(Seen(self.command, self.path, dict(self.headers), body))
        here = self.state.url
        if self.path.startswith("/hello"):
            self._answer(200, b'{"hello": "world"}')
        elif self.path == "/slow":
            self.state.release.wait(5)
            self._answer(200, b'{"slow": true}')
        elif self.path == "/echo":
            self._answer(200, body, self.headers.get("Content-Type", "application/octet-stream"))
        elif self.path == "/redirect-abs":
            self._answer(302, b"", Location=f"{here}/target?x=1")
        elif self.path == "/redirect-rel":
            self._answer(302, b"", Location="/target")
        elif self.path == "/redirect-other":
            self._answer(302, b"", Location="http://example.invalid/elsewhere")
        elif self.path in ("/chunked", "/stream"):
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(b'{"line": 1}\n')
            if self.path == "/stream":
                self.state.release.wait(5)
            self._chunk(b'{"line": 2}\n')
            self._chunk(b'{"line": 3}\n')
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._answer(404, b'{"detail": "Not Found"}')

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream()
    handler = type("Handler", (_UpstreamHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(2)


@pytest.fixture
def pool() -> Iterator[urllib3.PoolManager]:
    with urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(5.0)) as manager:
        yield manager


def connect(proxy: FaultProxy, timeout: float = 5.0) -> http.client.HTTPConnection:
    host, port = proxy.url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


# ---------------------------------------------------------------------------------- the tests


def test_forwards_unchanged_but_hop_by_hop_and_host(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")
        response = pool.request(
            "GET",
            proxy.url + "/hello?q=1",
            headers={
                "X-Keep": "yes",
                "Authorization": "Bearer t",
                "Connection": "keep-alive, X-Drop-Me",
                "X-Drop-Me": "1",
                "Keep-Alive": "timeout=5",
                "Proxy-Authorization": "Basic xyz",
            },
        )
        assert response.status == 200
        assert response.json() == {"hello": "world"}
        [seen] = upstream.seen
        assert seen.path == "/hello?q=1"
        assert seen.headers["Host"] == upstream.url.removeprefix("http://")
        assert seen.headers["X-Keep"] == "yes"
        assert seen.headers["Authorization"] == "Bearer t"
        for dropped in ("X-Drop-Me", "Keep-Alive", "Proxy-Authorization"):
            assert dropped not in seen.headers
        [record] = proxy.log
        assert (record.method, record.path, record.action) == ("GET", "/hello?q=1", "forwarded")
        assert record.upstream_status == 200
        assert record.headers["X-Drop-Me"] == "1"  # logged as received
        assert proxy.count("get", "/hello") == 1


def test_status_with_retry_after_then_forward(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        proxy.plan(Status(503, retry_after="1"), Status(503), match="POST /echo")
        first = pool.request("POST", proxy.url + "/echo", body=b"a")
        assert first.status == 503
        assert first.headers["Retry-After"] == "1"
        assert first.headers["Content-Type"] == "application/json"
        assert first.json()["status"] == 503
        assert first.json()["title"] == "Service Unavailable"
        second = pool.request("POST", proxy.url + "/echo", body=b"b")
        assert second.status == 503
        assert "Retry-After" not in second.headers
        third = pool.request("POST", proxy.url + "/echo", body=b"c")
        assert (third.status, third.data) == (200, b"c")
        assert upstream.count() == 1
        assert [r.action for r in proxy.log] == ["status 503", "status 503", "forwarded"]
        assert [r.body for r in proxy.log] == [b"a", b"b", b"c"]
        assert proxy.count("POST", "/echo") == 3
        assert proxy.pending == 0


def test_status_html_error_page_and_custom_headers(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    html = "<html><body>Bad Gateway</body></html>"
    with FaultProxy(upstream.url) as proxy:
        proxy.plan(Status(502, body=html, content_type="text/html"))
        proxy.plan(Status(429, headers={"X-RateLimit-Reset": "0", "content-type": "text/plain"}))
        response = pool.request("GET", proxy.url + "/hello")
        assert response.status == 502
        assert response.headers["Content-Type"] == "text/html"
        assert response.data.decode() == html
        limited = pool.request("GET", proxy.url + "/hello")
        assert limited.status == 429
        assert limited.headers["X-RateLimit-Reset"] == "0"
        assert limited.headers.getlist("Content-Type") == ["text/plain"]
        assert upstream.count() == 0


def test_reset_before_request_never_reaches_upstream(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        proxy.plan(ResetBeforeRequest(), match="POST")
        with pytest.raises(ProtocolError) as caught:
            pool.request("POST", proxy.url + "/echo", body=b"payload")
        assert isinstance(caught.value.args[1], ConnectionResetError)
        assert upstream.count() == 0
        assert proxy.count("POST") == 1
        [record] = proxy.log
        assert (record.action, record.body, record.upstream_status) == ("reset-before", b"", None)
        again = pool.request("POST", proxy.url + "/echo", body=b"payload")
        assert (again.status, upstream.count()) == (200, 1)


def test_reset_after_request_is_processed_upstream(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        proxy.plan(ResetAfterRequest(), match="POST")
        with pytest.raises(ProtocolError) as caught:
            pool.request("POST", proxy.url + "/echo", body=b"payload")
        assert isinstance(caught.value.args[1], ConnectionResetError)
        assert upstream.count("/echo") == 1
        assert upstream.seen[0].body == b"payload"
        [record] = proxy.log
        assert (record.action, record.upstream_status) == ("reset-after", 200)


def test_delay_makes_a_short_read_timeout_expire(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        proxy.plan(Delay(3.0), Delay(0.2))
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            pool.request("GET", proxy.url + "/hello", timeout=urllib3.Timeout(read=0.2))
        assert time.monotonic() - started < 2.0
        assert upstream.count() == 1  # the request was forwarded
        assert proxy.log[0].action == "delay 3.0"
        started = time.monotonic()
        slow = pool.request("GET", proxy.url + "/hello")
        assert slow.status == 200
        assert time.monotonic() - started >= 0.2
        assert [r.action for r in proxy.log] == ["delay 3.0", "delay 0.2"]
    # the proxy stops promptly although a 3 s delay is still pending
    assert time.monotonic() - started < 2.0


def test_request_is_logged_on_arrival_status_filled_in_later(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        with pytest.raises(ReadTimeoutError):
            pool.request("GET", proxy.url + "/slow", timeout=urllib3.Timeout(read=0.2))
        [record] = proxy.log
        assert (record.action, record.upstream_status) == ("forwarded", None)
        upstream.release.set()
        deadline = time.monotonic() + 5
        while record.upstream_status is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert record.upstream_status == 200


def test_prefix_is_required_stripped_and_locations_rewritten(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url, prefix="/airflow/") as proxy:
        base = proxy.url + "/airflow"
        proxy.plan(Status(500))  # requests outside the mount never consume a fault
        outside = pool.request("GET", proxy.url + "/hello")
        assert outside.status == 404
        assert outside.headers["Content-Type"].startswith("text/html")
        assert b"<html>" in outside.data
        assert upstream.count() == 0
        assert proxy.log[0].action == "not-found"
        assert pool.request("GET", base + "/hello").status == 500
        assert pool.request("GET", base + "/hello?x=1").json() == {"hello": "world"}
        assert upstream.seen[-1].path == "/hello?x=1"
        assert proxy.log[-1].path == "/airflow/hello?x=1"

        kw: dict[str, Any] = {"redirect": False}
        abs_loc = pool.request("GET", base + "/redirect-abs", **kw).headers["Location"]
        assert abs_loc == base + "/target?x=1"
        assert pool.request("GET", base + "/redirect-rel", **kw).headers["Location"] == (
            "/airflow/target"
        )
        other = pool.request("GET", base + "/redirect-other", **kw).headers["Location"]
        assert other == "http://example.invalid/elsewhere"

        # path prefixes in match rules work with or without the mount prefix
        proxy.plan(Status(503), match="GET /hello")
        proxy.plan(Status(504), match="GET /airflow/hello")
        proxy.plan(Status(418), match=lambda method, path: path == "/echo")
        assert pool.request("GET", base + "/hello").status == 503
        assert pool.request("GET", base + "/hello").status == 504
        assert pool.request("POST", base + "/echo", body=b"x").status == 418


def test_keep_alive_across_requests_and_faults(upstream: Upstream) -> None:
    with FaultProxy(upstream.url) as proxy:
        proxy.plan(Status(503), match="GET /hello?fault")
        conn = connect(proxy)
        try:
            conn.request("GET", "/hello")
            first = conn.getresponse()
            assert (first.status, first.read()) == (200, b'{"hello": "world"}')
            sock = conn.sock
            assert sock is not None
            for method, path, body, status in [
                ("POST", "/echo", b"one", 200),
                ("GET", "/chunked", None, 200),
                ("GET", "/hello?fault", None, 503),
                ("GET", "/missing", None, 404),
                ("POST", "/echo", b"two", 200),
            ]:
                conn.request(method, path, body=body)
                response = conn.getresponse()
                data = response.read()
                assert response.status == status
                assert not response.will_close
                if body:
                    assert data == body
                assert conn.sock is sock  # http.client would have reconnected otherwise
        finally:
            conn.close()
        assert len(proxy.log) == 6
        assert {r.connection for r in proxy.log} == {proxy.log[0].connection}


def test_match_rules(upstream: Upstream, pool: urllib3.PoolManager) -> None:
    def status(method: str, path: str) -> int:
        return pool.request(
            method, proxy.url + path, body=b"x" if method == "POST" else None
        ).status

    with FaultProxy(upstream.url) as proxy:
        proxy.plan(Status(501), match="POST")
        proxy.plan(Status(502), Status(503), match="/hello")
        proxy.plan(Status(400), match="get /hello?x")
        proxy.plan(Status(418), match=lambda method, path: path.endswith("/tea"))
        assert status("GET", "/hello") == 502
        assert status("GET", "/hello?x=1") == 503  # first matching plan with faults left wins
        assert status("GET", "/hello?x=1") == 400
        assert status("GET", "/hello?x=1") == 200  # nothing pending: forwarded
        assert status("DELETE", "/pot/tea") == 418
        assert status("DELETE", "/pot/tea") == 404  # forwarded, upstream's 404
        assert status("POST", "/echo") == 501
        assert status("POST", "/echo") == 200
        assert proxy.pending == 0

        plan = proxy.plan(Forward(), Status(500), match="GET /hello")
        assert plan.remaining == 2
        assert status("PUT", "/hello") == 200  # method does not match: forwarded
        assert plan.remaining == 2
        assert status("GET", "/hello") == 200
        assert status("GET", "/hello") == 500
        assert plan.remaining == 0
        assert proxy.count("GET", "/hello") == 6
        assert proxy.count(path_contains="tea") == 2

        proxy.plan(Status(500), Status(500))
        proxy.clear()
        assert (proxy.pending, proxy.log) == (0, [])
        assert status("GET", "/hello") == 200

    with pytest.raises(ValueError, match="match must be"):
        proxy.plan(Status(500), match="api/v2")
    with pytest.raises(TypeError):
        proxy.plan(503)  # type: ignore[arg-type]


def test_streaming_is_relayed_incrementally_and_concurrently(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url) as proxy:
        conn = connect(proxy, timeout=3.0)
        try:
            conn.request("GET", "/stream")
            response = conn.getresponse()
            assert response.getheader("Transfer-Encoding") == "chunked"
            assert response.getheader("Content-Type") == "application/x-ndjson"
            # the upstream is holding the rest of the stream until `release` is set
            assert json.loads(response.readline()) == {"line": 1}
            # another connection is served while this one is streaming
            assert pool.request("GET", proxy.url + "/hello").status == 200
            upstream.release.set()
            rest = [json.loads(line) for line in response.read().splitlines()]
            assert rest == [{"line": 2}, {"line": 3}]
            # and the connection is still usable
            conn.request("GET", "/hello")
            assert conn.getresponse().read() == b'{"hello": "world"}'
        finally:
            conn.close()


def test_buffered_mode_relays_chunked_with_content_length(
    upstream: Upstream, pool: urllib3.PoolManager
) -> None:
    with FaultProxy(upstream.url, stream=False) as proxy:
        response = pool.request("GET", proxy.url + "/chunked")
        assert response.status == 200
        assert "Transfer-Encoding" not in response.headers
        assert response.headers["Content-Length"] == str(len(response.data))
        assert response.data.splitlines() == [b'{"line": 1}', b'{"line": 2}', b'{"line": 3}']


def test_chunked_request_body_is_forwarded_with_content_length(upstream: Upstream) -> None:
    with FaultProxy(upstream.url) as proxy:
        conn = connect(proxy)
        try:
            conn.request("POST", "/echo", body=iter([b"ab", b"cd"]), encode_chunked=True)
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"abcd")
        finally:
            conn.close()
        [seen] = upstream.seen
        assert seen.headers["Content-Length"] == "4"
        assert "Transfer-Encoding" not in seen.headers
        assert proxy.log[0].body == b"abcd"


def test_unreachable_upstream_gives_502(pool: urllib3.PoolManager) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FaultProxy(f"http://127.0.0.1:{port}") as proxy:
        response = pool.request("GET", proxy.url + "/hello")
        assert response.status == 502
        assert proxy.log[0].action == "upstream-error"


def test_stop_leaves_no_threads_even_with_idle_keep_alive_clients(upstream: Upstream) -> None:
    proxy = FaultProxy(upstream.url)
    with proxy:
        conn = connect(proxy)
        conn.request("GET", "/hello")
        conn.getresponse().read()  # the connection stays open, its proxy thread waits
        assert any(t.name.startswith("FaultProxy-conn-") for t in threading.enumerate())
    try:
        assert not [t for t in threading.enumerate() if t.name.startswith("FaultProxy")]
        with pytest.raises(RuntimeError):
            _ = proxy.url
        conn.request("GET", "/hello")
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            conn.getresponse()
    finally:
        conn.close()
