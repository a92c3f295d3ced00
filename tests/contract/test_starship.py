"""The Starship client on real Airflow 2.11.2 and 3.3.2 with astronomer-starship 2.10.1.

One server per major (PostgreSQL, Starship in its venv), started by this module and stopped
at its end. What Starship reads is checked against what the stable API shows.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime

import pytest
from starship_support import client_for, starship_server

from airflow_client_ext import AirflowClient, WebLoginAuth
from airflow_client_ext._http import Request
from airflow_client_ext.errors import (
    AuthenticationError,
    ConflictError,
    InvalidArgumentError,
    ServerError,
)
from airflow_client_ext.starship import StarshipClient, StarshipConnection, StarshipVariable
from airflow_client_ext.testing import AirflowServer
from airflow_client_ext.testing.postgres import find_postgres_bin


@pytest.fixture(scope="module", params=["2.11.2", "3.3.2"], ids=lambda v: f"airflow-{v}")
def server(request: pytest.FixtureRequest) -> Iterator[AirflowServer]:
    with starship_server(request.param) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: AirflowServer) -> Iterator[AirflowClient]:
    with client_for(server) as c:
        yield c


def test_server_answers_are_the_same_on_both_majors(client: AirflowClient) -> None:
    starship = client.starship
    assert starship.available()
    assert starship.health() == "OK"  # text on 2.x, a JSON string on 3.x
    assert starship.airflow_version() == client.server_version
    assert starship.info() == {
        "airflow_version": client.server_version,
        "starship_version": "2.10.1",
    }
    env = starship.env_vars()
    assert "AIRFLOW_HOME" in env
    assert env["AIRFLOW__CORE__FERNET_KEY"] not in repr(env)
    expected = WebLoginAuth if client.api_version == "v1" else type(client.auth)
    assert isinstance(starship.auth, expected)


def test_variables_and_connections_in_clear_and_secrets_nowhere_else(
    client: AirflowClient,
) -> None:
    starship = client.starship
    secret = "s3cret-pw-" + client.server_version
    starship.create_variable(StarshipVariable("st_var", "st-value-123", "desc"))
    conn = StarshipConnection(
        "st_conn",
        "postgres",
        host="db.example",
        port=5432,
        schema="app",
        login="me",
        password=secret,
        extra='{"sslmode": "require"}',
        description="d",
    )
    starship.create_connection(conn)
    try:
        (var,) = [v for v in starship.variables() if v.key == "st_var"]
        assert (var.value, var.description) == ("st-value-123", "desc")
        (got,) = [c for c in starship.connections() if c.conn_id == "st_conn"]
        assert got == conn  # the password in clear, every field as written
        assert secret not in repr(got)
        assert secret not in repr(starship.connections())
        # the stable API agrees on everything it shows
        stable = client.api("ConnectionApi").get_connection("st_conn")
        assert (stable.host, stable.port, stable.login) == ("db.example", 5432, "me")
        # a duplicate: ConflictError; Starship echoes the input, the layer masks the secret
        with pytest.raises(ConflictError) as caught:
            starship.create_connection(conn)
        error = caught.value
        assert "Duplicate" in str(error)
        for text in (str(error), error.body_excerpt, str(error.detail), repr(error)):
            assert secret not in text
    finally:
        starship.delete_variable("st_var")
        starship.delete_connection("st_conn")  # 204 on 2.x, 200 null on 3.x: both None
    assert "st_var" not in {v.key for v in starship.variables()}
    assert "st_conn" not in {c.conn_id for c in starship.connections()}


def test_bad_input_is_refused_before_sending(client: AirflowClient) -> None:
    starship = client.starship
    before = client.transport.stats.requests
    with pytest.raises(InvalidArgumentError, match="no value"):
        starship.create_variable(StarshipVariable("k", None))
    with pytest.raises(InvalidArgumentError, match="EVERY pool"):
        starship.delete_pool("default_pool")
    with pytest.raises(InvalidArgumentError, match="limit"):
        starship.dag_runs("quick_success", limit=0)
    assert client.transport.stats.requests == before
    assert "default_pool" in {p.name for p in starship.pools()}


def test_dags_pause_states_runs_and_task_instances(client: AirflowClient) -> None:
    starship = client.starship
    client.wait_for_dag("quick_success", timeout=180)
    run = client.trigger_and_wait("quick_success", unpause=True, timeout=300)
    dags = {d.dag_id: d for d in starship.dags()}
    assert dags["quick_success"].is_paused is False
    starship.set_paused("quick_success", True)
    assert client.api("DAGApi").get_dag("quick_success").is_paused is True
    page = starship.dag_runs("quick_success")
    assert page.dag_run_count == 1
    (row,) = page.records
    assert row["run_id"] == run.run_id
    assert row["state"] == "success"
    started = datetime.fromisoformat(row["start_date"])
    assert started.tzinfo is not None
    tis = starship.task_instances("quick_success").records
    assert sorted((t["task_id"], t["state"]) for t in tis) == [
        ("first", "success"),
        ("second", "success"),
    ]
    assert list(starship.iter_dag_runs("quick_success", page_size=1)) == page.records


@pytest.mark.parametrize("server", ["2.11.2"], indirect=True, ids=["airflow-2.11.2"])
def test_airflow_2_web_login_logs_in_again_after_the_session_ends(
    server: AirflowServer, client: AirflowClient
) -> None:
    auth = client.starship.auth
    assert isinstance(auth, WebLoginAuth)
    client.starship.health()
    logins = auth.logins
    # end every session on the server side (Airflow 2 keeps them in its database)
    assert server.postgres is not None
    subprocess.run(
        [
            str(find_postgres_bin() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.postgres.port),
            "-U",
            "airflow",
            "-d",
            "airflow",
            "-c",
            "DELETE FROM session",
        ],
        check=True,
        capture_output=True,
    )
    assert client.starship.health() == "OK"
    assert auth.logins == logins + 1
    bad = StarshipClient(client, auth=WebLoginAuth(server.username, "wrong-password-x"))
    with pytest.raises(AuthenticationError) as caught:
        bad.variables()
    assert "wrong-password-x" not in str(caught.value)
    assert "wrong-password-x" not in repr(bad.auth)


@pytest.mark.parametrize("server", ["3.3.2"], indirect=True, ids=["airflow-3.3.2"])
def test_airflow_3_plain_text_500_and_reset_connection_are_absorbed(
    server: AirflowServer, client: AirflowClient
) -> None:
    starship = client.starship
    url = f"{starship.url}/variables"
    transport = starship.api.api_client.rest_client.pool_manager

    def missing_key() -> object:
        body = json.dumps({"key": "no_value_given"})
        request = Request("POST", url, {"Content-Type": "application/json"}, body=body)
        return transport.send(request)

    with pytest.raises(ServerError, match="plain-text 500"):
        starship._call("POST /variables", missing_key)
    # the next calls go through on fresh connections
    assert starship.health() == "OK"
    assert "no_value_given" not in {v.key for v in starship.variables()}
