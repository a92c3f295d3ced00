"""DAGs and the server's health: what must be in place before a run (get a DAG, wait for
it to be parsed, pause and unpause it; read the health, wait until healthy)."""

from __future__ import annotations

from . import _checks
from ._http import safe_url
from ._runs import headline
from ._versions import VersionAdapter
from ._workflow_base import _WorkflowBase
from .errors import (
    AirflowClientError,
    ConfigurationError,
    NotFoundError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from .models import Dag, Health
from .retry import NO_RETRY


class _DagWorkflows(_WorkflowBase):
    """DAGs and health of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

    # -- DAGs -------------------------------------------------------------------------------
    def get_dag(self, dag_id: str) -> Dag:
        """One DAG, as :class:`Dag`; a :class:`NotFoundError` that says what to check."""
        _checks.check_dag_id(dag_id)
        return self._get_dag(self._adapter(), dag_id)

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0, *, unpause: bool = False) -> Dag:
        """Wait until ``dag_id`` is parsed and visible through the API; return it.

        With ``unpause=True`` it is also unpaused. On timeout, :class:`WaitTimeoutError`
        lists the server's import errors.
        """
        _checks.check_dag_id(dag_id)
        _checks.check_seconds("timeout", timeout)
        _checks.check_flag("unpause", unpause)
        self._check_timing()
        adapter = self._adapter()
        deadline = self._clock() + timeout
        schedule = self._schedule()
        while True:
            try:
                dag = adapter.get_dag(dag_id)
            except NotFoundError:
                last = "not found (not parsed yet?)"
            else:
                if dag.is_active is not False:
                    if unpause and dag.is_paused:
                        dag = adapter.set_paused(dag_id, False)
                    return dag
                last = "known but not active (its file is gone, or no longer defines it)"
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"DAG {dag_id!r} is not visible on {safe_url(self._client.base_url)} after "
                    f"{timeout:g} s: {last}. Import errors: {self._import_errors(adapter)}",
                    timeout=timeout,
                    last_state=last,
                )
            self._sleep(min(schedule.next(), remaining))

    def _import_errors(self, adapter: VersionAdapter) -> str:
        try:
            errors = adapter.import_errors()
        except AirflowClientError as exc:
            return f"(cannot list them: {exc})"
        if not errors:
            return "none"
        shown = [f"{name}: {headline(trace) or '?'}" for name, trace in errors[:5]]
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        return "; ".join(shown) + more

    def pause(self, dag_id: str) -> Dag:
        """Pause a DAG: no new runs start (running ones go on)."""
        _checks.check_dag_id(dag_id)
        adapter = self._adapter()
        self._get_dag(adapter, dag_id)
        return adapter.set_paused(dag_id, True)

    def unpause(self, dag_id: str) -> Dag:
        """Unpause a DAG: queued runs start and its schedule resumes."""
        _checks.check_dag_id(dag_id)
        adapter = self._adapter()
        self._get_dag(adapter, dag_id)
        return adapter.set_paused(dag_id, False)

    # -- health -----------------------------------------------------------------------------
    def health(self) -> Health:
        """The server's health (database, scheduler, triggerer, DAG processor)."""
        return self._adapter().health()

    def wait_until_healthy(self, timeout: float = 60.0) -> Health:
        """Wait until :meth:`health` says healthy, through connection errors and 5xx
        answers of a server that is starting; :class:`WaitTimeoutError` after ``timeout``."""
        _checks.check_seconds("timeout", timeout)
        self._check_timing()
        probe = self._client.with_options(retry=NO_RETRY, timeout=5.0)
        deadline = self._clock() + timeout
        schedule = self._schedule()
        while True:
            try:
                health = probe.health()
            except (TransportError, ServerError, UnexpectedResponseError) as exc:
                last = f"unreachable: {exc}"
            except ConfigurationError as exc:  # no API answering yet (a proxy's 502 page)
                last = str(exc)
            else:
                if health.healthy:
                    return health
                last = "unhealthy: " + ", ".join(
                    f"{name}={health.components.get(name)}" for name in health.unhealthy
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"{safe_url(self._client.base_url)} is not healthy after {timeout:g} s "
                    f"({last})",
                    timeout=timeout,
                    last_state=last,
                )
            self._sleep(min(schedule.next(), remaining))
