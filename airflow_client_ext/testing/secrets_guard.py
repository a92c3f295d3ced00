"""A pytest plugin that fails any test whose output shows a secret the session uses.

Turned on with ``--airflow-secrets-guard`` (the plugin of :mod:`airflow_client_ext.testing`
registers it). It watches, for every phase (setup, call, teardown) of every test:

* what the test printed (captured stdout and stderr: print a subprocess's output, e.g. the
  CLI's, and it is watched too);
* the captured log records, with the ``airflow_client_ext`` loggers at DEBUG, so the request
  logs are watched at their most talkative;
* the text and ``repr`` of every :class:`~airflow_client_ext.errors.AirflowClientError`
  created during the phase, raised or caught, and the failure report itself.

A secret is found with the rule the library masks by
(:func:`airflow_client_ext._http.secret_pattern`): where it stands as a value, not inside a
longer word. Whatever looks like a JWT (``eyJ...``.``eyJ...``.``...``) counts as a leak
without being registered. The guard knows the admin password of every server the plugin
starts (and its basic-auth form); tests add theirs with the ``secrets_guard`` fixture::

    def test_connection(secrets_guard, ...):
        secrets_guard.add("s3cr3t-conn-pw", "connection password")

A leak turns the phase's report into a failure that names the secret's label and where it
was seen; the secret itself is never printed (the original report is kept, redacted).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from .._http import REDACTED, redact_text, secret_pattern
from ..errors import AirflowClientError

#: a JSON Web Token: header and payload are base64url JSON objects ("eyJ" is '{"')
JWT = re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}")

_WATCHED_LOGGER = "airflow_client_ext"


@dataclass
class SecretsGuard:
    """The secrets of a session and the error texts seen since the last look."""

    secrets: dict[str, str] = field(default_factory=dict)  # secret -> label
    _errors: list[BaseException] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, secret: str | bytes, label: str) -> None:
        """Watch for ``secret``; ``label`` names it in a failure (never the secret itself).

        Bytes (a keytab) are watched in the forms text can carry them: base64, hex and the
        bytes read as Latin-1.
        """
        if isinstance(secret, bytes):
            if not secret:
                return
            self.add(base64.b64encode(secret).decode(), f"{label} (base64)")
            self.add(secret.hex(), f"{label} (hex)")
            if len(secret) >= 8:
                self.add(secret.decode("latin-1"), f"{label} (raw bytes)")
            return
        if secret:
            self.secrets.setdefault(secret, label)

    def add_password(self, username: str, password: str, label: str) -> None:
        """A password and the basic-auth header value made of it."""
        self.add(password, label)
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.add(basic, f"{label} (basic-auth form)")

    def leaks(self, text: str) -> list[str]:
        """The labels of the secrets ``text`` shows (a JWT: "a JWT")."""
        found = [label for secret, label in self.secrets.items() if _shows(text, secret)]
        if JWT.search(text):
            found.append("a JWT")
        return found

    def redact(self, text: str) -> str:
        return JWT.sub(REDACTED, redact_text(text, list(self.secrets)))

    def record_error(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)

    def take_errors(self) -> list[str]:
        """The text and repr of each error recorded since the last call (read now: an
        error's attributes are set after its ``__init__`` has run)."""
        with self._lock:
            errors, self._errors = self._errors, []
        return [f"{error}\n{error!r}" for error in errors]


def _shows(text: str, secret: str) -> bool:
    return secret in text and secret_pattern(secret).search(text) is not None


class GuardPlugin:
    """The pytest side: hooks that look at each phase's report."""

    def __init__(self, guard: SecretsGuard) -> None:
        self.guard = guard
        self._saved_init: Any = None
        self._saved_level = logging.NOTSET

    # -- session ----------------------------------------------------------------------------
    def start(self) -> None:
        guard = self.guard
        saved = AirflowClientError.__dict__.get("__init__")
        self._saved_init = saved

        def recording_init(error: AirflowClientError, *args: Any, **kwargs: Any) -> None:
            if saved is not None:
                saved(error, *args, **kwargs)
            else:
                Exception.__init__(error, *args, **kwargs)
            guard.record_error(error)

        # every error of the package passes here (subclasses call super().__init__)
        AirflowClientError.__init__ = recording_init  # type: ignore[method-assign,assignment]
        watched = logging.getLogger(_WATCHED_LOGGER)
        self._saved_level = watched.level
        watched.setLevel(logging.DEBUG)

    def stop(self) -> None:
        if self._saved_init is None:
            del AirflowClientError.__init__
        else:
            AirflowClientError.__init__ = self._saved_init  # type: ignore[method-assign]
        logging.getLogger(_WATCHED_LOGGER).setLevel(self._saved_level)

    # -- hooks ------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        self.guard.take_errors()  # errors made between tests belong to no test
        yield

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        texts = list(_phase_texts(report, call.when))
        texts += [("an error's text", text) for text in self.guard.take_errors()]
        found: dict[str, list[str]] = {}
        for where, text in texts:
            for label in self.guard.leaks(text):
                found.setdefault(label, [])
                if where not in found[label]:
                    found[label].append(where)
        if found:
            lines = [f"secrets guard: a secret was shown during {call.when}:"]
            lines += [f"  {label}: in {', '.join(wheres)}" for label, wheres in found.items()]
            if report.longrepr is not None:
                lines += ["", "the test's own report (secrets masked):"]
                lines.append(self.guard.redact(report.longreprtext))
            report.outcome = "failed"
            report.longrepr = "\n".join(lines)
            report.sections = [
                (name, self.guard.redact(content)) for name, content in report.sections
            ]
        return report


def _phase_texts(report: pytest.TestReport, when: str) -> Iterable[tuple[str, str]]:
    for name, content in report.sections:
        # "Captured stdout call", "Captured log setup", ...: the harness's server log tails
        # are the server's own words, not ours
        if name.startswith("Captured ") and name.endswith(f" {when}"):
            yield name[len("Captured ") :], content
    if report.longrepr is not None:
        yield "the failure report", report.longreprtext


__all__ = ["JWT", "GuardPlugin", "SecretsGuard"]
