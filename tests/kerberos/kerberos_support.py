"""Helpers of the Kerberos tests: the realm as the tests see it, and this process's Kerberos
environment for one test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from krb5realm import Krb5Realm


@dataclass
class Realm:
    kdc: Krb5Realm
    keytabs: dict[str, Path]  # short name -> keytab
    host: str  # the host part of Airflow's service principal

    @property
    def service(self) -> str:
        return f"airflow/{self.host}"

    def principal(self, name: str) -> str:
        return self.kdc.principal(name)


class Krb5Env:
    """This process's Kerberos environment, pointed at the realm for one test."""

    def __init__(self, realm: Realm, monkeypatch: pytest.MonkeyPatch) -> None:
        self.realm = realm
        self._monkeypatch = monkeypatch
        for key, value in realm.kdc.env.items():
            monkeypatch.setenv(key, value)
        self.no_ticket()

    def no_ticket(self) -> None:
        self._monkeypatch.setenv("KRB5CCNAME", f"FILE:{self.realm.kdc.folder}/no-such.ccache")

    def kinit(self, name: str, *, lifetime: str | None = None, cache: str | None = None) -> str:
        """A fresh ticket for ``name`` (in a fresh cache, or ``cache``), made the default;
        returns the cache."""
        cache = self.realm.kdc.kinit(name, self.realm.keytabs[name], lifetime=lifetime, cache=cache)
        self._monkeypatch.setenv("KRB5CCNAME", cache)
        return cache
