"""The secrets guard of the testing plugin, run on a small suite in a pytest subprocess, and
the masking rule it shares with the library (a secret masked where it stands as a value)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from airflow_client_ext._http import redact_text
from airflow_client_ext.testing.secrets_guard import SecretsGuard

PASSWORD = "Pw-guard-7f3e1c"
JWT = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"

SUITE = f"""
import logging
import pytest
from airflow_client_ext.errors import NotFoundError, ConfigurationError

PASSWORD = {PASSWORD!r}

@pytest.fixture(autouse=True)
def _register(secrets_guard):
    secrets_guard.add(PASSWORD, "the suite's password")
    secrets_guard.add(bytes(range(40)), "a keytab")

def test_clean():
    print("nothing to see: administrator, Pw-guard-7f3e1cZ")

def test_printed():
    print("connecting with", PASSWORD)

def test_logged_at_debug():
    logging.getLogger("airflow_client_ext.transport").debug("header %s", PASSWORD)

def test_caught_error_text():
    with pytest.raises(ConfigurationError):
        raise ConfigurationError("bad password " + PASSWORD)

def test_error_repr():
    err = NotFoundError("gone", status=404, method="GET", path="/x?token=" + PASSWORD)
    assert err.status == 404

def test_jwt_unregistered():
    print("Authorization: Bearer {JWT}")

def test_keytab_base64():
    import base64
    print(base64.b64encode(bytes(range(40))).decode())

def test_failure_report_masked():
    assert PASSWORD == "something else"

@pytest.fixture
def leaky_teardown():
    yield
    print("teardown shows", PASSWORD)

def test_teardown(leaky_teardown):
    pass
"""


def run_suite(tmp_path: Path, *options: str) -> dict[str, str]:
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(SUITE))
    junit = tmp_path / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)]
    proc = subprocess.run(
        [*command, f"--junitxml={junit}", *options],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        error = case.find("error")
        text = "passed"
        if failure is not None:
            text = "failed: " + (failure.text or failure.get("message", ""))
        elif error is not None:
            text = "error: " + (error.text or error.get("message", ""))
        name = case.get("name", "")
        outcomes[name] = outcomes.get(name, "") + text
    outcomes["__output__"] = proc.stdout + proc.stderr + junit.read_text()
    return outcomes


def test_the_guard_fails_each_leak_and_names_where(tmp_path: Path) -> None:
    got = run_suite(tmp_path, "--airflow-secrets-guard")
    assert got["test_clean"] == "passed"
    for name, where in [
        ("test_printed", "stdout call"),
        ("test_logged_at_debug", "log call"),
        ("test_caught_error_text", "an error's text"),
        ("test_error_repr", "an error's text"),
        ("test_keytab_base64", "stdout call"),
    ]:
        assert got[name].startswith("failed: secrets guard"), (name, got[name])
        assert where in got[name], (name, got[name])
    assert "the suite's password" in got["test_printed"]
    assert "a keytab (base64)" in got["test_keytab_base64"]
    assert "a JWT" in got["test_jwt_unregistered"]
    assert "during teardown" in got["test_teardown"]
    # the test's own failure is kept, with the secret masked
    assert "the test's own report" in got["test_failure_report_masked"]
    assert "assert '***' == 'something else'" in got["test_failure_report_masked"]
    # nowhere in pytest's whole output (reports, sections, junit) is a secret left
    assert PASSWORD not in got["__output__"].replace(PASSWORD + "Z", "")
    assert JWT not in got["__output__"]


def test_without_the_option_nothing_is_watched(tmp_path: Path) -> None:
    got = run_suite(tmp_path)
    assert got["test_printed"] == "passed"
    assert got["test_failure_report_masked"].startswith("failed: ")
    assert "secrets guard" not in got["__output__"]


def test_a_secret_is_masked_where_it_stands_as_a_value() -> None:
    text = (
        "Your Airflow administrator chose not to expose the configuration; "
        "login admin:admin failed, password='admin' (admin)"
    )
    assert redact_text(text, ["admin"]) == (
        "Your Airflow administrator chose not to expose the configuration; "
        "login ***:*** failed, password='***' (***)"
    )


def test_masking_edges_and_overlaps() -> None:
    assert redact_text("x p@ss! y", ["p@ss!"]) == "x *** y"
    assert redact_text("xp@ss!y", ["p@ss!"]) == "xp@ss!y"  # inside a word: not a value
    assert redact_text("x@pw!y", ["@pw!"]) == "x***y"  # punctuation edges need no guard
    assert redact_text("token abc.def", ["abc", "abc.def"]) == "token ***"  # longest first
    assert redact_text("a1 b", ["1"]) == "a1 b"
    assert redact_text("retry 1", ["1"]) == "retry ***"
    assert redact_text("", ["x"]) == ""


def test_the_guard_and_the_masking_agree() -> None:
    guard = SecretsGuard()
    guard.add_password("admin", "hunter22", "pw")
    assert guard.leaks("the administrator hunter22x") == []
    assert guard.leaks("password hunter22.") == ["pw"]
    assert guard.leaks("Basic YWRtaW46aHVudGVyMjI=") == ["pw (basic-auth form)"]
    assert guard.redact("hunter22 " + JWT) == "*** ***"
