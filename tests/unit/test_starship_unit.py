"""Starship without a server: the web-login flow driven by hand, the generated package's
models on Starship's real payload shapes, and the layer's secret hygiene. The server side
is tested in tests/contract/test_starship.py."""

from __future__ import annotations

import importlib
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from auth_support import login_answers, page, run

from airflow_client_ext import AirflowClient, BasicAuth, NoAuth, TokenAuth, WebLoginAuth
from airflow_client_ext._http import Request
from airflow_client_ext.auth import web_login_for
from airflow_client_ext.errors import AuthenticationError, ConfigurationError, ConflictError
from airflow_client_ext.starship import (
    EnvVars,
    StarshipConnection,
    StarshipVariable,
    _row_dates_as_utc,
    _rows,
    _scrubbed,
)

URL = "http://airflow.test/prefix/api/starship/variables"


def test_web_login_gets_the_csrf_token_posts_the_form_and_keeps_the_cookie() -> None:
    auth = WebLoginAuth("admin", "hunter22")
    sent = run(auth.auth_flow(Request("GET", URL)), [*login_answers(), page(200, b"[]")])
    assert [(r.method, r.url) for r in sent] == [
        ("GET", "http://airflow.test/prefix/login/"),
        ("POST", "http://airflow.test/prefix/login/"),
        ("GET", URL),
    ]
    assert not any(r.follow_redirects for r in sent)  # a redirect is the flow's signal
    assert sent[1].headers["Cookie"] == "session=pre-login"
    assert "csrf_token=tok-123" in str(sent[1].body)
    assert "password=hunter22" in str(sent[1].body)
    assert sent[2].headers["Cookie"] == "session=s3cr3t-session"
    assert auth.logins == 1
    # the next call reuses the session
    sent = run(auth.auth_flow(Request("GET", URL)), [page(200, b"[]")])
    assert len(sent) == 1
    assert auth.logins == 1
    text = repr(auth)
    assert "hunter22" not in text
    assert "s3cr3t-session" not in text
    assert "hunter22" in auth.secrets()
    assert "s3cr3t-session" in auth.secrets()


def test_web_login_logs_in_again_when_the_session_ended() -> None:
    auth = WebLoginAuth("admin", "hunter22")
    run(auth.auth_flow(Request("GET", URL)), [*login_answers("first"), page(200, b"[]")])
    expired = page(302, b"", {"Location": "http://airflow.test/prefix/login/?next=x"})
    sent = run(
        auth.auth_flow(Request("GET", URL)),
        [expired, *login_answers("second"), page(200, b"[]")],
    )
    assert [r.method for r in sent] == ["GET", "GET", "POST", "GET"]
    assert sent[0].headers["Cookie"] == "session=first"
    assert sent[-1].headers["Cookie"] == "session=second"
    assert auth.logins == 2


def test_web_login_with_a_wrong_password_says_so_without_the_password() -> None:
    auth = WebLoginAuth("admin", "hunter22")
    refused = page(302, b"", {"Location": "/login/", "Set-Cookie": "session=x; Path=/"})
    with pytest.raises(AuthenticationError) as caught:
        run(auth.auth_flow(Request("GET", URL)), [login_answers()[0], refused])
    assert "admin" in str(caught.value)
    assert "hunter22" not in str(caught.value)
    assert "back to the login page" in str(caught.value)


def test_web_login_on_a_server_without_a_login_form_points_to_token_auth() -> None:
    auth = WebLoginAuth("admin", "pw")
    with pytest.raises(AuthenticationError, match="TokenAuth"):
        run(auth.auth_flow(Request("GET", URL)), [page(404, b"{}")])


def test_web_login_hands_a_503_back_to_the_transport() -> None:
    auth = WebLoginAuth("admin", "pw")
    sent = run(auth.auth_flow(Request("GET", URL)), [page(503, b"busy")])
    assert len(sent) == 1
    assert auth.logins == 0


def test_web_login_is_made_from_basic_or_token_auth_only() -> None:
    assert isinstance(web_login_for(BasicAuth("a", "b")), WebLoginAuth)
    assert web_login_for(TokenAuth("a", "b")).username == "a"  # type: ignore[union-attr]
    assert web_login_for(NoAuth()) is None
    with pytest.raises(ValueError, match="username"):
        WebLoginAuth("", "x")


def test_starship_on_airflow_2_without_a_password_is_a_clear_configuration_error() -> None:
    client = AirflowClient("http://airflow.test", auth=NoAuth(), api_version="v1")
    with pytest.raises(ConfigurationError, match="WebLoginAuth"):
        _ = client.starship.auth


def test_starship_uses_the_web_login_on_airflow_2_and_the_client_auth_on_3() -> None:
    v1 = AirflowClient("http://airflow.test", auth=TokenAuth("a", "b"), api_version="v1")
    assert isinstance(v1.starship.auth, WebLoginAuth)
    assert v1.starship is v1.starship
    token = TokenAuth("a", "b")
    v2 = AirflowClient("http://airflow.test", auth=token, api_version="v2")
    assert v2.starship.auth is token
    assert v2.starship.api.api_client.configuration.host == "http://airflow.test/api/starship"
    assert v2.starship.api.api_client.rest_client.pool_manager.auth is token


