"""Retries, waits and errors of the transport, proven with real calls to real Airflow servers
through the fault proxy: 503 bursts with Retry-After, connections reset before the request
reached the server, slow answers past a short read timeout, and a proxy's HTML pages.

What is asserted comes from three independent sources: the proxy's log (what really went
over the wire), ``client.transport.stats`` and the transport's log of its waits (what the
client did), and the server's own state read directly with ``airflow_server.request``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from calibration import calibrated_read_timeout
from faultproxy import Delay, FaultProxy, ResetBeforeRequest, Status

from airflow_client_ext import AirflowClient, RetryPolicy
from airflow_client_ext.errors import ServerError, TransportError, UnexpectedResponseError
from airflow_client_ext.testing import AirflowInstance

DAG = "echo_conf"
PROXY_HTML = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>"
)
_WAIT = re.compile(r"retry (\d+)/\d+ of (\S+) (\S+) in ([0-9.]+) s after (.*)")


def new_name(kind: str) -> str:
    return f"faults_{kind}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def waits(caplog: pytest.LogCaptureFixture) -> Callable[[], list[float]]:
    """The waits the transport logged before its retries (seconds), in order."""
    caplog.set_level(logging.INFO, logger="airflow_client_ext.transport")

    def read() -> list[float]:
        found = []
        for record in caplog.records:
            match = _WAIT.match(record.getMessage())
            if record.name == "airflow_client_ext.transport" and match:
                found.append(float(match.group(4)))
        return found

    return read


@pytest.fixture
def dag_ready(airflow_server: AirflowInstance) -> str:
    airflow_server.wait_for_dag(DAG)
    return DAG


def ready(client: AirflowClient) -> AirflowClient:
    """Detect the version (and log in on Airflow 3) before a timed or counted call."""
    client.api("DAGApi").get_dag(DAG)
    return client


def no_json_error_in_chain(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, json.JSONDecodeError):
            return False
        seen = seen.__cause__ or seen.__context__
    return True


@pytest.fixture
def cleanup(airflow_server: AirflowInstance) -> Iterator[list[str]]:
    """API paths (``variables/x``, ``pools/y``) to delete, directly, after the test."""
    paths: list[str] = []
    yield paths
    for path in paths:
        airflow_server.request("DELETE", path)


def post_variable(client: AirflowClient, key: str) -> Any:
    generated = client.generated
    if client.api_version == "v1":
        body = generated.Variable(key=key, value="from a fault test")
        return client.api("VariableApi").post_variables(body)
    body = generated.VariableBody(key=key, value="from a fault test")
    return client.api("VariableApi").post_variable(body)


def post_pool(client: AirflowClient, name: str) -> Any:
    generated = client.generated
    model = generated.Pool if client.api_version == "v1" else generated.PoolBody
    return client.api("PoolApi").post_pool(model(name=name, slots=1))


def server_status(server: AirflowInstance, path: str) -> int:
    return server.request("GET", path).status


# -- 1. 503 bursts with Retry-After ------------------------------------------------------------


def test_503_burst_with_retry_after_is_waited_out_on_reads(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
    waits: Callable[[], list[float]],
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    stats = client.transport.stats
    dags = client.api("DAGApi")

    # GET the DAGs: two 503s asking for 1 s each, then the server's answer
    proxy.clear()
    before = stats.snapshot()
    proxy.plan(
        Status(503, retry_after="1"), Status(503, retry_after="1"), match=f"GET /api/{api}/dags"
    )
    started = time.monotonic()
    listed = dags.get_dags(limit=100)
    elapsed = time.monotonic() - started
    assert DAG in {d.dag_id for d in listed.dags}
    retries = stats.retries - before["retries"]
    assert retries == 2
    assert proxy.count("GET", f"/api/{api}/dags") == 1 + retries
    assert [r.action for r in proxy.log] == ["status 503", "status 503", "forwarded"]
    assert proxy.log[-1].upstream_status == 200
    assert waits() == [1.0, 1.0]
    assert elapsed >= 2.0

    # GET one DAG: three 503s, 1 s each
    proxy.clear()
    before = stats.snapshot()
    path = f"/api/{api}/dags/{DAG}"
    proxy.plan(*[Status(503, retry_after="1")] * 3, match=f"GET {path}")
    started = time.monotonic()
    dag = dags.get_dag(DAG)
    elapsed = time.monotonic() - started
    assert dag.dag_id == DAG
    retries = stats.retries - before["retries"]
    assert retries == 3
    assert proxy.count("GET", path) == 1 + retries
    assert stats.requests - before["requests"] == 1 + retries
    assert waits() == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert elapsed >= 3.0


def test_429_with_retry_after_on_a_read_is_waited_out(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
    waits: Callable[[], list[float]],
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    proxy.clear()
    path = f"/api/{api}/dags/{DAG}"
    proxy.plan(Status(429, retry_after="1"), match=f"GET {path}")

    started = time.monotonic()
    assert client.api("DAGApi").get_dag(DAG).dag_id == DAG

    assert time.monotonic() - started >= 1.0
    assert waits() == [1.0]
    assert [r.action for r in proxy.log] == ["status 429", "forwarded"]


def test_503_burst_longer_than_the_retry_budget_ends_in_server_error(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url, retry=RetryPolicy(total=2, backoff_base=0.05)))
    proxy.clear()
    before = client.transport.stats.snapshot()
    proxy.plan(*[Status(503, retry_after="0")] * 5, match=f"GET /api/{api}/dags")

    with pytest.raises(ServerError) as caught:
        client.api("DAGApi").get_dags()
    error = caught.value
    assert error.status == 503
    assert "after 3 attempts" in str(error)
    assert "503" in str(error)
    # 1 attempt + total=2 retries, and not one more: two planned 503s are left over
    assert proxy.count("GET", f"/api/{api}/dags") == 3
    assert proxy.pending == 2
    assert client.transport.stats.retries - before["retries"] == 2


def test_retry_after_above_retry_after_max_is_not_waited_for(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
    waits: Callable[[], list[float]],
) -> None:
    api = airflow_server.api_version
    policy = RetryPolicy(total=3, backoff_base=0.05, backoff_max=0.2, retry_after_max=5)
    client = ready(make_client(proxy.url, retry=policy))
    proxy.clear()
    proxy.plan(*[Status(503, retry_after="120")] * 2, match=f"GET /api/{api}/dags/{DAG}")

    started = time.monotonic()
    assert client.api("DAGApi").get_dag(DAG).dag_id == DAG
    elapsed = time.monotonic() - started

    assert proxy.count("GET", f"/api/{api}/dags/{DAG}") == 3
    # the computed backoff was used: full jitter under 0.05 s, then under 0.1 s
    logged = waits()
    assert len(logged) == 2
    assert logged[0] <= 0.05
    assert logged[1] <= 0.1
    assert elapsed < 30  # far from the 240 s the server asked for (one slow answer allowed)


# -- 2. a connection reset before the request reached the server -------------------------------


def test_get_is_retried_after_a_reset_before_the_request(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    proxy.clear()
    before = client.transport.stats.snapshot()
    path = f"/api/{api}/dags/{DAG}"
    proxy.plan(ResetBeforeRequest(), match=f"GET {path}")

    assert client.api("DAGApi").get_dag(DAG).dag_id == DAG

    assert [(r.path, r.action) for r in proxy.log] == [
        (path, "reset-before"),
        (path, "forwarded"),
    ]
    assert client.transport.stats.retries - before["retries"] == 1


def test_post_without_idempotency_key_is_not_retried_after_a_reset(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
    cleanup: list[str],
) -> None:
    """The proxy resets before the server sees the POST, but the client cannot know that: it
    must not repeat a POST that may have been processed."""
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    key = new_name("var")
    cleanup.append(f"variables/{key}")
    proxy.clear()
    before = client.transport.stats.snapshot()
    proxy.plan(ResetBeforeRequest(), match=f"POST /api/{api}/variables")

    with pytest.raises(TransportError) as caught:
        post_variable(client, key)

    message = str(caught.value)
    assert "may have reached the server" in message
    assert "POST" in message
    assert caught.value.method == "POST"
    assert proxy.count("POST", f"/api/{api}/variables") == 1
    assert [r.action for r in proxy.log] == ["reset-before"]
    assert client.transport.stats.retries == before["retries"]
    # the server never saw it (the proxy reset before forwarding)
    assert server_status(airflow_server, f"variables/{key}") == 404


# -- 4. slow answers past a short read timeout -------------------------------------------------


def test_slow_get_is_retried_and_succeeds(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    read_timeout = calibrated_read_timeout(client, DAG)
    impatient = client.with_options(timeout=(5, read_timeout))
    proxy.clear()
    before = client.transport.stats.snapshot()
    path = f"/api/{api}/dags/{DAG}"
    proxy.plan(Delay(read_timeout + 2), match=f"GET {path}")

    assert impatient.api("DAGApi").get_dag(DAG).dag_id == DAG

    retries = client.transport.stats.retries - before["retries"]
    assert retries >= 1
    assert proxy.count("GET", path) == 1 + retries
    log = proxy.log
    assert log[0].action == f"delay {float(read_timeout + 2)}"
    assert log[-1].action == "forwarded"
    assert log[-1].upstream_status == 200


def test_slow_post_without_key_times_out_once(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
    cleanup: list[str],
) -> None:
    """A POST whose answer is late may well have been processed: one attempt, then a
    TransportError that says so; the server indeed created the pool."""
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    read_timeout = calibrated_read_timeout(client, DAG)
    impatient = client.with_options(timeout=(5, read_timeout))
    name = new_name("pool")
    cleanup.append(f"pools/{quote(name, safe='')}")
    proxy.clear()
    before = client.transport.stats.snapshot()
    proxy.plan(Delay(read_timeout + 2), match=f"POST /api/{api}/pools")

    with pytest.raises(TransportError) as caught:
        post_pool(impatient, name)

    assert "may have reached the server" in str(caught.value)
    assert "timed out" in str(caught.value).lower()
    assert proxy.count("POST", f"/api/{api}/pools") == 1
    assert client.transport.stats.retries == before["retries"]
    # ... and it had: the proxy forwarded it, the answer was only late
    deadline = time.monotonic() + 20
    while server_status(airflow_server, f"pools/{name}") != 200:
        assert time.monotonic() < deadline, "the pool never appeared on the server"
        time.sleep(0.2)
    assert proxy.log[0].upstream_status in (200, 201)


# -- 5. a proxy's HTML pages -------------------------------------------------------------------


def test_html_error_page_beyond_the_retry_budget_is_a_server_error(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
    cleanup: list[str],
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))  # FAST_RETRY: total=3
    html = Status(502, body=PROXY_HTML, content_type="text/html")
    proxy.clear()
    proxy.plan(*[html] * 5, match=f"GET /api/{api}/dags")

    with pytest.raises(ServerError) as caught:
        client.api("DAGApi").get_dags()

    error = caught.value
    assert error.status == 502
    message = str(error)
    assert "HTML page" in message
    assert "not Airflow's JSON" in message
    assert "after 4 attempts" in message
    assert "502 Bad Gateway" in error.body_excerpt
    assert no_json_error_in_chain(error)
    assert proxy.count("GET", f"/api/{api}/dags") == 4
    assert proxy.pending == 1

    # a POST is not repeated after a 502 (the gateway may have passed it on): one attempt
    proxy.clear()
    key = new_name("var")
    cleanup.append(f"variables/{key}")
    proxy.plan(html, match=f"POST /api/{api}/variables")
    with pytest.raises(ServerError) as caught:
        post_variable(client, key)
    assert caught.value.status == 502
    assert "HTML page" in str(caught.value)
    assert no_json_error_in_chain(caught.value)
    assert proxy.count("POST", f"/api/{api}/variables") == 1


def test_html_page_with_200_on_a_json_call_is_an_unexpected_response(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
) -> None:
    api = airflow_server.api_version
    client = ready(make_client(proxy.url))
    proxy.clear()
    page = Status(200, body="<html><body>login</body></html>", content_type="text/html")
    proxy.plan(page, match=f"GET /api/{api}/dags/{DAG}")

    with pytest.raises(UnexpectedResponseError) as caught:
        client.api("DAGApi").get_dag(DAG)

    assert caught.value.status == 200
    assert "HTML page" in str(caught.value)
    assert "login" in caught.value.body_excerpt
    assert no_json_error_in_chain(caught.value)
    assert proxy.count("GET", f"/api/{api}/dags/{DAG}") == 1  # not retried


# -- 6. Airflow 2's session login through faults -----------------------------------------------


def test_airflow2_login_faults_cost_the_call_nothing(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    make_client: Callable[..., AirflowClient],
    dag_ready: str,
) -> None:
    """A login form answering 503 means basic auth for the call; a reset on the login's POST
    repeats the attempt (the API call itself was not sent). Either way the API request
    crosses once and succeeds."""
    if airflow_server.api_version != "v1":
        pytest.skip("Airflow 3 has no webserver login to fail: its token is fetched once")
    client = make_client(proxy.url, session=True)
    session = client.auth._session  # type: ignore[attr-defined]
    session.cooldown = 0.0  # after a failed login, try again on the next call
    dags = client.api("DAGApi")
    path = f"/api/v1/dags/{DAG}"
    for _ in range(session.basic_first):  # the calls before the first login
        dags.get_dag(DAG)

    proxy.clear()
    proxy.plan(Status(503), match="POST /login/")
    assert dags.get_dag(DAG).dag_id == DAG
    assert [(r.method, r.path, r.action) for r in proxy.log] == [
        ("GET", "/login/", "forwarded"),
        ("POST", "/login/", "status 503"),
        ("GET", path, "forwarded"),
    ]
    assert proxy.log[-1].upstream_status == 200
    assert "Authorization" in proxy.log[-1].headers  # basic auth
    assert session.logins == 0

    proxy.clear()
    proxy.plan(ResetBeforeRequest(), match="POST /login/")
    assert dags.get_dag(DAG).dag_id == DAG
    logins = [r for r in proxy.log if r.path == "/login/" and r.method == "POST"]
    assert [r.action for r in logins] == ["reset-before", "forwarded"]
    assert [r.action for r in proxy.log if r.path == path] == ["forwarded"]
    assert proxy.log[-1].upstream_status == 200
    # the second login went through, unless Flask-AppBuilder's limit of 5 logins per 40 s
    # from one address (shared with the suite's other Airflow 2 clients) answered 429
    assert session.logins == 1 or logins[-1].upstream_status == 429
