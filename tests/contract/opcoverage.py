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
    "v1": {},
    "v2": {},
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
