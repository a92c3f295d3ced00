"""Two quick tasks that succeed: ``first`` then ``second``."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="quick_success",
    tags=["airflow-client-ext", "quick"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def quick_success():
    @task
    def first() -> int:
        return 1

    @task
    def second(value: int) -> int:
        return value + 1

    second(first())


quick_success()
