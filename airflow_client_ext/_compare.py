"""What to do with each variable, pool or connection that an import or a migration brings:
the one comparison of :meth:`~airflow_client_ext.client.AirflowClient.import_config` and
:func:`~airflow_client_ext.migration.migrate`.

For each item, :func:`decide` answers one of:

- ``created``: the server lacks it (written without the secrets the source did not give);
- ``updated``: it differs (``fields`` names the fields that do: only those are written);
- ``unchanged``: it is equal, or differs only in what the server does not show (a password,
  a masked value: noted in the reason, never written unless asked to);
- ``skipped``: it exists and ``mode="skip-existing"``, or it cannot be created without a
  value the source did not give (a masked variable value);

and, for each secret the source did not give, a ``missing`` item saying what was done
instead. :func:`sync` applies the decisions of one kind through the adapter's
``write_items`` and hands each outcome to the workflow's recorder, batch after batch.

Values compare by meaning: JSON text by its parsed value, ``""`` and None alike for optional
text, ``include_deferred`` None as False. A value that holds the API's mask ``***`` is never
written (it would store the mask) and never compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ._masks import has_mask, masked_keys
from ._versions import CONNECTION_FIELDS, POOL_FIELDS, VARIABLE_FIELDS, VersionAdapter
from ._writes import Failure, Write
from .models import ConfigItem


@dataclass(frozen=True)
class Kind:
    """One kind of item: how it is named and which of its fields are managed."""

    kind: str  # "variable"
    section: str  # "variables": its list in an export document, its name in ``what``
    id_field: str  # "key"
    fields: tuple[str, ...]  # managed fields, the id excluded
    required: tuple[str, ...]  # needed to create one
    secrets: tuple[str, ...]  # fields whose values are secrets


POOL = Kind("pool", "pools", "name", POOL_FIELDS[1:], ("slots",), ())
VARIABLE = Kind("variable", "variables", "key", VARIABLE_FIELDS[1:], ("value",), ("value",))
CONNECTION = Kind(
    "connection",
    "connections",
    "connection_id",
    CONNECTION_FIELDS[1:],
    ("conn_type",),
    ("password", "extra"),
)
#: In the order they are written (pools before the variables and connections).
KINDS = (POOL, VARIABLE, CONNECTION)


@dataclass(frozen=True)
class Words:
    """How a workflow names the sides in its reasons."""

    here: str  # where items are written: "the server", "the target"
    masked: str  # why a masked value is missing
    lacking: str  # why an item cannot be created; "{fields}" names the values it lacks
    not_shown: str  # why some fields were not compared


# -- values ---------------------------------------------------------------------------------
def normal(kind: str, name: str, value: Any) -> Any:
    """A field's value as compared: "" and None alike for optional text, JSON text parsed,
    ``include_deferred`` None as False (the default it stands for)."""
    if name == "include_deferred":
        return bool(value)
    if value == "" and name != "value":
        return None
    if name in ("value", "extra") and isinstance(value, str):
        try:
            return ("json", json.loads(value))
        except ValueError:
            return ("text", value)
    return value


def extra_object(extra: Any) -> dict[str, Any] | None:
    """A connection's extra (JSON text) as a dict, or None if it is not a JSON object."""
    if not isinstance(extra, str):
        return None
    try:
        doc = json.loads(extra)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def without_masked(extra: Any) -> Any:
    """A connection's extra (JSON text) without the keys whose values are masked."""
    doc = extra_object(extra)
    if doc is None:
        return extra
    return json.dumps({k: v for k, v in doc.items() if not has_mask(v)}, sort_keys=True)


def json_keys(extra: Any) -> set[str]:
    """The top-level keys of a connection's extra (JSON text), if it is a JSON object."""
    doc = extra_object(extra)
    return {str(k) for k in doc} if doc is not None else set()


def drop_keys(extra: Any, keys: set[str]) -> Any:
    """A connection's extra (JSON text) without some keys."""
    doc = extra_object(extra) if keys else None
    if doc is None:
        return extra
    return json.dumps({k: v for k, v in doc.items() if k not in keys}, sort_keys=True)


