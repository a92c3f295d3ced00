"""``backfill_cron``: weekdays at 06:30 UTC (``30 6 * * 1-5``) from 2026-01-01, no catchup."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="backfill_cron",
    tags=["airflow-client-ext", "backfill"],
    schedule="30 6 * * 1-5",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def backfill_cron():
    @task
    def work() -> None:
        return None

    work()


backfill_cron()
