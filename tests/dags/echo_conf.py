"""``echo`` prints the run's conf and returns it (as its ``return_value`` XCom)."""

import datetime
import json

try:  # Airflow 3: the task SDK
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(
    dag_id="echo_conf",
    tags=["airflow-client-ext", "conf"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
)
def echo_conf():
    @task
    def echo(**context) -> dict:
        conf = dict(context["dag_run"].conf or {})
        print("echo_conf conf=" + json.dumps(conf, sort_keys=True, default=str))
        return conf

    echo()


echo_conf()
