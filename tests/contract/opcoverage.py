"""Which spec operations the contract suite exercised against a real server, and why not.

An operation counts as exercised when a generated client called it against a real Airflow and
got a 2xx answer that it deserialized. ``NOT_EXERCISED`` gives, for each operation that the
suite deliberately leaves out, the reason; the summary shows "no test yet" for the others.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_FILES = {"v1": "openapi/airflow-v1.yaml", "v2": "openapi/airflow-v2.yaml"}

#: spec id -> {(METHOD, path template): reason it is not exercised}
NOT_EXERCISED: dict[str, dict[tuple[str, str], str]] = {
    "v1": {
        ("GET", "/config"): (
            "403 on the harness's servers ([webserver] expose_config is False by default and "
            "the plugin cannot pass extra_env); test_config_is_exposed_only_when_configured "
            "asserts the 403 there and exercises it against a server that exposes its config "
            "(--airflow-url)"
        ),
        ("GET", "/config/section/{section}/option/{option}"): (
            "403 on the harness's servers, as GET /config (same test)"
        ),
        ("POST", "/connections/test"): (
            "403 on the harness's servers ([core] test_connection is Disabled by default); "
            "test_connection_testing_only_when_enabled asserts the 403 there and exercises it "
            "against a server with test_connection = Enabled (--airflow-url)"
        ),
    },
    "v2": {
        ("GET", "/api/v2/config"): (
            "403 on the harness's servers ([api] expose_config is off and the plugin cannot set "
            "config); test_config_is_exposed_only_when_configured asserts the 403 there and "
            "exercises it against a server that exposes its config (--airflow-url)"
        ),
        ("GET", "/api/v2/config/section/{section}/option/{option}"): (
            "403 on the harness's servers, as GET /api/v2/config (same test)"
        ),
        ("POST", "/api/v2/connections/test"): (
            "403 on the harness's servers ([core] test_connection is Disabled by default); "
            "test_connection_testing_only_when_enabled asserts the 403 there and exercises it "
            "against a server with test_connection = Enabled (--airflow-url)"
        ),
        ("POST", "/api/v2/connections/enqueue-test"): (
            "403 on the harness's servers, as POST /api/v2/connections/test (same test)"
        ),
        ("GET", "/api/v2/connections/enqueue-test"): (
            "needs the token of an enqueued connection test, which only a server with "
            "[core] test_connection = Enabled hands out (same test)"
        ),
        (
            "GET",
            "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}"
            "/externalLogUrl/{try_number}",
        ): (
            "400 'Task log handler does not support external logs': needs a remote log handler "
            "with external links (Elasticsearch/OpenSearch); "
            "test_external_log_url_needs_a_remote_log_handler asserts the 400"
        ),
    },
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tag: str


def spec_operations(spec_id: str) -> list[Operation]:
    spec = yaml.safe_load((ROOT / SPEC_FILES[spec_id]).read_text())
    # v1 paths are relative to its server URL (/api/v1), as the generated client's are
    return [
        Operation(
            method.upper(),
            path,
            item[method].get("operationId", ""),
            (item[method].get("tags") or ["(untagged)"])[0],
        )
        for path, item in spec["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


@dataclass
class CoverageRecorder:
    hits: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    used_specs: set[str] = field(default_factory=set)

    def hit(self, spec_id: str, method: str, path: str) -> None:
        self.hits[spec_id].add((method.upper(), path))

    def report(self, spec_id: str) -> tuple[float, list[str]]:
        operations = spec_operations(spec_id)
        done = self.hits.get(spec_id, set())
        by_tag: dict[str, list[Operation]] = defaultdict(list)
        for op in operations:
            by_tag[op.tag].append(op)
        exercised = sum(1 for op in operations if (op.method, op.path) in done)
        ratio = exercised / len(operations)
        lines = [
            f"{spec_id}: {exercised}/{len(operations)} operations exercised ({ratio:.0%})",
            f"  {'tag':28s} {'exercised':>9s}",
        ]
        for tag in sorted(by_tag):
            ops = by_tag[tag]
            count = sum(1 for op in ops if (op.method, op.path) in done)
            lines.append(f"  {tag:28s} {count:>4d}/{len(ops):<4d}")
        missing = [op for op in operations if (op.method, op.path) not in done]
        if missing:
            lines.append("  not exercised:")
            reasons = NOT_EXERCISED.get(spec_id, {})
            for op in missing:
                reason = reasons.get((op.method, op.path), "no test yet")
                lines.append(f"    {op.method:6s} {op.path}  ({op.operation_id}): {reason}")
        return ratio, lines


RECORDER = CoverageRecorder()
