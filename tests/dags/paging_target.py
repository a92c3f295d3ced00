"""``paging_target``: a DAG that stays paused; the paging tests create hundreds of runs of it
(queued, never run) and walk them while more are created."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="paging_target",
    tags=["airflow-client-ext", "paging"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    is_paused_upon_creation=True,
)
def paging_target():
    @task
    def noop() -> None:
        return None

    noop()


paging_target()
