"""How the transport reads a 2xx body, against a loopback server: a small body in a single
read, on a connection that is then reused; gzip and chunked bodies decoded whole; the
loaded response behaving as urllib3's own preloaded one; secret headers dropped on a
redirect to another host. The limits on size and time are in ``test_bad_answers.py``."""

from __future__ import annotations

import gzip
import io
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import urllib3

from airflow_client_ext import BearerAuth, RetryPolicy
from airflow_client_ext._body import LoadedResponse, iter_body, load_body
from airflow_client_ext._http import Request
from airflow_client_ext.transport import Transport

DOC = {"dag_id": "d", "items": list(range(50))}
BODY = json.dumps(DOC).encode()
TOKEN = "s3cret-redirect-token"

Route = Callable[[BaseHTTPRequestHandler], None]


def send(handler: BaseHTTPRequestHandler, body: bytes, **headers: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    if "Transfer_Encoding" not in headers:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def chunked(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for start in range(0, len(BODY), 100):
        part = BODY[start : start + 100]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
    handler.wfile.write(b"0\r\n\r\n")


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.ports: list[int] = []  # the client's port of each request: its connection
        self.seen: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            routes: ClassVar[dict[str, Route]] = self.routes

            def do_GET(self) -> None:
                server.ports.append(self.client_address[1])
                server.seen.append(dict(self.headers))
                self.routes[self.path](self)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture
def server() -> Iterator[Server]:
    made = Server()
    yield made
    made.close()


def get(transport: Transport, url: str) -> urllib3.BaseHTTPResponse:
    return transport.send(Request("GET", url, {"Accept": "application/json"}))


def test_a_small_body_is_read_in_one_read_on_a_reused_connection(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/d"] = lambda h: send(h, BODY)
    reads: list[int] = []
    real_read1 = urllib3.HTTPResponse.read1

    def read1(self: urllib3.HTTPResponse, *args: Any, **kwargs: Any) -> bytes:
        data = real_read1(self, *args, **kwargs)
        reads.append(len(data))
        return data

    monkeypatch.setattr(urllib3.HTTPResponse, "read1", read1)
    transport = Transport(retry=RetryPolicy(total=0))
    for _ in range(5):
        response = get(transport, f"{server.url}/d")
        assert response.data == BODY
        assert response.headers["Content-Length"] == str(len(BODY))
    assert reads == [len(BODY)] * 5  # no read to see the end: the length says it
    assert len(set(server.ports)) == 1  # and the connection went back to the pool


def test_a_gzip_body_is_decoded_and_its_headers_say_so(server: Server) -> None:
    packed = gzip.compress(BODY)
    server.routes["/z"] = lambda h: send(h, packed, Content_Encoding="gzip")
    transport = Transport(retry=RetryPolicy(total=0))
    for _ in range(2):
        response = get(transport, f"{server.url}/z")
        assert response.data == BODY
        assert "Content-Encoding" not in response.headers
        assert response.headers["Content-Length"] == str(len(BODY))
    assert len(set(server.ports)) == 1


def test_a_chunked_body_is_read_to_its_end(server: Server) -> None:
    server.routes["/c"] = chunked
    transport = Transport(retry=RetryPolicy(total=0))
    for _ in range(2):
        response = get(transport, f"{server.url}/c")
        assert response.json() == DOC
        assert "Transfer-Encoding" not in response.headers
    assert len(set(server.ports)) == 1  # read to the last chunk: reusable


def test_a_body_with_a_length_stops_there_only_once_the_response_is_done() -> None:
    body = urllib3.HTTPResponse(
        body=io.BytesIO(b"abcdef"),
        headers={"Content-Length": "6"},
        preload_content=False,
    )
    assert list(iter_body(body, 10, length=6)) == [b"abcdef"]
    longer = urllib3.HTTPResponse(
        body=io.BytesIO(b"abcdef" * 20000),  # past one read: two chunks
        headers={"Content-Length": "120000"},
        preload_content=False,
    )
    chunks = list(iter_body(longer, 10, length=120000))
    assert b"".join(chunks) == b"abcdef" * 20000
    assert len(chunks) == 2


def answer(body: bytes, **headers: str) -> urllib3.HTTPResponse:
    """A response whose body is still to be read."""
    response = urllib3.HTTPResponse(
        body=io.BytesIO(body),
        headers={
            "Content-Type": "application/json",
            **{name.replace("_", "-"): value for name, value in headers.items()},
        },
        status=201,
        reason="Created",
        request_url="http://h/x",
        preload_content=False,
    )
    return response


def loaded(response: urllib3.HTTPResponse) -> urllib3.BaseHTTPResponse:
    return load_body(response, max_bytes=1000, seconds=10)


def behaves_as_preloaded(loaded: urllib3.BaseHTTPResponse, data: bytes) -> None:
    assert isinstance(loaded, urllib3.HTTPResponse)
    assert (loaded.status, loaded.reason, loaded.geturl()) == (201, "Created", "http://h/x")
    assert loaded.data == data
    assert loaded.read() == b""  # all of it is in .data, as after preload_content=True
    assert loaded.data == data
    assert list(loaded.stream()) == []
    assert loaded.headers["Content-Length"] == str(len(data))


def test_a_loaded_response_behaves_as_a_preloaded_one() -> None:
    original = answer(b"{}", Content_Length="2")
    read = loaded(original)
    assert read is original  # its headers say what the body is: no second response
    behaves_as_preloaded(read, b"{}")
    assert read.json() == {}
    behaves_as_preloaded(loaded(answer(b"", Content_Length="0")), b"")


def test_a_decoded_body_gets_a_response_whose_headers_say_so() -> None:
    packed = gzip.compress(b"{}")
    original = answer(packed, Content_Length=str(len(packed)), Content_Encoding="gzip")
    read = loaded(original)
    assert isinstance(read, LoadedResponse)
    behaves_as_preloaded(read, b"{}")
    assert "Content-Encoding" not in read.headers
    assert original.headers["Content-Encoding"] == "gzip"  # a copy was rewritten


def test_secret_headers_are_dropped_on_a_redirect_to_another_host(server: Server) -> None:
    other = Server()
    try:
        other.routes["/landing"] = lambda h: send(h, BODY)
        target = other.url.replace("127.0.0.1", "localhost") + "/landing"

        def redirect(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        server.routes["/away"] = redirect
        transport = Transport(auth=BearerAuth(TOKEN), retry=RetryPolicy(total=0))
        for _ in range(2):  # the redirect policy is shared by requests: it is not spent
            assert get(transport, f"{server.url}/away").data == BODY
        assert [h.get("Authorization") for h in server.seen] == [f"Bearer {TOKEN}"] * 2
        assert [h.get("Authorization") for h in other.seen] == [None, None]
    finally:
        other.close()
