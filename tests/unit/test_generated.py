"""The generated clients: complete against their specs, and carrying the transforms' fixes."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SERIALIZE_CALL = re.compile(r"method='(\w+)',\s*resource_path='([^']+)'")

SPECS = {
    "airflow_client_ext_v1": ("openapi/airflow-v1.yaml", 89),
    "airflow_client_ext_v2": ("openapi/airflow-v2.yaml", 128),
    "airflow_client_ext_starship": ("openapi/starship.yaml", 28),
}


def spec_operations(spec_file: str) -> set[tuple[str, str]]:
    spec = yaml.safe_load((ROOT / spec_file).read_text())
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def api_classes(package_name: str) -> list[type[Any]]:
    package = importlib.import_module(package_name)
    names = [n for n in package.__all__ if n.endswith("Api") and n != "ApiClient"]
    return [getattr(package, name) for name in names]


@pytest.mark.parametrize("package_name", sorted(SPECS))
def test_generated_operations_match_the_spec(package_name: str) -> None:
    spec_file, expected_count = SPECS[package_name]
    expected = spec_operations(spec_file)
    assert len(expected) == expected_count

    generated: set[tuple[str, str]] = set()
    methods: set[str] = set()  # an operation with two tags appears in two classes
    for cls in api_classes(package_name):
        source = inspect.getsource(sys.modules[cls.__module__])
        generated |= set(SERIALIZE_CALL.findall(source))
        methods |= {
            name
            for name, _ in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")
            and not name.endswith(("_with_http_info", "_without_preload_content"))
        }

    # v1 paths are relative to its server URL /api/v1; v2 paths carry /api/v2 themselves
    assert generated == expected
    assert len(methods) == expected_count


def test_v1_sends_basic_credentials() -> None:
    v1 = importlib.import_module("airflow_client_ext_v1")
    config = v1.Configuration(host="http://airflow.test/api/v1", username="u", password="p")
    with v1.ApiClient(config) as client:
        _, url, headers, _, _ = v1.DAGApi(client)._get_dags_serialize(
            limit=None,
            offset=None,
            order_by=None,
            tags=None,
            only_active=None,
            paused=None,
            fields=None,
            dag_id_pattern=None,
            _request_auth=None,
            _content_type=None,
            _headers=None,
            _host_index=0,
        )
    assert url == "http://airflow.test/api/v1/dags"
    assert headers["Authorization"] == "Basic dTpw"


def test_v2_sends_bearer_token() -> None:
    v2 = importlib.import_module("airflow_client_ext_v2")
    config = v2.Configuration(host="http://airflow.test", access_token="tok")
    with v2.ApiClient(config) as client:
        _, url, headers, _, _ = v2.PoolApi(client)._get_pool_serialize(
            pool_name="default_pool",
            _request_auth=None,
            _content_type=None,
            _headers=None,
            _host_index=0,
        )
    assert url == "http://airflow.test/api/v2/pools/default_pool"
    assert headers["Authorization"] == "Bearer tok"


def test_trigger_body_sends_logical_date_null_when_unset() -> None:
    v2 = importlib.import_module("airflow_client_ext_v2")
    body = v2.TriggerDAGRunPostBody(conf={"a": 1})
    wire = v2.ApiClient().sanitize_for_serialization(body)
    assert wire == {"conf": {"a": 1}, "logical_date": None}
    assert json.loads(body.to_json()) == wire
    # an explicit value still goes through, and other nullable fields stay omitted
    dated = v2.TriggerDAGRunPostBody(logical_date="2026-01-01T00:00:00Z")
    assert v2.ApiClient().sanitize_for_serialization(dated) == {
        "logical_date": "2026-01-01T00:00:00+00:00"
    }


def test_v2_nullable_fields_accept_null() -> None:
    v2 = importlib.import_module("airflow_client_ext_v2")
    run = v2.DAGRunResponse.from_dict(
        {
            "dag_run_id": "r",
            "dag_id": "d",
            "logical_date": None,
            "queued_at": None,
            "start_date": None,
            "end_date": None,
            "duration": None,
            "data_interval_start": None,
            "data_interval_end": None,
            "run_after": "2026-01-01T00:00:00Z",
            "last_scheduling_decision": None,
            "run_type": "manual",
            "state": "queued",
            "triggered_by": None,
            "triggering_user_name": None,
            "conf": None,
            "note": None,
            "dag_versions": [],
            "bundle_version": None,
            "dag_display_name": "d",
            "partition_key": None,
            "partition_date": None,
        }
    )
    assert run is not None
    assert run.end_date is None
    assert run.state == "queued"


def test_v2_untyped_path_parameters_are_strings() -> None:
    v2 = importlib.import_module("airflow_client_ext_v2")
    hints = inspect.signature(v2.DagRunApi.trigger_dag_run).parameters
    assert hints["dag_id"].annotation == v2.api.dag_run_api.StrictStr


def test_generated_package_versions_name_the_airflow_release() -> None:
    lock = json.loads((ROOT / "openapi/specs.lock.json").read_text())["specs"]
    assert importlib.import_module("airflow_client_ext_v1").__version__ == lock["v1"]["version"]
    assert importlib.import_module("airflow_client_ext_v2").__version__ == lock["v2"]["version"]
    starship = importlib.import_module("airflow_client_ext_starship")
    assert starship.__version__ == lock["starship"]["version"]


def test_importing_the_layer_imports_no_generated_module() -> None:
    code = (
        "import sys, airflow_client_ext\n"
        "bad = sorted(m for m in sys.modules if m.startswith('airflow_client_ext_'))\n"
        "assert not bad, bad\n"
        "assert 'pydantic' not in sys.modules and 'urllib3' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("package_name", sorted(SPECS))
def test_generated_packages_import_lazily(package_name: str) -> None:
    code = (
        f"import sys, {package_name} as p\n"
        "loaded = [m for m in sys.modules if m.startswith(p.__name__ + '.models.')]\n"
        "assert len(loaded) < 5, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "package_name", ["airflow_client_ext_v1", "airflow_client_ext_v2"]
)  # Starship has no datetime query parameter
def test_datetime_query_parameters_are_rfc3339(package_name: str) -> None:
    """Airflow answers 400 to strftime's ``+0000``; the template override sends isoformat."""
    from datetime import datetime, timedelta, timezone
    from urllib.parse import parse_qs, urlsplit

    package = importlib.import_module(package_name)
    client = package.ApiClient(package.Configuration(host="http://airflow.test"))
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    serialize = package.EventLogApi(client)._get_event_logs_serialize
    kwargs = {p: None for p in inspect.signature(serialize).parameters}
    kwargs.update({"after": when, "_host_index": 0})
    _, url, _, _, _ = serialize(**kwargs)
    assert parse_qs(urlsplit(url).query)["after"] == ["2026-01-02T03:04:05+02:00"]
