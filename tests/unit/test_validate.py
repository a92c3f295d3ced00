"""The one-pass reader (``airflow_client_ext._validate``) means what the generated
``from_dict`` means: wherever it reads an answer, it gives the same model (same classes,
values, ``model_fields_set`` and ``to_dict()``); what it refuses is left to the generated
path, which then reads it or raises today's error.

The answers are built from every answer schema of both specs (the builder of
``test_generated_compat.py``): all properties or only the required ones, with nulls,
properties the client does not know and enum values it does not know, the answers of the
older releases' specs, and each property of the main answers changed to another type, left
out or null. Then the JSON itself: what ``json.loads`` and pydantic-core's parser could
read differently.
"""

from __future__ import annotations

import copy
import functools
import importlib
import itertools
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import test_generated_compat
from pydantic import BaseModel, ValidationError
from test_generated_compat import PACKAGES, UNKNOWN_VALUES, Answers
from transforms.compat import (
    _older_specs,
    response_schema_names,
    tolerate_older_v1_servers,
    tolerate_older_v2_servers,
)

from airflow_client_ext._validate import reader

#: the transformed spec, read once per module (the compat test reads it per test)
current_spec = functools.cache(test_generated_compat.current_spec)
v1 = importlib.import_module("airflow_client_ext_v1")
v2 = importlib.import_module("airflow_client_ext_v2")


def model_class(spec_id: str, schema: str) -> Any:
    cls = getattr(importlib.import_module(PACKAGES[spec_id]), re.sub(r"\W", "", schema), None)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def difference(got: Any, expected: Any, path: str = "$") -> str | None:
    """Where two reads differ (types, values, fields set, extras), or None."""
    if type(got) is not type(expected):
        return f"{path}: {type(got).__name__} != {type(expected).__name__}"
    if isinstance(got, BaseModel):
        if got.model_fields_set != expected.model_fields_set:
            return f"{path}: fields set {sorted(got.model_fields_set ^ expected.model_fields_set)}"
        if got.__pydantic_extra__ != expected.__pydantic_extra__:
            return f"{path}: extra"
        pairs: Iterator[tuple[Any, Any, str]] = (
            (getattr(got, n), getattr(expected, n), f"{path}.{n}") for n in type(got).model_fields
        )
    elif isinstance(got, list):
        if len(got) != len(expected):
            return f"{path}: {len(got)} != {len(expected)} items"
        pairs = ((a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(got, expected, strict=True)))
    elif isinstance(got, dict):
        if list(got) != list(expected):
            return f"{path}: keys {list(got)} != {list(expected)}"
        pairs = ((got[k], expected[k], f"{path}.{k}") for k in got)
    else:
        same = got == expected or (got != got and expected != expected)  # NaN
        return None if same and repr(got) == repr(expected) else f"{path}: {got!r} != {expected!r}"
    return next((d for a, b, p in pairs if (d := difference(a, b, p)) is not None), None)


class Tally:
    """Reads each answer both ways and keeps what did not match."""

    def __init__(self) -> None:
        self.read = self.refused = 0
        self.wrong: list[str] = []

    def check(self, cls: Any, data: bytes, label: str) -> None:
        read = reader(cls)
        assert read is not None, cls
        try:
            expected: Any = cls.from_dict(json.loads(data))
        except Exception as exc:
            expected = exc
        try:
            got = read(data)
        except ValidationError:
            self.refused += 1  # the generated path decides: nothing to compare
            return
        self.read += 1
        if isinstance(expected, Exception):
            self.wrong.append(f"{label}: read, but from_dict fails with {expected!r}")
            return
        diff = difference(got, expected) or difference(got.to_dict(), expected.to_dict(), "dict")
        if diff is not None:
            self.wrong.append(f"{label}: {diff}")


def answer_classes(spec_id: str) -> list[tuple[str, Any]]:
    """(schema, class) of each answer schema read by the one-pass reader."""
    names = sorted(response_schema_names(current_spec(spec_id)))
    found = [(name, model_class(spec_id, name)) for name in names]
    return [(name, cls) for name, cls in found if cls is not None and reader(cls) is not None]


def built(answers: Answers, name: str) -> Any:
    try:
        return answers.for_schema(name)
    except AssertionError:  # a schema that recurses through required properties
        return None


@pytest.mark.parametrize("spec_id", ["v1", "v2"])
def test_every_answer_schema_reads_as_from_dict_reads_it(spec_id: str) -> None:
    spec = current_spec(spec_id)
    classes = answer_classes(spec_id)
    assert len(classes) > (40 if spec_id == "v1" else 90)
    tally = Tally()
    for mode, nulls, extra, unknown in itertools.product(
        ("required", "sparse"), (False, True), (False, True), (None, UNKNOWN_VALUES)
    ):
        answers = Answers(spec, mode, nulls=nulls, extra=extra, unknown=unknown)
        for name, cls in classes:
            payload = built(answers, name)
            if payload is not None:
                label = f"{name} {mode} nulls={nulls} extra={extra} unknown={bool(unknown)}"
                tally.check(cls, json.dumps(payload).encode(), label)
    assert tally.wrong == []
    assert tally.refused == 0  # well-formed answers never take the slow path
    assert tally.read > 16 * len(classes) * 0.9


