"""The output formats of ``-o/--output``: ``table`` (for people), ``json`` and ``yaml``
(for scripts: the same document), ``plain`` (one identifier per line, or tab-separated key
fields, for ``xargs`` and ``cut``); and the generic table of records the resource commands
print.

:meth:`~airflow_client_ext.cli._state.CliState.emit` picks the renderer; the commands hand it
the document and, for ``table``, a function that makes the table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import click
from rich.table import Table
from rich.text import Text

from ._output import dumps, state_text, to_jsonable

OUTPUT_FORMATS = ("table", "json", "yaml", "plain")
#: The fields that name an item, most specific first: ``plain`` prints the first one found.
IDENTIFIERS = ("task_id", "run_id", "connection_id", "key", "name", "dag_id", "section")

#: What a command gives ``emit`` for ``plain``: field names to print tab-separated per item,
#: or a function that makes the lines.
Plain: TypeAlias = Sequence[str] | Callable[[], Iterable[str]] | None


def render(document: Any, fmt: str, plain: Plain = None) -> str:
    """``document`` as text in the machine format ``fmt`` (json, yaml or plain)."""
    if fmt == "json":
        return dumps(document)
    if fmt == "yaml":
        return yaml_text(document)
    if fmt == "plain":
        lines = plain() if callable(plain) else plain_lines(document, plain)
        return "\n".join(lines)
    raise ValueError(f"not a machine format: {fmt}")


def yaml_text(document: Any) -> str:
    """The document as YAML (block style, keys in their order)."""
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:  # pragma: no cover - the cli extra has it
        raise click.UsageError(
            "-o yaml needs PyYAML: pip install 'airflow-client-ext[cli]'"
        ) from None
    text: str = yaml.safe_dump(
        to_jsonable(document), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return text.rstrip("\n")


def plain_lines(document: Any, fields: Sequence[str] | None = None) -> list[str]:
    """One line per item: its identifier, or its ``fields`` tab-separated; a single object
    gives one line; a mapping without an identifier gives ``key<TAB>value`` lines."""
    data = to_jsonable(document)
    if isinstance(data, list):
        return [_line(item, fields) for item in data]
    if isinstance(data, Mapping) and not fields and not _identifier(data):
        return [f"{k}\t{_cell(v)}" for k, v in data.items() if not isinstance(v, dict | list)]
    return [_line(data, fields)]


def _identifier(item: Mapping[str, Any]) -> str | None:
    return next((name for name in IDENTIFIERS if item.get(name) not in (None, "")), None)


def _line(item: Any, fields: Sequence[str] | None) -> str:
    if not isinstance(item, Mapping):
        return _cell(item)
    if fields:
        return "\t".join(_cell(item.get(name)) for name in fields)
    name = _identifier(item)
    return _cell(item[name]) if name else _cell(item)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return dumps(value).replace("\n", " ")
    return str(value).replace("\t", " ").replace("\n", " ")


def records_table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str], *, states: str = "state"
) -> Table:
    """A table of ``columns`` (field names, shown upper-cased) of JSON-able records; values
    from the server as plain text, never markup; the ``states`` column coloured."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column.upper().replace("_", " "), overflow="fold")
    for record in records:
        cells = []
        for column in columns:
            value = record.get(column)
            text = _cell(value)
            cells.append(state_text(text or "none") if column == states else Text(text))
        table.add_row(*cells)
    return table


def fields_table(record: Mapping[str, Any]) -> Table:
    """One record as a two-column table of its set fields."""
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in record.items():
        if value not in (None, "", [], {}):
            table.add_row(name, Text(_cell(value)))
    return table
