"""``check`` fails when the param ``fail`` is true; defaults: fail=False, message="hello"."""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="fail_on_param",
    tags=["airflow-client-ext", "params"],
    params={"fail": False, "message": "hello"},
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def fail_on_param():
    @task
    def check(**context) -> str:
        params = context["params"]
        if params["fail"] in (True, "true", "True", 1, "1", "yes"):
            raise ValueError(f"fail_on_param: failing because params.fail={params['fail']!r}")
        return str(params["message"])

    check()


fail_on_param()
