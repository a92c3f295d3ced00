"""Changes to DAGs, runs and task instances: delete and reparse a DAG, delete and mark a
run, clear and mark task instances, the same on Airflow 2 and 3 (the differences are in
:mod:`._resource_versions`)."""

from __future__ import annotations

from collections.abc import Sequence

from . import _checks
from ._resource_versions import resources_for
from ._workflow_base import _WorkflowBase
from .models import DagRun, TaskInstance, TaskInstanceRef

#: The states a run may be marked with.
RUN_MARK_STATES = ("success", "failed", "queued")
#: The states a task instance may be marked with (on both majors).
TASK_MARK_STATES = ("success", "failed", "skipped")


class _AdminWorkflows(_WorkflowBase):
    """DAG, run and task instance changes of :class:`~airflow_client_ext.workflows.Workflows`
    (a mixin)."""

    # -- DAGs -----------------------------------------------------------------------------------
    def delete_dag(self, dag_id: str) -> None:
        """Delete a DAG's metadata (runs, task instances...); its file is parsed again if it
        is still there."""
        _checks.check_dag_id(dag_id)
        self._get_dag(self._adapter(), dag_id)
        resources_for(self._client).delete_dag(dag_id)

    def reparse_dag(self, dag_id: str) -> None:
        """Ask the server to parse the file of ``dag_id`` again soon (Airflow >= 2.10 and
        every 3.x; older: :class:`UnsupportedFeatureError`)."""
        _checks.check_dag_id(dag_id)
        resources = resources_for(self._client)
        dag = self._get_dag(resources.base, dag_id)
        resources.reparse(str(dag.raw.file_token))

    # -- runs -----------------------------------------------------------------------------------
    def delete_dag_run(self, dag_id: str, run_id: str) -> None:
        """Delete a run and its task instances."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        resources_for(self._client).delete_run(dag_id, run_id)

    def set_dag_run_state(self, dag_id: str, run_id: str, state: str) -> DagRun:
        """Mark a run ``success``, ``failed`` or ``queued``; return it."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        state = _checks.check_choice("state", state, RUN_MARK_STATES)
        return resources_for(self._client).set_run_state(dag_id, run_id, state)

    # -- task instances -------------------------------------------------------------------------
    def clear_task_instances(
        self,
        dag_id: str,
        run_id: str,
        task_ids: Sequence[str] | None = None,
        *,
        only_failed: bool = False,
        include_downstream: bool = False,
        dry_run: bool = False,
    ) -> list[TaskInstanceRef]:
        """Clear task instances of one run so that they run again (every map index of a
        mapped task); ``task_ids``: only these (default: all); the run is set back to
        queued. Returns what was (``dry_run``: would be) cleared."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        ids = _checks.check_ids("task_ids", task_ids, key=True)
        _checks.check_flag("only_failed", only_failed)
        _checks.check_flag("include_downstream", include_downstream)
        _checks.check_flag("dry_run", dry_run)
        body: dict[str, object] = {
            "dry_run": dry_run,
            "only_failed": only_failed,
            "include_downstream": include_downstream,
        }
        if ids is not None:
            body["task_ids"] = ids
        return resources_for(self._client).clear_task_instances(dag_id, run_id, body)

    def set_task_instance_state(
        self, dag_id: str, run_id: str, task_id: str, state: str, *, map_index: int = -1
    ) -> TaskInstance:
        """Mark one task instance ``success``, ``failed`` or ``skipped``; return it."""
        _checks.check_dag_id(dag_id)
        _checks.check_run_id(run_id)
        _checks.check_task_id(task_id)
        state = _checks.check_choice("state", state, TASK_MARK_STATES)
        _checks.check_map_index(map_index)
        resources = resources_for(self._client)
        resources.set_task_instance_state(dag_id, run_id, task_id, map_index, state)
        return resources.base.get_task_instance(dag_id, run_id, task_id, map_index)