# -- one item -------------------------------------------------------------------------------
def desired(
    spec: Kind, raw: Mapping[str, Any], listed: Mapping[str, str], masked: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to manage for one item, and those the source cannot supply, with why:
    ``listed`` (known to be missing: not exported, never returned) and masked values
    (``masked`` says why). A masked extra is kept: its other keys are compared and created,
    never its masked ones."""
    wanted: dict[str, Any] = {spec.id_field: raw[spec.id_field]}
    unknown = dict(listed)
    for name in spec.fields:
        if name not in raw:
            continue
        value = raw[name]
        if name == "extra" and isinstance(value, str) and has_mask(value):
            unknown.setdefault("extra", f"{masked}: " + ", ".join(masked_keys(value)))
            wanted["extra"] = value
            continue
        if has_mask(value):
            unknown.setdefault(name, masked)
            continue
        wanted[name] = value
    return wanted, unknown


def differing(
    spec: Kind, wanted: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The managed fields whose values differ, and those that cannot be compared because
    the server does not show its current value (a password, a masked value).

    Fields the server does not report at all (include_deferred on old servers) are not
    compared, nor is a field whose wanted value is masked (it is never written)."""
    found: list[str] = []
    unverifiable: list[str] = []
    for name in spec.fields:
        if name not in wanted or has_mask(wanted[name]):
            continue
        if name not in current:
            if name == "password":  # Airflow 2's stable API never shows one
                unverifiable.append(name)
            continue
        want, have = wanted[name], current[name]
        if name == "extra" and has_mask(have):
            # compared without the keys the server masks: a masked key the wanted extra has
            # cannot be compared; one it lacks is left alone (an export never carries a
            # masked key: its absence says nothing, and a secret is never removed unseen)
            hidden = set(masked_keys(have))
            if normal(spec.kind, name, drop_keys(want, hidden)) != normal(
                spec.kind, name, drop_keys(have, hidden)
            ):
                found.append(name)
            elif hidden & json_keys(want):
                unverifiable.append(name)
            continue
        if has_mask(have):
            unverifiable.append(name)
        elif normal(spec.kind, name, want) != normal(spec.kind, name, have):
            found.append(name)
    return found, unverifiable


@dataclass(frozen=True)
class Decision:
    """What to do with one item: its outcome and report item, the missing secrets, and the
    write that makes it so (created and updated items)."""

    outcome: str
    item: ConfigItem
    missing: tuple[ConfigItem, ...] = ()
    write: Write | None = None


def decide(
    spec: Kind,
    raw: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    *,
    mode: str,
    words: Words,
    listed: Mapping[str, str],
    overwrite_secrets: bool = False,
) -> Decision:
    """Compare one wanted item with the server's (None: the server lacks it); see the
    module docstring. ``overwrite_secrets``: write the fields the server does not show."""
    name = str(raw[spec.id_field])
    wanted, unknown = desired(spec, raw, listed, words.masked)
    secrets = tuple(str(raw[f]) for f in spec.secrets if raw.get(f))
    missing = tuple(
        ConfigItem(spec.kind, name, (f,), f"{why}; {_fate(spec, f, current, words)}")
        for f, why in unknown.items()
    )
    if current is None:
        lacking = [f for f in spec.required if wanted.get(f) is None]
        if lacking:
            reason = words.lacking.format(fields=", ".join(lacking))
            return Decision("skipped", ConfigItem(spec.kind, name, tuple(lacking), reason), missing)
        body = dict(wanted)
        if has_mask(body.get("extra")):  # never store the mask itself
            body["extra"] = without_masked(body["extra"])
        written = tuple(f for f in spec.fields if f in wanted)
        item = ConfigItem(spec.kind, name, written, "created")
        return Decision("created", item, missing, Write(name, body, secrets=secrets))
    found, unverifiable = differing(spec, wanted, current)
    if overwrite_secrets:
        found, unverifiable = found + unverifiable, []
    note = f"; not compared, {words.not_shown}: " + ", ".join(unverifiable) if unverifiable else ""
    if not found:
        return Decision("unchanged", ConfigItem(spec.kind, name, (), "unchanged" + note), missing)
    if mode == "skip-existing":
        reason = "exists (mode=skip-existing); differs" + note
        return Decision("skipped", ConfigItem(spec.kind, name, tuple(found), reason), missing)
    item = ConfigItem(spec.kind, name, tuple(found), "updated" + note)
    write = Write(name, wanted, current, tuple(found), secrets)
    return Decision("updated", item, missing, write)


def _fate(spec: Kind, field_name: str, current: Mapping[str, Any] | None, words: Words) -> str:
    """What becomes of an item whose ``field_name`` the source did not give."""
    if current is not None:
        return f"left as it is on {words.here}"
    if field_name in spec.required:
        return "not created"
    return f"created without it: set it on {words.here}"


# -- one kind -------------------------------------------------------------------------------
class Recorder(Protocol):
    """Where a workflow keeps the outcomes (its report)."""

    def decided(self, outcome: str, item: ConfigItem) -> None:
        """An outcome known without writing (missing, unchanged, skipped, a dry run's)."""

    def written(self, results: list[tuple[str, ConfigItem, Failure]], stopped: bool) -> None:
        """A batch of writes done: each one's planned outcome and item, and its failure
        (None: written). ``stopped``: an error stopped the writes with this batch (raised
        once it is recorded)."""


def sync(
    spec: Kind,
    wanted: Iterable[Mapping[str, Any]],
    current: Mapping[str, Mapping[str, Any]],
    adapter: VersionAdapter,
    recorder: Recorder,
    *,
    mode: str,
    dry_run: bool,
    workers: int,
    words: Words,
    listed: Callable[[Mapping[str, Any]], Mapping[str, str]],
    overwrite_secrets: bool = False,
) -> None:
    """Make the server hold the ``wanted`` items of one kind (``current``: what it holds,
    by name): decide each one (in the given order), then write the creates and updates
    through ``adapter.write_items`` and record each result as its batch comes back. An error
    that stops the writes is raised after the finished batches are recorded."""
    writes: list[Write] = []
    planned: list[tuple[str, ConfigItem]] = []
    for raw in wanted:
        decision = decide(
            spec,
            raw,
            current.get(str(raw[spec.id_field])),
            mode=mode,
            words=words,
            listed=listed(raw),
            overwrite_secrets=overwrite_secrets,
        )
        for item in decision.missing:
            recorder.decided("missing", item)
        if decision.write is None or dry_run:
            recorder.decided(decision.outcome, decision.item)
        else:
            writes.append(decision.write)
            planned.append((decision.outcome, decision.item))
    if not writes:
        return
    for results, stop in adapter.write_items(spec.kind, writes, workers):
        batch = [(*planned[index], failure) for index, failure in results]
        recorder.written(batch, stop is not None)
        if stop is not None:
            raise stop
