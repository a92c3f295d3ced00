"""Spec transforms: fixes to the upstream specs, applied as code before generation.

The specs in ``openapi/`` stay byte-for-byte as upstream ships them. Each defect that makes
the generated client wrong is fixed here by one named function that edits an in-memory copy
of the spec, so the fix survives every regeneration. Each transform:

- takes the parsed spec (a dict) and changes it in place;
- is idempotent (running it twice changes nothing more);
- says in its docstring which defect it fixes and how it was observed;
- has a unit test on a small spec fragment in ``tests/unit/test_transforms.py``.

To add one: write the function in the module of its spec (``airflow_v1.py``,
``airflow_v2.py``, ``common.py`` for several, ``compat.py`` for tolerance of other server
releases), decorate it with ``@transform("v1")`` (or
``"v2"``, or several spec ids), and add its test. The registry keeps the order of
registration (common first, then per spec, each in definition order), which is the order of
application.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

Spec = dict[str, Any]
Transform = Callable[[Spec], None]

#: spec id -> ordered list of transforms applied to it by ``scripts/generate.py``.
REGISTRY: dict[str, list[Transform]] = {}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Vendor extension read by our template override of ``model_generic.mustache``: the field
#: is sent as JSON ``null`` when the caller leaves it unset.
SEND_NULL_WHEN_UNSET = "x-send-null-when-unset"

#: Vendor extension read by our template overrides: on an enum schema
#: (``model_enum.mustache``) the enum class keeps a value it does not know as a pseudo-member;
#: on a property with an inline enum (``model_generic.mustache``) the model does not check the
#: value against the enum.
TOLERATE_UNKNOWN_VALUES = "x-tolerate-unknown-values"


def transform(*spec_ids: str) -> Callable[[Transform], Transform]:
    """Register a transform for the given spec ids, in definition order."""

    def register(func: Transform) -> Transform:
        for spec_id in spec_ids:
            REGISTRY.setdefault(spec_id, []).append(func)
        return func

    return register


def apply_transforms(spec_id: str, spec: Spec, *, until: Transform | None = None) -> Spec:
    """Return a transformed deep copy of ``spec``; the input is left untouched.

    With ``until``, only the transforms registered before that one are applied (a transform
    that compares the spec with older releases' specs prepares those with it).
    """
    result = copy.deepcopy(spec)
    for func in REGISTRY.get(spec_id, []):
        if func is until:
            break
        func(result)
    return result


# --------------------------------------------------------------------------- helpers


def iter_operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, method, operation) for every operation of the spec."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def iter_schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every dict in the tree (depth first, parents before children)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from iter_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_schemas(value)


def is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def is_nullable(schema: dict[str, Any]) -> bool:
    return bool(schema.get("nullable")) or any(is_null_schema(s) for s in schema.get("anyOf", []))


# The modules register their transforms on import, in this order. ``compat`` comes last: its
# transforms compare the result of all the others with older releases' specs.
from . import common, airflow_v1, airflow_v2, compat  # noqa: E402, F401, I001
