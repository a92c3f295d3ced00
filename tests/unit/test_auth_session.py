"""Airflow 2's session login for /api/v1 (BasicAuth and TokenAuth), driven by hand: one
login then the cookie, and every way back to basic auth. The real server side is in
tests/contract/test_client_auth.py."""

from __future__ import annotations

import base64
import threading

import pytest
import urllib3
from auth_support import LOGIN_PAGE, login_answers, page, run

from airflow_client_ext import BasicAuth, TokenAuth
from airflow_client_ext._http import Request
from airflow_client_ext.auth import Auth, web_login_for

V1 = "http://airflow.test/prefix/api/v1/dags"
BASIC = "Basic " + base64.b64encode(b"admin:hunter22").decode()


def eager(auth: Auth) -> Auth:
    """The auth with a session that logs in on the first call (2 basic-auth calls first by
    default: see test_a_one_off_call_does_not_log_in)."""
    auth._session.basic_first = 0
    return auth


def both() -> list[Auth]:
    return [eager(BasicAuth("admin", "hunter22")), eager(TokenAuth("admin", "hunter22"))]


def logins(auth: Auth) -> int:
    session = auth._session
    return int(session.logins)


def accepted(auth: Auth) -> bool | None:
    session = auth._session
    return session.accepted  # type: ignore[no-any-return]


@pytest.mark.parametrize("auth", both(), ids=["basic", "token"])
def test_logs_in_once_then_sends_the_cookie_only(auth: Auth) -> None:
    sent = run(auth.auth_flow(Request("GET", V1)), [*login_answers(), page(200, b"{}")])
    assert [(r.method, r.url) for r in sent] == [
        ("GET", "http://airflow.test/prefix/login/"),
        ("POST", "http://airflow.test/prefix/login/"),
        ("GET", V1),
    ]
    assert sent[2].headers == {"Cookie": "session=s3cr3t-session"}  # no password on the wire
    for _ in range(3):
        again = run(auth.auth_flow(Request("POST", V1, body="{}")), [page(200, b"{}")])
        assert len(again) == 1
        assert again[0].headers == {"Cookie": "session=s3cr3t-session"}
    assert logins(auth) == 1
    assert "s3cr3t-session" in auth.secrets()
    assert "s3cr3t-session" not in repr(auth)
    assert "cookie" in auth.sensitive_headers


def test_a_server_without_the_session_backend_gets_basic_auth_from_then_on() -> None:
    auth = eager(BasicAuth("admin", "hunter22"))
    sent = run(
        auth.auth_flow(Request("POST", V1, body="{}")),
        [*login_answers(), page(403, b'{"title": "Forbidden"}'), page(200, b"{}")],
    )
    assert [r.method for r in sent] == ["GET", "POST", "POST", "POST"]
    assert "Cookie" in sent[2].headers
    assert sent[3].headers == {"Authorization": BASIC}  # the refused POST, sent again
    assert accepted(auth) is False
    assert "auth_backends" in str(auth._session.why_not)
    again = run(auth.auth_flow(Request("GET", V1)), [page(200, b"{}")])
    assert again[0].headers == {"Authorization": BASIC}
    assert logins(auth) == 1


def test_no_login_form_means_basic_auth() -> None:
    auth = eager(TokenAuth("admin", "hunter22"))
    sent = run(
        auth.auth_flow(Request("GET", V1)),
        [page(404, b"not found"), page(200, b"{}")],
    )
    assert [(r.method, r.url) for r in sent] == [
        ("GET", "http://airflow.test/prefix/login/"),
        ("GET", V1),
    ]
    assert sent[1].headers["Authorization"].startswith("Basic ")
    assert accepted(auth) is False
    again = run(auth.auth_flow(Request("GET", V1)), [page(200, b"{}")])
    assert len(again) == 1  # the login form is not asked for again


def test_an_ended_session_is_replaced_by_a_new_login() -> None:
    auth = eager(BasicAuth("admin", "hunter22"))
    run(auth.auth_flow(Request("GET", V1)), [*login_answers("first"), page(200, b"{}")])
    sent = run(
        auth.auth_flow(Request("GET", V1)),
        [page(401, b"{}"), page(200, b"{}")],
    )
    assert sent[0].headers == {"Cookie": "session=first"}
    assert sent[1].headers == {"Authorization": BASIC}  # this call is answered at once
    sent = run(auth.auth_flow(Request("GET", V1)), [*login_answers("second"), page(200, b"{}")])
    assert [r.method for r in sent] == ["GET", "POST", "GET"]
    assert sent[-1].headers == {"Cookie": "session=second"}
    assert logins(auth) == 2
    assert accepted(auth) is True


