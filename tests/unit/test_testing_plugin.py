"""The pytest plugin of ``airflow_client_ext.testing``, without starting any Airflow."""

from __future__ import annotations

import pytest

pytest_plugins = ("pytester",)

CONFTEST = """
import types
import pytest

@pytest.fixture(scope="session")
def airflow_server(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    (logs / "scheduler.log").write_text("starting\\nTask exited with return code 1\\n")
    return types.SimpleNamespace(version="9.9.9", log_paths={"scheduler": logs / "scheduler.log"})
"""


def test_a_failed_test_shows_the_server_log_tails(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        def test_fails(airflow_server):
            assert False, "the run failed"

        def test_passes(airflow_server):
            pass
        """
    )
    result = pytester.runpytest("--airflow-version", "9.9.9")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*- Airflow 9.9.9 scheduler log -*", "*Task exited with return code 1*"]
    )
    assert result.stdout.str().count("Airflow 9.9.9 scheduler log") == 1  # not for the pass


def test_a_test_without_a_server_gets_no_log_section(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile("def test_fails():\n    assert False\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert "scheduler log" not in result.stdout.str()


def test_a_server_that_lost_a_process_fails_the_next_test_at_once(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        CONFTEST.replace(
            "return types.SimpleNamespace(",
            "return types.SimpleNamespace(exited=lambda: {'scheduler': 1}, ",
        )
    )
    pytester.makepyfile(
        """
        ran = []

        def test_waits_for_a_run(airflow_server):
            ran.append(1)  # never: the server's scheduler is dead

        def test_without_a_server():
            assert not ran
        """
    )
    result = pytester.runpytest("--airflow-version", "9.9.9")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Airflow 9.9.9: not running any more: scheduler (exit code 1); its logs follow*",
            "*- Airflow 9.9.9 processes -*",
            "exited: scheduler (exit code 1)",
            "*- Airflow 9.9.9 scheduler log -*",
        ]
    )
