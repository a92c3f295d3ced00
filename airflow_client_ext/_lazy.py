"""Lazy exports for a package's ``__init__``: a name's module is imported on first use.

Keeps ``import airflow_client_ext`` (and ``.testing``) cheap: the generated clients, the
harness and the optional extras load only when one of their names is touched.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, str], namespace: dict[str, Any], exported: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    ``modules`` maps each lazy name to the (relative) module defining it; a loaded value is
    kept in ``namespace`` (the package's ``globals()``) so the lookup happens once.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(exported)

    return __getattr__, __dir__
