"""The API's mask for a value it will not show (``***``), found in values and JSON texts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .models import MASK


def has_mask(value: Any) -> bool:
    """True if a value (or a JSON document in a string) holds the API's mask ``***``."""
    if value is None:
        return False
    if isinstance(value, str):
        if value == MASK:
            return True
        if MASK not in value:
            return False
        try:
            return has_mask(json.loads(value)) if value.strip()[:1] in "[{" else False
        except ValueError:
            return False
    if isinstance(value, Mapping):
        return any(has_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(has_mask(v) for v in value)
    return False


def masked_keys(extra: str | None) -> list[str]:
    """The keys of a connection's ``extra`` JSON whose values the API masked."""
    if not extra:
        return []
    try:
        doc = json.loads(extra)
    except ValueError:
        return [] if not has_mask(extra) else ["(extra)"]
    if not isinstance(doc, Mapping):
        return []
    return sorted(str(k) for k, v in doc.items() if has_mask(v))
