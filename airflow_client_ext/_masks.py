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


#: Airflow's default ``[core] sensitive_var_conn_names`` rule: a variable key or a key of a
#: connection's extra is sensitive when its lower-cased name contains one of these.
SENSITIVE_NAMES = frozenset({
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "secret",
    "token",
    "keyfile_dict",
    "service_account",
})  # fmt: skip


def is_sensitive(name: Any) -> bool:
    """True if Airflow would hide the value of a key named ``name`` (see SENSITIVE_NAMES)."""
    lowered = str(name).lower()
    return any(word in lowered for word in SENSITIVE_NAMES)


def mask_sensitive(value: Any) -> Any:
    """``value`` (a dict, a list, or JSON text of one) with the values of sensitive keys
    replaced by the mask, at any depth; anything else unchanged."""
    if isinstance(value, str):
        if value.strip()[:1] not in ("{", "["):
            return value
        try:
            doc = json.loads(value)
        except ValueError:
            return value
        masked = mask_sensitive(doc)
        return value if masked == doc else json.dumps(masked)
    if isinstance(value, Mapping):
        return {
            k: (MASK if is_sensitive(k) and v not in (None, "") else mask_sensitive(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_sensitive(v) for v in value]
    return value


#: Configuration options whose values are secrets although their names say nothing of it
#: (Airflow's own list of sensitive configuration values holds them).
SENSITIVE_OPTIONS = frozenset({
    "fernet_key",
    "sql_alchemy_conn",
    "broker_url",
    "result_backend",
    "flower_basic_auth",
    "secret_key",
    "jwt_secret",
})  # fmt: skip


def is_sensitive_option(option: Any) -> bool:
    """True if the value of configuration option ``option`` is a secret (by name)."""
    lowered = str(option).lower()
    return (
        lowered in SENSITIVE_OPTIONS
        or lowered.endswith(("_cmd", "_secret"))
        or is_sensitive(lowered)
    )
