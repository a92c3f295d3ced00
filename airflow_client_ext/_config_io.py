"""Export and import of configuration: variables, pools and connections as a JSON-able
document (:meth:`export_config`), applied to a server of either major (:meth:`import_config`).

Secrets the API never shows (passwords, masked values and keys) are listed under
``"missing"`` and never written back. What to do with each item is decided by
:mod:`airflow_client_ext._compare`, the comparison :mod:`airflow_client_ext.migration` uses
too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any

from . import _checks
from ._compare import KINDS, Kind, Words, desired, differing, normal, sync
from ._http import safe_url
from ._masks import has_mask, masked_keys
from ._versions import CONNECTION_FIELDS
from ._workflow_base import _WorkflowBase
from ._writes import Failure
from .errors import InvalidArgumentError
from .models import CONFIG_FORMAT, CONFIG_FORMAT_VERSION, ConfigItem, ImportReport

logger = logging.getLogger("airflow_client_ext.workflows")

IMPORT_MODES = ("upsert", "skip-existing")
#: Writes in flight at once by default (on Airflow 3 the writes go in bulk requests instead).
IMPORT_WORKERS = 4

_KINDS = KINDS
_WORDS = Words(
    here="the server",
    masked="masked by the API",
    lacking="does not exist and the document lacks its {fields} (not exported: a masked value)",
    not_shown="the server does not show them (overwrite_secrets=True writes them)",
)
_normal = normal
_differing = differing


def _desired(
    spec: Kind, raw: Mapping[str, Any], listed_missing: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to manage for one item of a document, and those it cannot supply."""
    return desired(spec, raw, listed_missing, _WORDS.masked)


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
        workers: int = IMPORT_WORKERS,
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
        - Writes go in bulk requests on Airflow 3 (a few hundred items each), one request
          per item on Airflow 2, ``workers`` of them in flight at once (default 4; 1 sends
          them one after another).
        - A write the server refuses is raised (its
          :class:`~airflow_client_ext.errors.ApiError`; each refused item is also logged by
          name) once the writes in flight with it are done; nothing after them is written.
          Importing again completes the rest.
        """
        _check_document(doc)
        _checks.check_choice("mode", mode, IMPORT_MODES)
        _checks.check_flag("dry_run", dry_run)
        _checks.check_flag("overwrite_secrets", overwrite_secrets)
        _checks.check_int("workers", workers, minimum=1, maximum=32, meaning="writes in flight")
        adapter = self._adapter()
        missing_by_item: dict[tuple[str, str], dict[str, str]] = {}
        for entry in doc.get("missing") or ():
            if isinstance(entry, Mapping):
                key = (str(entry.get("kind")), str(entry.get("name")))
                missing_by_item.setdefault(key, {})[str(entry.get("field"))] = str(
                    entry.get("reason", "")
                )
        recorder = _Outcomes()
        for spec in _KINDS:
            items = doc.get(spec.section)
            if items is None:
                continue
            listing: Callable[[], Iterator[dict[str, Any]]] = getattr(adapter, spec.section)
            existing = {str(item[spec.id_field]): item for item in listing()}
            sync(
                spec,
                items,
                existing,
                adapter,
                recorder,
                mode=mode,
                dry_run=dry_run,
                workers=workers,
                words=_WORDS,
                listed=partial(_listed, missing_by_item, spec),
                overwrite_secrets=overwrite_secrets,
            )
        return ImportReport(
            **{name: tuple(items) for name, items in recorder.items.items()},
            mode=mode,
            dry_run=dry_run,
        )


class _Outcomes:
    """The recorder of an import: the items by outcome; a refused write is raised."""

    def __init__(self) -> None:
        self.items: dict[str, list[ConfigItem]] = {name: [] for name in ImportReport.OUTCOMES}

    def decided(self, outcome: str, item: ConfigItem) -> None:
        self.items[outcome].append(item)

    def written(self, results: list[tuple[str, ConfigItem, Failure]], stopped: bool) -> None:
        refused: Failure = None
        for outcome, item, failure in results:
            if failure is None:
                self.items[outcome].append(item)
                continue
            logger.warning("%s %r was not written: %s", item.kind, item.name, failure)
            refused = refused or failure
        if refused is not None and not stopped:  # else the error that stopped them is raised
            raise refused


def _listed(
    missing_by_item: Mapping[tuple[str, str], Mapping[str, str]],
    spec: Kind,
    raw: Mapping[str, Any],
) -> Mapping[str, str]:
    """The fields of one item that the document's ``"missing"`` list names, with why."""
    return missing_by_item.get((spec.kind, str(raw[spec.id_field])), {})


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
        seen: dict[str, int] = {}
        for index, raw in enumerate(items):
            where = f"{spec.section}[{index}]"
            if not isinstance(raw, Mapping):
                _checks.fail(where, f"an object with a {spec.id_field!r}", raw)
            name = _checks.check_id(f"{where}.{spec.id_field}", raw.get(spec.id_field), path=False)
            if name in seen:  # written twice in one import: which one would win?
                raise InvalidArgumentError(
                    f"{where}.{spec.id_field}: {name!r} is in the document twice (also at "
                    f"{spec.section}[{seen[name]}]); keep one"
                )
            seen[name] = index
