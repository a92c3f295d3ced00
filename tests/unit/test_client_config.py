"""AirflowClient set-up without a server: URLs, the environment, reprs, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airflow_client_ext import AirflowClient, BasicAuth, BearerAuth, NoAuth, TokenAuth
from airflow_client_ext._http import read_problem, safe_path, safe_url
from airflow_client_ext.client import split_base_url
from airflow_client_ext.errors import ConfigurationError


@pytest.mark.parametrize(
    ("url", "root", "version"),
    [
        ("http://h:8080", "http://h:8080", None),
        ("http://h:8080/", "http://h:8080", None),
        ("http://h:8080/api/v1", "http://h:8080", "v1"),
        ("http://h:8080/api/v2/", "http://h:8080", "v2"),
        ("https://h/team/airflow/api/v2", "https://h/team/airflow", "v2"),
        ("https://h/team/airflow", "https://h/team/airflow", None),
    ],
)
def test_split_base_url(url: str, root: str, version: str | None) -> None:
    assert split_base_url(url) == (root, version)


@pytest.mark.parametrize("url", ["", "localhost:8080", "ftp://h/x", "http://"])
def test_bad_urls_say_what_to_give(url: str) -> None:
    with pytest.raises(ConfigurationError, match="URL"):
        AirflowClient(url)


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        AirflowClient("http://admin:pw-999999@h:8080")
    assert "pw-999999" not in str(caught.value)


def test_forced_api_version_is_used_without_detection() -> None:
    client = AirflowClient("http://h:1", api_version="v2")
    assert client.api_version == "v2"
    assert client.api_url == "http://h:1/api/v2"
    assert client.transport.stats.requests == 0
    with pytest.raises(ConfigurationError, match="api_version"):
        AirflowClient("http://h:1", api_version="v3")
    with pytest.raises(ConfigurationError, match="ends in /api/v1"):
        AirflowClient("http://h:1/api/v1", api_version="v2")


def test_auth_must_be_an_auth_object() -> None:
    with pytest.raises(ConfigurationError, match="Auth object"):
        AirflowClient("http://h:1", auth=("admin", "admin"))  # type: ignore[arg-type]


def test_from_env_picks_the_auth() -> None:
    base = {"AIRFLOW_URL": "http://h:1/api/v2"}
    token = AirflowClient.from_env({**base, "AIRFLOW_USERNAME": "u", "AIRFLOW_PASSWORD": "p"})
    assert isinstance(token.auth, TokenAuth)
    assert token.api_version == "v2"
    basic = AirflowClient.from_env(
        {**base, "AIRFLOW_USERNAME": "u", "AIRFLOW_PASSWORD": "p", "AIRFLOW_AUTH": "basic"}
    )
    assert isinstance(basic.auth, BasicAuth)
    bearer = AirflowClient.from_env({**base, "AIRFLOW_TOKEN": "t"})
    assert isinstance(bearer.auth, BearerAuth)
    assert isinstance(AirflowClient.from_env(base).auth, NoAuth)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AIRFLOW_URL is not set"),
        ({"AIRFLOW_URL": "http://h", "AIRFLOW_AUTH": "kerb"}, "not one of"),
        ({"AIRFLOW_URL": "http://h", "AIRFLOW_AUTH": "bearer"}, "needs AIRFLOW_TOKEN"),
        ({"AIRFLOW_URL": "http://h", "AIRFLOW_USERNAME": "u"}, "AIRFLOW_PASSWORD"),
        ({"AIRFLOW_URL": "http://h", "AIRFLOW_TIMEOUT": "soon"}, "AIRFLOW_TIMEOUT"),
    ],
)
def test_from_env_errors_say_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AirflowClient.from_env(env)


def test_reprs_show_no_secret() -> None:
    for auth in (TokenAuth("u", "pw-777777"), BasicAuth("u", "pw-777777"), BearerAuth("pw-777777")):
        client = AirflowClient("http://h:1", auth=auth, api_version="v2")
        assert "pw-777777" not in repr(client)
        assert "pw-777777" not in repr(client.transport)


def test_api_by_name_and_by_class_and_wrong_package() -> None:
    import airflow_client_ext_v1 as v1
    import airflow_client_ext_v2 as v2

    client = AirflowClient("http://h:1", api_version="v2")
    assert isinstance(client.api("DAGApi"), v2.DAGApi)
    assert isinstance(client.api(v2.PoolApi), v2.PoolApi)
    assert client.api("DAGApi").api_client.rest_client.pool_manager is client.transport
    with pytest.raises(ConfigurationError, match="speaks /api/v2"):
        client.api(v1.DAGApi)
    with pytest.raises(ConfigurationError, match="has no API named"):
        client.api("NopeApi")


def test_with_options_shares_detection_and_auth() -> None:
    from airflow_client_ext import RetryPolicy

    auth = TokenAuth("u", "p")
    client = AirflowClient("http://h:1", auth=auth, api_version="v1")
    fast = client.with_options(retry=RetryPolicy(total=0), timeout=2)
    assert fast.api_version == "v1"
    assert fast.auth is auth
    assert fast.transport.retry.total == 0
    assert fast.transport.timeout.read_timeout == 2
    assert client.transport.retry.total == 3
    assert fast.transport.stats is client.transport.stats


def test_a_first_call_imports_only_what_it_needs() -> None:
    code = (
        "import sys\n"
        "from airflow_client_ext import AirflowClient\n"
        "c = AirflowClient('http://h:1', api_version='v2')\n"
        "c.api('DAGApi')\n"
        "mods = set(sys.modules)\n"
        "assert 'airflow_client_ext_v2.api.dag_api' in mods\n"
        "assert 'airflow_client_ext_v2.api.pool_api' not in mods\n"
        "assert not any(m.startswith('airflow_client_ext_v1') for m in mods)\n"
        "models = [m for m in mods if m.startswith('airflow_client_ext_v2.models.')]\n"
        "assert len(models) < 20, models\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_safe_paths_hide_credentials_and_secret_query_values() -> None:
    url = "https://u:pw@h:8443/api/v2/x?limit=5&token=abc&api_key=k&name=n"
    assert safe_path(url) == "/api/v2/x?limit=5&token=***&api_key=***&name=n"
    assert safe_url(url) == "https://h:8443/api/v2/x?limit=5&token=***&api_key=***&name=n"


def test_read_problem_handles_rfc7807_fastapi_and_html() -> None:
    rfc = read_problem(
        b'{"title": "Not Found", "detail": "no", "type": "t"}', "application/json", 50
    )
    assert (rfc.title, rfc.detail, rfc.type, rfc.is_json) == ("Not Found", "no", "t", True)
    html = read_problem(b"<html><body>" + b"x" * 600 + b"</body></html>", "text/html", 100)
    assert html.is_json is False
    assert html.title is None
    assert len(html.excerpt) < 140
    assert "characters" in html.excerpt


def test_from_env_builds_kerberos_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow_client_ext.kerberos as kerberos

    monkeypatch.setattr(kerberos, "_require_spnego", lambda: None)  # the extra may be absent
    env = {"AIRFLOW_URL": "http://h:1", "AIRFLOW_AUTH": "kerberos"}
    default = AirflowClient.from_env(env).auth
    assert isinstance(default, kerberos.KerberosAuth)
    assert (default.service, default.principal, default.keytab) == ("airflow", None, None)
    given = AirflowClient.from_env(
        {
            **env,
            "AIRFLOW_KERBEROS_PRINCIPAL": "ci@EXAMPLE.TEST",
            "AIRFLOW_KERBEROS_KEYTAB": "/etc/ci.keytab",
            "AIRFLOW_KERBEROS_HOSTNAME": "airflow.example.test",
        }
    ).auth
    assert isinstance(given, kerberos.KerberosAuth)
    assert (given.principal, given.keytab, given.hostname) == (
        "ci@EXAMPLE.TEST",
        "/etc/ci.keytab",
        "airflow.example.test",
    )
