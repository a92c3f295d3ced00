"""A task instance listing reads its page straight into ``TaskInstance`` objects
(``airflow_client_ext._reads.Listing``): a picker reads only their fields, each checked by
the generated model's rules, and each result makes its ``raw`` when it is first read.

The picker is compared with the one-pass reader of the whole model over every change of
every property of a page (``test_validate``'s changes): where the model reads a page, the
picker reads the same values; where the picker reads a page the model refuses, the model
refused only fields that no ``TaskInstance`` carries (those fail when ``raw`` is read).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import threading
from typing import Any

import pytest
from pydantic import ValidationError
from test_generated_compat import Answers
from test_typed_results import V1, V2, Canned, old_task_instance
from test_typed_results import canned as canned  # the fixture: v1 and v2 canned servers
from test_validate import CHANGES, changed, current_spec, difference, model_class, places

from airflow_client_ext import InvalidResponseError
from airflow_client_ext._reads import Listing
from airflow_client_ext._validate import picker, reader
from airflow_client_ext._versions import ADAPTERS, TI_FIELDS
from airflow_client_ext.models import TaskInstance

#: what a picker reads: the answer's model, its list field (None: one item) and item fields
CASES = {
    "tis": ("tis", "task_instances", TI_FIELDS),
    "runs": ("runs", "dag_runs", None),
    "run": ("run", None, None),
}


def page_path(api: str) -> str:
    return f"{V1 if api == 'v1' else V2}/dagRuns/RUN/taskInstances"


class Picked:
    """The picker of one answer model of a workflow, as the adapter builds it."""

    def __init__(self, api: str, kind: str) -> None:
        adapter = ADAPTERS[api]
        name, self.field, names = CASES[kind]
        self.names = names or adapter.run_names
        self.schema = adapter.models_of[name]
        self.model = model_class(api, self.schema)
        if self.field is None:
            pick = picker(self.model, {self.model: self.names})
        else:
            item = model_class(api, adapter.models_of[name[:-1]])
            page = [self.field, "total_entries", "next_cursor"]
            page = [n for n in page if n in self.model.model_fields]
            pick = picker(self.model, {self.model: page, item: self.names})
        assert pick is not None
        self.pick = pick
        read = reader(self.model)
        assert read is not None
        self.read = read

    def items(self, answer: Any) -> list[Any]:
        """The items of a picked answer (dicts) or of a model."""
        if self.field is None:
            return [answer]
        got = answer[self.field] if isinstance(answer, dict) else getattr(answer, self.field)
        return list(got or [])

    def same(self, picked: Any, model: Any) -> str | None:
        pairs = zip(self.items(picked), self.items(model), strict=True)
        for got, item in pairs:
            diff = difference(got, {name: getattr(item, name) for name in self.names})
            if diff is not None:
                return diff
        if self.field is not None and picked["total_entries"] != model.total_entries:
            return "total_entries"
        return None


KINDS = [(api, kind) for api in ("v1", "v2") for kind in CASES]


@pytest.mark.parametrize(("api", "kind"), KINDS)
def test_the_picker_reads_what_the_whole_model_reads(api: str, kind: str) -> None:
    way = Picked(api, kind)
    payload = Answers(current_spec(api), "sparse").for_schema(way.schema)
    assert way.items(payload)
    same = skipped = refused = 0
    depth = 1 if way.field is None else 3  # where the item's own fields are in an error
    for path in places(payload):
        for change, value in CHANGES:
            doc = changed(payload, path, change, value)
            if doc is None:
                continue
            data, label = json.dumps(doc).encode(), f"{'.'.join(map(str, path))} {change}"
            try:
                model = way.read(data)
            except ValidationError as exc:
                model, whole = None, exc
            try:
                picked = way.pick(data)
            except ValidationError:
                refused += 1  # the workflow reads the whole model: nothing to compare
                continue
            if model is None:  # only fields that no result carries may be wrong
                wrong = {tuple(e["loc"][:depth]) for e in whole.errors()}
                assert all(len(loc) == depth and loc[-1] not in way.names for loc in wrong), label
                skipped += 1
                continue
            assert way.same(picked, model) is None, label
            same += 1
    assert same > 30
    assert refused > 20  # a wrong type in a field of the result is refused
    assert skipped > 5  # the others are left to raw


@pytest.mark.parametrize(("api", "kind"), KINDS)
def test_well_formed_answers_are_never_refused(api: str, kind: str) -> None:
    """Every shape of an answer the spec allows (all properties or only the required ones,
    nulls, unknown properties and enum values) is read by the picker."""
    from test_generated_compat import UNKNOWN_VALUES

    way = Picked(api, kind)
    for mode in ("required", "sparse"):
        for nulls in (False, True):
            for unknown in (None, UNKNOWN_VALUES):
                answers = Answers(current_spec(api), mode, nulls=nulls, extra=True, unknown=unknown)
                data = json.dumps(answers.for_schema(way.schema)).encode()
                assert way.same(way.pick(data), way.read(data)) is None


def counted_reads(client: Any) -> list[str]:
    """The operations whose answers the client reads into a generated model from now on."""
    api_client = client.api("TaskInstanceApi").api_client
    reads: list[str] = []
    read_model = api_client.read_model

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[2])
        return read_model(*args, **kwargs)

    api_client.read_model = counted
    return reads


def test_a_listing_makes_raw_when_it_is_first_read_once_per_page(
    canned: tuple[str, Canned],
) -> None:
    api, server = canned
    client = server.client()
    reads = counted_reads(client)
    tis = list(client.iter_task_instances("quick_success", "RUN"))
    assert isinstance(client._adapter().task_instances_method(checked=True), Listing)
    assert reads == []  # no generated model made yet
    assert all("raw" not in vars(ti) for ti in tis)
    first, second = tis[0].raw, tis[1].raw
    assert reads == ["TaskInstanceApi.get_task_instances"]  # one read for the whole page
    whole = json.loads(server.answers[page_path(api)])["task_instances"]
    assert first.to_dict() == type(first).from_dict(whole[0]).to_dict()
    assert second.task_id == whole[1]["task_id"]
    assert tis[0].raw is first  # kept
    for ti in tis:
        assert ti == old_task_instance(ti.raw)
        assert vars(ti).keys() == {f.name for f in dataclasses.fields(ti)}
    assert reads == ["TaskInstanceApi.get_task_instances"]


def test_a_bad_field_no_task_instance_carries_fails_when_raw_is_read(
    canned: tuple[str, Canned],
) -> None:
    api, server = canned
    path = page_path(api)
    page = json.loads(server.answers[path])
    good = copy.deepcopy(page["task_instances"])
    page["task_instances"][1]["priority_weight"] = "high"  # not a field of TaskInstance
    server.answers[path] = json.dumps(page).encode()
    tis = list(server.client().iter_task_instances("quick_success", "RUN"))
    assert [ti.task_id for ti in tis] == [ti["task_id"] for ti in good]
    assert [ti.state for ti in tis[:2]] == [ti["state"] for ti in good[:2]]
    with pytest.raises(InvalidResponseError) as info:
        tis[0].raw  # noqa: B018  the page is read whole: its bad item is named
    assert info.value.operation == "TaskInstanceApi.get_task_instances"
    assert info.value.fields == ["priority_weight"]  # as the existing test: the last part
    with pytest.raises(InvalidResponseError):
        tis[1].raw  # noqa: B018  and again: nothing half-made is kept


def test_a_listed_task_instance_pickles_copies_and_replaces_with_its_raw(
    canned: tuple[str, Canned],
) -> None:
    _, server = canned
    for made in (
        lambda ti: pickle.loads(pickle.dumps(ti)),
        copy.copy,
        copy.deepcopy,
        lambda ti: dataclasses.replace(ti, note="x"),
    ):
        [ti, *_] = server.client().iter_task_instances("quick_success", "RUN")
        other = made(ti)
        assert other.raw is not None
        assert other.raw.to_dict() == ti.raw.to_dict()
        assert "_raw_later" not in vars(other)
    plain = TaskInstance("d", "r", "t")
    assert plain.raw is None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        plain.nothing  # type: ignore[attr-defined]  # noqa: B018


def test_threads_reading_raw_of_one_page_get_one_model(canned: tuple[str, Canned]) -> None:
    _, server = canned
    client = server.client()
    reads = counted_reads(client)
    tis = list(client.iter_task_instances("quick_success", "RUN"))
    got: dict[str, Any] = {}
    barrier = threading.Barrier(len(tis))

    def read(ti: TaskInstance) -> None:
        barrier.wait()
        got[ti.key] = ti.raw

    threads = [threading.Thread(target=read, args=(ti,)) for ti in tis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert reads == ["TaskInstanceApi.get_task_instances"]
    assert [got[ti.key].task_id for ti in tis] == [ti.task_id for ti in tis]


def test_a_dag_run_makes_raw_when_it_is_first_read(canned: tuple[str, Canned]) -> None:
    api, server = canned
    path = f"{V1 if api == 'v1' else V2}/dagRuns/RUN"
    operation = f"{'DAGRunApi' if api == 'v1' else 'DagRunApi'}.get_dag_run"
    client = server.client()
    reads = counted_reads(client)
    run = client.get_dag_run("quick_success", "RUN")
    [listed] = client.iter_dag_runs("quick_success")
    assert reads == []
    assert run == listed
    assert run.raw.to_dict() == type(run.raw).from_dict(json.loads(server.answers[path])).to_dict()
    assert reads == [operation]
    assert listed.raw.to_dict() == run.raw.to_dict()
    # a bad field that no DagRun carries: the run reads, its raw names the field
    doc = json.loads(server.answers[path])
    doc["run_after" if api == "v2" else "external_trigger"] = [1]
    server.answers[path] = json.dumps(doc).encode()
    again = client.get_dag_run("quick_success", "RUN")
    assert again == run
    with pytest.raises(InvalidResponseError) as info:
        again.raw  # noqa: B018
    assert info.value.operation == operation
    # a bad field of a DagRun: the typed error at once, as before
    doc["state"] = 3
    server.answers[path] = json.dumps(doc).encode()
    with pytest.raises(InvalidResponseError, match="state"):
        client.get_dag_run("quick_success", "RUN")
