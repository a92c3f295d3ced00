"""schemathesis against the real servers: every GET of the transformed spec, and our
generated client reads each answer.

For each GET operation of the spec this client is generated from (after the transforms of
``scripts/transforms``), schemathesis generates requests (path parameters taken from a real
run of ``xcom_push`` where the path names one, everything else generated from the spec),
sends them to the session's server and checks each answer against the spec: no 5xx, a
documented status, a documented content type, a body that fits the response schema. Every
2xx JSON answer is then deserialized by our generated client's model for that operation.

A mismatch fails the test unless :data:`EXPLAINED` names it with its reason (a server bug
this client cannot fix). What a mismatch of the spec itself becomes is a spec transform with
its unit test, not an entry here.

``--schemathesis-examples N`` sets the examples per operation (CI: a few;
``tox -e schemathesis``: more).
"""

from __future__ import annotations

import importlib
import json
import re
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import UndefinedStatusCode
from transforms import apply_transforms

from airflow_client_ext import AirflowClient, TokenAuth
from airflow_client_ext.testing import AirflowInstance

ROOT = Path(__file__).resolve().parents[2]
SPECS = {"v1": ROOT / "openapi" / "airflow-v1.yaml", "v2": ROOT / "openapi" / "airflow-v2.yaml"}
PACKAGES = {"v1": "airflow_client_ext_v1", "v2": "airflow_client_ext_v2"}
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance")

#: (server version prefix, "METHOD /path" as in the spec ("*": any), what failed) -> why
#: it is not the client's matter
EXPLAINED: dict[tuple[str, str, str], str] = {
    ("", "*", "status_code_conformance: Undocumented status code 400"): (
        "generated junk in query parameters (an unknown order_by or field name, a malformed "
        "date) gets 400 where "
        "the specs document only 422 (v2) or nothing (v1); the client maps any 4xx to its "
        "typed error (BadRequestError), so an undocumented 4xx costs the client nothing"
    ),
    ("3.", "GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/wait", "content_type_conformance"): (
        "the /wait stream (a StreamingResponse) is sent without a Content-Type header; the "
        "client asks for application/x-ndjson and reads it line by line whatever the header"
    ),
}

#: (server version prefix, a pattern of the request sent) -> why its 5xx is not the client's
#: matter: the server's 500s that only a PostgreSQL database (the suite's) shows
SERVER_ERRORS_BY_REQUEST: dict[tuple[str, str], str] = {
    ("", r"[?&][^=&]+=[^&]*%00"): (
        "a NUL character in a string query parameter: PostgreSQL refuses NUL in text ('A "
        "string literal cannot contain NUL (0x00) characters') and Airflow passes the filter "
        "on unchecked, so it answers 500 (SQLite just finds nothing)"
    ),
    ("2.", r"/taskInstances\?(.*&)?limit=-"): (
        "Airflow 2's task instance list lets a negative limit through to the database (its "
        "other lists answer 400 'Page limit must be a positive integer'); PostgreSQL refuses "
        "it ('LIMIT must not be negative'): 500. Our paging never sends one"
    ),
}
_SERVER_ERRORS = ("not_a_server_error", "status_code_conformance: Undocumented status code 5")

#: GETs not sent, with why (as the matrix sweep leaves them out)
NOT_SENT = {
    "GET /api/v2/auth/login": "the browser login: a 307 to the auth manager's page",
    "GET /api/v2/auth/logout": (
        "the browser logout revokes the token it is called with (3.3.2 answered every later "
        "call of the session 403 'Invalid JWT token')"
    ),
}


def examples_per_operation(config: pytest.Config) -> int:
    return int(config.getoption("schemathesis_examples"))


@dataclass
class Findings:
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    deserialized: int = 0
    mismatches: dict[tuple[str, str], str] = field(default_factory=dict)
    explained: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, version: str, label: str, what: str, detail: str) -> None:
        for (prefix, op, kind), why in EXPLAINED.items():
            if version.startswith(prefix) and op in ("*", label) and what.startswith(kind):
                self.explained[(label, what)] = why
                return
        request = detail.split(" -> ", 1)[0]
        for (prefix, pattern), why in SERVER_ERRORS_BY_REQUEST.items():
            if (
                version.startswith(prefix)
                and what.startswith(_SERVER_ERRORS)
                and re.search(pattern, request)
            ):
                self.explained[(label, what)] = why
                return
        self.mismatches.setdefault((label, what), detail[:600])


def known_values(server: AirflowInstance) -> dict[str, Any]:
    """Path parameters that name real things: a finished run of xcom_push and its task."""
    auth = TokenAuth(server.username, server.password)
    with AirflowClient(server.url, auth=auth) as client:
        client.wait_for_dag("xcom_push", timeout=300, unpause=True)
        run = client.trigger_and_wait("xcom_push", timeout=300)
        pools = client.api("PoolApi")
        pool = pools.get_pools(limit=1).pools[0].name
    return {
        "dag_id": run.dag_id,
        "dag_run_id": run.run_id,
        "run_id": run.run_id,
        "task_id": "push",
        "try_number": 1,
        "task_try_number": 1,
        "map_index": -1,
        "xcom_key": "return_value",
        "pool_name": pool,
    }


