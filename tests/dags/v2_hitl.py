"""``v2_hitl``: one human-in-the-loop task ``approve`` (Airflow >= 3.1; absent on Airflow 2).

On Airflow 3.3 the task waits for a response in the ``awaiting_input`` state.
"""

import datetime

try:  # Airflow 3.1+: the task SDK and the standard provider's HITL operators
    from airflow.providers.standard.operators.hitl import HITLOperator
    from airflow.sdk import dag
except ImportError:  # Airflow 2: no human-in-the-loop, no DAG
    HITLOperator = None

if HITLOperator is not None:

    @dag(
        dag_id="v2_hitl",
        tags=["airflow-client-ext", "v2", "hitl"],
        schedule=None,
        start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        catchup=False,
        default_args={"retries": 0},
    )
    def v2_hitl():
        HITLOperator(
            task_id="approve",
            subject="Ship it?",
            body="Choose one",
            options=["yes", "no"],
        )

    v2_hitl()
