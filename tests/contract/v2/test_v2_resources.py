"""Variables, pools and connections: create, get, list, patch, bulk, delete, then 404."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from v2_support import poll, status_of, unique

pytestmark = pytest.mark.contract


# ------------------------------------------------------------------------------ variables


def test_variable_round_trip(v2: ModuleType, v2_client: Any) -> None:
    api = v2.VariableApi(v2_client)
    key = unique("v2_var")
    created = api.post_variable(v2.VariableBody(key=key, value="first", description="made by v2"))
    assert (created.key, created.value, created.description) == (key, "first", "made by v2")
    assert created.is_encrypted is True  # the harness sets a Fernet key

    got = api.get_variable(key)
    assert (got.key, got.value, got.description) == (key, "first", "made by v2")

    listed = api.get_variables(variable_key_pattern=key)
    assert listed.total_entries == 1
    assert [v.key for v in listed.variables] == [key]

    patched = api.patch_variable(
        key, v2.VariableBody(key=key, value="second"), update_mask=["value"]
    )
    assert patched.value == "second"
    assert patched.description == "made by v2"  # outside the update mask: unchanged
    assert api.get_variable(key).value == "second"

    api.delete_variable(key)
    assert status_of(lambda: api.get_variable(key)) == 404
    assert api.get_variables(variable_key_pattern=key).total_entries == 0


def test_variable_json_value_is_stored_as_json_text(v2: ModuleType, v2_client: Any) -> None:
    api = v2.VariableApi(v2_client)
    key = unique("v2_var_json")
    document = {"answer": 42, "items": [1, 2, 3]}
    try:
        created = api.post_variable(v2.VariableBody(key=key, value=document))
        assert json.loads(created.value) == document
        assert json.loads(api.get_variable(key).value) == document
    finally:
        api.delete_variable(key)


def test_variables_bulk_create_update_delete(v2: ModuleType, v2_client: Any) -> None:
    api = v2.VariableApi(v2_client)
    prefix = unique("v2_bulkvar")
    keys = [f"{prefix}_{i}" for i in range(3)]
    create = v2.BulkCreateActionVariableBody(
        action="create",
        entities=[v2.VariableBody(key=k, value=f"v{i}") for i, k in enumerate(keys)],
        action_on_existence=v2.BulkActionOnExistence.FAIL,
    )
    result = api.bulk_variables(
        v2.BulkBodyVariableBody(actions=[v2.BulkActionVariableBody(create)])
    )
    assert sorted(result.create.success) == keys
    assert not result.create.errors
    assert api.get_variables(variable_key_prefix_pattern=prefix).total_entries == 3

    # one action per kind in one request: update one, delete two (one of which is missing)
    update = v2.BulkUpdateActionVariableBody(
        action="update",
        entities=[v2.VariableBody(key=keys[0], value="updated")],
        action_on_non_existence=v2.BulkActionNotOnExistence.FAIL,
    )
    delete = v2.BulkDeleteActionVariableBody(
        action="delete",
        entities=[
            v2.BulkDeleteEntityVariableBody(keys[1]),
            v2.BulkDeleteEntityVariableBody(f"{prefix}_missing"),
        ],
        action_on_non_existence=v2.BulkActionNotOnExistence.SKIP,
    )
    result = api.bulk_variables(
        v2.BulkBodyVariableBody(
            actions=[v2.BulkActionVariableBody(update), v2.BulkActionVariableBody(delete)]
        )
    )
    assert result.update.success == [keys[0]]
    assert result.delete.success == [keys[1]]
    assert api.get_variable(keys[0]).value == "updated"
    assert status_of(lambda: api.get_variable(keys[1])) == 404

    # creating an existing key with "fail" reports an error per entity, not an HTTP error
    again = v2.BulkCreateActionVariableBody(
        action="create",
        entities=[v2.VariableBody(key=keys[2], value="dup")],
        action_on_existence=v2.BulkActionOnExistence.FAIL,
    )
    result = api.bulk_variables(v2.BulkBodyVariableBody(actions=[v2.BulkActionVariableBody(again)]))
    assert result.create.success == []
    assert result.create.errors
    assert result.create.errors[0]["status_code"] == 409

    for key in (keys[0], keys[2]):
        api.delete_variable(key)
    assert api.get_variables(variable_key_prefix_pattern=prefix).total_entries == 0


# ---------------------------------------------------------------------------------- pools


def test_pool_round_trip(v2: ModuleType, v2_client: Any) -> None:
    api = v2.PoolApi(v2_client)
    name = unique("v2_pool")
    created = api.post_pool(v2.PoolBody(name=name, slots=3, description="made by v2"))
    assert (created.name, created.slots, created.description) == (name, 3, "made by v2")
    assert created.open_slots == 3
    assert created.occupied_slots == created.running_slots == created.queued_slots == 0
    assert created.include_deferred is False

    got = api.get_pool(name)
    assert (got.name, got.slots, got.open_slots) == (name, 3, 3)

    listed = api.get_pools(pool_name_pattern=name)
    assert [p.name for p in listed.pools] == [name]
    names = {p.name for p in api.get_pools(limit=100).pools}
    assert {"default_pool", name} <= names

    patched = api.patch_pool(
        name, v2.PoolPatchBody(pool=name, slots=7, include_deferred=True), update_mask=["slots"]
    )
    assert patched.slots == 7
    assert patched.include_deferred is False  # outside the update mask: unchanged
    assert api.get_pool(name).open_slots == 7

    api.delete_pool(name)
    assert status_of(lambda: api.get_pool(name)) == 404


def test_default_pool_cannot_be_deleted(v2: ModuleType, v2_client: Any) -> None:
    api = v2.PoolApi(v2_client)
    assert status_of(lambda: api.delete_pool("default_pool")) == 400
    assert api.get_pool("default_pool").name == "default_pool"


def test_pools_bulk_create_update_delete(v2: ModuleType, v2_client: Any) -> None:
    api = v2.PoolApi(v2_client)
    prefix = unique("v2_bulkpool")
    names = [f"{prefix}_{i}" for i in range(2)]
    create = v2.BulkCreateActionPoolBody(
        action="create",
        entities=[v2.PoolBody(name=n, slots=i + 1) for i, n in enumerate(names)],
    )
    result = api.bulk_pools(v2.BulkBodyPoolBody(actions=[v2.BulkActionPoolBody(create)]))
    assert sorted(result.create.success) == names
    assert [api.get_pool(n).slots for n in names] == [1, 2]

    update = v2.BulkUpdateActionPoolBody(
        action="update",
        entities=[v2.PoolBody(name=names[0], slots=5, description="bulk")],
        update_mask=["slots"],
    )
    delete = v2.BulkDeleteActionPoolBody(
        action="delete", entities=[v2.BulkDeleteEntityPoolBody(names[1])]
    )
    result = api.bulk_pools(
        v2.BulkBodyPoolBody(actions=[v2.BulkActionPoolBody(update), v2.BulkActionPoolBody(delete)])
    )
    assert result.update.success == [names[0]]
    assert result.delete.success == [names[1]]
    pool = api.get_pool(names[0])
    assert (pool.slots, pool.description) == (5, None)  # description not in the mask
    assert status_of(lambda: api.get_pool(names[1])) == 404
    api.delete_pool(names[0])


# ---------------------------------------------------------------------------- connections


def test_connection_round_trip(v2: ModuleType, v2_client: Any) -> None:
    api = v2.ConnectionApi(v2_client)
    conn_id = unique("v2_conn")
    body = v2.ConnectionBody(
        connection_id=conn_id,
        conn_type="http",
        host="example.invalid",
        port=8443,
        login="user",
        password="s3cret",
        var_schema="https",
        extra=json.dumps({"timeout": 5}),
        description="made by v2",
    )
    created = api.post_connection(body)
    assert (created.connection_id, created.conn_type, created.host) == (
        conn_id,
        "http",
        "example.invalid",
    )
    assert (created.port, created.login, created.var_schema) == (8443, "user", "https")
    assert json.loads(created.extra) == {"timeout": 5}
    assert created.password != "s3cret"  # the API masks passwords

    got = api.get_connection(conn_id)
    assert (got.host, got.port, got.description) == ("example.invalid", 8443, "made by v2")

    listed = api.get_connections(connection_id_pattern=conn_id)
    assert [c.connection_id for c in listed.connections] == [conn_id]

    patched = api.patch_connection(
        conn_id,
        v2.ConnectionBody(connection_id=conn_id, conn_type="http", host="other.invalid"),
        update_mask=["host"],
    )
    assert patched.host == "other.invalid"
    assert patched.port == 8443  # outside the update mask: unchanged

    api.delete_connection(conn_id)
    assert status_of(lambda: api.get_connection(conn_id)) == 404


def test_connections_bulk_create_update_delete(v2: ModuleType, v2_client: Any) -> None:
    api = v2.ConnectionApi(v2_client)
    prefix = unique("v2_bulkconn")
    ids = [f"{prefix}_{i}" for i in range(2)]
    create = v2.BulkCreateActionConnectionBody(
        action="create",
        entities=[v2.ConnectionBody(connection_id=i, conn_type="generic") for i in ids],
    )
    result = api.bulk_connections(
        v2.BulkBodyConnectionBody(actions=[v2.BulkActionConnectionBody(create)])
    )
    assert sorted(result.create.success) == ids

    update = v2.BulkUpdateActionConnectionBody(
        action="update",
        entities=[v2.ConnectionBody(connection_id=ids[0], conn_type="generic", host="h.invalid")],
    )
    delete = v2.BulkDeleteActionConnectionBody(
        action="delete", entities=[v2.BulkDeleteEntityConnectionBody(ids[1])]
    )
    result = api.bulk_connections(
        v2.BulkBodyConnectionBody(
            actions=[v2.BulkActionConnectionBody(update), v2.BulkActionConnectionBody(delete)]
        )
    )
    assert result.update.success == [ids[0]]
    assert result.delete.success == [ids[1]]
    assert api.get_connection(ids[0]).host == "h.invalid"
    assert status_of(lambda: api.get_connection(ids[1])) == 404
    api.delete_connection(ids[0])


def test_create_default_connections(v2: ModuleType, v2_client: Any) -> None:
    api = v2.ConnectionApi(v2_client)
    api.create_default_connections()
    # Airflow's defaults include ``airflow_db`` and ``http_default`` (created if missing)
    assert api.get_connection("http_default").conn_type == "http"
    assert api.get_connection("airflow_db").conn_type
    api.create_default_connections()  # idempotent: existing defaults are kept


def test_connection_testing_only_when_enabled(v2: ModuleType, v2_client: Any) -> None:
    """403 unless ``[core] test_connection`` is "Enabled" (it is not on the harness's servers)."""
    api = v2.ConnectionApi(v2_client)
    body = v2.ConnectionBody(connection_id=unique("v2_conn_test"), conn_type="http", host="x")
    request = v2.ConnectionTestRequestBody(
        connection_id=unique("v2_conn_test"), conn_type="http", host="x"
    )
    refused = None
    try:
        result = api.test_connection(body)
    except v2.ApiException as exc:
        refused = exc
    if refused is not None:
        assert refused.status == 403
        assert "test_connection" in str(refused.body) or "disabled" in str(refused.body).lower()
        assert status_of(lambda: api.enqueue_connection_test(request)) == 403
        return
    assert isinstance(result.status, bool)
    assert result.message
    queued = api.enqueue_connection_test(request)
    assert queued.token
    assert queued.connection_id == request.connection_id
    final = poll(
        "the enqueued connection test to finish",
        lambda: api.get_connection_test(queued.token),
        lambda r: r.state not in ("pending", "queued", "running"),
        timeout=60,
    )
    assert final.token == queued.token
    assert final.state in ("success", "failed")
    assert final.result_message
