"""Bad answers become typed errors of this package, in bounded time and memory.

A stub server on loopback answers what a real Airflow will not send on demand: truncated
JSON, the wrong content type, an HTML page with 200, an empty body, an answer that does not
fit the generated model, a 10 MB log, a body sent one byte per second, a body past the size
limit. Each goes through the real client, transport and generated code, once through the
generated API (``client.api(...)``) and once through the typed workflow.

The well-formed answers are real ones of Airflow 3.3.2 (``data/airflow-3.3.2.json``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from airflow_client_ext import (
    AirflowClient,
    BearerAuth,
    DagRunFailedError,
    InvalidResponseError,
    ResponseLimitError,
    RetryPolicy,
)
from airflow_client_ext.errors import TransportError, UnexpectedResponseError

CANNED = json.loads((Path(__file__).parent / "data" / "airflow-3.3.2.json").read_text())
RUN_PATH = "/api/v2/dags/quick_success/dagRuns/RUN"
TIS_PATH = f"{RUN_PATH}/taskInstances"
LOG_PATH = f"{TIS_PATH}/t/logs/1"
V1_RUN_PATH = "/api/v1/dags/quick_success/dagRuns/RUN"
TOKEN = "s3cret-bearer-value"
MB = 1024 * 1024

Answer = Callable[[BaseHTTPRequestHandler], None]


def reply(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    content_type: str | None = "application/json",
    status: int = 200,
) -> None:
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    view = memoryview(body)  # slices of a body built beforehand: no copy in this process
    for start in range(0, len(body), 64 * 1024):
        handler.wfile.write(view[start : start + 64 * 1024])


def answer(body: bytes | str, content_type: str | None = "application/json") -> Answer:
    data = body.encode() if isinstance(body, str) else body
    return lambda handler: reply(handler, data, content_type)


def run_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(CANNED[RUN_PATH])
    for name, value in changes.items():
        if value is _DROP:
            del doc[name]
        else:
            doc[name] = value
    return doc


_DROP = object()


class Stub:
    """The routes of the running stub server: path -> answer; the version is always there."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        self.url = url
        self.stop = stop
        self.routes: dict[str, Answer] = {
            "/api/v2/version": answer('{"version": "3.3.2", "git_version": null}'),
            "/api/v1/version": answer('{"version": "2.11.2", "git_version": null}'),
        }

    def client(self, **options: Any) -> AirflowClient:
        options.setdefault("retry", RetryPolicy(total=0))
        return AirflowClient(self.url, auth=BearerAuth(TOKEN), **options)


