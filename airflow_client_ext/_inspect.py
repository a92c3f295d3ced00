"""Reads for a look inside: the XComs of a task instance and the server's configuration,
the same on Airflow 2 and 3 (the differences are in :mod:`._resource_versions`)."""

from __future__ import annotations

from collections.abc import Iterator

from . import _checks
from ._resource_versions import resources_for
from ._workflow_base import _renamed, _WorkflowBase
from .errors import PermissionDeniedError
from .models import XCom


class _InspectWorkflows(_WorkflowBase):
    """XComs and configuration of :class:`~airflow_client_ext.workflows.Workflows` (a mixin)."""

    def iter_xcoms(
        self, dag_id: str, run_id: str, task_id: str = "~", *, map_index: int | None = None
    ) -> Iterator[XCom]:
        """The XCom entries of a run (``task_id="~"``: of every task), without their values
        (read one with :meth:`get_xcom`)."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        if task_id != "~":
            _checks.check_task_id(task_id)
        if map_index is not None:
            _checks.check_map_index(map_index)
        return resources_for(self._client).xcoms(dag_id, run_id, task_id, map_index)

    def get_xcom(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        key: str = "return_value",
        *,
        map_index: int = -1,
    ) -> XCom:
        """One XCom entry with its value (as the server serializes it)."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        _checks.check_task_id(task_id)
        _checks.check_id("key", key, path=True)
        _checks.check_map_index(map_index)
        return resources_for(self._client).get_xcom(dag_id, run_id, task_id, key, map_index)

    def get_config(self, section: str, option: str | None = None) -> list[tuple[str, str, object]]:
        """(section, option, value) of one option, or of every option of a section.

        The server must expose its configuration (``[api] expose_config`` on Airflow 3,
        ``[webserver] expose_config`` on 2); where it does not, :class:`PermissionDeniedError`
        says so. Airflow masks sensitive values (``< hidden >``) unless
        ``expose_config = True`` rather than ``non-sensitive-only``."""
        _checks.check_id("section", section, path=True)
        if option is not None:
            _checks.check_id("option", option, path=True)
        try:
            return resources_for(self._client).config(section, option)
        except PermissionDeniedError as exc:
            if "expose" not in str(exc).lower():
                raise
            setting = "[api]" if self._client.api_version == "v2" else "[webserver]"
            raise _renamed(
                exc,
                f"the server does not expose its configuration: {setting} expose_config is "
                "False there (set it to True or non-sensitive-only on the server)",
            ) from exc
