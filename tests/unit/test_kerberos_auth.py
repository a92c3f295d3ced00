"""KerberosAuth without a KDC: the extra is optional and loads late. Its flows run against a
real realm and a real Airflow in tests/kerberos."""

from __future__ import annotations

import subprocess
import sys

import pytest
import urllib3

from airflow_client_ext import KerberosAuth
from airflow_client_ext.errors import ConfigurationError
from airflow_client_ext.kerberos import INSTALL_HINT, _negotiate_values, _server_token


def test_importing_the_package_and_the_class_does_not_import_spnego() -> None:
    code = (
        "import sys, airflow_client_ext as a; a.KerberosAuth; "
        "import airflow_client_ext.kerberos; print('spnego' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_the_extra_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spnego", None)  # as if pyspnego were not installed
    with pytest.raises(ConfigurationError) as caught:
        KerberosAuth()
    assert "pip install 'airflow-client-ext[kerberos]'" in str(caught.value)
    assert INSTALL_HINT in str(caught.value)


def test_mutual_must_be_a_known_mode() -> None:
    with pytest.raises(ValueError, match="required, optional, disabled"):
        KerberosAuth(mutual="yes")


def answer(header: str | None) -> urllib3.HTTPResponse:
    headers = {"WWW-Authenticate": header} if header is not None else {}
    return urllib3.HTTPResponse(body=b"", status=200, headers=headers, preload_content=True)


@pytest.mark.parametrize(
    ("header", "values", "token"),
    [
        (None, [], None),
        ("Negotiate", [""], None),
        ("negotiate YWJj", ["YWJj"], "YWJj"),
        ("Basic realm=x, Negotiate YWJj", ["YWJj"], "YWJj"),
        ("Bearer", [], None),
    ],
)
def test_the_negotiate_challenge_and_server_token_are_read(
    header: str | None, values: list[str], token: str | None
) -> None:
    assert _negotiate_values(answer(header)) == values
    assert _server_token(answer(header)) == token


def test_repr_shows_settings_and_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("airflow_client_ext.kerberos._require_spnego", lambda: None)
    auth = KerberosAuth(hostname="airflow.example.test", principal="ci@EXAMPLE.TEST")
    auth._last_token = "YIIC-a-token-that-was-sent"
    assert repr(auth) == (
        "KerberosAuth(service='airflow', hostname='airflow.example.test', "
        "principal='ci@EXAMPLE.TEST', keytab=None, mutual='optional', delegate=False)"
    )
    assert auth.secrets() == ["YIIC-a-token-that-was-sent"]
    assert auth.describe() == "Kerberos as 'ci@EXAMPLE.TEST'"


def test_the_harness_refuses_kerberos_on_airflow_3() -> None:
    from airflow_client_ext.testing import AirflowServer, AirflowServerError, airflow_fqdn

    with pytest.raises(AirflowServerError, match="/api/v2 accepts tokens only"):
        AirflowServer("3.3.2", kerberos_keytab="/nowhere/airflow.keytab")
    server = AirflowServer("2.11.2", kerberos_keytab="/nowhere/airflow.keytab")
    assert "apache-airflow[kerberos]==2.11.2" in server.extra_packages  # its own cached venv
    assert airflow_fqdn()
