"""``push`` pushes an XCom under key ``custom_key`` and returns a value (key ``return_value``)."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task

CUSTOM_VALUE = {"answer": 42, "items": [1, 2, 3]}
RETURN_VALUE = "returned-value"


@dag(
    dag_id="xcom_push",
    tags=["airflow-client-ext", "xcom"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def xcom_push():
    @task
    def push(**context) -> str:
        context["ti"].xcom_push(key="custom_key", value=CUSTOM_VALUE)
        return RETURN_VALUE

    push()


xcom_push()
