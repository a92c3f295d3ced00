"""docs/compatibility.md is written from the matrix run's reports (scripts/matrix.py)."""

from __future__ import annotations

from typing import Any

import matrix


def report(version: str, rows: dict[str, tuple[str, str]], exitstatus: int = 0) -> dict[str, Any]:
    return {
        "rows": {
            version: {r: {"outcome": o, "note": n, "seconds": 1.0} for r, (o, n) in rows.items()}
        },
        "servers": {version: {"installer": "uv", "start_total_s": 42.0}},
        "operations": {version: {"ok": ["get_dags"] * 30, "not_on_server": [], "needs_setup": []}},
        "seconds": 180.0,
        "exitstatus": exitstatus,
        "commit": "abc123",
    }


def test_the_table_has_a_column_per_version_and_says_why_a_check_does_not_apply() -> None:
    reports = {
        "3.0.6": report(
            "3.0.6",
            {
                "health": ("works", ""),
                "the /wait stream": ("n/a", "n/a: wait_stream needs Airflow 3.1.0; waits poll"),
            },
        ),
        "3.3.2": report("3.3.2", {"health": ("works", ""), "the /wait stream": ("works", "")}),
    }
    text = matrix.render(reports, ["3.0.6", "3.3.2"])
    assert "| check | 3.0.6 | 3.3.2 |" in text
    assert "| health | works | works |" in text
    assert (
        "| the /wait stream | not on this version: wait_stream needs Airflow 3.1.0; waits poll "
        "| works |"
    ) in text
    assert "Do not edit by hand" in text
    assert "client commit" in text
    # the feature table comes from airflow_client_ext.features, the fixes from the harness
    assert "| `wait_stream`: " in text
    assert "| 3.1.0 | no: waits poll the run | yes |" in text
    assert "3.0.6: pin `cadwyn<6`" in text
    assert "| 3.0.6 | uv | 42.0 | 180.0 | 30 / 0 / 0 | passed | abc123 |" in text


def test_a_check_a_version_does_in_part_says_which_part() -> None:
    note = "dry run only: trigger_data_interval needs Airflow 2.9.0"
    reports = {"2.8.4": report("2.8.4", {"backfill": ("works", note)})}
    text = matrix.render(reports, ["2.8.4"])
    assert f"| backfill | works ({note}) |" in text


def test_a_failure_and_a_version_that_did_not_run_are_shown_as_such() -> None:
    reports = {"2.8.4": report("2.8.4", {"health": ("FAILS", "AssertionError")}, exitstatus=1)}
    text = matrix.render(reports, ["2.8.4", "2.9.3"])
    assert "| health | **FAILS**: AssertionError | not run |" in text
    assert "| 2.8.4 | uv | 42.0 | 180.0 | 30 / 0 / 0 | exit 1 | abc123 |" in text
    assert "| 2.9.3 | | | | | not run | |" in text
