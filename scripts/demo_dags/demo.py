"""The demo DAG of `make demo`: extract, three transforms in parallel, load."""

import datetime
import time

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="demo",
    tags=["airflow-client-ext", "demo"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
    params={"rows": 3},
)
def demo():
    @task
    def extract(params=None) -> list[int]:
        rows = int((params or {}).get("rows", 3))
        return list(range(rows))

    @task
    def transform(rows: list[int], factor: int) -> int:
        time.sleep(1)
        return sum(rows) * factor

    @task
    def load(totals: list[int]) -> int:
        print(f"loaded {totals}")
        return sum(totals)

    rows = extract()
    load([transform(rows, factor) for factor in (1, 2, 3)])


demo()
