"""Export and import of configuration: variables, pools and connections as a JSON-able
document (:meth:`export_config`), applied to a server of either major (:meth:`import_config`).

Secrets the API never shows (passwords, masked values and keys) are listed under
``"missing"`` and never written back; the comparison helpers (``_normal``, ...) are shared
with :mod:`airflow_client_ext.migration`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import _checks
from ._http import safe_url
from ._versions import (
    CONNECTION_FIELDS,
    POOL_FIELDS,
    VARIABLE_FIELDS,
    VersionAdapter,
    has_mask,
    masked_keys,
)
from ._workflow_base import _WorkflowBase
from .errors import InvalidArgumentError
from .models import CONFIG_FORMAT, CONFIG_FORMAT_VERSION, ImportItem, ImportReport

IMPORT_MODES = ("upsert", "skip-existing")


def _normal(kind: str, name: str, value: Any) -> Any:
    """A field's value as compared: "" and None alike for optional text, JSON text parsed."""
    if value == "" and name not in ("value",):
        return None
    if name in ("value", "extra") and isinstance(value, str):
        try:
            return ("json", json.loads(value))
        except ValueError:
            return ("text", value)
    return value


def _extra_object(extra: Any) -> dict[str, Any] | None:
    """A connection's extra (JSON text) as a dict, or None if it is not a JSON object."""
    if not isinstance(extra, str):
        return None
    try:
        doc = json.loads(extra)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _without_masked(extra: Any) -> Any:
    """A connection's extra (JSON text) without the keys whose values are masked."""
    doc = _extra_object(extra)
    if doc is None:
        return extra
    return json.dumps({k: v for k, v in doc.items() if not has_mask(v)}, sort_keys=True)


@dataclass(frozen=True)
class _Kind:
    """How one section of an export document maps to the server."""

    kind: str  # "variable"
    section: str  # "variables"
    id_field: str  # "key"
    fields: tuple[str, ...]  # managed fields, id excluded
    required: tuple[str, ...]  # needed to create one


_KINDS = (
    _Kind("pool", "pools", "name", POOL_FIELDS[1:], ("slots",)),
    _Kind("variable", "variables", "key", VARIABLE_FIELDS[1:], ("value",)),
    _Kind("connection", "connections", "connection_id", CONNECTION_FIELDS[1:], ("conn_type",)),
)


