"""Assets for the v2 contract tests (Airflow 3; parse as datasets on Airflow 2).

- ``v2_asset_producer`` updates the asset ``v2_produced`` and the alias ``v2_alias``;
- ``v2_asset_consumer`` is scheduled on ``v2_produced``;
- ``v2_asset_waiter`` is scheduled on ``v2_queue_a & v2_queue_b``: an event on one of them
  stays queued until the other one is updated (nothing produces them but the API).
"""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import Asset, AssetAlias, dag, task
except ImportError:  # Airflow 2
    from airflow.datasets import Dataset as Asset
    from airflow.datasets import DatasetAlias as AssetAlias
    from airflow.decorators import dag, task

START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
PRODUCED = Asset("v2_produced")
ALIAS = AssetAlias("v2_alias")
QUEUE_A = Asset("v2_queue_a")
QUEUE_B = Asset("v2_queue_b")


@dag(
    dag_id="v2_asset_producer",
    tags=["airflow-client-ext", "v2", "assets"],
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
)
def v2_asset_producer():
    @task(outlets=[PRODUCED, ALIAS])
    def produce() -> str:
        return "produced"

    produce()


@dag(
    dag_id="v2_asset_consumer",
    tags=["airflow-client-ext", "v2", "assets"],
    schedule=[PRODUCED],
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
)
def v2_asset_consumer():
    @task
    def consume() -> str:
        return "consumed"

    consume()


@dag(
    dag_id="v2_asset_waiter",
    tags=["airflow-client-ext", "v2", "assets"],
    schedule=(QUEUE_A & QUEUE_B),
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
)
def v2_asset_waiter():
    @task
    def wait() -> str:
        return "both updated"

    wait()


v2_asset_producer()
v2_asset_consumer()
v2_asset_waiter()
