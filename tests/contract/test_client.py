"""``AirflowClient`` against real Airflow 2 and 3: detection, the generated APIs through the
client, typed errors and ``with_options``.

Every test but the unreachable-port one takes ``airflow_server`` and so runs on each selected
version (2.11.2 and 3.3.2 by default). Auth is in ``test_client_auth.py``, token expiry in
``test_client_token_expiry.py`` and redirects in ``test_client_redirects.py``.
"""

from __future__ import annotations

import contextlib
import importlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import (
    Clients,
    clients_for_test,
    create_variable,
    dag_file_text,
    unique,
)
from urllib3.exceptions import NewConnectionError

from airflow_client_ext import RetryPolicy, TokenAuth
from airflow_client_ext.errors import (
    ApiError,
    ConfigurationError,
    NotFoundError,
    TransportError,
)
from airflow_client_ext.testing import AirflowInstance, AirflowServerError, free_port
from airflow_client_ext.transport import DEFAULT_TIMEOUT

PACKAGES = {"v1": "airflow_client_ext_v1", "v2": "airflow_client_ext_v2"}
OTHER_API = {"v1": "v2", "v2": "v1"}


@pytest.fixture
def clients() -> Iterator[Clients]:
    with clients_for_test() as made:
        yield made


def admin(server: AirflowInstance) -> TokenAuth:
    return TokenAuth(server.username, server.password)


def detection_requests(server: AirflowInstance) -> int:
    """Requests that detecting a server's API costs from a bare URL: ``/api/v2/version``
    first (public on Airflow 3); Airflow 2 answers it 404, then ``/api/v1/version``."""
    return 1 if server.api_version == "v2" else 2


def login_requests(server: AirflowInstance) -> int:
    """Requests that the first call of a ``TokenAuth`` adds: ``POST /auth/token`` on 3."""
    return 1 if server.api_version == "v2" else 0


@pytest.fixture(scope="session")
def client_dag(airflow_server: AirflowInstance, airflow_dags_folder: Path | None) -> Iterator[str]:
    """A DAG of our own in the server's DAGs folder (the folder of the top-level contract
    tests is empty): written under a unique name, removed with its DAG at the end."""
    folder = getattr(airflow_server, "dags_folder", None) or airflow_dags_folder
    if folder is None and airflow_server.home is not None:
        folder = airflow_server.home / "dags"
    if folder is None:
        pytest.skip("a running (--airflow-url) server needs --airflow-dags for this test")
    dag_id = unique("client_dag")
    path = Path(folder) / f"{dag_id}.py"
    path.write_text(dag_file_text(dag_id))
    try:
        airflow_server.wait_for_dag(dag_id, timeout=180)
        yield dag_id
    finally:
        path.unlink(missing_ok=True)
        # Airflow may still be busy with the file's removal; then the DAG just goes stale
        with contextlib.suppress(AirflowServerError):
            airflow_server.api("DELETE", f"dags/{dag_id}", ok=(200, 204, 404))


