"""Mutual authentication, which Airflow 2.11.2 never does (it keeps its token to itself): a
tiny SPNEGO server in the test process, with the service keytab of the real realm, sends its
token back, none, a stale one or garbage; and single-use tokens across retries."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from kerberos_support import Krb5Env, Realm
from spnego_stub import SpnegoStub

from airflow_client_ext import AirflowClient, KerberosAuth, RetryPolicy
from airflow_client_ext.kerberos import MutualAuthenticationError


@pytest.fixture
def stub(realm: Realm, krb5: Krb5Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[SpnegoStub]:
    monkeypatch.setenv("KRB5_KTNAME", f"FILE:{realm.keytabs['service']}")  # the acceptor's
    krb5.kinit("alice")
    server = SpnegoStub().start()
    try:
        yield server
    finally:
        server.stop()


def version_from(stub: SpnegoStub, auth: KerberosAuth, **options: object) -> str:
    client = AirflowClient(stub.url, auth=auth, api_version="v1", **options)  # type: ignore[arg-type]
    return str(client.api("MonitoringApi").get_version().version)


@pytest.mark.parametrize("mutual", ["optional", "required"])
def test_the_servers_token_is_verified(stub: SpnegoStub, realm: Realm, mutual: str) -> None:
    assert version_from(stub, KerberosAuth(hostname=realm.host, mutual=mutual)) == "2.11.2"
    assert stub.accepted == [realm.principal("alice")]


def test_required_fails_clearly_when_the_server_sends_no_token(
    stub: SpnegoStub, realm: Realm
) -> None:
    stub.server_token = "none"
    assert version_from(stub, KerberosAuth(hostname=realm.host)) == "2.11.2"  # optional
    with pytest.raises(MutualAuthenticationError) as caught:
        version_from(stub, KerberosAuth(hostname=realm.host, mutual="required"))
    assert "sent no Kerberos token back" in str(caught.value)
    assert caught.value.status == 200  # the server accepted us; we do not accept it


@pytest.mark.parametrize("token", ["stale", "garbage"])
@pytest.mark.parametrize("mutual", ["optional", "required"])
def test_a_bad_server_token_is_rejected(
    stub: SpnegoStub, realm: Realm, token: str, mutual: str
) -> None:
    version_from(stub, KerberosAuth(hostname=realm.host))  # leaves a stale token behind
    stub.server_token = token
    with pytest.raises(MutualAuthenticationError) as caught:
        version_from(stub, KerberosAuth(hostname=realm.host, mutual=mutual))
    message = str(caught.value)
    assert f"does not verify as {realm.service}" in message, message
    assert "the answer is not used" in message


def test_disabled_asks_for_no_server_token_and_checks_none(stub: SpnegoStub, realm: Realm) -> None:
    stub.server_token = "garbage"
    assert version_from(stub, KerberosAuth(hostname=realm.host, mutual="disabled")) == "2.11.2"


def test_every_retry_gets_a_fresh_token(
    stub: SpnegoStub, realm: Realm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_client_ext")
    stub.fail_next = 2  # two 503s to authenticated requests, then 200
    fast = RetryPolicy(total=3, backoff_base=0.01, backoff_max=0.05)
    assert version_from(stub, KerberosAuth(hostname=realm.host), retry=fast) == "2.11.2"
    assert len(stub.tokens) == 3
    assert len(set(stub.tokens)) == 3  # never the same token twice
    assert stub.rejected == []  # each accepted: none was a replay
    assert stub.accepted == [realm.principal("alice")] * 3
    for token in stub.tokens:
        assert token not in caplog.text


def test_a_mutual_failure_shows_no_token(stub: SpnegoStub, realm: Realm) -> None:
    stub.server_token = "garbage"
    auth = KerberosAuth(hostname=realm.host)
    with pytest.raises(MutualAuthenticationError) as caught:
        version_from(stub, auth)
    shown = [str(caught.value), repr(caught.value), caught.value.body_excerpt, repr(auth)]
    assert stub.tokens
    assert not [t for t in shown for s in stub.tokens if s in t]
