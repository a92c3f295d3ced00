"""``AirflowClient`` auth against real Airflow 2 and 3, and secrets kept out of sight.

Airflow 2 (``/api/v1``) takes basic auth and answers 403 to bad or missing credentials and to
a user without the permission alike; Airflow 3 (``/api/v2``) takes only a JWT from
``POST /auth/token``, answers 401 to missing or expired tokens and 403 "Invalid JWT token" to
a token it cannot verify. Tests marked ``only_api`` run on the servers of one API only.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from client_support import (
    WRONG_PASSWORD,
    Clients,
    clients_for_test,
    create_variable,
    error_texts,
    expired_jwt,
    leaks,
    log_texts,
    only_api,
    parametrize_only_api,
    require_api,
    signed_jwt,
    unique,
)

from airflow_client_ext import (
    AirflowClient,
    BasicAuth,
    BearerAuth,
    HeaderAuth,
    NoAuth,
    RetryPolicy,
    TokenAuth,
)
from airflow_client_ext.auth import web_login_for
from airflow_client_ext.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
)
from airflow_client_ext.testing import AirflowInstance, free_port
from airflow_client_ext.testing.secrets_guard import SecretsGuard


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_only_api(metafunc)


@pytest.fixture
def clients() -> Iterator[Clients]:
    with clients_for_test() as made:
        yield made


def basic_value(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def list_dags(client: AirflowClient) -> Any:
    return client.api("DAGApi").get_dags(limit=1)


@pytest.fixture
def v1_user(airflow_server: AirflowInstance, secrets_guard: SecretsGuard) -> Iterator[Any]:
    """Makes Airflow 2 users with a role and a distinctive password; deletes them after."""
    made: list[str] = []
    admin = AirflowClient(
        airflow_server.url, auth=BasicAuth(airflow_server.username, airflow_server.password)
    )

    def make(role: str) -> tuple[str, str]:
        generated = admin.generated
        username = unique(f"client_{role.lower()}")
        password = f"Pw-{unique('distinct')}-Zz9"
        secrets_guard.add(password, f"the password of the {role} user")
        with warnings.catch_warnings():  # the generated client: "POST /users is deprecated"
            warnings.simplefilter("ignore", DeprecationWarning)
            admin.api("UserApi").post_user(
                generated.User(
                    username=username,
                    email=f"{username}@example.invalid",
                    first_name="Client",
                    last_name="Contract",
                    password=password,
                    roles=[generated.UserCollectionItemRolesInner(name=role)],
                )
            )
        made.append(username)
        return username, password

    try:
        yield make
    finally:
        for username in made:
            airflow_server.request("DELETE", f"users/{username}")
        admin.close()


# -- each auth on each major ----------------------------------------------------------------
def test_token_auth_works_on_both(airflow_server: AirflowInstance, clients: Clients) -> None:
    auth = TokenAuth(airflow_server.username, airflow_server.password)
    client = clients(airflow_server.url, auth)
    assert list_dags(client).total_entries >= 0
    assert list_dags(client).total_entries >= 0
    if airflow_server.api_version == "v1":
        assert auth.logins == 0  # basic auth (two calls are too few for a session login)
        assert auth._session is not None
        assert auth._session.logins == 0
        assert "no token yet" in repr(auth)
    else:
        assert auth.logins == 1  # one POST /auth/token, then the cached JWT
        assert "token cached" in repr(auth)
    # detection, the login if any, and the two calls: nothing was refused and repeated
    expected = (2 if airflow_server.api_version == "v1" else 1) + auth.logins + 2
    assert client.transport.stats.requests == expected


def test_basic_auth_works_on_v1_and_is_refused_by_v2(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    client = clients(
        airflow_server.url, BasicAuth(airflow_server.username, airflow_server.password)
    )
    if airflow_server.api_version == "v1":
        assert list_dags(client).total_entries >= 0
        return
    with pytest.raises(AuthenticationError) as caught:
        list_dags(client)
    error = caught.value
    assert error.status == 401
    assert "Airflow 3 (/api/v2) does not accept basic auth" in str(error)
    assert "TokenAuth(username, password)" in str(error)


@pytest.mark.parametrize("auth_class", [TokenAuth, BasicAuth])
def test_a_wrong_password_names_user_and_url_but_not_the_password(
    airflow_server: AirflowInstance, clients: Clients, auth_class: type[Any]
) -> None:
    username = unique("nobody")
    client = clients(airflow_server.url, auth_class(username, WRONG_PASSWORD))
    with pytest.raises(AuthenticationError) as caught:
        list_dags(client)
    error = caught.value
    assert username in str(error)
    assert airflow_server.url in str(error)
    assert error.status == (403 if airflow_server.api_version == "v1" else 401)
    assert leaks(error_texts(error), [WRONG_PASSWORD, basic_value(username, WRONG_PASSWORD)]) == []
    assert leaks([repr(client), repr(client.auth), repr(client.transport)], [WRONG_PASSWORD]) == []


def test_no_credentials_says_none_were_sent(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    for client in (clients(airflow_server.url), clients(airflow_server.url, NoAuth())):
        with pytest.raises(AuthenticationError) as caught:
            list_dags(client)
        assert "No credentials were sent" in str(caught.value)
        assert caught.value.status == (403 if airflow_server.api_version == "v1" else 401)
        # the public /version still answers: detection needs no credentials
        assert client.server_version == airflow_server.version


@only_api("v1")
def test_v1_user_without_the_permission_gets_permission_denied(
    airflow_server: AirflowInstance, clients: Clients, v1_user: Any
) -> None:
    require_api(airflow_server, "v1")
    username, password = v1_user("Viewer")
    key = unique("client_forbidden")

    # first call refused: the client checks that the credentials themselves are good
    cold = clients(airflow_server.url, TokenAuth(username, password))
    with pytest.raises(PermissionDeniedError) as caught:
        create_variable(cold, key, "x")
    assert not isinstance(caught.value, AuthenticationError)
    assert caught.value.status == 403
    assert (caught.value.method, caught.value.path) == ("POST", "/api/v1/variables")
    assert repr(username) in str(caught.value)
    assert "lacks the permission" in str(caught.value)

    # after a successful read the same 403 needs no check
    warm = clients(airflow_server.url, BasicAuth(username, password))
    assert list_dags(warm).total_entries >= 0
    before = warm.transport.stats.requests
    with pytest.raises(PermissionDeniedError):
        create_variable(warm, key, "x")
    assert warm.transport.stats.requests == before + 1

    assert airflow_server.request("GET", f"variables/{key}").status == 404  # nothing created
    assert leaks(error_texts(caught.value), [password, basic_value(username, password)]) == []


def logged_in(client: AirflowClient, auth: BasicAuth | TokenAuth) -> None:
    """Calls until the client has logged in to the webserver. The whole suite shares
    Flask-AppBuilder's login limit (5 per 40 s from one address): a rate-limited login means
    basic auth for the session's cooldown (shortened here), then another try."""
    session = auth._session
    assert session is not None
    session.cooldown = 5.0
    deadline = time.monotonic() + 120
    while session.logins == 0:
        assert time.monotonic() < deadline, "no session login within 120 s"
        assert list_dags(client).total_entries >= 0
        if session.logins == 0 and session._basic_sent >= session.basic_first:
            time.sleep(1)
    assert session._basic_sent >= session.basic_first  # a one-off call does not log in


