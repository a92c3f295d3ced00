"""The resource helpers of the client (variables, pools, connections, DAG/run/task instance
changes, XComs, configuration) through the real transport and generated code, against the
in-memory Airflow 2 and 3 of ``resources_support``: the requests each major gets, the
version-neutral results, the clear errors, and the checks of the arguments (nothing sent)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from resources_support import FakeResources

from airflow_client_ext._masks import is_sensitive, is_sensitive_option, mask_sensitive
from airflow_client_ext.errors import (
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnsupportedFeatureError,
)
from airflow_client_ext.models import Connection, Pool, TaskInstanceRef, Variable

MAJORS = pytest.mark.parametrize("major", [2, 3])


@MAJORS
def test_variables_set_get_list_delete(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    made = client.set_variable("region", "eu", "where")
    assert made == Variable("region", "eu", "where")
    assert client.set_variable("region", "us").value == "us"
    assert client.get_variable("region").description == "where"  # kept
    assert [v.key for v in client.iter_variables()] == ["region"]
    client.delete_variable("region")
    with pytest.raises(NotFoundError):
        client.get_variable("region")
    methods = [s.method for s in fake.writes()]
    assert methods == ["POST", "PATCH", "DELETE"]
    mask = fake.writes()[1].query["update_mask"]
    assert mask == (["val"] if major == 2 else ["value"])  # the model's name on /api/v1


@MAJORS
def test_a_sensitive_variable_is_masked_by_airflow_3_only(major: int) -> None:
    client = FakeResources(major).client()
    shown = client.set_variable("api_token", "t0k3n")
    assert shown.value == ("t0k3n" if major == 2 else "***")


@MAJORS
def test_pools_set_updates_only_what_is_given(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    assert client.set_pool("etl", 3, description="nightly").slots == 3
    pool = client.set_pool("etl", 5)
    assert pool == Pool("etl", 5, "nightly", False, 0, 0, 0, 5)
    assert fake.writes()[1].query["update_mask"] == ["slots"]
    assert {p.name for p in client.iter_pools()} == {"default_pool", "etl"}
    client.delete_pool("etl")
    assert fake.writes()[-1].method == "DELETE"


@MAJORS
def test_connections_add_get_delete(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    made = client.add_connection("db", "postgres", host="db.local", port=5432, password="pw")
    assert replace(made, password=None) == Connection("db", "postgres", host="db.local", port=5432)
    assert made.password == (None if major == 2 else "***")  # never the password itself
    assert fake.writes()[0].body["password"] == "pw"
    with pytest.raises(ConflictError):
        client.add_connection("db", "postgres")
    assert [c.connection_id for c in client.iter_connections()] == ["db"]
    client.delete_connection("db")
    with pytest.raises(NotFoundError):
        client.get_connection("db")


@MAJORS
def test_update_connection_sends_only_the_fields_given(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    client.add_connection("db", "postgres", host="db.local", port=5432, password="pw")
    changed = client.update_connection("db", host="db2.local", port=None)
    assert (changed.host, changed.port, changed.conn_type) == ("db2.local", None, "postgres")
    patch = fake.writes()[-1]
    mask = ",".join(patch.query["update_mask"]).split(",")  # v1 sends one csv value
    assert (patch.method, mask) == ("PATCH", ["host", "port"])
    assert (patch.body["host"], patch.body["port"]) == ("db2.local", None)  # None clears
    assert "password" not in patch.body  # kept on the server, never sent back
    assert fake.connections["db"]["password"] == "pw"
    client.update_connection("db", conn_type="mysql")
    assert fake.writes()[-1].query["update_mask"] == ["conn_type"]  # the same either way
    writes = len(fake.writes())
    with pytest.raises(InvalidArgumentError, match="at least one field"):
        client.update_connection("db")
    with pytest.raises(InvalidArgumentError, match="port"):
        client.update_connection("db", port=70000)
    with pytest.raises(NotFoundError):
        client.update_connection("nope", host="x")
    assert len(fake.writes()) == writes  # nothing sent for a refused update


@MAJORS
def test_connection_test_and_the_disabled_setting(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    assert client.test_connection("db", "http", host="example").status is True
    assert client.test_connection("db", "http", host="unreachable").status is False
    fake.test_connection_enabled = False
    with pytest.raises(PermissionDeniedError, match="test_connection setting is not 'Enabled'"):
        client.test_connection("db", "http")


@MAJORS
def test_dag_delete_and_reparse(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    client.reparse_dag("etl")
    client.reparse_dag("etl")  # Airflow 2 answers a pending one with "Duplicate request"
    client.delete_dag("etl")
    assert [f"{s.method} {s.path}" for s in fake.writes()] == [
        f"PUT {fake.api}/parseDagFile/tok-etl",
        f"PUT {fake.api}/parseDagFile/tok-etl",
        f"DELETE {fake.api}/dags/etl",
    ]
    with pytest.raises(NotFoundError, match="not found"):
        client.reparse_dag("nope")


def test_reparse_needs_airflow_2_10() -> None:
    fake = FakeResources(2, version="2.9.3")
    with pytest.raises(UnsupportedFeatureError, match=r"2\.9\.3 cannot reparse.*2\.10\.0"):
        fake.client().reparse_dag("etl")
    assert not fake.writes()


@MAJORS
def test_runs_mark_and_delete(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    assert client.set_dag_run_state("etl", "r1", "success").state == "success"
    sent = fake.writes()[0]
    assert sent.body == {"state": "success"}
    assert sent.query.get("update_mask") == (None if major == 2 else ["state"])
    client.delete_dag_run("etl", "r1")
    with pytest.raises(NotFoundError):
        client.delete_dag_run("etl", "r1")


@MAJORS
def test_task_instances_clear_and_mark(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    refs = client.clear_task_instances("etl", "r1", ["extract"], dry_run=True)
    expected_index = None if major == 2 else -1  # Airflow 2 answers references
    assert refs == [TaskInstanceRef("etl", "r1", "extract", expected_index)]
    body = fake.writes()[0].body
    assert body["dag_run_id"] == "r1"
    assert body["dry_run"] is True
    assert body["task_ids"] == ["extract"]
    ti = client.set_task_instance_state("etl", "r1", "extract", "success")
    assert ti.state == "success"
    assert fake.writes()[-1].body["new_state"] == "success"


@MAJORS
def test_xcoms_list_and_get(major: int) -> None:
    client = FakeResources(major).client()
    (entry,) = client.iter_xcoms("etl", "r1")
    assert (entry.task_id, entry.key, entry.run_id, entry.value) == (
        "extract",
        "return_value",
        "r1",
        None,
    )
    value = client.get_xcom("etl", "r1", "extract").value
    assert value == ({"rows": 3} if major == 3 else "{'rows': 3}")


@MAJORS
def test_config_and_the_hidden_configuration(major: int) -> None:
    fake = FakeResources(major)
    client = fake.client()
    assert client.get_config("core", "parallelism") == [("core", "parallelism", "32")]
    assert len(client.get_config("core")) == 2
    fake.expose_config = False
    setting = "[webserver]" if major == 2 else "[api]"
    with pytest.raises(PermissionDeniedError, match=rf"\{setting} expose_config"):
        client.get_config("core")


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c: c.get_variable(""), "key"),
        (lambda c: c.set_variable("k", 1), "value"),
        (lambda c: c.set_pool("p", "3"), "slots"),
        (lambda c: c.set_pool("p", -2), "slots"),
        (lambda c: c.add_connection("a/b", "http"), "connection_id"),
        (lambda c: c.add_connection("db", "http", extra="{nope"), "extra"),
        (lambda c: c.add_connection("db", "http", port=70000), "port"),
        (lambda c: c.add_connection("db", "http", hostname="x"), "fields"),
        (lambda c: c.set_dag_run_state("etl", "r1", "running"), "state"),
        (lambda c: c.set_task_instance_state("etl", "r1", "t", "queued"), "state"),
        (lambda c: c.clear_task_instances("etl", "r1", []), "task_ids"),
        (lambda c: c.get_xcom("etl", "r1", "t", map_index=-2), "map_index"),
        (lambda c: c.get_config("a/b"), "section"),
    ],
)
def test_bad_arguments_send_nothing(call: object, argument: str) -> None:
    fake = FakeResources(3)
    with pytest.raises(InvalidArgumentError) as info:
        call(fake.client())  # type: ignore[operator]
    assert info.value.argument == argument
    assert not fake.sent


def test_airflow_sensitive_name_rule() -> None:
    assert is_sensitive("DB_PASSWORD")
    assert is_sensitive("my_api_key")
    assert is_sensitive("token")
    assert not is_sensitive("region")
    assert mask_sensitive('{"token": "t", "n": {"secret": "s"}, "x": 1}') == (
        '{"token": "***", "n": {"secret": "***"}, "x": 1}'
    )
    assert mask_sensitive("plain text") == "plain text"
    assert is_sensitive_option("fernet_key")
    assert is_sensitive_option("sql_alchemy_conn")
    assert not is_sensitive_option("parallelism")