def response_model(spec: dict[str, Any], path: str) -> str | None:
    """The component name of a GET's 200 JSON answer, if it is a reference."""
    responses = spec["paths"][path]["get"].get("responses", {})
    content = responses.get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return str(ref.rsplit("/", 1)[-1]) if ref else None


def deserializer(api_version: str, spec: dict[str, Any]) -> Callable[[str, str], Any]:
    """Reads an answer the way the generated method does: into the component's model class,
    or, for a component that is a map (no model class), into ``Dict[str, ...]``."""
    package = importlib.import_module(PACKAGES[api_version])
    api_client = package.ApiClient(package.Configuration(host="http://unused"))
    schemas = spec["components"]["schemas"]

    def read(text: str, model: str) -> Any:
        class_name = re.sub(r"[^0-9A-Za-z]", "", model)
        schema = schemas.get(model, {})
        if not hasattr(package.models, class_name) and "additionalProperties" in schema:
            values = schema["additionalProperties"]
            value_type = "str" if values.get("type") == "string" else "object"
            return api_client.deserialize(text, f"Dict[str, {value_type}]", "application/json")
        return api_client.deserialize(text, class_name, "application/json")

    return read


def test_every_get_answer_fits_the_spec_and_the_generated_models(
    airflow_server: AirflowInstance, request: pytest.FixtureRequest
) -> None:
    examples = examples_per_operation(request.config)
    api_version = airflow_server.api_version
    spec = apply_transforms(api_version, yaml.safe_load(SPECS[api_version].read_text()))
    schema = schemathesis.openapi.from_dict(spec)
    known = known_values(airflow_server)
    read = deserializer(api_version, spec)
    headers = airflow_server.auth_headers()
    # v1's paths are relative to its server entry (/api/v1); v2's paths carry /api/v2
    base_url = airflow_server.url + (spec["servers"][0]["url"] if api_version == "v1" else "")
    findings = Findings()
    version = airflow_server.version
    started = time.monotonic()
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]
    schema_check = schemathesis.checks.response_schema_conformance
    operations = [result.ok() for result in schema.get_all_operations()]
    gets = [
        op for op in operations if op.method.upper() == "GET" and f"GET {op.path}" not in NOT_SENT
    ]
    assert len(gets) > 30, "the spec's GET operations were not found"

    def probe_for(operation: Any) -> Callable[[], None]:
        label = f"GET {operation.path}"
        names = {p.name for p in operation.path_parameters}
        strategy = operation.as_strategy(
            path_parameters={name: known[name] for name in names if name in known}
        )

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def probe(case: Any) -> None:
            try:
                response = case.call(base_url=base_url, headers=headers, timeout=60)
            except Exception as exc:  # a transport failure is a finding too
                findings.add(version, label, "transport", repr(exc))
                return
            findings.requests += 1
            findings.statuses[f"{response.status_code // 100}xx"] += 1
            content_type = " ".join(response.headers.get("content-type", []))
            json_200 = response.status_code == 200 and "json" in content_type
            for check in checks + ([schema_check] if json_200 else []):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        case.validate_response(response, checks=[check])
                except FailureGroup as group:
                    for failure in group.exceptions:
                        what = f"{check.__name__}: {failure.title}"
                        if isinstance(failure, UndefinedStatusCode):
                            what += f" {failure.status_code}"
                        request = f"GET {response.request.url}"
                        findings.add(
                            version,
                            label,
                            what,
                            f"{request} -> {response.status_code}: {response.text[:300]}",
                        )
            model = response_model(spec, operation.path) if json_200 else None
            if model is None:
                return
            try:
                read(response.text, model)
                findings.deserialized += 1
            except Exception as exc:
                findings.add(version, label, "generated model", f"{model}: {exc!r}")

        return probe

    for operation in gets:
        probe_for(operation)()

    seconds = time.monotonic() - started
    print(
        f"schemathesis on Airflow {version}: {len(gets)} GET operations, {examples} examples "
        f"each, {findings.requests} requests ({dict(findings.statuses)}), "
        f"{findings.deserialized} answers read by the generated models, "
        f"{len(findings.mismatches)} unexplained and {len(findings.explained)} explained "
        f"mismatches, {seconds:.0f} s"
    )
    for (label, what), why in sorted(findings.explained.items()):
        print(f"  explained: {label} {what}: {why}")
    report = json.dumps(
        {f"{label} [{what}]": detail for (label, what), detail in findings.mismatches.items()},
        indent=1,
    )
    assert not findings.mismatches, f"unexplained mismatches on Airflow {version}:\n{report}"
    assert findings.requests >= len(gets)
    assert findings.deserialized > 10
