"""``v2_daily``: a daily schedule (for backfills) with a task group ``grp`` of two tasks."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task, task_group
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task, task_group


@dag(
    dag_id="v2_daily",
    tags=["airflow-client-ext", "v2", "daily"],
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=2,
    default_args={"retries": 0},
)
def v2_daily():
    @task
    def start() -> int:
        return 1

    @task_group(group_id="grp")
    def grp(value: int) -> None:
        @task
        def left(v: int) -> int:
            return v + 1

        @task
        def right(v: int) -> int:
            return v + 2

        left(value)
        right(value)

    grp(start())


v2_daily()
