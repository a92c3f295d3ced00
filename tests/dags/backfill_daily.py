"""``backfill_daily``: ``@daily`` from 2026-01-01 UTC, no catchup; its task fails on the 13th of
a month (the backfill tests' failed date) and succeeds on every other date."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, get_current_context, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task
    from airflow.operators.python import get_current_context


@dag(
    dag_id="backfill_daily",
    tags=["airflow-client-ext", "backfill"],
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def backfill_daily():
    @task
    def work() -> str:
        logical_date = get_current_context()["logical_date"]
        if logical_date.day == 13:
            raise RuntimeError(f"backfill_daily: the 13th fails on purpose ({logical_date})")
        return logical_date.isoformat()

    work()


backfill_daily()
