"""One task that sleeps ``params.seconds`` (default 60 s): for timeouts and cancellation."""

import datetime
import time

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="slow",
    tags=["airflow-client-ext", "slow"],
    params={"seconds": 60},
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def slow():
    @task
    def sleep(**context) -> float:
        seconds = float(context["params"]["seconds"])
        time.sleep(seconds)
        return seconds

    sleep()


slow()
