"""``TokenAuth`` on Airflow 3 when tokens expire: one extra server for this module.

The server issues tokens that live 5 s (``[api_auth] jwt_expiration_time``) and accepts them
1 s past their ``exp`` (``jwt_leeway``, 10 s by default, lowered to keep the waits short). Its
simple auth manager has the admin, with a distinctive password, and a viewer.

Runs once per Airflow 3 version selected with ``--airflow-version`` (3.3.2 by default); not
at all when only Airflow 2 or ``--airflow-url`` is selected.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from client_support import create_variable, jwt_claims, leaks, log_texts, unique

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.errors import AuthenticationError, PermissionDeniedError
from airflow_client_ext.testing import AirflowServer
from airflow_client_ext.testing.plugin import airflow_targets
from airflow_client_ext.testing.secrets_guard import SecretsGuard

LIFETIME = 5  # seconds
LEEWAY = 1  # seconds
ADMIN_PASSWORD = f"Adm1n-{unique('expiry')}"
VIEWER_PASSWORD = f"V1ewer-{unique('expiry')}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "airflow3_version" in metafunc.fixturenames:
        versions = [
            t
            for t in airflow_targets(metafunc.config)
            if t[:1].isdigit() and int(t.split(".")[0]) >= 3
        ]
        metafunc.parametrize(
            "airflow3_version", versions, ids=[f"airflow-{v}" for v in versions], scope="module"
        )


@pytest.fixture(scope="module")
def expiring_server(
    airflow3_version: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    secrets_guard: SecretsGuard,
) -> Iterator[AirflowServer]:
    secrets_guard.add(ADMIN_PASSWORD, "the expiry server's admin password")
    secrets_guard.add(VIEWER_PASSWORD, "the expiry server's viewer password")
    folder = tmp_path_factory.mktemp("client-expiry")
    dags = folder / "dags"
    dags.mkdir()
    passwords = folder / "passwords.json"
    passwords.write_text(json.dumps({"admin": ADMIN_PASSWORD, "viewer": VIEWER_PASSWORD}))
    server = AirflowServer(
        airflow3_version,
        dags_folder=dags,
        password=ADMIN_PASSWORD,
        startup_timeout=request.config.getoption("airflow_startup_timeout", 180.0),
        extra_env={
            "AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME": str(LIFETIME),
            "AIRFLOW__API_AUTH__JWT_LEEWAY": str(LEEWAY),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        },
    )
    with server:
        yield server


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="airflow_client_ext")
    return caplog


def current_token(auth: TokenAuth) -> str:
    """The JWT the auth holds (the only secret shaped like one)."""
    (token,) = [s for s in auth.secrets() if s.count(".") == 2]
    return token


def answers(caplog: pytest.LogCaptureFixture, status: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if f" -> {status} in " in r.getMessage()]


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def list_dags(client: AirflowClient) -> int:
    return int(client.api("DAGApi").get_dags(limit=1).total_entries)


def test_the_server_issues_short_tokens(expiring_server: AirflowServer) -> None:
    claims = jwt_claims(expiring_server.get_token(refresh=True))
    assert claims["exp"] - claims["iat"] == LIFETIME


def test_an_expired_token_gets_a_401_then_one_new_login(
    expiring_server: AirflowServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    auth = TokenAuth("admin", ADMIN_PASSWORD, renew_early=False)
    with AirflowClient(expiring_server.url, auth=auth) as client:
        assert list_dags(client) == 0
        assert auth.logins == 1
        first = current_token(auth)

        sleep_until(jwt_claims(first)["exp"] + LEEWAY + 1.5)  # now the server refuses it
        before = client.transport.stats.requests
        assert list_dags(client) == 0
        assert auth.logins == 2
        assert client.transport.stats.requests == before + 3  # 401, login, the call again
        second = current_token(auth)
        assert second != first
        refused = answers(debug_logs, 401)
        assert len(refused) == 1
        assert refused[0].startswith("GET /api/v2/dags")

        secrets = [ADMIN_PASSWORD, first, second, *auth.secrets()]
        assert leaks(log_texts(debug_logs.records), secrets) == []
        assert leaks([repr(client), repr(auth)], secrets) == []


def test_the_token_is_renewed_before_it_expires(
    expiring_server: AirflowServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    auth = TokenAuth("admin", ADMIN_PASSWORD)  # renew_early by default
    with AirflowClient(expiring_server.url, auth=auth) as client:
        assert list_dags(client) == 0
        first = current_token(auth)
        exp = jwt_claims(first)["exp"]

        # within the renewal margin (a quarter of the 5 s lifetime), before exp
        sleep_until(exp - 0.6)
        started = time.time()
        before = client.transport.stats.requests
        assert list_dags(client) == 0
        assert auth.logins == 2
        assert client.transport.stats.requests == before + 2  # the login, the call
        assert started < exp
        assert current_token(auth) != first
        assert answers(debug_logs, 401) == []  # renewed, never refused

        # and again, for as long as the client is used: never a 401
        for _ in range(2):
            sleep_until(jwt_claims(current_token(auth))["exp"] + 0.5)
            assert list_dags(client) == 0
        assert auth.logins == 4
        assert answers(debug_logs, 401) == []
        secrets = [ADMIN_PASSWORD, first, *auth.secrets()]
        assert leaks(log_texts(debug_logs.records), secrets) == []


def test_a_viewer_is_denied_and_a_wrong_password_refused(expiring_server: AirflowServer) -> None:
    with AirflowClient(expiring_server.url, auth=TokenAuth("viewer", VIEWER_PASSWORD)) as viewer:
        assert list_dags(viewer) == 0  # a viewer may read
        key = unique("client_viewer_var")
        with pytest.raises(PermissionDeniedError) as caught:
            create_variable(viewer, key, "x")
        error = caught.value
        assert not isinstance(error, AuthenticationError)
        assert (error.status, error.method, error.path) == (403, "POST", "/api/v2/variables")
        assert "token auth as 'viewer' is not allowed" in str(error)
        assert viewer.auth.logins == 1  # a 403 for a permission is not a reason to log in again
        assert leaks([str(error), repr(error)], [VIEWER_PASSWORD, *viewer.auth.secrets()]) == []
    assert expiring_server.request("GET", f"variables/{key}").status == 404

    wrong = TokenAuth("viewer", ADMIN_PASSWORD)
    with (
        AirflowClient(expiring_server.url, auth=wrong) as client,
        pytest.raises(AuthenticationError) as refused,
    ):
        list_dags(client)
    assert "'viewer'" in str(refused.value)
    assert ADMIN_PASSWORD not in str(refused.value)
    assert wrong.logins == 0
