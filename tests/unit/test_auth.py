"""The auth flows, driven by hand with in-memory responses (the server side is tested in
tests/contract/test_client*.py)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Generator

import pytest
import urllib3

from airflow_client_ext import BasicAuth, BearerAuth, HeaderAuth, TokenAuth
from airflow_client_ext._http import Request
from airflow_client_ext.auth import jwt_expiry
from airflow_client_ext.errors import AuthenticationError

V2 = "http://airflow.test/prefix/api/v2/dags"
V1 = "http://airflow.test/api/v1/dags"


def response(status: int, body: object = None) -> urllib3.HTTPResponse:
    data = json.dumps(body).encode() if body is not None else b""
    return urllib3.HTTPResponse(body=data, status=status, preload_content=True)


def jwt(exp: float) -> str:
    def part(doc: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS512'})}.{part({'sub': 'admin', 'exp': int(exp)})}.sig"


def run(
    flow: Generator[Request, urllib3.BaseHTTPResponse, None],
    answer: dict[str, list[urllib3.HTTPResponse]],
) -> list[Request]:
    """Drive a flow: answer each yielded request by URL suffix; return what was sent."""
    sent = []
    request = next(flow)
    while True:
        sent.append(Request(request.method, request.url, dict(request.headers), request.body))
        key = "token" if request.url.endswith("/auth/token") else "api"
        try:
            request = flow.send(answer[key].pop(0))
        except StopIteration:
            return sent


def test_basic_auth_sets_the_header_and_hides_the_password() -> None:
    auth = BasicAuth("admin", "hunter22", session=False)
    sent = run(auth.auth_flow(Request("GET", V1)), {"api": [response(200, {})]})
    assert (
        sent[0].headers["Authorization"] == "Basic " + base64.b64encode(b"admin:hunter22").decode()
    )
    assert "hunter22" not in repr(auth)
    assert "hunter22" in auth.secrets()


def test_token_auth_logs_in_once_then_reuses_the_token() -> None:
    auth = TokenAuth("admin", "pw-123456")
    token = jwt(time.time() + 3600)
    first = run(
        auth.auth_flow(Request("GET", V2)),
        {"token": [response(201, {"access_token": token})], "api": [response(200, {})]},
    )
    assert [r.url for r in first] == ["http://airflow.test/prefix/auth/token", V2]
    assert json.loads(first[0].body or "") == {"username": "admin", "password": "pw-123456"}
    assert first[1].headers["Authorization"] == f"Bearer {token}"
    second = run(auth.auth_flow(Request("GET", V2)), {"api": [response(200, {})]})
    assert [r.url for r in second] == [V2]
    assert auth.logins == 1
    assert token not in repr(auth)
    assert "pw-123456" not in repr(auth)


def test_token_auth_renews_before_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr("airflow_client_ext.auth.time.time", lambda: now[0])
    auth = TokenAuth("admin", "pw", refresh_margin=30)
    expiring, fresh = jwt(now[0] + 3600), jwt(now[0] + 7200)
    run(
        auth.auth_flow(Request("GET", V2)),
        {"token": [response(201, {"access_token": expiring})], "api": [response(200, {})]},
    )
    now[0] += 3600 - 29  # inside the 30 s margin before exp
    sent = run(
        auth.auth_flow(Request("GET", V2)),
        {"token": [response(201, {"access_token": fresh})], "api": [response(200, {})]},
    )
    assert [r.url.endswith("/auth/token") for r in sent] == [True, False]
    assert sent[1].headers["Authorization"] == f"Bearer {fresh}"


def test_token_auth_logs_in_again_once_on_401_and_on_an_invalid_jwt() -> None:
    for refusal in (
        response(401, {"detail": "Token Expired"}),
        response(403, {"detail": "Invalid JWT token"}),
    ):
        auth = TokenAuth("admin", "pw", renew_early=False)
        old, new = jwt(time.time() + 3600), jwt(time.time() + 7200)
        sent = run(
            auth.auth_flow(Request("GET", V2)),
            {
                "token": [
                    response(201, {"access_token": old}),
                    response(201, {"access_token": new}),
                ],
                "api": [refusal, response(200, {})],
            },
        )
        assert [r.url.rsplit("/", 1)[-1] for r in sent] == ["token", "dags", "token", "dags"]
        assert sent[-1].headers["Authorization"] == f"Bearer {new}"
        assert auth.logins == 2


def test_token_auth_gives_up_after_one_relogin() -> None:
    auth = TokenAuth("admin", "pw")
    token = jwt(time.time() + 3600)
    sent = run(
        auth.auth_flow(Request("GET", V2)),
        {
            "token": [response(201, {"access_token": token})] * 2,
            "api": [response(401, {}), response(401, {})],
        },
    )
    assert len(sent) == 4  # login, call, login, call: then the 401 goes to the caller


def test_token_auth_permission_403_is_not_a_relogin() -> None:
    auth = TokenAuth("admin", "pw")
    sent = run(
        auth.auth_flow(Request("POST", V2)),
        {
            "token": [response(201, {"access_token": jwt(time.time() + 3600)})],
            "api": [response(403, {"detail": "Forbidden"})],
        },
    )
    assert len(sent) == 2


def test_token_auth_bad_credentials_say_who_and_where_but_not_the_password() -> None:
    auth = TokenAuth("alice", "S3cret-pw-xyz")
    with pytest.raises(AuthenticationError) as caught:
        run(
            auth.auth_flow(Request("GET", V2)),
            {"token": [response(401, {"detail": "Invalid credentials"})]},
        )
    message = str(caught.value)
    assert "'alice'" in message
    assert "http://airflow.test/prefix/auth/token" in message
    assert "S3cret-pw-xyz" not in message


def test_token_auth_hands_a_503_login_back_to_the_transport() -> None:
    auth = TokenAuth("admin", "pw")
    sent = run(auth.auth_flow(Request("GET", V2)), {"token": [response(503, {})]})
    assert len(sent) == 1  # the flow ends; the transport sees the 503 and retries


def test_token_auth_speaks_basic_to_airflow_2() -> None:
    auth = TokenAuth("admin", "pw", session=False)
    sent = run(auth.auth_flow(Request("GET", V1)), {"api": [response(200, {})]})
    assert sent[0].headers["Authorization"].startswith("Basic ")
    assert auth.logins == 0


def test_token_auth_shares_one_login_between_threads() -> None:
    auth = TokenAuth("admin", "pw")
    token = jwt(time.time() + 3600)
    logins = []
    lock = threading.Lock()

    def call() -> None:
        flow = auth.auth_flow(Request("GET", V2))
        request = next(flow)
        while True:
            if request.url.endswith("/auth/token"):
                with lock:
                    logins.append(1)
                time.sleep(0.05)
                reply = response(201, {"access_token": token})
            else:
                reply = response(200, {})
            try:
                request = flow.send(reply)
            except StopIteration:
                return

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(logins) == 1


def test_bearer_auth_with_a_callable_asks_again_after_401() -> None:
    tokens = iter(["stale", "fresh"])
    auth = BearerAuth(lambda: next(tokens))
    sent = run(auth.auth_flow(Request("GET", V2)), {"api": [response(401, {}), response(200, {})]})
    assert [r.headers["Authorization"] for r in sent] == ["Bearer stale", "Bearer fresh"]
    assert "fresh" not in repr(auth)


def test_bearer_auth_with_a_string_does_not_resend() -> None:
    auth = BearerAuth("tok-123456")
    sent = run(auth.auth_flow(Request("GET", V2)), {"api": [response(401, {})]})
    assert len(sent) == 1
    assert "tok-123456" not in repr(auth)


def test_header_auth_marks_its_header_sensitive() -> None:
    auth = HeaderAuth("X-API-Key", "k-123456")
    sent = run(auth.auth_flow(Request("GET", V2)), {"api": [response(200, {})]})
    assert sent[0].headers["X-API-Key"] == "k-123456"
    assert auth.sensitive_headers == {"x-api-key"}
    assert "k-123456" not in repr(auth)
    with pytest.raises(ValueError, match="header name"):
        HeaderAuth("Bad: name", "v")


def test_jwt_expiry_reads_exp_and_tolerates_garbage() -> None:
    assert jwt_expiry(jwt(1234567890)) == 1234567890
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.b.c") is None
