"""Datasets (Airflow 2) / assets (Airflow 3): a producer and two consumers.

- ``dataset_producer``: ``produce`` updates ``PRODUCED``;
- ``dataset_consumer``: scheduled on ``PRODUCED``: each update of it starts a run;
- ``dataset_waiting``: scheduled on ``PRODUCED`` and ``NEVER_PRODUCED``; nothing updates the
  latter, so an update of ``PRODUCED`` stays a queued event (until one updates both).

All three are paused at creation, like every DAG: unpause the consumers to get their runs or
queued events.
"""

import datetime

try:  # Airflow 3: the task SDK; datasets are called assets
    from airflow.sdk import Asset as Dataset
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.datasets import Dataset
    from airflow.decorators import dag, task

PRODUCED = Dataset("test://airflow-client-ext/produced")
NEVER_PRODUCED = Dataset("test://airflow-client-ext/never-produced")
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


@dag(
    dag_id="dataset_producer",
    tags=["airflow-client-ext", "datasets"],
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
)
def dataset_producer():
    @task(outlets=[PRODUCED])
    def produce() -> str:
        return "produced"

    produce()


@dag(
    dag_id="dataset_consumer",
    tags=["airflow-client-ext", "datasets"],
    schedule=[PRODUCED],
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
)
def dataset_consumer():
    @task
    def consume(**context) -> int:
        events = context.get("triggering_dataset_events") or context.get("triggering_asset_events")
        return len(events or {})

    consume()


@dag(
    dag_id="dataset_waiting",
    tags=["airflow-client-ext", "datasets"],
    schedule=[PRODUCED, NEVER_PRODUCED],
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
)
def dataset_waiting():
    @task
    def wait() -> None:
        return None

    wait()


dataset_producer()
dataset_consumer()
dataset_waiting()