@pytest.mark.parametrize("spec_id", ["v1", "v2"])
def test_older_releases_answers_read_as_from_dict_reads_them(spec_id: str) -> None:
    until = tolerate_older_v1_servers if spec_id == "v1" else tolerate_older_v2_servers
    classes = dict(answer_classes(spec_id))
    tally = Tally()
    for version, old in _older_specs(spec_id, until):
        for name in sorted(classes.keys() & response_schema_names(old)):
            for mode, nulls in itertools.product(("required", "sparse"), (False, True)):
                payload = built(Answers(old, mode, nulls=nulls), name)
                if payload is not None:
                    label = f"{version} {name} {mode} nulls={nulls}"
                    tally.check(classes[name], json.dumps(payload).encode(), label)
    assert tally.wrong == []
    assert tally.refused == 0
    assert tally.read > 100


#: what a property is changed to: left out, null, and values of every JSON type
CHANGES: list[tuple[str, Any]] = [
    ("left out", None),
    ("null", None),
    ("int", 12),
    ("negative", -3),
    ("big int", 2**70),
    ("float", 1.5),
    ("whole float", 2.0),
    ("bool", True),
    ("string", "x"),
    ("empty string", ""),
    ("numeric string", "7"),
    ("datetime", "2026-01-02T03:04:05Z"),
    ("naive datetime", "2026-01-02T03:04:05"),
    ("uuid", "0195e5a7-2f3c-7d1e-9a4b-0c5d6e7f8091"),
    ("empty list", []),
    ("list of null", [None]),
    ("list of string", ["a"]),
    ("empty object", {}),
]


