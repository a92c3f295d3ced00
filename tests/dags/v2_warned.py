"""``v2_warned``: a DAG for which Airflow 3 records a DAG warning ("runtime varying value").

Airflow 3's DAG processor flags calls like ``datetime.now()`` in DAG constructor arguments
(they make a new DAG version on every parse). Here the call is there but its value is
constant (``now().strftime("")`` is ``""``), so the warning exists and the DAG stays stable.
Airflow 2 records no such warning.
"""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="v2_warned",
    tags=["airflow-client-ext", "v2"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    description="warned" + datetime.datetime.now().strftime(""),
)
def v2_warned():
    @task
    def noop() -> None:
        return None

    noop()


v2_warned()
