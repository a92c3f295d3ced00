"""``boom`` always raises; ``after`` (downstream) ends upstream_failed; the run fails."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="always_fails",
    tags=["airflow-client-ext", "fails"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def always_fails():
    @task
    def boom() -> None:
        raise RuntimeError("always_fails: this task fails on purpose")

    @task
    def after() -> str:
        return "never runs"

    boom() >> after()


always_fails()
