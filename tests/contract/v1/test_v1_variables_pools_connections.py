"""CRUD round trips of variables, pools and connections on Airflow 2 (``/api/v1``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from v1_support import delete_if_present, unique


def assert_not_found(v1: ModuleType, call: Callable[[], Any]) -> None:
    with pytest.raises(v1.ApiException) as caught:
        call()
    assert caught.value.status == 404
    assert isinstance(caught.value, v1.exceptions.NotFoundException)


def all_pages(fetch: Callable[[int, int], Any], attr: str, limit: int = 50) -> list[Any]:
    """Every item of a paginated collection, following ``total_entries``."""
    items: list[Any] = []
    while True:
        page = fetch(limit, len(items))
        batch = getattr(page, attr)
        items.extend(batch)
        if not batch or len(items) >= page.total_entries:
            return items


# ----------------------------------------------------------------------------- variables


@pytest.fixture
def variable_key(v1: ModuleType, v1_client: Any) -> Iterator[str]:
    key = unique("v1_var")
    yield key
    delete_if_present(v1, lambda: v1.VariableApi(v1_client).delete_variable(key))


def test_variable_round_trip(v1: ModuleType, v1_client: Any, variable_key: str) -> None:
    api = v1.VariableApi(v1_client)
    value = json.dumps({"a": [1, 2], "unicode": "h\u00e9llo"})
    created = api.post_variables(
        v1.Variable(key=variable_key, value=value, description="made by the v1 suite")
    )
    assert (created.key, created.value) == (variable_key, value)
    assert created.description == "made by the v1 suite"

    fetched = api.get_variable(variable_key)
    assert (fetched.key, fetched.value, fetched.description) == (
        variable_key,
        value,
        "made by the v1 suite",
    )

    listed = all_pages(lambda n, o: api.get_variables(limit=n, offset=o), "variables")
    assert variable_key in {v.key for v in listed}

    # without a mask every field sent is updated (a mask naming "value" gets a 400 from
    # Airflow 2.11: its schema loads the value under the attribute name "val")
    patched = api.patch_variable(variable_key, v1.Variable(key=variable_key, value="new value"))
    assert (patched.value, patched.description) == ("new value", "made by the v1 suite")
    masked = api.patch_variable(
        variable_key,
        v1.Variable(key=variable_key, value="ignored", description="new description"),
        update_mask=["description"],
    )
    assert (masked.value, masked.description) == ("new value", "new description")
    fetched = api.get_variable(variable_key)
    assert (fetched.value, fetched.description) == ("new value", "new description")

    api.delete_variable(variable_key)
    assert_not_found(v1, lambda: api.get_variable(variable_key))


def test_variables_are_ordered_and_paginated(
    v1: ModuleType, v1_client: Any, variable_key: str
) -> None:
    api = v1.VariableApi(v1_client)
    keys = [f"{variable_key}_{i}" for i in range(3)]
    try:
        for key in keys:
            api.post_variables(v1.Variable(key=key, value=key))
        page = api.get_variables(limit=2, offset=0, order_by="-key")
        assert len(page.variables) == 2
        assert page.total_entries >= 3
        ordered = [v.key for v in page.variables]
        assert ordered == sorted(ordered, reverse=True)
    finally:
        for key in keys:
            api.delete_variable(key)


# ----------------------------------------------------------------------------- pools


@pytest.fixture
def pool_name(v1: ModuleType, v1_client: Any) -> Iterator[str]:
    name = unique("v1_pool")
    yield name
    delete_if_present(v1, lambda: v1.PoolApi(v1_client).delete_pool(name))


def test_pool_round_trip(v1: ModuleType, v1_client: Any, pool_name: str) -> None:
    api = v1.PoolApi(v1_client)
    created = api.post_pool(
        v1.Pool(name=pool_name, slots=3, description="v1 suite pool", include_deferred=True)
    )
    assert (created.name, created.slots, created.include_deferred) == (pool_name, 3, True)
    assert created.open_slots == 3
    assert created.occupied_slots == 0

    fetched = api.get_pool(pool_name)
    assert (fetched.slots, fetched.description) == (3, "v1 suite pool")

    listed = all_pages(lambda n, o: api.get_pools(limit=n, offset=o), "pools")
    names = {p.name for p in listed}
    assert {pool_name, "default_pool"} <= names

    patched = api.patch_pool(pool_name, v1.Pool(name=pool_name, slots=7), update_mask=["slots"])
    assert (patched.slots, patched.open_slots) == (7, 7)
    assert patched.description == "v1 suite pool"

    api.delete_pool(pool_name)
    assert_not_found(v1, lambda: api.get_pool(pool_name))


def test_default_pool_cannot_be_deleted(v1: ModuleType, v1_client: Any) -> None:
    with pytest.raises(v1.ApiException) as caught:
        v1.PoolApi(v1_client).delete_pool("default_pool")
    assert caught.value.status == 400
    assert v1.PoolApi(v1_client).get_pool("default_pool").name == "default_pool"


# ----------------------------------------------------------------------------- connections


@pytest.fixture
def connection_id(v1: ModuleType, v1_client: Any) -> Iterator[str]:
    conn_id = unique("v1_conn")
    yield conn_id
    delete_if_present(v1, lambda: v1.ConnectionApi(v1_client).delete_connection(conn_id))


def test_connection_round_trip(v1: ModuleType, v1_client: Any, connection_id: str) -> None:
    api = v1.ConnectionApi(v1_client)
    extra = json.dumps({"timeout": 5})
    created = api.post_connection(
        v1.Connection(
            connection_id=connection_id,
            conn_type="http",
            description="v1 suite connection",
            host="example.invalid",
            login="someone",
            password="s3cret",
            var_schema="https",
            port=8443,
            extra=extra,
        )
    )
    assert (created.connection_id, created.conn_type, created.port) == (
        connection_id,
        "http",
        8443,
    )

    fetched = api.get_connection(connection_id)
    assert (fetched.host, fetched.login, fetched.var_schema) == (
        "example.invalid",
        "someone",
        "https",
    )
    assert json.loads(fetched.extra) == {"timeout": 5}
    assert fetched.description == "v1 suite connection"

    listed = all_pages(lambda n, o: api.get_connections(limit=n, offset=o), "connections")
    assert connection_id in {c.connection_id for c in listed}

    patched = api.patch_connection(
        connection_id,
        v1.Connection(connection_id=connection_id, conn_type="http", host="other.invalid"),
        update_mask=["host"],
    )
    assert patched.host == "other.invalid"
    assert patched.login == "someone"  # outside the mask: unchanged
    assert api.get_connection(connection_id).host == "other.invalid"

    api.delete_connection(connection_id)
    assert_not_found(v1, lambda: api.get_connection(connection_id))


def test_connection_testing_only_when_enabled(v1: ModuleType, v1_client: Any) -> None:
    """``[core] test_connection`` is Disabled by default (the harness's servers): 403. A
    server with it Enabled (``--airflow-url``) tests the connection it is sent.
    """
    api = v1.ConnectionApi(v1_client)
    conn = v1.Connection(connection_id=unique("v1_conn"), conn_type="sqlite", host=":memory:")
    probe = api.test_connection_without_preload_content(conn)
    if probe.status == 403:
        assert "disabled" in probe.data.decode().lower()
        with pytest.raises(v1.ApiException) as caught:
            api.test_connection(conn)
        assert caught.value.status == 403
        return
    assert probe.status == 200
    result = api.test_connection(conn)
    assert result.status is True
    assert result.message
    failing = api.test_connection(
        v1.Connection(connection_id=unique("v1_conn"), conn_type="no-such-type")
    )
    assert failing.status is False