# -- detection ------------------------------------------------------------------------------
def test_detects_the_api_from_the_bare_url_once(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    client = clients(airflow_server.url, admin(airflow_server))
    stats = client.transport.stats
    assert stats.requests == 0  # nothing happens before it is needed
    assert "not detected yet" in repr(client)

    assert client.api_version == airflow_server.api_version
    assert client.server_version == airflow_server.version
    detected = detection_requests(airflow_server)
    assert stats.requests == detected
    for _ in range(3):  # cached: no more requests
        assert client.api_version == airflow_server.api_version
        assert client.server_version == airflow_server.version
        assert client.api_url == airflow_server.api_url
    assert client.generated.__name__ == PACKAGES[airflow_server.api_version]
    assert stats.requests == detected
    assert f"api_version={airflow_server.api_version!r}" in repr(client)

    # a call costs its own request (and the login on Airflow 3), never a new detection
    client.api("DAGApi").get_dags(limit=1)
    assert stats.requests == detected + login_requests(airflow_server) + 1
    client.api("DAGApi").get_dags(limit=1)
    assert stats.requests == detected + login_requests(airflow_server) + 2
    assert stats.retries == 0


@pytest.mark.parametrize("suffix", ["/api/{api}", "/api/{api}/"])
def test_detects_the_api_from_an_api_url(
    airflow_server: AirflowInstance, clients: Clients, suffix: str
) -> None:
    url = airflow_server.url + suffix.format(api=airflow_server.api_version)
    client = clients(url, admin(airflow_server))
    assert client.base_url == airflow_server.url
    assert client.api_version == airflow_server.api_version
    assert client.transport.stats.requests == 0  # the URL said it
    assert client.server_version == airflow_server.version
    assert client.transport.stats.requests == 1  # only that API's /version
    assert client.api_url == airflow_server.api_url
    dags = client.api("DAGApi").get_dags(limit=1)
    assert dags.total_entries >= 0


def test_forced_api_version(airflow_server: AirflowInstance, clients: Clients) -> None:
    api = airflow_server.api_version
    client = clients(airflow_server.url, admin(airflow_server), api_version=api)
    assert client.api_version == api
    assert client.transport.stats.requests == 0
    assert client.server_version == airflow_server.version
    assert client.transport.stats.requests == 1

    # agreeing URL and api_version: fine; disagreeing: refused before any request
    same = clients(f"{airflow_server.url}/api/{api}/", admin(airflow_server), api_version=api)
    assert same.api_version == api
    with pytest.raises(ConfigurationError, match=f"ends in /api/{api}"):
        clients(f"{airflow_server.url}/api/{api}", api_version=OTHER_API[api])
    with pytest.raises(ConfigurationError, match="api_version must be one of: v1, v2"):
        clients(airflow_server.url, api_version="v3")

    # forcing the API this server does not have: a clear error naming what was asked
    wrong = clients(airflow_server.url, admin(airflow_server), api_version=OTHER_API[api])
    with pytest.raises(ConfigurationError) as caught:
        _ = wrong.server_version
    message = str(caught.value)
    assert f"GET /api/{OTHER_API[api]}/version -> 404" in message
    assert airflow_server.url in message
    assert f"/api/{api}/" not in message  # not silently probed


def test_a_url_that_is_not_airflow_is_a_configuration_error(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    url = f"{airflow_server.url}/nothing"
    client = clients(url, admin(airflow_server))
    with pytest.raises(ConfigurationError) as caught:
        _ = client.api_version
    message = str(caught.value)
    assert url in message
    # both APIs were tried, and the message says what each answered (Airflow 2: 404;
    # Airflow 3: its UI's HTML page for any unknown path)
    assert "GET /api/v2/version -> " in message
    assert "GET /api/v1/version -> " in message
    answer = "404" if airflow_server.api_version == "v1" else "an HTML page"
    assert message.count(answer) == 2, message
    assert client.transport.stats.requests == 2


def test_an_unreachable_port_is_a_transport_error(clients: Clients) -> None:
    port = free_port()  # nothing listens there
    client = clients(
        f"http://127.0.0.1:{port}",
        TokenAuth("someone", "pw-unreachable-123"),
        retry=RetryPolicy(total=1, backoff_base=0),
    )
    with pytest.raises(TransportError) as caught:
        _ = client.api_version
    error = caught.value
    assert not isinstance(error, ConfigurationError)
    assert (error.method, error.path, error.retries) == ("GET", "/api/v2/version", 1)
    assert f"127.0.0.1:{port}" in str(error)
    assert "Is the server up" in str(error)
    assert isinstance(error.__cause__, NewConnectionError)
    assert client.transport.stats.requests == 2  # the first attempt and one retry
    assert client.transport.stats.retries == 1


# -- the generated APIs through the client --------------------------------------------------
def test_generated_apis_by_name_and_by_class(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    client = clients(airflow_server.url, admin(airflow_server))
    package = importlib.import_module(PACKAGES[airflow_server.api_version])
    other = importlib.import_module(PACKAGES[OTHER_API[airflow_server.api_version]])

    by_name = client.api("DAGApi")
    by_class = client.api(package.DAGApi)
    assert type(by_name) is package.DAGApi
    assert type(by_class) is package.DAGApi
    assert by_name.api_client is by_class.api_client is client.api_client
    assert client.api_client.rest_client.pool_manager is client.transport  # the seam

    with pytest.raises(ConfigurationError) as caught:
        client.api(other.DAGApi)
    assert other.__name__ in str(caught.value)
    assert package.__name__ in str(caught.value)
    assert f"/api/{airflow_server.api_version}" in str(caught.value)

    with pytest.raises(ConfigurationError, match=r"has no API named 'NoSuchApi'.*DAGApi"):
        client.api("NoSuchApi")
    with pytest.raises(ConfigurationError, match="has no API named 'ApiClient'"):
        client.api("ApiClient")  # a name of the package, but not an API


def test_generated_calls_deserialize_dags(
    airflow_server: AirflowInstance, clients: Clients, client_dag: str
) -> None:
    client = clients(airflow_server.url, admin(airflow_server))
    api = client.api("DAGApi")
    listed = api.get_dags(dag_id_pattern=client_dag, limit=10)
    expected_list = "DAGCollection" if client.api_version == "v1" else "DAGCollectionResponse"
    assert type(listed).__name__ == expected_list
    assert listed.total_entries == 1
    assert [dag.dag_id for dag in listed.dags] == [client_dag]

    dag = api.get_dag(client_dag)
    assert dag.dag_id == client_dag
    assert isinstance(dag.is_paused, bool)
    assert {tag.name for tag in dag.tags or []} == {"airflow-client-ext", "client-contract"}

    full = api.get_dags(limit=100)
    assert client_dag in {d.dag_id for d in full.dags}
    assert client.transport.stats.retries == 0


def test_variable_round_trip(airflow_server: AirflowInstance, clients: Clients) -> None:
    client = clients(airflow_server.url, admin(airflow_server))
    api = client.api("VariableApi")
    key, value = unique("client_var"), uuid.uuid4().hex  # unique: Airflow 3 masks known secrets
    try:
        created = create_variable(client, key, value)
        assert (created.key, created.value) == (key, value)
        fetched = api.get_variable(key)
        assert (fetched.key, fetched.value) == (key, value)
        api.delete_variable(key)
        with pytest.raises(NotFoundError) as caught:
            api.get_variable(key)
        assert caught.value.status == 404
        assert caught.value.path == f"/api/{client.api_version}/variables/{key}"
    finally:
        airflow_server.request("DELETE", f"variables/{key}")


def test_not_found_error_carries_status_method_path_and_detail(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    client = clients(airflow_server.url, admin(airflow_server))
    missing = unique("no_such_dag")
    with pytest.raises(NotFoundError) as caught:
        client.api("DAGApi").get_dag(missing)
    error = caught.value
    assert isinstance(error, ApiError)
    assert error.status == 404
    assert error.method == "GET"
    assert error.path == f"/api/{airflow_server.api_version}/dags/{missing}"
    # the server's own words: "The DAG with dag_id: x was not found" (2) or
    # "The Dag with ID: `x` was not found" (3)
    assert missing in str(error.detail)
    assert "not found" in str(error.detail).lower()
    assert str(error.detail) in str(error)
    assert f"GET {error.path} -> 404" in str(error)
    assert repr(error) == (
        f"NotFoundError(status=404, method='GET', path='/api/{airflow_server.api_version}"
        f"/dags/{missing}')"
    )
    assert client.transport.stats.retries == 0  # a 404 is not retried


# -- with_options ---------------------------------------------------------------------------
def test_with_options_applies_options_and_shares_detection_and_auth(
    airflow_server: AirflowInstance, clients: Clients
) -> None:
    auth = admin(airflow_server)
    client = clients(airflow_server.url, auth)
    stats = client.transport.stats

    # a copy made before detection: whichever detects, both know
    early = client.with_options(timeout=7)
    assert early.server_version == airflow_server.version
    assert stats.requests == detection_requests(airflow_server)
    assert client.api_version == airflow_server.api_version
    assert client.server_version == airflow_server.version
    assert stats.requests == detection_requests(airflow_server)

    client.api("DAGApi").get_dags(limit=1)
    assert auth.logins == login_requests(airflow_server)
    before = stats.requests

    fast = client.with_options(retry=RetryPolicy(total=0), timeout=5)
    assert fast.transport.retry == RetryPolicy(total=0)
    assert (fast.transport.timeout.connect_timeout, fast.transport.timeout.read_timeout) == (5, 5)
    assert client.transport.retry == RetryPolicy()  # the original keeps its options
    assert client.transport.timeout is DEFAULT_TIMEOUT
    assert early.transport.timeout.read_timeout == 7
    assert fast.auth is client.auth
    assert fast.transport.stats is stats
    assert fast.base_url == client.base_url
    assert (fast.api_version, fast.server_version) == (client.api_version, client.server_version)
    assert stats.requests == before  # no new detection

    dags = fast.api("DAGApi").get_dags(limit=1)
    assert dags.total_entries >= 0
    assert fast.api_client is not client.api_client
    assert fast.api_client.rest_client.pool_manager is fast.transport
    assert stats.requests == before + 1  # no detection, no login: the cached token is reused
    assert auth.logins == login_requests(airflow_server)

    # errors through the copy are the same typed errors, with no retry
    with pytest.raises(NotFoundError):
        fast.api("DAGApi").get_dag(unique("missing"))
    assert stats.retries == 0
