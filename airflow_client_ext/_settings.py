"""Variables, pools and connections one by one: list, get, set, delete (and update and test
a connection), the same on Airflow 2 and 3.

Writes go through the adapter's ``create_*``/``update_*`` of :mod:`._versions`, the ones
:meth:`~airflow_client_ext.client.AirflowClient.import_config` uses; the version differences
of the reads are in :mod:`._resource_versions`. Values are returned as the server shows them
(Airflow 3 masks sensitive ones, Airflow 2 never returns a connection's password); the CLI
masks the rest (:func:`._masks.mask_sensitive`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from . import _checks
from ._resource_versions import ResourceAdapter, resources_for
from ._versions import CONNECTION_FIELDS
from ._workflow_base import _renamed, _WorkflowBase
from .errors import NotFoundError, PermissionDeniedError
from .models import Connection, ConnectionTest, Pool, Variable


class _SettingsWorkflows(_WorkflowBase):
    """Variables, pools and connections of :class:`~airflow_client_ext.workflows.Workflows`
    (a mixin)."""

    def _resources(self) -> ResourceAdapter:
        return resources_for(self._client)

    # -- variables ------------------------------------------------------------------------------
    def iter_variables(self) -> Iterator[Variable]:
        """Every variable, page after page."""
        return self._resources().variables()

    def get_variable(self, key: str) -> Variable:
        """One variable; :class:`NotFoundError` if there is none."""
        _check_key(key)
        return self._resources().get_variable(key)

    def set_variable(self, key: str, value: str, description: str | None = None) -> Variable:
        """Create the variable, or update its value (and its description, if given)."""
        _check_key(key)
        _checks.check_instance("value", value, str, "a string (JSON as text)", setting=False)
        _checks.check_instance(
            "description", description, str, "a string", none="kept", setting=False
        )
        resources = self._resources()
        item = {"key": key, "value": value, "description": description}
        current = _current(lambda: resources.get_variable(key))
        if current is None:
            resources.base.create_variable(item)
        else:
            fields = ["value"] + (["description"] if description is not None else [])
            now = {"key": key, "value": current.value, "description": current.description}
            resources.base.update_variable(item, now, fields)
        return resources.get_variable(key)

    def delete_variable(self, key: str) -> None:
        """Delete a variable; :class:`NotFoundError` if there is none."""
        _check_key(key)
        self._resources().delete_variable(key)

    # -- pools ----------------------------------------------------------------------------------
    def iter_pools(self) -> Iterator[Pool]:
        """Every pool, page after page."""
        return self._resources().pools()

    def get_pool(self, name: str) -> Pool:
        """One pool; :class:`NotFoundError` if there is none."""
        _check_name("name", name)
        return self._resources().get_pool(name)

    def set_pool(
        self,
        name: str,
        slots: int,
        description: str | None = None,
        include_deferred: bool | None = None,
    ) -> Pool:
        """Create the pool, or update its slots (and the description and include_deferred,
        if given)."""
        _check_name("name", name)
        _checks.check_int("slots", slots, minimum=-1, meaning="-1: unlimited")
        _checks.check_instance(
            "description", description, str, "a string", none="kept", setting=False
        )
        _checks.check_flag("include_deferred", include_deferred, none="kept")
        resources = self._resources()
        item: dict[str, Any] = {"name": name, "slots": slots}
        fields = ["slots"]
        if description is not None:
            item["description"] = description
            fields.append("description")
        if include_deferred is not None:
            item["include_deferred"] = include_deferred
            fields.append("include_deferred")
        current = _current(lambda: resources.get_pool(name))
        if current is None:
            resources.base.create_pool(item)
        else:
            now = {
                "name": name,
                "slots": current.slots,
                "description": current.description,
                "include_deferred": current.include_deferred,
            }
            resources.base.update_pool(item, now, fields)
        return resources.get_pool(name)

    def delete_pool(self, name: str) -> None:
        """Delete a pool (``default_pool`` cannot be deleted: the server says so)."""
        _check_name("name", name)
        self._resources().delete_pool(name)

    # -- connections ----------------------------------------------------------------------------
    def iter_connections(self) -> Iterator[Connection]:
        """Every connection, page after page (passwords as the server shows them)."""
        return self._resources().connections()

    def get_connection(self, connection_id: str) -> Connection:
        """One connection; :class:`NotFoundError` if there is none."""
        _check_name("connection_id", connection_id)
        return self._resources().get_connection(connection_id)

    def add_connection(self, connection_id: str, conn_type: str, **fields: Any) -> Connection:
        """Create a connection (``host``, ``login``, ``password``, ``schema``, ``port``,
        ``extra`` (JSON text), ``description``); :class:`ConflictError` if it exists."""
        item = _connection_item(connection_id, conn_type, fields)
        resources = self._resources()
        resources.base.create_connection(item)
        return resources.get_connection(connection_id)

    def update_connection(self, connection_id: str, **fields: Any) -> Connection:
        """Change the given fields of an existing connection (``conn_type`` and the fields of
        :meth:`add_connection`; ``None`` clears one), keeping the others, its password
        included; :class:`NotFoundError` if there is none."""
        _check_name("connection_id", connection_id)
        if not fields:
            _checks.fail("fields", "at least one field to change, e.g. host='db.local'", "none")
        changes = dict(fields)
        resources = self._resources()
        current = resources.get_connection(connection_id)
        conn_type = changes.pop("conn_type", None) or current.conn_type
        item = _connection_item(connection_id, conn_type, changes)
        now = {name: getattr(current, name) for name in CONNECTION_FIELDS}
        changed = [*changes] + (["conn_type"] if conn_type != current.conn_type else [])
        if changed:
            resources.base.update_connection(item, now, changed)
        return resources.get_connection(connection_id)

    def delete_connection(self, connection_id: str) -> None:
        """Delete a connection; :class:`NotFoundError` if there is none."""
        _check_name("connection_id", connection_id)
        self._resources().delete_connection(connection_id)

    def test_connection(self, connection_id: str, conn_type: str, **fields: Any) -> ConnectionTest:
        """Ask the server to test a connection made of these fields (nothing is stored).

        The server must allow it: ``[core] test_connection = Enabled`` (Airflow >= 2.7 and
        3); where it does not, :class:`PermissionDeniedError` says so.
        """
        item = _connection_item(connection_id, conn_type, fields)
        try:
            return self._resources().test_connection(item)
        except PermissionDeniedError as exc:
            if "disabled" not in str(exc).lower():
                raise
            raise _renamed(
                exc,
                f"Airflow {self._client.server_version} does not test connections here: the "
                "server's [core] test_connection setting is not 'Enabled' (set "
                "AIRFLOW__CORE__TEST_CONNECTION=Enabled on the server to allow it)",
            ) from exc


def _current(read: Any) -> Any:
    try:
        return read()
    except NotFoundError:
        return None


def _check_key(key: Any) -> str:
    return _checks.check_id("key", key, path=True)


def _check_name(name: str, value: Any) -> str:
    return _checks.check_id(name, value, path=True)


def _connection_item(
    connection_id: Any, conn_type: Any, fields: Mapping[str, Any]
) -> dict[str, Any]:
    _check_name("connection_id", connection_id)
    _checks.check_instance(
        "conn_type", conn_type, str, "a connection type, e.g. 'http'", setting=False
    )
    unknown = sorted(set(fields) - set(CONNECTION_FIELDS))
    if unknown:
        _checks.fail("fields", "some of: " + ", ".join(CONNECTION_FIELDS[2:]), unknown)
    for name, value in fields.items():
        if name == "port":
            _checks.check_int("port", value, minimum=0, maximum=65535, none="none")
        else:
            _checks.check_instance(name, value, str, "a string", none="none", setting=False)
    if fields.get("extra") is not None:
        try:
            json.loads(fields["extra"])
        except ValueError:
            _checks.fail("extra", "JSON text, e.g. '{\"timeout\": 10}'", fields["extra"])
    return {"connection_id": connection_id, "conn_type": conn_type, **fields}