class _Handler(BaseHTTPRequestHandler):
    stub: ClassVar[Stub]

    def do_GET(self) -> None:
        route = self.stub.routes.get(self.path.split("?", 1)[0])
        if route is None:
            reply(self, b'{"detail": "Not Found"}', status=404)
            return
        # the client may give up on an answer: what the slow tests want
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[Stub]:
    stop = threading.Event()
    handler = type("Handler", (_Handler,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    made = Stub(f"http://127.0.0.1:{httpd.server_address[1]}", stop)
    handler.stub = made
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        stop.set()  # a trickling answer stops at once
        httpd.shutdown()
        httpd.server_close()  # joins the handler threads
        thread.join(10)
        assert not thread.is_alive()


def trickle(total: int, per_second: float = 1.0) -> Answer:
    """Announce ``total`` bytes of JSON, then send one byte per 1/per_second seconds."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        stop: threading.Event = handler.stub.stop  # type: ignore[attr-defined]
        handler.wfile.write(b"{")
        for _ in range(total - 1):
            if stop.wait(1 / per_second):
                return
            handler.wfile.write(b" ")

    return send


def get_run_both_ways(client: AirflowClient) -> list[BaseException]:
    """The same read through the generated API and through the typed workflow."""
    errors: list[BaseException] = []
    for call in (
        lambda: client.api("DagRunApi").get_dag_run("quick_success", "RUN"),
        lambda: client.get_dag_run("quick_success", "RUN"),
    ):
        with pytest.raises((InvalidResponseError, UnexpectedResponseError)) as info:
            call()
        errors.append(info.value)
    return errors


def assert_names_what_to_do(error: InvalidResponseError, server_version: str = "3.3.2") -> None:
    message = str(error)
    assert f"GET {RUN_PATH} (DagRunApi.get_dag_run) answered 200" in message
    assert error.operation == "DagRunApi.get_dag_run"
    assert (error.method, error.path, error.status) == ("GET", RUN_PATH, 200)
    assert error.server_version == server_version
    assert f"server: Airflow {server_version}" in message
    assert "upgrade airflow-client-ext" in message
    assert 'client.api("DagRunApi").get_dag_run_without_preload_content(...)' in message
    assert TOKEN not in message
    assert TOKEN not in repr(error)
    assert TOKEN not in error.body_excerpt


# -- JSON the client cannot read ----------------------------------------------------------------
def test_truncated_json_names_the_operation_and_keeps_the_decode_error(stub: Stub) -> None:
    body = json.dumps(run_doc())
    stub.routes[RUN_PATH] = answer(body[: len(body) // 2])
    for error in get_run_both_ways(stub.client()):
        assert isinstance(error, InvalidResponseError)
        assert_names_what_to_do(error)
        assert "with a body that is not valid JSON (truncated? it ends mid-document)" in str(error)
        assert isinstance(error.__cause__, json.JSONDecodeError)
        assert error.fields == []


def test_json_under_a_text_content_type_is_refused_not_parsed_as_text(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc()), "text/plain; charset=utf-8")
    for error in get_run_both_ways(stub.client()):
        assert isinstance(error, InvalidResponseError)
        assert_names_what_to_do(error)
        assert "with Content-Type 'text/plain; charset=utf-8' where JSON was expected" in str(error)
        assert error.content_type == "text/plain; charset=utf-8"


def test_an_octet_stream_is_refused(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(b"\x00\x01\x02 binary", "application/octet-stream")
    for error in get_run_both_ways(stub.client()):
        assert isinstance(error, InvalidResponseError)
        assert "'application/octet-stream' where JSON was expected" in str(error)


def test_an_empty_json_body_is_refused(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(b"")
    for error in get_run_both_ways(stub.client()):
        assert isinstance(error, InvalidResponseError)
        assert_names_what_to_do(error)
        assert "200 with an empty body (0 bytes) where JSON was expected" in str(error)


def test_an_empty_body_labelled_html_is_no_page(stub: Stub) -> None:
    """Airflow 2 labels its bodiless answers text/html: an empty body is judged as empty."""
    stub.routes[RUN_PATH] = answer(b"", "text/html; charset=utf-8")
    for error in get_run_both_ways(stub.client()):
        assert type(error) is InvalidResponseError  # not UnexpectedResponseError's "page"
        assert "answered 200 with Content-Type 'text/html; charset=utf-8'" in str(error)
        assert "HTML page" not in str(error)


def test_an_html_page_with_200_stays_an_unexpected_response(stub: Stub) -> None:
    page = "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
    stub.routes[RUN_PATH] = answer(page, "text/html")
    for error in get_run_both_ways(stub.client()):
        assert type(error) is UnexpectedResponseError
        assert "answered 200 with an HTML page" in str(error)
        assert "Welcome to nginx!" in error.body_excerpt  # type: ignore[attr-defined]


# -- JSON that does not fit the model -------------------------------------------------------------
def test_a_field_of_the_wrong_type_is_named(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc(state=12)))
    for error in get_run_both_ways(stub.client()):
        assert isinstance(error, InvalidResponseError)
        assert_names_what_to_do(error)
        assert error.fields
        assert error.fields[0].startswith("state")
        assert "with a body that does not fit the model: state: Input should be" in str(error)
        assert "(got 12)" in str(error)
        assert type(error.__cause__).__name__ == "ValidationError"


def test_a_missing_required_field_is_named(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc(dag_run_id=_DROP)))
    for error in get_run_both_ways(stub.client()):
        assert isinstance(error, InvalidResponseError)
        assert_names_what_to_do(error)
        assert error.fields == ["dag_run_id"]
        assert "dag_run_id: Input should be a valid string (got None)" in str(error)


def test_the_server_version_is_unknown_when_it_was_not_detected(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc(dag_run_id=_DROP)))
    client = AirflowClient(f"{stub.url}/api/v2", auth=BearerAuth(TOKEN), retry=RetryPolicy(0))
    with pytest.raises(InvalidResponseError) as info:
        client.api("DagRunApi").get_dag_run("quick_success", "RUN")
    assert_names_what_to_do(info.value, server_version="unknown")


def test_secrets_echoed_in_a_bad_answer_are_masked(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc(conf=TOKEN)))
    error = get_run_both_ways(stub.client())[0]
    assert isinstance(error, InvalidResponseError)
    assert error.fields == ["conf"]
    assert "***" in error.body_excerpt
    assert "(got '***')" in str(error)
    assert_names_what_to_do(error)  # and nowhere else either


def test_a_well_formed_answer_still_reads(stub: Stub) -> None:
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc()))
    client = stub.client()
    assert client.get_dag_run("quick_success", "RUN").run_id == "RUN"
    assert client.api("DagRunApi").get_dag_run("quick_success", "RUN").dag_run_id == "RUN"


# -- bounded time ---------------------------------------------------------------------------------
def test_a_body_sent_one_byte_per_second_ends_at_the_deadline(stub: Stub) -> None:
    stub.routes[RUN_PATH] = trickle(100)
    client = stub.client(max_body_seconds=2)
    for call in (
        lambda: client.api("DagRunApi").get_dag_run("quick_success", "RUN"),
        lambda: client.get_dag_run("quick_success", "RUN"),
    ):
        started = time.monotonic()
        with pytest.raises(ResponseLimitError) as info:
            call()
        took = time.monotonic() - started
        assert 1.9 <= took < 2.8, took
        error = info.value
        assert isinstance(error, TransportError)
        assert (error.limit, error.value, error.method, error.path) == (
            "max_body_seconds",
            2,
            "GET",
            RUN_PATH,
        )
        assert 1 <= error.received < 10
        assert "did not arrive within 2 s" in str(error)
        assert "max_body_seconds" in str(error)


def test_a_slow_body_of_a_get_is_retried_like_a_lost_answer_then_raised(stub: Stub) -> None:
    stub.routes[RUN_PATH] = trickle(100, per_second=4)
    client = stub.client(max_body_seconds=1, retry=RetryPolicy(total=1, backoff_base=0))
    started = time.monotonic()
    with pytest.raises(ResponseLimitError) as info:
        client.get_dag_run("quick_success", "RUN")
    took = time.monotonic() - started
    assert 1.9 <= took < 3.0, took  # two attempts of at most 1 s each
    assert info.value.retries == 1
    assert "after 2 attempts" in str(info.value)
    assert client.transport.stats.retries == 1


def test_the_body_deadline_is_five_read_timeouts_by_default() -> None:
    client = AirflowClient("http://127.0.0.1:1", api_version="v2", timeout=10)
    from airflow_client_ext._body import body_seconds

    transport = client.transport
    assert body_seconds(transport.max_body_seconds, transport.timeout) == 50
    assert body_seconds(None, AirflowClient("http://h", timeout=1).transport.timeout) == 30
    assert client.with_options(max_body_seconds=7).transport.max_body_seconds == 7
    with pytest.raises(ValueError, match="max_body_seconds must be a positive number"):
        client.with_options(max_body_seconds=0)


# -- bounded memory -------------------------------------------------------------------------------
def measured(call: Callable[[], Any]) -> tuple[Any, int, float]:
    """What ``call`` returns or raises, the peak of memory it allocated, and its time."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.monotonic()
    try:
        try:
            result: Any = call()
        except Exception as exc:
            result = exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak, time.monotonic() - started


def test_a_json_body_past_max_body_bytes_is_refused_from_its_length(stub: Stub) -> None:
    big = json.dumps({"dag_runs": [run_doc()] * 4000, "total_entries": 4000}).encode()
    assert len(big) > 3 * MB
    stub.routes["/api/v2/dags/quick_success/dagRuns"] = answer(big)
    stub.routes[RUN_PATH] = answer(big)
    client = stub.client(max_body_bytes=MB)
    client.api_version  # noqa: B018 - detect before measuring
    for call in (
        lambda: client.api("DagRunApi").get_dag_runs("quick_success"),
        lambda: client.get_dag_run("quick_success", "RUN"),
    ):
        error, peak, took = measured(call)
        assert isinstance(error, ResponseLimitError), error
        assert (error.limit, error.value) == ("max_body_bytes", MB)
        assert f"larger than max_body_bytes={MB} ({len(big)} bytes announced)" in str(error)
        assert peak < MB, peak  # nothing of the body was read
        assert took < 2


def test_a_json_body_without_length_is_cut_at_max_body_bytes(stub: Stub) -> None:
    big = json.dumps([run_doc()] * 3000).encode()

    def unannounced(handler: BaseHTTPRequestHandler) -> None:  # HTTP/1.0: ends at close
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        view = memoryview(big)
        for start in range(0, len(big), 64 * 1024):
            handler.wfile.write(view[start : start + 64 * 1024])

    stub.routes[RUN_PATH] = unannounced
    client = stub.client(max_body_bytes=MB)
    client.api_version  # noqa: B018
    error, peak, took = measured(lambda: client.get_dag_run("quick_success", "RUN"))
    assert isinstance(error, ResponseLimitError), error
    assert error.received > MB
    assert "bytes read" in str(error)
    assert "raise max_body_bytes" in str(error)
    assert peak < 3 * MB, peak  # the limit, a chunk, and the buffer's growth
    assert took < 2


def ndjson_log(size: int) -> tuple[bytes, int]:
    line = {
        "timestamp": "2026-12-02T15:50:30.123456Z",
        "event": "x" * 150,
        "level": "info",
        "logger": "task.stdout",
    }
    one = json.dumps(line).encode() + b"\n"
    count = size // len(one)
    last = dict(line, event="ValueError: the last line", level="error")
    return one * count + json.dumps(last).encode() + b"\n", count + 1


def test_a_10_mb_log_is_streamed_with_bounded_memory(stub: Stub) -> None:
    body, lines = ndjson_log(10 * MB)
    stub.routes[LOG_PATH] = answer(body, "application/x-ndjson")
    client = stub.client(max_body_bytes=MB)  # a log is streamed: the JSON limit is not for it
    client.api_version  # noqa: B018
    text, peak, took = measured(lambda: client.task_log("quick_success", "RUN", "t", 1))
    assert isinstance(text, str), text
    assert text.count("\n") == lines
    first = text.split("\n", 1)[0]
    assert first == "[2026-12-02T15:50:30.123456+00:00] {task.stdout} INFO - " + "x" * 150
    assert text.endswith("ERROR - ValueError: the last line\n")
    assert peak < 3 * len(body), (peak, len(body))  # the text, once, and its bytes
    assert took < 30


def test_the_json_form_of_a_log_is_read_too(stub: Stub) -> None:
    items = [{"timestamp": "2026-12-02T15:50:30Z", "event": "hello", "level": "info"}, "plain"]
    stub.routes[LOG_PATH] = answer(json.dumps({"content": items, "continuation_token": None}))
    text = stub.client().task_log("quick_success", "RUN", "t", 1)
    assert text == "[2026-12-02T15:50:30+00:00] INFO - hello\nplain\n"


def test_an_airflow_2_log_is_streamed_as_text(stub: Stub) -> None:
    body = b"".join(b"[2026-12-02] INFO - line %d\n" % i for i in range(400_000))
    stub.routes["/api/v1/dags/quick_success/dagRuns/RUN/taskInstances/t/logs/1"] = answer(
        body, "text/plain"
    )
    client = stub.client(api_version="v1", max_body_bytes=MB)
    client.server_version  # noqa: B018
    text, peak, _ = measured(lambda: client.task_log("quick_success", "RUN", "t", 1))
    assert isinstance(text, str), text
    assert len(text) == len(body)
    assert text.endswith("line 399999\n")
    assert peak < 3 * len(body), (peak, len(body))


def test_a_failed_run_reads_only_the_end_of_a_10_mb_log(stub: Stub) -> None:
    body, _ = ndjson_log(10 * MB)
    tis = copy.deepcopy(CANNED[TIS_PATH])
    tis["task_instances"] = [
        dict(tis["task_instances"][0], task_id="t", state="failed", try_number=1, map_index=-1)
    ]
    tis["total_entries"] = 1
    stub.routes[RUN_PATH] = answer(json.dumps(run_doc(state="failed")))
    stub.routes[TIS_PATH] = answer(json.dumps(tis))
    stub.routes[LOG_PATH] = answer(ndjson_log(1000)[0], "application/x-ndjson")
    client = stub.client()

    def wait() -> None:
        client.wait("quick_success", "RUN", raise_on_failure=True, use_wait_endpoint=False)

    with pytest.raises(DagRunFailedError):
        wait()  # once with a small log: the generated modules it imports are not measured
    stub.routes[LOG_PATH] = answer(body, "application/x-ndjson")
    error, peak, _ = measured(wait)
    assert isinstance(error, DagRunFailedError), error
    tail = error.log_tails["t"]
    assert tail.endswith("ERROR - ValueError: the last line")
    assert len(tail) <= 4096
    assert len(tail.splitlines()) <= 40
    assert (
        "t: [2026-12-02T15:50:30.123456+00:00] {task.stdout} ERROR - ValueError: the last line"
        in str(error)
    )
    assert peak < 2 * MB, peak  # the log is 10 MB


def test_a_log_that_trickles_ends_at_the_deadline(stub: Stub) -> None:
    stub.routes[LOG_PATH] = trickle(100)
    client = stub.client(max_body_seconds=1)
    client.api_version  # noqa: B018
    started = time.monotonic()
    with pytest.raises(ResponseLimitError) as info:
        client.task_log("quick_success", "RUN", "t", 1)
    assert time.monotonic() - started < 1.5
    assert info.value.limit == "max_body_seconds"