def test_generated_models_read_starship_payloads_of_both_majors() -> None:
    starship = importlib.import_module("airflow_client_ext_starship")
    v2_run = starship.DagRun.from_dict(
        {
            "id": 7,
            "dag_id": "d",
            "run_id": "manual__1",
            "logical_date": "2024-01-02 03:04:05.123456+00:00",
            "start_date": "2024-01-02 03:04:06",  # naive: a SQLite server
            "end_date": None,
            "conf": {"x": 1},
            "triggered_by": "rest_api",
            "span_status": "not_started",  # a column the spec does not name: kept
        }
    )
    assert v2_run.logical_date == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    as_dict = v2_run.to_dict()
    assert as_dict["end_date"] is None  # explicit nulls survive the round trip
    assert as_dict["span_status"] == "not_started"
    row = _row_dates_as_utc({"run_id": "r", "start_date": "2024-01-02 03:04:06", "x": "y"})
    assert row == {"run_id": "r", "start_date": "2024-01-02T03:04:06+00:00", "x": "y"}
    aware = _row_dates_as_utc({"end_date": "2024-01-02 03:04:06.5+02:00"})
    assert aware["end_date"] == "2024-01-02T03:04:06.500000+02:00"
    conn = starship.Connection.from_dict(
        {"conn_id": "c", "conn_type": "http", "schema": "s", "port": None, "password": "p"}
    )
    assert conn.var_schema == "s"


def test_secrets_stay_out_of_reprs_and_errors() -> None:
    conn = StarshipConnection("c", "http", password="hunter22", extra='{"token": "abcd1234"}')
    var = StarshipVariable("k", "very-secret-value")
    assert "hunter22" not in repr(conn)
    assert "abcd1234" not in repr(conn)
    assert "very-secret-value" not in repr(var)
    env = EnvVars({"AWS_SECRET": "xyz-secret"})
    assert "xyz-secret" not in repr(env)
    assert "xyz-secret" not in str(env)
    assert env["AWS_SECRET"] == "xyz-secret"
    error = ConflictError(
        "POST /api/starship/connections -> 409: Integrity Error",
        status=409,
        method="POST",
        path="/api/starship/connections",
        detail="Integrity Error (Duplicate Record?)",
        body_excerpt='{"kwargs": {"password": "hunter22"}}',
    )
    scrubbed = _scrubbed(error, conn.secrets())
    assert isinstance(scrubbed, ConflictError)
    assert "hunter22" not in scrubbed.body_excerpt
    assert scrubbed.status == 409


def test_rows_to_insert_are_checked_before_sending() -> None:
    with pytest.raises(ValueError, match="lacks run_id"):
        _rows([{"dag_id": "d"}], ("dag_id", "run_id"), "run")
    with pytest.raises(ValueError, match="same fields"):
        _rows(
            [{"dag_id": "d", "run_id": "1"}, {"dag_id": "d", "run_id": "2", "x": 1}],
            ("dag_id", "run_id"),
            "run",
        )
    client = AirflowClient("http://x.test", api_version="v2")
    with pytest.raises(ValueError, match="deletes EVERY pool"):
        client.starship.delete_pool("p")


def test_a_secret_echoed_inside_json_is_masked_too() -> None:
    secret = 'pa"ss\\word-42'
    body = json.dumps({"kwargs": {"password": secret}})
    error = ConflictError(
        "409", status=409, method="POST", path="/api/starship/connections", body_excerpt=body
    )
    scrubbed = _scrubbed(error, [secret])
    assert json.dumps(secret)[1:-1] not in scrubbed.body_excerpt
    assert "***" in scrubbed.body_excerpt


class _Probed(BaseHTTPRequestHandler):
    """Answers every request with ``status`` (a redirect to the login page for a 302) and
    keeps the path and the credentials of each."""

    status = 404
    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization")))
        self.send_response(self.status)
        if self.status == 302:
            self.send_header("Location", "/login/?next=%2Fapi%2Fstarship%2Finfo")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *_: object) -> None:
        pass


@pytest.mark.parametrize(("status", "available"), [(404, False), (302, True), (403, True)])
def test_starship_on_airflow_2_is_probed_without_a_login(
    status: int, available: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server without the plugin answers 404 before any login: the probe spends none of
    the webserver's logins (Flask-AppBuilder allows 5 per 40 s); a route behind the login
    (a redirect to it, a 403) is asked with the login, as any Starship call."""
    handler = type("Handler", (_Probed,), {"status": status, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = AirflowClient(url, auth=TokenAuth("admin", "hunter22"), api_version="v1")
        with_login: list[str] = []
        monkeypatch.setattr(client.starship, "info", lambda: with_login.append("info") or {})
        assert client.starship.available() is available
        assert handler.seen == [("GET", "/api/starship/info", None)]  # no credentials
        assert with_login == ([] if status == 404 else ["info"])
        assert client.starship.auth.logins == 0  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
