"""Users, roles and permissions on Airflow 2 (``/api/v1``, the FAB auth manager's endpoints)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from v1_support import delete_if_present, unique

from airflow_client_ext.testing import AirflowInstance

# Airflow 2.11 deprecates these FAB endpoints (the generated client warns on each call)
pytestmark = pytest.mark.filterwarnings(r"ignore:(GET|POST|PATCH|DELETE) /\w+.* is deprecated")


def action(v1: ModuleType, name: str, resource: str) -> Any:
    return v1.ActionResource(action=v1.Action(name=name), resource=v1.Resource(name=resource))


def pairs(role: Any) -> set[tuple[str, str]]:
    return {(a.action.name, a.resource.name) for a in role.actions}


@pytest.fixture
def role_name(v1: ModuleType, v1_client: Any) -> Iterator[str]:
    name = unique("v1_role")
    yield name
    delete_if_present(v1, lambda: v1.RoleApi(v1_client).delete_role(name))


@pytest.fixture
def username(v1: ModuleType, v1_client: Any) -> Iterator[str]:
    name = unique("v1_user")
    yield name
    delete_if_present(v1, lambda: v1.UserApi(v1_client).delete_user(name))


def test_permissions_list_the_actions(v1: ModuleType, v1_client: Any) -> None:
    actions = v1.PermissionApi(v1_client).get_permissions(limit=100)
    names = {a.name for a in actions.actions}
    assert {"can_read", "can_edit", "can_create", "can_delete"} <= names
    assert actions.total_entries == len(actions.actions)


def test_builtin_roles(v1: ModuleType, v1_client: Any) -> None:
    api = v1.RoleApi(v1_client)
    roles = api.get_roles(limit=100, order_by="name")
    names = [r.name for r in roles.roles]
    assert {"Admin", "Op", "User", "Viewer", "Public"} <= set(names)
    assert names == sorted(names)
    viewer = api.get_role("Viewer")
    assert ("can_read", "DAGs") in pairs(viewer)
    assert ("can_edit", "DAGs") not in pairs(viewer)


def test_role_round_trip(v1: ModuleType, v1_client: Any, role_name: str) -> None:
    api = v1.RoleApi(v1_client)
    # Airflow 2.11 answers 200 {} here (not the role the spec promises); the role exists
    created = api.post_role(v1.Role(name=role_name, actions=[action(v1, "can_read", "Variables")]))
    assert created.name in (None, role_name)
    fetched = api.get_role(role_name)
    assert fetched.name == role_name
    assert pairs(fetched) == {("can_read", "Variables")}
    assert role_name in {r.name for r in api.get_roles(limit=100).roles}

    patched = api.patch_role(
        role_name,
        v1.Role(
            name=role_name,
            actions=[action(v1, "can_read", "Variables"), action(v1, "can_read", "Pools")],
        ),
        update_mask=["actions"],
    )
    assert pairs(patched) == {("can_read", "Variables"), ("can_read", "Pools")}

    api.delete_role(role_name)
    with pytest.raises(v1.ApiException) as caught:
        api.get_role(role_name)
    assert caught.value.status == 404


def test_user_round_trip_and_login(
    v1: ModuleType,
    v1_client: Any,
    airflow_server: AirflowInstance,
    username: str,
) -> None:
    api = v1.UserApi(v1_client)
    password = unique("pw")
    created = api.post_user(
        v1.User(
            username=username,
            email=f"{username}@example.invalid",
            first_name="Vee",
            last_name="One",
            password=password,
            roles=[v1.UserCollectionItemRolesInner(name="Viewer")],
        )
    )
    assert (created.username, created.first_name, created.last_name) == (username, "Vee", "One")
    assert [r.name for r in created.roles] == ["Viewer"]
    assert created.password is None  # never sent back
    assert created.active is True

    fetched = api.get_user(username)
    assert fetched.email == f"{username}@example.invalid"
    assert fetched.created_on
    listed = api.get_users(limit=100, order_by="id")
    assert {username, airflow_server.username} <= {u.username for u in listed.users}

    # the password works: the new Viewer can read but not write
    config = v1.Configuration(host=airflow_server.api_url, username=username, password=password)
    with v1.ApiClient(config) as as_viewer:
        assert v1.MonitoringApi(as_viewer).get_version().version == airflow_server.version
        with pytest.raises(v1.ApiException) as forbidden:
            v1.VariableApi(as_viewer).post_variables(v1.Variable(key=unique("v1_no"), value="x"))
        assert forbidden.value.status == 403

    patched = api.patch_user(
        username,
        v1.User(
            username=username,
            email=f"{username}@example.invalid",
            first_name="Vee",
            last_name="Changed",
            roles=[v1.UserCollectionItemRolesInner(name="Op")],
        ),
        update_mask=["last_name", "roles"],
    )
    assert patched.last_name == "Changed"
    assert [r.name for r in patched.roles] == ["Op"]
    assert api.get_user(username).last_name == "Changed"

    api.delete_user(username)
    with pytest.raises(v1.ApiException) as caught:
        api.get_user(username)
    assert caught.value.status == 404
