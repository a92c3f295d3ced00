"""XCom entries: list, get (native, deserialized, stringified), create, update, delete."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from v2_support import status_of, unique

pytestmark = pytest.mark.contract

CUSTOM_VALUE = {"answer": 42, "items": [1, 2, 3]}  # as pushed by tests/dags/xcom_push.py


def test_list_xcom_entries_of_a_task(v2: ModuleType, v2_client: Any, xcom_run: Any) -> None:
    api = v2.XComApi(v2_client)
    listed = api.get_xcom_entries("xcom_push", xcom_run.dag_run_id, "push")
    keys = {e.key for e in listed.xcom_entries}
    assert {"custom_key", "return_value"} <= keys
    entry = next(e for e in listed.xcom_entries if e.key == "custom_key")
    assert (entry.dag_id, entry.run_id, entry.task_id, entry.map_index) == (
        "xcom_push",
        xcom_run.dag_run_id,
        "push",
        -1,
    )
    only = api.get_xcom_entries("xcom_push", xcom_run.dag_run_id, "push", xcom_key="custom_key")
    assert [e.key for e in only.xcom_entries] == ["custom_key"]
    across = api.get_xcom_entries("~", "~", "~", xcom_key_pattern="custom_key", limit=100)
    assert ("xcom_push", xcom_run.dag_run_id) in {(e.dag_id, e.run_id) for e in across.xcom_entries}


def test_get_xcom_entry_native_and_stringified(
    v2: ModuleType, v2_client: Any, xcom_run: Any
) -> None:
    api = v2.XComApi(v2_client)
    where = ("xcom_push", xcom_run.dag_run_id, "push")
    native = api.get_xcom_entry(*where, "custom_key").actual_instance
    assert native.key == "custom_key"
    assert native.value == CUSTOM_VALUE
    returned = api.get_xcom_entry(*where, "return_value", deserialize=True).actual_instance
    assert returned.value == "returned-value"
    text = api.get_xcom_entry(*where, "custom_key", stringify=True).actual_instance
    assert isinstance(text.value, str)
    assert "42" in text.value
    assert status_of(lambda: api.get_xcom_entry(*where, "no_such_key")) == 404


def test_create_update_delete_xcom_entry(v2: ModuleType, v2_client: Any, xcom_run: Any) -> None:
    api = v2.XComApi(v2_client)
    where = ("xcom_push", xcom_run.dag_run_id, "push")
    key = unique("v2_xcom")
    created = api.create_xcom_entry(*where, v2.XComCreateBody(key=key, value={"n": 1}))
    assert (created.key, created.value, created.map_index) == (key, {"n": 1}, -1)
    assert api.get_xcom_entry(*where, key).actual_instance.value == {"n": 1}
    # a second create of the same key is a conflict
    assert (
        status_of(lambda: api.create_xcom_entry(*where, v2.XComCreateBody(key=key, value=2))) == 409
    )

    updated = api.update_xcom_entry(*where, key, v2.XComUpdateBody(value=["a", "b"]))
    assert (updated.key, updated.value) == (key, ["a", "b"])
    assert api.get_xcom_entry(*where, key).actual_instance.value == ["a", "b"]

    api.delete_xcom_entry(*where, key)
    assert status_of(lambda: api.get_xcom_entry(*where, key)) == 404
    remaining = api.get_xcom_entries(*where)
    assert key not in {e.key for e in remaining.xcom_entries}
