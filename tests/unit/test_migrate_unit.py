"""``migrate`` without a server: argument checks, the comparison rules and the report. The
migrations themselves run on real servers in tests/contract/test_migrate.py."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from airflow_client_ext import AirflowClient, MigrationReport, migrate
from airflow_client_ext.cli import cli
from airflow_client_ext.errors import InvalidArgumentError
from airflow_client_ext.migration import (
    _CONNECTION,
    _POOL,
    _VARIABLE,
    MigrationItem,
    _check_what,
    _desired,
    _differing,
)

A = AirflowClient("http://source.test", api_version="v2")
B = AirflowClient("http://target.test", api_version="v2")


def test_what_mode_and_dag_ids_are_checked_before_any_request() -> None:
    with pytest.raises(InvalidArgumentError, match=r"what must be .* some of: pools.*'dags'"):
        migrate(A, B, what=["variables", "dags"])
    with pytest.raises(InvalidArgumentError, match="mode"):
        migrate(A, B, mode="overwrite")
    with pytest.raises(InvalidArgumentError, match=r"dag_ids must be .*an empty list selects"):
        migrate(A, B, dag_ids=[])
    assert A.transport.stats.requests == 0
    assert _check_what("history, variables") == ("variables", "history")  # canonical order
    assert _check_what(["pause-states"]) == ("pause_states",)


def test_a_password_the_source_did_not_give_is_missing_never_empty() -> None:
    desired, unknown = _desired(_CONNECTION, {"connection_id": "c", "conn_type": "http"})
    assert "password" not in desired
    assert "never returns passwords" in unknown["password"]
    desired, unknown = _desired(_VARIABLE, {"key": "k", "value": "***", "description": None})
    assert "value" not in desired
    assert "masked" in unknown["value"]


def test_comparison_by_meaning_and_what_cannot_be_compared() -> None:
    conn = {"connection_id": "c", "conn_type": "http", "extra": '{"a": 1, "b": 2}', "host": ""}
    current = {"connection_id": "c", "conn_type": "http", "extra": '{"b":2,"a":1}', "host": None}
    assert _differing(_CONNECTION, {**conn, "password": "x"}, current) == ([], ["password"])
    assert _differing(_CONNECTION, {**conn, "password": "x"}, {**current, "password": "y"}) == (
        ["password"],
        [],
    )
    assert _differing(_CONNECTION, {**conn, "password": "x"}, {**current, "password": "***"}) == (
        [],
        ["password"],
    )
    pool = {"name": "p", "slots": 3, "description": None, "include_deferred": None}
    assert _differing(_POOL, pool, {**pool, "include_deferred": False}) == ([], [])
    assert _differing(_POOL, pool, {**pool, "slots": 4}) == (["slots"], [])


def test_the_report_counts_by_outcome_and_kind_and_serializes() -> None:
    report = MigrationReport(mode="upsert", dry_run=True, what=("variables",))
    report.add("created", MigrationItem("variable", "a", ("value",), "created"))
    report.add("unchanged", MigrationItem("variable", "b"))
    report.add("failed", MigrationItem("pool", "p", (), "400 Bad Request"))
    report.add("missing", MigrationItem("connection", "c", ("password",), "not given"))
    assert report.counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
        "skipped": 0,
        "failed": 1,
        "missing": 1,
    }
    assert report.counts_by_kind()["variable"]["created"] == 1
    assert not report.complete
    assert report.changed
    text = report.summary()
    assert "failed 1" in text
    assert "dry run" in text
    assert "1 missing secret" in text
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["failed"][0]["reason"] == "400 Bad Request"


def test_cli_migrate_refuses_unknown_kinds_with_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["migrate", "--from", "http://a.test", "--to", "http://b.test", "--what", "dags"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--what'" in result.output
    assert "unknown: 'dags'" in result.output


def test_cli_migrate_help_names_the_credentials_of_each_side() -> None:
    result = CliRunner().invoke(cli, ["migrate", "--help"])
    assert result.exit_code == 0
    assert "AIRFLOW_SOURCE_USERNAME" in result.output
    assert "--dry-run" in result.output


def test_writes_in_flight_are_all_recorded_before_a_stop_is_raised() -> None:
    from airflow_client_ext._versions import V1Adapter
    from airflow_client_ext.errors import BadRequestError, TransportError
    from airflow_client_ext.migration import _Migration

    def ok() -> None:
        return None

    def refused() -> None:
        raise BadRequestError("400: bad slots", status=400, method="POST", path="/pools")

    def lost() -> None:
        raise TransportError("no answer")

    behaviour = {"a": ok, "b": refused, "c": lost, "d": ok}

    class Target(V1Adapter):  # one request per pool, as on Airflow 2
        def create_pool(self, item: dict[str, object]) -> None:
            behaviour[str(item["name"])]()

        def update_pool(self, item: dict[str, object], *args: object) -> None:
            behaviour[str(item["name"])]()

    report = MigrationReport()
    seen: list[str] = []
    run = _Migration(
        A, B, report, "upsert", False, None, 10, lambda o, i: seen.append(i.name), workers=4
    )
    run.dst = Target(B)
    wanted = [{"name": n, "slots": 2} for n in "dcba"]
    with pytest.raises(TransportError):
        run.sync(_POOL, wanted, {"d": {"name": "d", "slots": 1}})
    assert [i.name for i in report.created] == ["a"]
    assert [(i.name, i.fields) for i in report.updated] == [("d", ("slots",))]
    assert [(i.name, i.reason) for i in report.failed] == [("b", "400: bad slots")]
    assert seen == []  # nobody was told about a batch that stopped the migration
