"""``v2_deletable``: a plain DAG that the v2 contract tests delete through the API.

The DAG processor brings it back at the next parse of this file.
"""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="v2_deletable",
    tags=["airflow-client-ext", "v2"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
)
def v2_deletable():
    @task
    def noop() -> None:
        return None

    noop()


v2_deletable()
