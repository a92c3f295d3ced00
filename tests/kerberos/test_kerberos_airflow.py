"""KerberosAuth against real servers: Airflow 2.11.2 with the Kerberos API backend (tickets
from a real KDC), and Airflow 3.3.2, whose ``/api/v2`` accepts tokens only."""

from __future__ import annotations

import base64
import logging
import time

import pytest
from kerberos_support import Krb5Env, Realm

from airflow_client_ext import AirflowClient, KerberosAuth
from airflow_client_ext.errors import AuthenticationError, PermissionDeniedError
from airflow_client_ext.kerberos import MutualAuthenticationError
from airflow_client_ext.testing import AirflowInstance, AirflowServer


def client_for(server: AirflowInstance, auth: KerberosAuth) -> AirflowClient:
    return AirflowClient(server.url, auth=auth)


def texts_of(exc: BaseException) -> list[str]:
    """What a person or a log may see of an error."""
    fields = ("title", "detail", "body_excerpt", "headers", "path")
    return [str(exc), repr(exc), *(str(getattr(exc, f, "")) for f in fields)]


def test_a_valid_ticket_lists_dags_and_triggers_a_run_to_success(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.kinit("alice")
    auth = KerberosAuth(hostname=realm.host)
    client = client_for(kerberized_airflow, auth)
    assert client.api_version == "v1"

    client.wait_for_dag("quick_success", unpause=True, timeout=120)
    dags = client.api("DAGApi").get_dags(dag_id_pattern="quick_success")
    assert [d.dag_id for d in dags.dags] == ["quick_success"]
    run = client.trigger_and_wait("quick_success", timeout=240)
    assert run.state == "success"
    # every call was answered with a challenge, then with a fresh token (the server keeps a
    # replay cache: a token sent twice would be refused)
    assert client.transport.stats.retries == 0


def test_credentials_from_a_keytab_need_no_ticket_cache(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.no_ticket()
    auth = KerberosAuth(
        hostname=realm.host, principal=realm.principal("alice"), keytab=realm.keytabs["alice"]
    )
    version = client_for(kerberized_airflow, auth).api("DAGApi").get_dags(limit=1)
    assert version.total_entries >= 1


def test_principal_picks_its_ticket_from_a_cache_collection(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    collection = realm.kdc.folder / f"collection-{time.monotonic_ns()}"
    collection.mkdir()
    krb5.kinit("alice", cache=f"DIR:{collection}")
    krb5.kinit("bob", cache=f"DIR:{collection}")  # the collection's primary cache now
    alice = KerberosAuth(hostname=realm.host, principal=realm.principal("alice"))
    assert client_for(kerberized_airflow, alice).api("DAGApi").get_dags(limit=1).total_entries
    with pytest.raises(PermissionDeniedError, match="Kerberos authenticated bob@"):
        client_for(kerberized_airflow, KerberosAuth(hostname=realm.host)).api("DAGApi").get_dags(
            limit=1
        )


def test_delegation_is_accepted(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.kinit("alice")
    auth = KerberosAuth(hostname=realm.host, delegate=True)
    assert client_for(kerberized_airflow, auth).api("DAGApi").get_dags(limit=1).total_entries


def test_no_ticket_says_kerberos_and_what_to_check(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.no_ticket()
    client = client_for(kerberized_airflow, KerberosAuth(hostname=realm.host))
    with pytest.raises(AuthenticationError) as caught:
        client.api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert caught.value.status == 401
    for words in ("Kerberos", "no usable Kerberos ticket", "kinit", "klist", "KRB5CCNAME"):
        assert words in message, message
    assert "No Kerberos credentials available" in message  # GSSAPI's own words


def test_a_keytab_that_cannot_serve_says_so(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    missing = realm.kdc.folder / "missing.keytab"
    auth = KerberosAuth(hostname=realm.host, principal=realm.principal("alice"), keytab=missing)
    with pytest.raises(AuthenticationError) as caught:
        client_for(kerberized_airflow, auth).api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert "the keytab cannot give credentials for alice@EXAMPLE.TEST" in message, message
    assert f"Key table file '{missing}' not found" in message


def test_a_principal_without_an_airflow_user_is_refused_permission(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.kinit("bob")
    auth = KerberosAuth(hostname=realm.host)
    with pytest.raises(PermissionDeniedError) as caught:
        client_for(kerberized_airflow, auth).api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert caught.value.status == 403
    assert "Kerberos authenticated bob@EXAMPLE.TEST" in message, message
    assert "airflow users create" in message
    assert not isinstance(caught.value, AuthenticationError)


def test_an_expired_ticket_says_so(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.kinit("alice", lifetime="2s")
    time.sleep(3)
    client = client_for(kerberized_airflow, KerberosAuth(hostname=realm.host))
    with pytest.raises(AuthenticationError) as caught:
        client.api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert "Kerberos ticket of alice@EXAMPLE.TEST has expired" in message, message
    assert "kinit" in message


def test_an_unknown_service_host_names_the_principal_to_fix(
    kerberized_airflow: AirflowServer, krb5: Krb5Env
) -> None:
    krb5.kinit("alice")
    client = client_for(kerberized_airflow, KerberosAuth(hostname="not-airflow.example.test"))
    with pytest.raises(AuthenticationError) as caught:
        client.api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert "does not know the service principal airflow/not-airflow.example.test" in message
    assert "hostname=" in message


def test_mutual_required_fails_clearly_against_airflow_2(
    kerberized_airflow: AirflowServer, realm: Realm, krb5: Krb5Env
) -> None:
    krb5.kinit("alice")
    auth = KerberosAuth(hostname=realm.host, mutual="required")
    with pytest.raises(MutualAuthenticationError) as caught:
        client_for(kerberized_airflow, auth).api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert "sent no Kerberos token back" in message, message
    assert f"it is {realm.service}" in message
    assert "mutual='optional'" in message


def test_tokens_never_show_in_logs_errors_or_repr(
    kerberized_airflow: AirflowServer,
    realm: Realm,
    krb5: Krb5Env,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_client_ext")
    keytab = realm.keytabs["alice"]
    auth = KerberosAuth(hostname=realm.host, principal=realm.principal("alice"), keytab=keytab)
    client = client_for(kerberized_airflow, auth)
    client.api("DAGApi").get_dags(limit=1)
    tokens = list(auth.secrets())

    krb5.kinit("bob")
    bob = KerberosAuth(hostname=realm.host)
    with pytest.raises(PermissionDeniedError) as caught:
        client_for(kerberized_airflow, bob).api("DAGApi").get_dags(limit=1)
    tokens += bob.secrets()

    assert len(tokens) == 2
    assert all(len(t) > 100 for t in tokens)
    keytab_contents = base64.b64encode(keytab.read_bytes()).decode()
    shown = [
        caplog.text,
        repr(auth),
        repr(bob),
        repr(client),
        *texts_of(caught.value),
    ]
    for secret in [*tokens, keytab_contents]:
        assert not [text for text in shown if secret in text]
    assert "Authorization': '***'" in caplog.text  # the header was logged, redacted
    assert str(keytab) in repr(auth)  # the path is no secret; its contents are


@pytest.mark.airflow_major(3)
def test_airflow_3_refuses_kerberos_with_a_clear_message(airflow_server: AirflowInstance) -> None:
    client = AirflowClient(airflow_server.url, auth=KerberosAuth())
    assert client.api_version == "v2"  # detected on the real server
    with pytest.raises(AuthenticationError) as caught:
        client.api("DAGApi").get_dags(limit=1)
    message = str(caught.value)
    assert "Airflow 3 (/api/v2) accepts only tokens" in message, message
    assert "TokenAuth or BearerAuth" in message
    # the version probe and the one refused call: no loop of 401s
    assert client.transport.stats.requests == 2