@only_api("v1")
@pytest.mark.parametrize("auth_class", [BasicAuth, TokenAuth])
def test_v1_logs_in_once_and_reuses_the_session(
    airflow_server: AirflowInstance, clients: Clients, auth_class: type[Any]
) -> None:
    """Airflow 2 hashes a basic-auth password on every request; the session backend (in
    its default auth_backends) takes the webserver's login cookie instead."""
    require_api(airflow_server, "v1")
    auth = auth_class(airflow_server.username, airflow_server.password)
    client = clients(airflow_server.url, auth)
    logged_in(client, auth)
    before = client.transport.stats.requests
    key = unique("client_session")
    for _ in range(3):
        assert list_dags(client).total_entries >= 0
    create_variable(client, key, "written with the session")  # a POST: no CSRF token asked
    client.api("VariableApi").delete_variable(key)
    assert auth._session is not None
    assert auth._session.logins == 1
    assert auth._session.accepted is True
    assert client.transport.stats.requests == before + 5  # nothing refused, nothing repeated
    assert airflow_server.request("GET", f"variables/{key}").status == 404
    assert leaks([repr(client), repr(auth)], auth._session.secrets()) == []

    # without the session: basic auth on every call, never a login
    plain_auth = auth_class(airflow_server.username, airflow_server.password, session=False)
    plain = clients(airflow_server.url, plain_auth)
    for _ in range(4):
        assert list_dags(plain).total_entries >= 0
    assert plain.transport.stats.requests == 2 + 4
    assert web_login_for(plain_auth) is not auth._session.web


