"""Export and import of variables, pools and connections, on each version and across them,
and paging of configuration past the server's page cap.

Every test works on items named with its own unique prefix and deletes them at the end.
``test_round_trip_between_airflow_2_and_3`` needs both majors at once: it takes them from
the plugin's session pool (the servers the other tests run on), not a second pair.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from workflows_support import (
    admin_client,
    create_connection,
    create_pool,
    create_variable,
    delete_items,
    get_variable_value,
    import_many_variables,
    many_variables,
    only_prefix,
    unique,
)

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import InvalidArgumentError
from airflow_client_ext.models import CONFIG_FORMAT, ImportReport
from airflow_client_ext.testing import AirflowInstance
from airflow_client_ext.testing.plugin import airflow_targets

PAGED_VARIABLES = 125


@pytest.fixture(scope="session")
def wf(airflow_server: AirflowInstance) -> Iterator[AirflowClient]:
    client = admin_client(airflow_server)
    yield client
    client.close()


@pytest.fixture
def prefix(wf: AirflowClient) -> Iterator[str]:
    """A unique name prefix; everything named with it is deleted after the test."""
    chosen = unique("wfcfg")
    yield chosen
    delete_items(wf, chosen)


def hand_written(prefix: str, **changes: Any) -> dict[str, Any]:
    """An export document as a person would write it."""
    doc: dict[str, Any] = {
        "format": CONFIG_FORMAT,
        "version": 1,
        "pools": [
            {
                "name": f"{prefix}_pool",
                "slots": 3,
                "description": "a pool",
                "include_deferred": True,
            }
        ],
        "variables": [
            {"key": f"{prefix}_plain", "value": "hello", "description": "a variable"},
            {"key": f"{prefix}_json", "value": '{"a": 1, "b": [1, 2]}', "description": None},
        ],
        "connections": [
            {
                "connection_id": f"{prefix}_conn",
                "conn_type": "http",
                "host": "example.com",
                "login": "user",
                "port": 8080,
                "schema": "https",
                "description": "a connection",
                "extra": json.dumps({"region": "eu"}),
                "password": "pw-1",
            }
        ],
    }
    doc.update(changes)
    return doc


def keys(report: ImportReport, bucket: str) -> list[str]:
    return sorted(item.key for item in getattr(report, bucket))


def test_import_creates_then_changes_nothing_and_dry_run_writes_nothing(
    wf: AirflowClient, prefix: str
) -> None:
    doc = hand_written(prefix)
    everything = sorted(
        {f"pool:{prefix}_pool", f"variable:{prefix}_plain", f"variable:{prefix}_json"}
        | {f"connection:{prefix}_conn"}
    )

    preview = wf.import_config(doc, dry_run=True)
    assert preview.dry_run
    assert keys(preview, "created") == everything
    assert preview.counts["updated"] == preview.counts["unchanged"] == 0
    assert preview.counts["skipped"] == 0
    assert only_prefix(wf.export_config(), prefix)["variables"] == []  # nothing written

    report = wf.import_config(doc)
    assert keys(report, "created") == everything
    assert report.summary().startswith("created 4, updated 0, unchanged 0, skipped 0")
    assert get_variable_value(wf, f"{prefix}_plain") == "hello"
    pool = wf.api("PoolApi").get_pool(f"{prefix}_pool")
    assert (pool.slots, pool.description, pool.include_deferred) == (3, "a pool", True)
    conn = wf.api("ConnectionApi").get_connection(f"{prefix}_conn")
    assert (conn.host, conn.port, conn.login, conn.var_schema) == (
        "example.com",
        8080,
        "user",
        "https",
    )

    for _ in range(2):  # idempotent: a second (and third) import changes nothing
        again = wf.import_config(doc)
        assert not again.changed
        assert keys(again, "unchanged") == everything
        assert again.counts["created"] == again.counts["updated"] == 0
    # the password the server does not show is noted, not rewritten
    (conn_item,) = [i for i in again.unchanged if i.kind == "connection"]
    assert "password" in conn_item.reason


def test_upsert_updates_what_differs_and_skip_existing_touches_nothing(
    wf: AirflowClient, prefix: str
) -> None:
    wf.import_config(hand_written(prefix))
    changed = hand_written(prefix)
    changed["pools"][0]["slots"] = 9
    changed["variables"][0]["value"] = "changed"
    changed["connections"][0]["host"] = "other.example.com"
    changed["variables"].append({"key": f"{prefix}_new", "value": "new"})

    skipped = wf.import_config(changed, mode="skip-existing")
    assert keys(skipped, "created") == [f"variable:{prefix}_new"]
    assert keys(skipped, "skipped") == sorted(
        [f"pool:{prefix}_pool", f"variable:{prefix}_plain", f"connection:{prefix}_conn"]
    )
    assert {i.name: i.fields for i in skipped.skipped} == {
        f"{prefix}_pool": ("slots",),
        f"{prefix}_plain": ("value",),
        f"{prefix}_conn": ("host",),
    }
    assert keys(skipped, "unchanged") == [f"variable:{prefix}_json"]
    assert get_variable_value(wf, f"{prefix}_plain") == "hello"  # untouched
    assert wf.api("PoolApi").get_pool(f"{prefix}_pool").slots == 3

    dry = wf.import_config(changed, dry_run=True)
    assert keys(dry, "updated") == keys(skipped, "skipped")
    assert get_variable_value(wf, f"{prefix}_plain") == "hello"

    updated = wf.import_config(changed)
    assert {i.name: i.fields for i in updated.updated} == {
        f"{prefix}_pool": ("slots",),
        f"{prefix}_plain": ("value",),
        f"{prefix}_conn": ("host",),
    }
    assert get_variable_value(wf, f"{prefix}_plain") == "changed"
    pool = wf.api("PoolApi").get_pool(f"{prefix}_pool")
    assert (pool.slots, pool.description) == (9, "a pool")  # only the differing field
    conn = wf.api("ConnectionApi").get_connection(f"{prefix}_conn")
    assert (conn.host, conn.login, conn.port) == ("other.example.com", "user", 8080)
    assert not wf.import_config(changed).changed

    # a password the server cannot show is written only when asked to
    forced = wf.import_config(changed, overwrite_secrets=True)
    assert [(i.name, i.fields) for i in forced.updated] == [(f"{prefix}_conn", ("password",))]


def test_export_never_carries_a_secret_it_was_not_shown(wf: AirflowClient, prefix: str) -> None:
    create_variable(wf, f"{prefix}_password", "s3cret-value", None)  # a sensitive name
    create_variable(wf, f"{prefix}_plain", "visible", "d")
    create_connection(
        wf,
        f"{prefix}_conn",
        conn_type="http",
        host="h",
        password="conn-s3cret",
        extra=json.dumps({"region": "eu", "api_key": "key-s3cret"}),
    )
    create_pool(wf, f"{prefix}_pool", 4, "p")

    doc = only_prefix(wf.export_config(), prefix)
    text = json.dumps(doc)
    assert json.loads(text) == doc  # plain JSON
    assert doc["format"] == CONFIG_FORMAT
    assert doc["version"] == 1
    assert doc["source"]["api_version"] == wf.api_version
    for secret in ("conn-s3cret", "key-s3cret"):
        assert secret not in text
    (conn,) = doc["connections"]
    assert "password" not in conn
    assert json.loads(conn["extra"]) == {"region": "eu", "api_key": "***"}
    assert (conn["host"], conn["conn_type"]) == ("h", "http")
    missing = {(m["kind"], m["name"], m["field"]) for m in doc["missing"]}
    assert ("connection", f"{prefix}_conn", "password") in missing
    assert ("connection", f"{prefix}_conn", "extra") in missing
    variables = {v["key"]: v for v in doc["variables"]}
    assert variables[f"{prefix}_plain"] == {
        "key": f"{prefix}_plain",
        "value": "visible",
        "description": "d",
    }
    if wf.api_version == "v2":  # Airflow 3 masks values of sensitive keys; Airflow 2 does not
        assert "value" not in variables[f"{prefix}_password"]
        assert ("variable", f"{prefix}_password", "value") in missing
        assert "s3cret-value" not in text
    else:
        assert variables[f"{prefix}_password"]["value"] == "s3cret-value"
    assert doc["pools"] == [
        {"name": f"{prefix}_pool", "slots": 4, "description": "p", "include_deferred": True}
    ]

    # importing the export back changes nothing, and never writes a mask
    report = wf.import_config(doc)
    assert not report.changed
    assert report.total == 4
    assert {(i.key, i.fields) for i in report.missing} >= {
        (f"connection:{prefix}_conn", ("password",)),
        (f"connection:{prefix}_conn", ("extra",)),
    }
    assert get_variable_value(wf, f"{prefix}_password") in ("s3cret-value", "***")


def test_paging_walks_past_the_page_cap(wf: AirflowClient, airflow_server: AirflowInstance) -> None:
    prefix = unique("wfpage")
    with many_variables(airflow_server, wf, prefix, PAGED_VARIABLES) as values:
        api = wf.api("VariableApi")
        first = api.get_variables(limit=1000)
        assert len(first.variables) <= 100 < first.total_entries  # the server caps the page
        listed = [v.key for v in wf.paginate(api.get_variables)]
        assert len(listed) == first.total_entries
        assert len(set(listed)) == len(listed)
        assert sorted(k for k in listed if k.startswith(prefix)) == sorted(values)

        exported = only_prefix(wf.export_config(pools=False, connections=False), prefix)
        assert "pools" not in exported
        assert "connections" not in exported
        assert {v["key"]: v["value"] for v in exported["variables"]} == values
        again = wf.import_config(exported)
        assert not again.changed
        assert again.counts["unchanged"] == PAGED_VARIABLES


def test_many_variables_are_written_in_a_few_requests_and_descriptions_are_kept(
    wf: AirflowClient, prefix: str
) -> None:
    import_many_variables(wf, prefix, 120)


def test_documents_and_modes_are_checked(wf: AirflowClient) -> None:
    good = {"format": CONFIG_FORMAT, "version": 1}
    assert wf.import_config(good).total == 0
    for bad in ({}, {"format": "other", "version": 1}, {"format": CONFIG_FORMAT, "version": 99}):
        with pytest.raises(InvalidArgumentError, match="document"):
            wf.import_config(bad)
    with pytest.raises(InvalidArgumentError, match="mode"):
        wf.import_config(good, mode="overwrite")
    with pytest.raises(InvalidArgumentError, match="variables"):
        wf.import_config({**good, "variables": {"k": "v"}})


# -- across majors --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def majors(
    request: pytest.FixtureRequest, _airflow_pool: Any, airflow_dags_folder: Path | None
) -> Iterator[dict[str, AirflowClient]]:
    """An admin client on an Airflow 2 and on an Airflow 3 server of this session: the very
    servers the parametrized tests use (the plugin's pool starts each one once)."""
    clients: dict[str, AirflowClient] = {}
    for target in airflow_targets(request.config):
        server = _airflow_pool.get(target, airflow_dags_folder)
        clients.setdefault(server.api_version, admin_client(server))
    if set(clients) != {"v1", "v2"}:
        for client in clients.values():
            client.close()
        pytest.skip("needs an Airflow 2 and an Airflow 3 server (select one version of each)")
    yield clients
    for client in clients.values():
        client.close()


def seed(client: AirflowClient, prefix: str) -> None:
    create_variable(client, f"{prefix}_plain", "hello", "described")
    create_variable(client, f"{prefix}_json", '{"b":[1,2],"a":{"c":null}}', None)
    create_variable(client, f"{prefix}_token", "tok-s3cret", None)  # sensitive on Airflow 3
    create_pool(client, f"{prefix}_pool", 5, "shared")
    create_connection(
        client,
        f"{prefix}_conn",
        conn_type="postgres",
        host="db.example.com",
        login="etl",
        port=5432,
        password="db-s3cret",
        extra=json.dumps({"sslmode": "require", "secret": "x"}),
    )
    create_connection(client, f"{prefix}_bare", conn_type="http", host="h")


@pytest.mark.parametrize(("source", "target"), [("v1", "v2"), ("v2", "v1")])
def test_round_trip_between_airflow_2_and_3(
    majors: dict[str, AirflowClient], source: str, target: str
) -> None:
    prefix = unique("wfrt")
    there, back = majors[source], majors[target]
    try:
        seed(there, prefix)
        doc = only_prefix(there.export_config(), prefix)
        doc = json.loads(json.dumps(doc))  # as if saved to a file and read back
        assert doc["source"]["api_version"] == source

        into = back.import_config(doc)
        created = keys(into, "created")
        assert f"pool:{prefix}_pool" in created
        assert f"connection:{prefix}_conn" in created
        assert f"connection:{prefix}_bare" in created
        assert {f"variable:{prefix}_plain", f"variable:{prefix}_json"} <= set(created)
        assert not into.updated
        missing = {(i.key, i.fields) for i in into.missing}
        assert (f"connection:{prefix}_conn", ("password",)) in missing
        assert get_variable_value(back, f"{prefix}_plain") == "hello"
        assert back.api("PoolApi").get_pool(f"{prefix}_pool").slots == 5
        conn = back.api("ConnectionApi").get_connection(f"{prefix}_conn")
        assert (conn.conn_type, conn.host, conn.login, conn.port) == (
            "postgres",
            "db.example.com",
            "etl",
            5432,
        )
        assert json.loads(conn.extra)["sslmode"] == "require"
        if source == "v1":  # Airflow 2 showed the sensitive variable: it arrives
            assert f"variable:{prefix}_token" in created
        else:  # Airflow 3 masked it: it cannot be created from the document
            assert keys(into, "skipped") == [f"variable:{prefix}_token"]

        assert not back.import_config(doc).changed  # a second import changes nothing

        # ... and back: the target's export imported into the source changes nothing
        returned = only_prefix(back.export_config(), prefix)
        home = there.import_config(returned)
        assert not home.changed, home.to_dict()
        assert not home.skipped
        expected = {f"pool:{prefix}_pool", f"variable:{prefix}_plain", f"variable:{prefix}_json"}
        expected |= {f"connection:{prefix}_conn", f"connection:{prefix}_bare"}
        assert expected <= set(keys(home, "unchanged"))
        assert get_variable_value(there, f"{prefix}_token") in ("tok-s3cret", "***")
    finally:
        delete_items(there, prefix)
        delete_items(back, prefix)