def places(doc: Any, at: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    """The paths of the properties of a document (and of the first item of each list)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*at, key)
            if depth < 3:
                yield from places(value, (*at, key), depth + 1)
    elif isinstance(doc, list) and doc and depth < 3:
        yield (*at, 0)
        yield from places(doc[0], (*at, 0), depth + 1)


def changed(doc: Any, path: tuple[Any, ...], change: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if change == "left out":
        if not isinstance(parent, dict):
            return None
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("spec_id", "schema"),
    [
        ("v2", "DAGRunResponse"),
        ("v2", "TaskInstanceCollectionResponse"),
        ("v2", "DAGResponse"),
        ("v2", "ConnectionResponse"),
        ("v1", "DAGRun"),
        ("v1", "TaskInstanceCollection"),
        ("v1", "DAG"),
        ("v1", "Connection"),
    ],
)
def test_a_changed_property_reads_as_from_dict_reads_it_or_is_left_to_it(
    spec_id: str, schema: str
) -> None:
    cls = model_class(spec_id, schema)
    payload = Answers(current_spec(spec_id), "sparse").for_schema(schema)
    tally = Tally()
    for path in places(payload):
        for change, value in CHANGES:
            doc = changed(payload, path, change, value)
            if doc is not None:
                label = f"{'.'.join(map(str, path))} {change}"
                tally.check(cls, json.dumps(doc).encode(), label)
    assert tally.wrong == []
    assert tally.read > 30
    assert tally.refused > 30  # the wrong types are refused, not taken


# -- the JSON itself ----------------------------------------------------------------------------
RUN = json.dumps(
    Answers(current_spec("v2"), "sparse").for_schema("DAGRunResponse")
    | {"conf": {}, "note": None, "duration": 27.5}
)


def variant(old: str, new: str) -> bytes:
    assert old in RUN
    return RUN.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(variant('"note": null', '"note": "a", "note": "b"'), id="duplicate key"),
        pytest.param(variant('"conf": {}', '"conf": {"a": 1, "a": 2}'), id="duplicate in conf"),
        pytest.param(variant('"conf": {}', '"conf": {"x": NaN, "y": -Infinity}'), id="NaN"),
        pytest.param(variant('"duration": 27.5', '"duration": Infinity'), id="Infinity"),
        pytest.param(variant('"duration": 27.5', '"duration": 1E400'), id="overflow"),
        pytest.param(variant('"duration": 27.5', '"duration": 27'), id="int for a float"),
        pytest.param(
            variant('"duration": 27.5', '"duration": 0.30000000000000004'), id="float digits"
        ),
        pytest.param(
            variant('"conf": {}', '"conf": {"f": -0.0, "g": 1e-320, "h": 123456789012345678901}'),
            id="numbers in conf",
        ),
        pytest.param(variant('"note": null', '"note": "\\ud800"'), id="lone surrogate"),
        pytest.param(variant('"note": null', '"note": "\\ud83d\\ude00"'), id="surrogate pair"),
        pytest.param(variant('"note": null', '"note": "caf\\u00e9 \u00e9"'), id="utf-8"),
        pytest.param(RUN.encode().replace(b'"note": null', b'"note": "\xff"'), id="bad utf-8"),
        pytest.param(b"\xef\xbb\xbf" + RUN.encode(), id="BOM"),
        pytest.param(RUN.encode() + b" x", id="trailing data"),
        pytest.param(b" \n" + RUN.encode() + b"\n", id="whitespace"),
        pytest.param(variant('"conf": {}', '"conf": ' + "[" * 300 + "]" * 300), id="deep"),
        pytest.param(
            variant('"conf": {}', '"conf": {"d": ' + "[" * 200 + "]" * 200 + "}"), id="deep2"
        ),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="list"),
        pytest.param(b'"x"', id="string"),
        pytest.param(b"{}", id="empty object"),
    ],
)
def test_the_json_parser_reads_what_json_loads_reads(data: bytes) -> None:
    tally = Tally()
    try:
        json.loads(data)
    except ValueError:  # json.loads refuses: so must the reader (the error is the generated one)
        with pytest.raises(ValidationError):
            reader(v2.DAGRunResponse)(data)  # type: ignore[misc]
        return
    tally.check(v2.DAGRunResponse, data, "variant")
    assert tally.wrong == []


# -- the rules, one by one ----------------------------------------------------------------------
def read(cls: Any, doc: dict[str, Any]) -> Any:
    made = reader(cls)
    assert made is not None
    return made(json.dumps(doc).encode())


def test_a_property_is_read_by_its_wire_name_only() -> None:
    doc = {"connection_id": "c", "conn_type": "http", "var_schema": "python-name"}
    assert read(v2.ConnectionResponse, doc).var_schema is None
    assert v2.ConnectionResponse.from_dict(doc).var_schema is None
    assert read(v2.ConnectionResponse, {**doc, "schema": "wire"}).var_schema == "wire"


def test_left_out_properties_count_as_set_as_with_from_dict() -> None:
    doc = {"dag_run_id": "r", "dag_id": "d", "state": "queued", "run_type": "manual"}
    doc |= {"run_after": "2026-01-01T00:00:00Z", "conf": None, "dag_versions": []}
    got, expected = read(v2.DAGRunResponse, doc), v2.DAGRunResponse.from_dict(doc)
    assert got.model_fields_set == set(v2.DAGRunResponse.model_fields)
    assert difference(got, expected) is None
    assert got.to_dict() == expected.to_dict()
    assert got.to_dict()["note"] is None  # written as null: it counts as set


def test_a_null_where_the_spec_gives_a_default_is_left_to_from_dict() -> None:
    doc = Answers(current_spec("v2"), "required").for_schema("DAGDetailsResponse")
    doc["is_favorite"] = None
    with pytest.raises(ValidationError):
        read(v2.DAGDetailsResponse, doc)
    assert v2.DAGDetailsResponse.from_dict(doc).is_favorite is False
    doc.pop("is_favorite")  # left out: the default, both ways
    assert read(v2.DAGDetailsResponse, doc).is_favorite is False


def test_a_model_with_its_own_reading_is_read_by_its_from_dict() -> None:
    assert reader(v2.StructuredLogMessage) is None  # additional_properties
    assert reader(v1.ScheduleInterval) is None  # an anyOf wrapper
    doc = Answers(current_spec("v1"), "sparse").for_schema("DAG")
    doc["schedule_interval"] = {"__type": "CronExpression", "value": "0 * * * *"}
    got, expected = read(v1.DAG, doc), v1.DAG.from_dict(doc)
    assert isinstance(got.schedule_interval, v1.ScheduleInterval)
    assert difference(got, expected) is None


def test_the_classes_keep_their_own_validators() -> None:
    reader(v2.DAGRunResponse)
    assert v2.DAGRunResponse.__pydantic_complete__ is True
    with pytest.raises(ValidationError) as info:
        v2.DAGRunResponse.model_validate_json("{}")
    assert {e["type"] for e in info.value.errors()} == {"missing"}
    with pytest.raises(ValidationError) as info:
        read(v2.DAGRunResponse, {})  # left out: None, and a None where a string must be
    assert "missing" not in {e["type"] for e in info.value.errors()}


def test_threads_reading_sparse_and_whole_answers_count_their_own_left_outs() -> None:
    whole = json.loads(RUN)
    sparse = {k: v for k, v in whole.items() if k not in ("note", "bundle_version")}
    errors: list[str] = []

    def work(doc: dict[str, Any]) -> None:
        for _ in range(300):
            got = read(v2.DAGRunResponse, doc)
            if got.model_fields_set != set(v2.DAGRunResponse.model_fields):
                errors.append("fields set")

    threads = [threading.Thread(target=work, args=(d,)) for d in (whole, sparse) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_client_imports_pydantic_only_with_the_generated_models() -> None:
    import subprocess
    import sys

    code = (
        "import sys, airflow_client_ext as a; a.AirflowClient('http://h', api_version='v2'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("cls", [v2.DAGRunResponse, v1.DAGRun], ids=["required", "optional"])
def test_a_validator_that_ignores_the_rules_is_not_used(cls: Any) -> None:
    from airflow_client_ext._validate import Reader, _follows_the_rules

    own = Reader(cls.__pydantic_validator__, {cls: ()})  # what a reused validator would be
    assert not _follows_the_rules(own, cls, set(cls.model_fields))
    made = reader(cls)
    assert made is not None
    assert _follows_the_rules(made, cls, set(cls.model_fields))
