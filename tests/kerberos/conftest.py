"""Kerberos tests: a throwaway MIT realm on loopback, a real Airflow 2.11.2 with the Kerberos
API backend, and (for mutual authentication, which Airflow never does) a tiny SPNEGO server.

Fixtures:
    ``realm`` (session): the KDC, with principals ``alice`` (an Airflow user), ``bob`` (no
    Airflow user) and ``airflow/<airflow_fqdn()>`` (the service), each with a keytab.
    ``kerberized_airflow`` (module): Airflow 2.11.2 serving ``/api/v1`` with basic auth and
    Kerberos; its admin user is ``alice@EXAMPLE.TEST``. Started by the module that uses it and
    stopped when that module ends, so it does not sit beside the session's servers longer.
    ``krb5`` (function): points this process's Kerberos library at the realm (no ticket yet)
    and gets tickets on demand: ``krb5.kinit("alice")``.

Tests of Airflow 3 use the session's ``airflow_server``; its Airflow 2 parameters are
deselected here (they are covered by ``kerberized_airflow``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kerberos_support import Krb5Env, Realm
from krb5realm import Krb5Realm

from airflow_client_ext.testing import AirflowServer, airflow_fqdn
from airflow_client_ext.testing.secrets_guard import SecretsGuard

AIRFLOW2 = "2.11.2"


@pytest.fixture(scope="session")
def realm(request: pytest.FixtureRequest, secrets_guard: SecretsGuard) -> Iterator[Realm]:
    host = airflow_fqdn()
    kdc = Krb5Realm(hostname=host)
    try:  # the KDC stops by its process group, even if set-up fails
        started = time.monotonic()
        kdc.start()
        keytabs = {name: kdc.add_principal(name) for name in ("alice", "bob")}
        keytabs["service"] = kdc.add_principal(f"airflow/{host}")
        for name, keytab in keytabs.items():
            secrets_guard.add(Path(keytab).read_bytes(), f"the keytab of {name}")
        seconds = time.monotonic() - started
        say(
            request.config,
            f"[kerberos] realm {kdc.realm} up in {seconds:.2f} s (KDC pid {kdc.kdc_pid}, "
            f"port {kdc.port}, service airflow/{host})",
        )
        yield Realm(kdc, keytabs, host)
    finally:
        kdc.stop()


@pytest.fixture(scope="module")
def kerberized_airflow(
    realm: Realm, airflow_dags_folder: Path | None, request: pytest.FixtureRequest
) -> Iterator[AirflowServer]:
    server = AirflowServer(
        AIRFLOW2,
        airflow_dags_folder,
        username=realm.principal("alice"),
        password="basic-auth-of-the-harness",  # the harness checks basic auth too
        kerberos_keytab=realm.keytabs["service"],
        krb5_config=realm.kdc.krb5_conf,
        startup_timeout=request.config.getoption("airflow_startup_timeout", 300.0),
    )
    try:  # stop() ends every process of the server by its process group, even on failure
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def krb5(realm: Realm, monkeypatch: pytest.MonkeyPatch) -> Krb5Env:
    return Krb5Env(realm, monkeypatch)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "airflow_major(n): run only on the session's Airflow servers of major n"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the ``airflow_server`` parameters of another major."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("airflow_major")
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("airflow_server") if callspec else None
        numbered = isinstance(target, str) and target[:1].isdigit()
        if marker and numbered and int(str(target).split(".", 1)[0]) != marker.args[0]:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def say(config: pytest.Config, line: str) -> None:
    """A line on the terminal, past the output capture (like the harness's progress)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        reporter.write_line(line)