def test_a_refusal_of_the_password_too_is_the_callers_answer() -> None:
    auth = eager(BasicAuth("admin", "hunter22"))
    run(auth.auth_flow(Request("GET", V1)), [*login_answers(), page(200, b"{}")])
    flow = auth.auth_flow(Request("DELETE", V1))
    sent = run(flow, [page(403, b"{}"), page(403, b"{}")])
    assert len(sent) == 2  # cookie, then basic: the 403 goes to the caller
    assert accepted(auth) is True
    again = run(auth.auth_flow(Request("GET", V1)), [page(200, b"{}")])
    assert again[0].headers == {"Cookie": "session=s3cr3t-session"}  # session kept


def test_a_one_off_call_does_not_log_in() -> None:
    auth = BasicAuth("admin", "hunter22")
    for _ in range(2):
        sent = run(auth.auth_flow(Request("GET", V1)), [page(200, b"{}")])
        assert [r.headers for r in sent] == [{"Authorization": BASIC}]
    sent = run(auth.auth_flow(Request("GET", V1)), [*login_answers(), page(200, b"{}")])
    assert [r.method for r in sent] == ["GET", "POST", "GET"]
    assert sent[-1].headers == {"Cookie": "session=s3cr3t-session"}
    assert logins(auth) == 1


@pytest.mark.parametrize(
    "busy",
    [
        [page(200, LOGIN_PAGE), page(429, b"Too Many Requests")],  # FAB: 5 logins per 40 s
        [page(503, b"busy")],
    ],
    ids=["rate-limited", "unavailable"],
)
def test_a_busy_login_form_means_basic_auth_for_a_while(
    busy: list[urllib3.HTTPResponse], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr("airflow_client_ext.auth.time.monotonic", lambda: now[0])
    auth = eager(TokenAuth("admin", "hunter22"))
    sent = run(auth.auth_flow(Request("POST", V1, body="{}")), [*busy, page(200, b"{}")])
    assert sent[-1].headers == {"Authorization": BASIC}  # the call did not wait for a login
    assert len(sent) == len(busy) + 1
    now[0] += 59  # no login attempt during the cooldown
    sent = run(auth.auth_flow(Request("GET", V1)), [page(200, b"{}")])
    assert sent[0].headers == {"Authorization": BASIC}
    now[0] += 2
    sent = run(auth.auth_flow(Request("GET", V1)), [*login_answers(), page(200, b"{}")])
    assert sent[-1].headers == {"Cookie": "session=s3cr3t-session"}
    assert logins(auth) == 1
    assert accepted(auth) is True


def test_session_false_and_other_paths_send_basic_auth() -> None:
    for auth in (
        BasicAuth("admin", "hunter22", session=False),
        eager(BasicAuth("admin", "hunter22")),
    ):
        url = V1 if auth._session is None else "http://airflow.test/custom/plugin"
        sent = run(auth.auth_flow(Request("GET", url)), [page(200, b"{}")])
        assert sent[0].headers == {"Authorization": BASIC}
    token = TokenAuth("admin", "hunter22", session=False)
    sent = run(token.auth_flow(Request("GET", V1)), [page(200, b"{}")])
    assert sent[0].headers == {"Authorization": BASIC}


def test_starship_shares_the_api_session() -> None:
    auth = eager(BasicAuth("admin", "hunter22"))
    assert web_login_for(auth) is auth._session.web if auth._session else False
    assert web_login_for(BasicAuth("admin", "hunter22", session=False)) is not None


def test_concurrent_first_calls_share_one_login() -> None:
    auth = eager(TokenAuth("admin", "hunter22"))
    gate = threading.Barrier(4)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            gate.wait()
            flow = auth.auth_flow(Request("GET", V1))
            request = next(flow)
            while True:
                if request.url.endswith("/login/"):
                    answer = login_answers()[0 if request.method == "GET" else 1]
                else:
                    answer = page(200, b"{}")
                request = flow.send(answer)
        except StopIteration:
            return
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert logins(auth) == 1
