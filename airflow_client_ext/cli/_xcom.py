"""``xcom list|get``: the XCom entries of a run."""

from __future__ import annotations

import json

import click

from ._formats import fields_table, records_table
from ._options import limit_option, limited
from ._output import to_jsonable
from ._params import DAG_ID, MAP_INDEX, RUN_ID, TASK_ID
from ._root import cli
from ._state import CliState, pass_state

ONLY_MAP_INDEX = click.option(
    "--map-index", type=click.IntRange(min=-1), help="Only this map index of a mapped task."
)


@cli.group()
def xcom() -> None:
    """List and read XCom entries."""


@xcom.command("list")
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.option("--task", "task_id", type=TASK_ID, help="Only the entries of this task.")
@ONLY_MAP_INDEX
@limit_option
@pass_state
def list_(
    state: CliState,
    dag_id: str,
    run_id: str,
    task_id: str | None,
    map_index: int | None,
    limit: int | None,
) -> None:
    """List the XCom entries of run RUN_ID of DAG_ID (keys, not values)."""
    listing = state.client().iter_xcoms(dag_id, run_id, task_id or "~", map_index=map_index)
    found = to_jsonable(limited(listing, limit))
    for doc in found:
        doc.pop("value", None)
    state.emit(
        found,
        lambda: (
            records_table(found, ("task_id", "map_index", "key", "timestamp"))
            if found
            else f"no XComs in run {run_id}"
        ),
        plain=("task_id", "map_index", "key"),
    )


@xcom.command()
@click.argument("dag_id", type=DAG_ID)
@click.argument("run_id", type=RUN_ID)
@click.argument("task_id", type=TASK_ID)
@click.option("--key", default="return_value", show_default=True, help="The XCom key.")
@MAP_INDEX
@pass_state
def get(state: CliState, dag_id: str, run_id: str, task_id: str, key: str, map_index: int) -> None:
    """Show one XCom entry with its value (-o plain: the value alone)."""
    entry = state.client().get_xcom(dag_id, run_id, task_id, key, map_index=map_index)
    doc = to_jsonable(entry)
    value = doc.get("value")
    state.emit(
        doc,
        lambda: fields_table(doc),
        plain=lambda: [value if isinstance(value, str) else to_json_text(value)],
    )


def to_json_text(value: object) -> str:
    return json.dumps(value)
