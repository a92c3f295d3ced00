"""``v2_breakable``: fails to import while the Airflow Variable ``v2_break_import`` is set.

The v2 contract tests set the variable, ask for a reparse and read the import error, then
delete the variable and reparse again. With the variable unset it is an ordinary DAG.
"""

import datetime

try:  # Airflow 3: the task SDK
    from airflow.sdk import Variable, dag, task

    _broken = Variable.get("v2_break_import", default=None)
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task
    from airflow.models import Variable

    _broken = Variable.get("v2_break_import", default_var=None)

if _broken:
    raise RuntimeError(f"v2_breakable: broken on purpose ({_broken})")


@dag(
    dag_id="v2_breakable",
    tags=["airflow-client-ext", "v2"],
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
)
def v2_breakable():
    @task
    def noop() -> None:
        return None

    noop()


v2_breakable()