class _ConfigWorkflows(_WorkflowBase):
    """Export and import of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

    # -- export / import --------------------------------------------------------------------
    def export_config(
        self, variables: bool = True, pools: bool = True, connections: bool = True
    ) -> dict[str, Any]:
        """Variables, pools and connections as a JSON-able document for :meth:`import_config`
        (on this server or another one, of either major).

        Values the API does not return (connection passwords; on Airflow 3 the values of
        sensitive variables; masked keys of a connection's extra) are left out of the item
        and listed under ``"missing"``: they are never written back as empty or as ``***``.
        """
        for name, flag in (
            ("variables", variables),
            ("pools", pools),
            ("connections", connections),
        ):
            _checks.check_flag(name, flag)
        client = self._client
        adapter = self._adapter()
        doc: dict[str, Any] = {
            "format": CONFIG_FORMAT,
            "version": CONFIG_FORMAT_VERSION,
            "exported_at": datetime.now(timezone.utc).isoformat(),
            "source": {
                "url": safe_url(client.base_url),
                "api_version": client.api_version,
                "airflow_version": client.server_version,
            },
        }
        missing: list[dict[str, str]] = []
        if pools:
            doc["pools"] = sorted(adapter.pools(), key=lambda p: str(p["name"]))
        if variables:
            items = []
            for var in sorted(adapter.variables(), key=lambda v: str(v["key"])):
                item = {"key": var["key"], "description": var.get("description")}
                if has_mask(var.get("value")):
                    missing.append(
                        _missing(
                            "variable",
                            var["key"],
                            "value",
                            "masked by the API (a sensitive key or value)",
                        )
                    )
                else:
                    item["value"] = var.get("value")
                items.append(item)
            doc["variables"] = items
        if connections:
            conns = []
            for conn in sorted(adapter.connections(), key=lambda c: str(c["connection_id"])):
                name = conn["connection_id"]
                item = {k: conn.get(k) for k in CONNECTION_FIELDS if k != "password"}
                if "password" not in conn:
                    missing.append(
                        _missing(
                            "connection",
                            name,
                            "password",
                            f"Airflow {client.server_version}'s API never returns passwords "
                            "(whether one is set is unknown)",
                        )
                    )
                elif has_mask(conn["password"]):
                    missing.append(
                        _missing(
                            "connection", name, "password", "set, but the API does not return it"
                        )
                    )
                elif conn["password"] is not None:
                    item["password"] = conn["password"]
                hidden = masked_keys(conn.get("extra"))
                if hidden:
                    missing.append(
                        _missing(
                            "connection",
                            name,
                            "extra",
                            "masked by the API: " + ", ".join(hidden),
                        )
                    )
                conns.append(item)
            doc["connections"] = conns
        doc["missing"] = missing
        return doc

    def import_config(
        self,
        doc: Mapping[str, Any],
        mode: str = "upsert",
        dry_run: bool = False,
        *,
        overwrite_secrets: bool = False,
    ) -> ImportReport:
        """Make this server hold the variables, pools and connections of ``doc`` (from
        :meth:`export_config`, or written by hand in the same format).

        - ``mode="upsert"`` creates what is missing and updates what differs (only the
          fields that differ); ``mode="skip-existing"`` never touches an existing item.
        - Idempotent: a second import of the same document changes nothing (everything is
          ``unchanged``). Values compare by meaning (JSON text by its parsed value).
        - A value the document lacks (a secret the source API never returned) is never
          written: the item is created without it, or left as it is, and the report lists it
          under ``missing``. A variable without its value cannot be created: ``skipped``.
        - A secret the document does carry but the server does not show (an existing
          connection's password; on Airflow 3 a sensitive variable's value or a masked key
          of an extra) cannot be compared: it is written when the item is created, and left
          alone on an existing item (noted in the item's ``reason``) unless
          ``overwrite_secrets=True``, which writes it (``updated``) on every import.
        - ``dry_run=True`` reads everything, writes nothing and reports what would happen.
        """
        _check_document(doc)
        _checks.check_choice("mode", mode, IMPORT_MODES)
        _checks.check_flag("dry_run", dry_run)
        _checks.check_flag("overwrite_secrets", overwrite_secrets)
        adapter = self._adapter()
        missing_by_item: dict[tuple[str, str], dict[str, str]] = {}
        for entry in doc.get("missing") or ():
            if isinstance(entry, Mapping):
                key = (str(entry.get("kind")), str(entry.get("name")))
                missing_by_item.setdefault(key, {})[str(entry.get("field"))] = str(
                    entry.get("reason", "")
                )
        outcome: dict[str, list[ImportItem]] = {
            "created": [],
            "updated": [],
            "unchanged": [],
            "skipped": [],
            "missing": [],
        }
        for spec in _KINDS:
            items = doc.get(spec.section)
            if items is None:
                continue
            self._import_kind(
                adapter, spec, items, missing_by_item, mode, dry_run, overwrite_secrets, outcome
            )
        return ImportReport(
            created=tuple(outcome["created"]),
            updated=tuple(outcome["updated"]),
            unchanged=tuple(outcome["unchanged"]),
            skipped=tuple(outcome["skipped"]),
            missing=tuple(outcome["missing"]),
            mode=mode,
            dry_run=dry_run,
        )

    def _import_kind(
        self,
        adapter: VersionAdapter,
        spec: _Kind,
        items: list[Any],
        missing_by_item: Mapping[tuple[str, str], Mapping[str, str]],
        mode: str,
        dry_run: bool,
        overwrite_secrets: bool,
        outcome: dict[str, list[ImportItem]],
    ) -> None:
        listing: Callable[[], Iterator[dict[str, Any]]] = getattr(adapter, spec.section)
        existing = {str(item[spec.id_field]): item for item in listing()}
        create = getattr(adapter, f"create_{spec.kind}")
        update = getattr(adapter, f"update_{spec.kind}")
        for raw in items:
            name = str(raw[spec.id_field])
            desired, unknown = _desired(spec, raw, missing_by_item.get((spec.kind, name), {}))
            current = existing.get(name)
            for field_name, reason in unknown.items():
                fate = (
                    "not created"
                    if current is None and field_name in spec.required
                    else (
                        "created without it: set it on the server"
                        if current is None
                        else "left as it is on the server"
                    )
                )
                outcome["missing"].append(
                    ImportItem(spec.kind, name, (field_name,), f"{reason}; {fate}")
                )
            if current is None:
                lacking = [f for f in spec.required if desired.get(f) is None]
                if lacking:
                    outcome["skipped"].append(
                        ImportItem(
                            spec.kind,
                            name,
                            tuple(lacking),
                            "does not exist and the document lacks its "
                            + ", ".join(lacking)
                            + " (not exported: a masked value)",
                        )
                    )
                    continue
                if not dry_run:
                    to_create = dict(desired)
                    if has_mask(to_create.get("extra")):  # never store the mask itself
                        to_create["extra"] = _without_masked(to_create["extra"])
                    create(to_create)
                written = tuple(f for f in spec.fields if f in desired)
                outcome["created"].append(ImportItem(spec.kind, name, written, "created"))
                continue
            differing, unverifiable = _differing(spec, desired, current)
            if overwrite_secrets:
                differing, unverifiable = differing + unverifiable, []
            note = (
                "; not compared, the server does not show them (overwrite_secrets=True "
                "writes them): " + ", ".join(unverifiable)
                if unverifiable
                else ""
            )
            if not differing:
                outcome["unchanged"].append(ImportItem(spec.kind, name, (), "unchanged" + note))
            elif mode == "skip-existing":
                outcome["skipped"].append(
                    ImportItem(
                        spec.kind,
                        name,
                        tuple(differing),
                        "exists (mode=skip-existing); differs" + note,
                    )
                )
            else:
                if not dry_run:
                    update(desired, current, differing)
                outcome["updated"].append(
                    ImportItem(spec.kind, name, tuple(differing), "updated" + note)
                )


def _missing(kind: str, name: str, field_name: str, reason: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "field": field_name, "reason": reason}


def _check_document(doc: Any) -> None:
    if not isinstance(doc, Mapping):
        raise InvalidArgumentError(
            f"not an export document: a dict is expected, not {type(doc).__name__}"
        )
    if doc.get("format") != CONFIG_FORMAT:
        raise InvalidArgumentError(
            f"not an export document of airflow-client-ext: format is {doc.get('format')!r}, "
            f"expected {CONFIG_FORMAT!r}"
        )
    version = doc.get("version")
    if not isinstance(version, int) or not 1 <= version <= CONFIG_FORMAT_VERSION:
        raise InvalidArgumentError(
            f"export document version {version!r} is not supported (this client reads up to "
            f"{CONFIG_FORMAT_VERSION})"
        )
    for spec in _KINDS:  # every item, before anything is read or written
        items = doc.get(spec.section)
        if items is None:
            continue
        if not isinstance(items, list):
            raise InvalidArgumentError(
                f"the document's {spec.section!r} must be a list, not {type(items).__name__}"
            )
        for index, raw in enumerate(items):
            where = f"{spec.section}[{index}]"
            if not isinstance(raw, Mapping):
                _checks.fail(where, f"an object with a {spec.id_field!r}", raw)
            _checks.check_id(f"{where}.{spec.id_field}", raw.get(spec.id_field), path=False)


def _desired(
    spec: _Kind, raw: Mapping[str, Any], listed_missing: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to manage for one item, and those the document cannot supply (secrets
    that were not exported, masked values) with why."""
    desired: dict[str, Any] = {spec.id_field: raw[spec.id_field]}
    unknown = dict(listed_missing)
    for name in spec.fields:
        if name not in raw:
            continue
        value = raw[name]
        if name == "extra" and isinstance(value, str) and has_mask(value):
            keys = masked_keys(value)
            unknown.setdefault("extra", "masked by the API: " + ", ".join(keys))
            desired["extra"] = value  # compared without the masked keys; never written back
            continue
        if has_mask(value):
            unknown.setdefault(name, "masked by the API")
            continue
        desired[name] = value
    return desired, unknown


def _differing(
    spec: _Kind, desired: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The managed fields whose values differ, and those that cannot be compared because
    the server does not show its current value (a password, a masked value).

    Fields the server does not report at all (include_deferred on old servers) are not
    compared; a field whose wanted value is masked is never written (it would store the
    mask), so it is not compared either.
    """
    differing: list[str] = []
    unverifiable: list[str] = []
    for name in spec.fields:
        if name not in desired:
            continue
        wanted = desired[name]
        if name == "password":
            if "password" in current and current["password"] is None:  # none set: known
                if wanted is not None:
                    differing.append(name)
            else:  # never returned (Airflow 2) or masked (Airflow 3)
                unverifiable.append(name)
            continue
        if name not in current:
            continue
        have = current[name]
        if has_mask(wanted):
            continue
        if name == "extra" and has_mask(have):
            hidden = set(masked_keys(have))
            wanted_shown, have_shown = _drop_keys(wanted, hidden), _drop_keys(have, hidden)
            if _normal(spec.kind, name, wanted_shown) != _normal(spec.kind, name, have_shown):
                differing.append(name)
            elif hidden & _json_keys(wanted):
                unverifiable.append(name)
            continue
        if has_mask(have):
            unverifiable.append(name)
            continue
        if _normal(spec.kind, name, wanted) != _normal(spec.kind, name, have):
            differing.append(name)
    return differing, unverifiable


def _json_keys(extra: Any) -> set[str]:
    """The top-level keys of a connection's extra (JSON text), if it is a JSON object."""
    doc = _extra_object(extra)
    return {str(k) for k in doc} if doc is not None else set()


def _drop_keys(extra: Any, keys: set[str]) -> Any:
    """A connection's extra (JSON text) without some keys."""
    doc = _extra_object(extra) if keys else None
    if doc is None:
        return extra
    return json.dumps({k: v for k, v in doc.items() if k not in keys}, sort_keys=True)
