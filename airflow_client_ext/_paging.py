"""Listings: :meth:`paginate` over any generated list method, and the ``iter_*`` methods
that walk runs, task instances and DAGs page after page as version-neutral models."""

from __future__ import annotations

import contextlib
import functools
import inspect
import typing
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from . import _checks
from ._reads import Operation
from ._workflow_base import _WorkflowBase
from .errors import ConfigurationError
from .models import Dag, DagRun, TaskInstance

#: Items asked for per page; the server caps it at its ``[api] maximum_page_limit``.
PAGE_SIZE = 100


def _list_field(model: Any) -> str:
    """The name of the list field of a generated collection model (``dag_runs``, ...)."""
    cls: Any = type(model)
    return _list_field_of(cls)


@functools.lru_cache(maxsize=512)
def _list_field_of(cls: Any) -> str:
    fields = getattr(cls, "model_fields", None)
    if not isinstance(fields, Mapping):
        raise ConfigurationError(f"paginate: {cls.__name__} is not a generated collection model")
    candidates = [str(name) for name, info in fields.items() if _is_list(info.annotation)]
    if len(candidates) != 1:
        raise ConfigurationError(
            f"paginate: cannot tell the items of {cls.__name__} (list fields: "
            f"{', '.join(candidates) or 'none'})"
        )
    return candidates[0]


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return False


#: function -> the names of its parameters; weak: a caller's lambda is not kept alive
_SIGNATURES: weakref.WeakKeyDictionary[Any, frozenset[str] | None] = weakref.WeakKeyDictionary()


def _parameters(method: Callable[..., Any]) -> frozenset[str] | None:
    """The names of a method's parameters (``self`` included), once per function."""
    if isinstance(method, Operation):
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


def _check_paging(filters: Mapping[str, Any]) -> None:
    """The ``limit`` and ``offset`` among the filters of a listing."""
    _checks.check_page_size("limit", filters.get("limit"), none=f"{PAGE_SIZE}")
    _checks.check_offset(filters.get("offset"), none="0")


class _PagingWorkflows(_WorkflowBase):
    """Listings of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

    def paginate(self, method: Callable[..., Any], /, **filters: Any) -> Iterator[Any]:
        """Yield every item of a generated list method, page after page, to the end.

        ``client.paginate(client.api("VariableApi").get_variables)`` yields each
        ``VariableResponse``; keyword arguments are the method's filters. Pages are asked
        with ``limit``/``offset`` (``limit`` defaults to 100; the server may cap it lower)
        and walking stops once ``offset`` reaches ``total_entries``, not at a short page.
        A method without ``limit`` is called once.
        """
        _checks.check_callable("method", method)
        _check_paging(filters)
        return self._items(method, filters)

    def _items(self, method: Callable[..., Any], filters: dict[str, Any]) -> Iterator[Any]:
        for items in self._pages(method, filters):
            yield from items

    def _pages(self, method: Callable[..., Any], filters: dict[str, Any]) -> Iterator[list[Any]]:
        """The items of each page of a listing (``filters``: checked by _check_paging)."""
        page_size = int(filters.pop("limit", None) or PAGE_SIZE)
        offset = int(filters.pop("offset", None) or 0)
        parameters = _parameters(method)
        if parameters is not None and "limit" not in parameters:
            page = method(**filters)
            yield list(getattr(page, _list_field(page)) or ())
            return
        field: str | None = None
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
        self, dag_id: str = "~", state: str | Iterable[str] | None = None, **filters: Any
    ) -> Iterator[DagRun]:
        """Every run of a DAG (``"~"``: of all DAGs) as :class:`DagRun`, optionally of some
        states (``state=["failed"]``); other keywords go to the generated list method."""
        _checks.check_dag_id(dag_id, wildcard=True)
        states = _checks.check_states("state", state, _checks.DAG_RUN_STATES)
        _check_paging(filters)
        return self._iter_dag_runs(dag_id, states, filters)

    def _iter_dag_runs(
        self, dag_id: str, states: list[str] | None, filters: dict[str, Any]
    ) -> Iterator[DagRun]:
        adapter = self._adapter()
        method = adapter.runs_method(checked=_only_paging(filters))
        if states is not None:
            filters["state"] = states
        for items in self._pages(method, dict(dag_id=dag_id, **filters)):
            yield from [adapter.run(raw) for raw in items]

    def iter_task_instances(
        self,
        dag_id: str,
        run_id: str,
        state: str | Iterable[str] | None = None,
        **filters: Any,
    ) -> Iterator[TaskInstance]:
        """Every task instance of a run, each index of a mapped task included (``"~"``: of
        every run, or every DAG); ``state`` filters by task instance state."""
        _checks.check_dag_id(dag_id, wildcard=True)
        _checks.check_run_id(run_id, wildcard=True)
        states = _checks.check_states("state", state, _checks.TASK_INSTANCE_STATES)
        _check_paging(filters)
        return self._iter_task_instances(dag_id, run_id, states, filters)

    def _iter_task_instances(
        self, dag_id: str, run_id: str, states: list[str] | None, filters: dict[str, Any]
    ) -> Iterator[TaskInstance]:
        adapter = self._adapter()
        method = adapter.task_instances_method(checked=_only_paging(filters))
        if states is not None:
            filters["state"] = states
        seen: set[tuple[str, int]] = set()
        for items in self._pages(method, dict(dag_id=dag_id, dag_run_id=run_id, **filters)):
            tis = [adapter.task_instance(raw) for raw in items]
            keys = {(ti.task_id, ti.map_index) for ti in tis}
            if len(keys) == len(tis) and seen.isdisjoint(keys):  # no repeat: the usual page
                seen |= keys
                yield from tis
                continue
            for ti in tis:  # an unordered listing may repeat one
                key = (ti.task_id, ti.map_index)
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
    return filters.keys() <= {"limit", "offset"}
