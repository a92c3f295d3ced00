"""Listings: :meth:`paginate` over any generated list method, and the ``iter_*`` methods
that walk runs, task instances and DAGs page after page as version-neutral models."""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from . import _checks
from ._reads import Listing, Operation, Page, list_field
from ._workflow_base import _WorkflowBase
from .errors import ConfigurationError
from .models import Dag, DagRun, TaskInstance

#: Items asked for per page; the server caps it at its ``[api] maximum_page_limit``.
PAGE_SIZE = 100


def _list_field(model: Any) -> str:
    """The name of the list field of a generated collection model (``dag_runs``, ...), or
    of a :class:`~._reads.Page`."""
    cls: Any = type(model)
    return "items" if cls is Page else list_field(cls)


#: function -> the names of its parameters; weak: a caller's lambda is not kept alive
_SIGNATURES: weakref.WeakKeyDictionary[Any, frozenset[str] | None] = weakref.WeakKeyDictionary()


def _parameters(method: Callable[..., Any]) -> frozenset[str] | None:
    """The names of a method's parameters (``self`` included), once per function."""
    if isinstance(method, (Operation, Listing)):
        return method.parameters
    function = getattr(method, "__func__", method)
    try:
        return _SIGNATURES[function]
    except (KeyError, TypeError):  # TypeError: a callable that takes no weak reference
        pass
    try:
        found: frozenset[str] | None = frozenset(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        found = None
    with contextlib.suppress(TypeError):
        _SIGNATURES[function] = found
    return found


def run_id_selected(run_id: str, prefix: str | None, after: str | None) -> bool:
    """Whether a run id passes the ``run_id_prefix`` and ``start_after`` filters of
    :meth:`_PagingWorkflows.iter_dag_runs`."""
    return (prefix is None or run_id.startswith(prefix)) and (after is None or run_id > after)


def server_prefix(prefix: str, supports: Callable[[str], bool]) -> bool:
    """Whether to send ``prefix`` as ``run_id_prefix_pattern`` too: where the server has it,
    and unless it is ``~`` or holds ``|`` (which the server reads as "all" and "or"). The
    server's match is a superset of the prefix's (it drops trailing punctuation), never
    less: :func:`run_id_selected` then keeps exactly the runs the prefix names."""
    return prefix != "~" and "|" not in prefix and supports("run_id_prefix_pattern")


#: How a listing is walked: ``None`` picks cursor paging where the server and the method
#: have it, offset paging elsewhere.
PAGING_MODES = ("cursor", "offset")


def _check_paging(filters: Mapping[str, Any], paging: str | None = None) -> None:
    """The ``limit``, ``offset``, ``cursor`` and paging mode of a listing."""
    _checks.check_page_size("limit", filters.get("limit"), none=f"{PAGE_SIZE}")
    _checks.check_offset(filters.get("offset"), none="0")
    _checks.check_choice("paging", paging, PAGING_MODES, none="cursor where the server has it")
    if filters.get("cursor") is not None:
        _checks.check_instance(
            "cursor",
            filters["cursor"],
            str,
            "a next_cursor of an earlier page ('' to start)",
            setting=False,
        )
        if paging == "offset" or filters.get("offset"):
            _checks.fail(
                "cursor",
                "left out with offset paging (a cursor walk starts where it says)",
                filters["cursor"],
            )
    if paging == "cursor" and filters.get("offset"):
        _checks.fail(
            "offset",
            "left out with paging='cursor' (a cursor walk has no offset)",
            filters["offset"],
        )


class _PagingWorkflows(_WorkflowBase):
    """Listings of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

    def paginate(
        self, method: Callable[..., Any], /, *, paging: str | None = None, **filters: Any
    ) -> Iterator[Any]:
        """Yield every item of a generated list method, page after page, to the end.

        ``client.paginate(client.api("VariableApi").get_variables)`` yields each
        ``VariableResponse``; keyword arguments are the method's filters; ``limit`` is the
        page size (100 by default; the server may cap it lower).

        - **Cursor paging** where the method and the server have it (DAG runs and task
          instances on Airflow >= 3.2.2): ``cursor`` then ``next_cursor`` until the server
          gives none. Items created or deleted during the walk do not shift the pages: each
          item that existed before the walk and still does is yielded exactly once. Pass
          ``cursor=`` (a ``next_cursor`` you kept) to resume a walk.
        - **Offset paging** elsewhere: ``limit``/``offset``, stopping once ``offset`` reaches
          ``total_entries`` (not at a short page). Items created ahead of the walk's
          position during the walk shift the pages: some are then yielded twice (the
          ``iter_*`` methods drop such repeats).
        - ``paging="cursor"`` or ``"offset"`` forces a mode (``"cursor"`` raises
          :class:`~airflow_client_ext.errors.UnsupportedFeatureError` where the server has
          none). With ``order_by``, cursor paging needs Airflow >= 3.3.0 (3.2.2 answers 500).

        A method without ``limit`` is called once.
        """
        _checks.check_callable("method", method)
        _check_paging(filters, paging)
        return self._items(method, filters, paging)

    def _items(
        self, method: Callable[..., Any], filters: dict[str, Any], paging: str | None = None
    ) -> Iterator[Any]:
        for items in self._pages(method, filters, paging):
            yield from items

    def _cursor_paging(
        self, parameters: frozenset[str] | None, filters: Mapping[str, Any], paging: str | None
    ) -> bool:
        """Whether to walk with a cursor (see :meth:`paginate`)."""
        takes_cursor = parameters is not None and "cursor" in parameters
        client = self._client
        if paging == "cursor" or filters.get("cursor") is not None:
            if not takes_cursor:
                raise ConfigurationError("paginate: this list method takes no cursor")
            client.require("cursor_paging", action="page with a cursor")
            if filters.get("order_by"):
                client.require("cursor_paging_ordered", action="page with a cursor and order_by")
            return True
        if paging == "offset" or not takes_cursor or not client.supports("cursor_paging"):
            return False
        return not filters.get("order_by") or client.supports("cursor_paging_ordered")

    def _pages(
        self, method: Callable[..., Any], filters: dict[str, Any], paging: str | None = None
    ) -> Iterator[list[Any]]:
        """The items of each page of a listing (``filters``: checked by _check_paging)."""
        page_size = int(filters.pop("limit", None) or PAGE_SIZE)
        offset = int(filters.pop("offset", None) or 0)
        parameters = _parameters(method)
        if parameters is not None and "limit" not in parameters:
            page = method(**filters)
            yield list(getattr(page, _list_field(page)) or ())
            return
        field: str | None = None
        if not offset and self._cursor_paging(parameters, filters, paging):
            cursor = filters.pop("cursor", None) or ""
            while True:
                page = method(limit=page_size, cursor=cursor, **filters)
                field = field or _list_field(page)
                items = list(getattr(page, field) or ())
                yield items
                cursor = getattr(page, "next_cursor", None)
                if not cursor or not items:
                    return
        while True:
            page = method(limit=page_size, offset=offset, **filters)
            field = field or _list_field(page)
            items = list(getattr(page, field) or ())
            yield items
            offset += len(items)
            total = getattr(page, "total_entries", None)
            if not items or (total is not None and offset >= total):
                return

    def iter_dag_runs(
        self,
        dag_id: str = "~",
        state: str | Iterable[str] | None = None,
        *,
        paging: str | None = None,
        run_id_prefix: str | None = None,
        start_after: str | None = None,
        **filters: Any,
    ) -> Iterator[DagRun]:
        """Every run of a DAG (``"~"``: of all DAGs) as :class:`DagRun`, optionally of some
        states (``state=["failed"]``), each once even while runs are being created (see
        :meth:`paginate` for ``paging``); other keywords go to the generated list method
        (``order_by="-run_after"`` on Airflow 3, ``"-execution_date"`` on 2).

        ``run_id_prefix`` keeps the runs whose id starts with it (literally, case-sensitive);
        ``start_after`` those whose id sorts after it (by code point, as Python compares
        strings), e.g. the last id of a batch seen before. Both are applied here; the prefix
        also on the server where it has ``run_id_prefix_pattern`` (Airflow >= 3.3.0), whose
        answer is a superset that this filter narrows: the runs are the same either way.
        """
        _checks.check_dag_id(dag_id, wildcard=True)
        states = _checks.check_states("state", state, _checks.DAG_RUN_STATES)
        _check_paging(filters, paging)
        prefix = _checks.check_run_id_filter("run_id_prefix", run_id_prefix)
        after = _checks.check_run_id_filter("start_after", start_after)
        return self._iter_dag_runs(dag_id, states, filters, paging, prefix, after)

    def _iter_dag_runs(
        self,
        dag_id: str,
        states: list[str] | None,
        filters: dict[str, Any],
        paging: str | None = None,
        prefix: str | None = None,
        after: str | None = None,
    ) -> Iterator[DagRun]:
        adapter = self._adapter()
        method = adapter.runs_method(checked=_only_paging(filters))
        if states is not None:
            filters["state"] = states
        if prefix is not None and server_prefix(prefix, self._client.supports):
            filters["run_id_prefix_pattern"] = prefix
        seen: set[tuple[str, str]] = set()
        convert = None if isinstance(method, Listing) else adapter.run
        for items in self._pages(method, dict(dag_id=dag_id, **filters), paging):
            for run in items if convert is None else [convert(raw) for raw in items]:
                if not run_id_selected(run.run_id, prefix, after):
                    continue
                if (run.dag_id, run.run_id) not in seen:  # offset pages shift as runs are made
                    seen.add((run.dag_id, run.run_id))
                    yield run

    def iter_task_instances(
        self,
        dag_id: str,
        run_id: str,
        state: str | Iterable[str] | None = None,
        *,
        paging: str | None = None,
        **filters: Any,
    ) -> Iterator[TaskInstance]:
        """Every task instance of a run, each index of a mapped task included (``"~"``: of
        every run, or every DAG), each once; ``state`` filters by task instance state; see
        :meth:`paginate` for ``paging``."""
        _checks.check_dag_id(dag_id, wildcard=True)
        _checks.check_run_id(run_id, wildcard=True)
        states = _checks.check_states("state", state, _checks.TASK_INSTANCE_STATES)
        _check_paging(filters, paging)
        return self._iter_task_instances(dag_id, run_id, states, filters, paging)

    def _iter_task_instances(
        self,
        dag_id: str,
        run_id: str,
        states: list[str] | None,
        filters: dict[str, Any],
        paging: str | None = None,
    ) -> Iterator[TaskInstance]:
        adapter = self._adapter()
        method = adapter.task_instances_method(checked=_only_paging(filters))
        if states is not None:
            filters["state"] = states
        seen: set[tuple[str, str, str, int]] = set()
        pages = self._pages(method, dict(dag_id=dag_id, dag_run_id=run_id, **filters), paging)
        convert = None if isinstance(method, Listing) else adapter.task_instance
        for items in pages:
            tis = items if convert is None else [convert(raw) for raw in items]
            keys = {(ti.dag_id, ti.run_id, ti.task_id, ti.map_index) for ti in tis}
            if len(keys) == len(tis) and seen.isdisjoint(keys):  # no repeat: the usual page
                seen |= keys
                yield from tis
                continue
            for ti in tis:  # offset pages of an unordered listing may repeat one
                key = (ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
                if key not in seen:
                    seen.add(key)
                    yield ti

    def iter_dags(self, **filters: Any) -> Iterator[Dag]:
        """Every DAG the server has parsed, as :class:`Dag`; keywords go to the generated
        list method (``tags=["x"]``, ``paused=True``, ``dag_id_pattern="etl_%"``)."""
        _check_paging(filters)
        return self._iter_dags(filters)

    def _iter_dags(self, filters: dict[str, Any]) -> Iterator[Dag]:
        adapter = self._adapter()
        for items in self._pages(adapter.dags_method(checked=_only_paging(filters)), filters):
            yield from [adapter.dag(raw) for raw in items]


def _only_paging(filters: Mapping[str, Any]) -> bool:
    """No filter but ``limit`` and ``offset`` (checked here): the generated method's own
    validation of the caller's arguments is not needed."""
    return filters.keys() <= {"limit", "offset", "cursor"}
