"""Airflow 3: variables, pools and connections in bulk requests.

Where the server has them (``bulk_variables_pools_connections``), ``V2Adapter.write_items``
sends ``PATCH /variables`` (``/pools``, ``/connections``) requests of up to ``bulk_items``
items, one action each, and reads each item's result from the answer
(:func:`._writes.write_bulk`). An item that a bulk request cannot carry as asked goes by
itself (:meth:`~._versions.VersionAdapter._alone`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ._http import safe_path
from ._masks import has_mask
from ._writes import Batch, Entity, Write, write_bulk

if TYPE_CHECKING:
    from ._versions import V2Adapter

#: kind -> the generated API class, its bulk method and the suffix of its body models
BULK: dict[str, tuple[str, str, str]] = {
    "variable": ("VariableApi", "bulk_variables", "VariableBody"),
    "pool": ("PoolApi", "bulk_pools", "PoolBody"),
    "connection": ("ConnectionApi", "bulk_connections", "ConnectionBody"),
}


def write_in_bulk(
    adapter: V2Adapter, kind: str, writes: Sequence[Write], workers: int
) -> Iterator[Batch]:
    """The writes of ``kind`` in bulk requests; batches of results as
    :func:`._writes.write_bulk` gives."""
    api, method, body = BULK[kind]
    return write_bulk(
        writes,
        partial(_entity, adapter, kind, adapter.supports("bulk_update_mask")),
        partial(_send, adapter, getattr(adapter.api(api), method), body),
        partial(adapter._alone, kind),
        kind=kind,
        path=safe_path(f"{adapter.client.api_url}/{kind}s"),
        workers=workers,
        secrets=adapter.client.auth.secrets(),
        max_items=adapter.bulk_items,
        max_bytes=adapter.bulk_bytes,
    )


def _send(
    adapter: V2Adapter,
    method: Callable[[Any], Any],
    body: str,
    action: str,
    mask: Sequence[str],
    items: list[Any],
) -> Any:
    """One bulk request of one action; its ``BulkActionResponse``. The server skips an
    item that exists (create) or is gone (update) instead of failing the whole action:
    such an item is reported by itself."""
    model = adapter.model
    if action == "create":
        act = model(f"BulkCreateAction{body}")(
            action="create", entities=items, action_on_existence="skip"
        )
    else:
        extra = {"update_mask": list(mask)} if mask else {}
        act = model(f"BulkUpdateAction{body}")(
            action="update", entities=items, action_on_non_existence="skip", **extra
        )
    request = model(f"BulkBody{body}")(actions=[model(f"BulkAction{body}")(act)])
    return getattr(method(request), action)


def _entity(adapter: V2Adapter, kind: str, masks: bool, write: Write) -> Entity | None:
    """One item of a bulk request, or None when it must go by itself.

    An update changes only ``write.fields``: with ``masks`` (``bulk_update_mask``) they
    are the update mask; before that, a variable or pool update writes every field of
    the body, so the body is the item merged with the server's values (a variable whose
    value the server masks goes by itself then: the mask would be written back; a
    description to clear is sent as ``""``: null is skipped). A connection update writes
    the fields the body carries on every 3.x: it carries only those to change."""
    item = write.item
    if write.current is None:
        return Entity("create", (), getattr(adapter, f"_{kind}_body")(item))
    fields = write.fields
    merged = {**write.current, **{f: item.get(f) for f in fields}}
    entity: Any
    if kind == "variable":
        value = merged.get("value")
        if "value" not in fields and (masks or has_mask(value)):
            if not masks:
                return None
            value = None  # not in the mask: not written
        entity = adapter.model("VariableBody")(
            key=item["key"], value=value, description=merged.get("description")
        )
    elif kind == "pool":
        description = merged.get("description")
        if description is None and "description" in fields and not masks:
            description = ""
        entity = adapter._pool_body({**merged, "name": item["name"], "description": description})
    else:
        carried = {f: item.get(f) for f in fields}
        carried["connection_id"] = item["connection_id"]
        carried["conn_type"] = merged.get("conn_type") or item.get("conn_type")
        entity = adapter.model("ConnectionBody")(**carried)
    return Entity("update", tuple(fields) if masks else (), entity)


__all__ = ["BULK", "write_in_bulk"]