@only_api("v1")
def test_v1_session_that_ended_is_replaced(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    require_api(airflow_server, "v1")
    auth = BasicAuth(airflow_server.username, airflow_server.password)
    client = clients(airflow_server.url, auth)
    logged_in(client, auth)
    assert auth._session is not None
    auth._session.cooldown = 0.0
    web = auth._session.web
    web._cookies = {name: "ended-" + value[:6] for name, value in web._cookies.items()}
    before = client.transport.stats.requests
    assert list_dags(client).total_entries >= 0  # refused, then answered with basic auth
    assert client.transport.stats.requests == before + 2
    deadline = time.monotonic() + 120
    while auth._session.logins < 2:  # the next call logs in again (rate limit permitting)
        assert time.monotonic() < deadline, "no second login within 120 s"
        assert list_dags(client).total_entries >= 0
    assert auth._session.accepted is True
    assert not any(v.startswith("ended-") for v in web._cookies.values())


def test_bearer_auth(airflow_server: AirflowInstance, clients: Clients) -> None:
    if airflow_server.api_version == "v2":
        token = airflow_server.get_token()
        client = clients(airflow_server.url, BearerAuth(token))
        assert list_dags(client).total_entries >= 0
        assert client.transport.stats.requests == 2  # detection and the call: no login
        assert token not in repr(client)
        return
    # Airflow 2's basic auth and session backends take no bearer token
    client = clients(airflow_server.url, BearerAuth("not-a-token-for-airflow-2"))
    with pytest.raises(AuthenticationError) as caught:
        list_dags(client)
    assert caught.value.status == 403
    assert "not-a-token-for-airflow-2" not in str(caught.value)


@only_api("v2")
@pytest.mark.parametrize(
    ("stale", "status", "detail"),
    [("expired", 401, "Token Expired"), ("forged", 403, "Invalid JWT token")],
)
def test_bearer_callable_is_asked_again_when_the_token_is_refused(
    airflow_server: AirflowInstance, clients: Clients, stale: str, status: int, detail: str
) -> None:
    require_api(airflow_server, "v2")
    good = airflow_server.get_token()
    # expired: signed with the server's secret but past its exp; forged: another secret
    refused = expired_jwt(airflow_server) if stale == "expired" else signed_jwt(good, "other")

    # a fixed token that the server refuses: one try, then the typed error with its detail
    fixed = clients(airflow_server.url, BearerAuth(refused))
    with pytest.raises(AuthenticationError) as caught:
        list_dags(fixed)
    assert (caught.value.status, caught.value.detail) == (status, detail)
    assert leaks(error_texts(caught.value), [refused]) == []

    # a callable: asked again once, and the call succeeds with the new token
    handed_out: list[str] = []

    def source() -> str:
        handed_out.append(refused if not handed_out else good)
        return handed_out[-1]

    client = clients(airflow_server.url, BearerAuth(source))
    before = client.transport.stats.requests
    assert client.server_version == airflow_server.version  # public: the token is not asked
    assert handed_out == []
    assert list_dags(client).total_entries >= 0
    assert handed_out == [refused, good]
    assert client.transport.stats.requests == before + 1 + 2  # detection; refused, re-sent
    assert list_dags(client).total_entries >= 0
    assert len(handed_out) == 2  # the new token is kept
    assert leaks([repr(client), repr(client.auth)], [refused, good]) == []


@only_api("v2")
def test_a_corrupted_cached_token_makes_one_login(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    require_api(airflow_server, "v2")
    auth = TokenAuth(airflow_server.username, airflow_server.password)
    client = clients(airflow_server.url, auth)
    list_dags(client)
    assert auth.logins == 1
    # the cached token turns into one the server cannot verify (as after a secret rotation)
    auth._token = signed_jwt(auth._token, "a-secret-the-server-never-had")  # type: ignore[arg-type]
    before = client.transport.stats.requests
    assert list_dags(client).total_entries >= 0
    assert auth.logins == 2
    assert client.transport.stats.requests == before + 3  # refused (403), login, re-sent
    assert list_dags(client).total_entries >= 0
    assert auth.logins == 2
    assert client.transport.stats.requests == before + 4


def test_header_auth_sends_its_header(airflow_server: AirflowInstance, clients: Clients) -> None:
    if airflow_server.api_version == "v2":
        value = f"Bearer {airflow_server.get_token()}"
    else:
        value = "Basic " + basic_value(airflow_server.username, airflow_server.password)
    client = clients(airflow_server.url, HeaderAuth("Authorization", value))
    assert list_dags(client).total_entries >= 0
    assert value not in repr(client)

    # the same header with a value the server refuses: the header really is what is sent
    bad = clients(airflow_server.url, HeaderAuth("Authorization", value[:-6] + "AAAAAA"))
    with pytest.raises(AuthenticationError) as caught:
        list_dags(bad)
    assert caught.value.status == 403
    assert leaks(error_texts(caught.value), [value, value[:-6] + "AAAAAA"]) == []


# -- secrets --------------------------------------------------------------------------------
def test_no_secret_in_reprs_logs_or_errors(
    airflow_server: AirflowInstance,
    clients: Clients,
    v1_user: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_client_ext")
    if airflow_server.api_version == "v1":
        username, password = v1_user("Admin")
    else:  # the session's Airflow 3 has only its admin (with a random password)
        username, password = airflow_server.username, airflow_server.password
    auth = TokenAuth(username, password)
    client = clients(airflow_server.url, auth)
    errors: list[BaseException] = []

    # a full set of calls: detection, login, list, create/get/delete, a 404, a copy
    key = unique("client_plain_var")  # a "secret" key is masked
    assert list_dags(client).total_entries >= 0
    value = uuid.uuid4().hex
    create_variable(client, key, value)
    assert client.api("VariableApi").get_variable(key).value == value
    client.api("VariableApi").delete_variable(key)
    with pytest.raises(NotFoundError) as not_found:
        client.api("VariableApi").get_variable(key)
    errors.append(not_found.value)
    assert list_dags(client.with_options(timeout=10)).total_entries >= 0

    # a failed login, and a request retried after a refused connection
    wrong = clients(airflow_server.url, TokenAuth(username, WRONG_PASSWORD))
    with pytest.raises(AuthenticationError) as refused:
        list_dags(wrong)
    errors.append(refused.value)
    down = clients(
        f"http://127.0.0.1:{free_port()}",
        TokenAuth(username, password),
        api_version=airflow_server.api_version,
        retry=RetryPolicy(total=1, backoff_base=0),
    )
    with pytest.raises(TransportError) as lost:
        list_dags(down)
    errors.append(lost.value)

    # the password (distinctive: the harness makes a random one), its basic-auth form and
    # on Airflow 3 the JWT fetched by the login
    secrets = auth.secrets()
    assert password in secrets
    if airflow_server.api_version == "v2":
        assert any(s.startswith("eyJ") for s in secrets), "no token among the secrets"
    secrets += [WRONG_PASSWORD, basic_value(username, WRONG_PASSWORD)]

    texts = log_texts(caplog.records)
    messages = [r.getMessage() for r in caplog.records]
    assert any("headers=" in m and "'Authorization': '***'" in m for m in messages)
    assert any(m.startswith("retry 1/1 of ") for m in messages)
    assert any(" -> 404 in " in m for m in messages)
    assert leaks(texts, secrets) == []

    shown = [repr(client), str(client.auth), repr(client.transport), repr(wrong), repr(down)]
    for other in (
        BasicAuth(username, password),
        BearerAuth(password),
        BearerAuth(lambda: password),
        HeaderAuth("X-API-Key", password),
    ):
        shown.append(repr(other))
        shown.append(repr(clients(airflow_server.url, other)))
    assert leaks(shown, secrets) == []
    for error in errors:
        assert leaks(error_texts(error), secrets) == []
