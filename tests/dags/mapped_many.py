"""Dynamic task mapping over 150 items: more task instances than one API page (100)."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task

ITEMS = 150


@dag(
    dag_id="mapped_many",
    tags=["airflow-client-ext", "mapped"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def mapped_many():
    @task
    def double(item: int) -> int:
        return item * 2

    double.expand(item=list(range(ITEMS)))


mapped_many()
