"""The one comparison of ``import_config`` and ``migrate`` (``_compare``): each outcome of
one item, a kind applied through an adapter's writes (one request per item, as on Airflow
2), and what ``import_config`` makes of it. No server: the adapter is a fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from airflow_client_ext import AirflowClient
from airflow_client_ext._compare import (
    CONNECTION,
    POOL,
    VARIABLE,
    Words,
    decide,
    differing,
    sync,
)
from airflow_client_ext._versions import V1Adapter
from airflow_client_ext._writes import Failure
from airflow_client_ext.errors import (
    AuthenticationError,
    ConflictError,
    InvalidArgumentError,
    TransportError,
)
from airflow_client_ext.models import ConfigItem

WORDS = Words(
    here="the target",
    masked="masked there",
    lacking="lacks its {fields}",
    not_shown="the target hides them",
)


def plan(spec: Any, raw: dict[str, Any], current: dict[str, Any] | None, **options: Any) -> Any:
    options.setdefault("mode", "upsert")
    options.setdefault("listed", {})
    return decide(spec, raw, current, words=WORDS, **options)


# -- one item -------------------------------------------------------------------------------
def test_an_item_the_server_lacks_is_created_with_every_field_it_has() -> None:
    decision = plan(VARIABLE, {"key": "k", "value": "v", "description": "d"}, None)
    assert (decision.outcome, decision.item) == (
        "created",
        ConfigItem("variable", "k", ("value", "description"), "created"),
    )
    assert decision.missing == ()
    assert decision.write is not None
    assert decision.write.is_create
    assert dict(decision.write.item) == {"key": "k", "value": "v", "description": "d"}
    assert decision.write.secrets == ("v",)  # masked in what the server says about it
    assert "'v'" not in repr(decision.write)


def test_a_created_connection_never_gets_the_mask_of_its_extra() -> None:
    raw = {"connection_id": "c", "conn_type": "http", "extra": '{"region": "eu", "key": "***"}'}
    decision = plan(CONNECTION, raw, None)
    assert decision.outcome == "created"
    assert decision.write is not None
    assert decision.write.item["extra"] == '{"region": "eu"}'
    (missing,) = decision.missing
    assert missing == ConfigItem(
        "connection",
        "c",
        ("extra",),
        "masked there: key; created without it: set it on the target",
    )


def test_an_item_that_cannot_be_created_without_a_missing_value_is_skipped() -> None:
    decision = plan(VARIABLE, {"key": "k", "value": "***"}, None)
    assert decision.outcome == "skipped"
    assert decision.item == ConfigItem("variable", "k", ("value",), "lacks its value")
    assert decision.write is None
    assert [m.reason for m in decision.missing] == ["masked there; not created"]


def test_an_item_that_differs_is_updated_in_the_differing_fields_only() -> None:
    current = {"name": "p", "slots": 1, "description": "same", "include_deferred": False}
    decision = plan(POOL, {"name": "p", "slots": 4, "description": "same"}, current)
    assert decision.outcome == "updated"
    assert decision.item == ConfigItem("pool", "p", ("slots",), "updated")
    assert decision.write is not None
    assert decision.write.fields == ("slots",)
    assert decision.write.current == current


def test_an_equal_item_is_unchanged_and_says_what_it_could_not_compare() -> None:
    current = {"connection_id": "c", "conn_type": "http", "host": "h", "password": "***"}
    raw = {"connection_id": "c", "conn_type": "http", "host": "h", "password": "pw"}
    decision = plan(CONNECTION, raw, current)
    assert decision.outcome == "unchanged"
    assert decision.item.reason == "unchanged; not compared, the target hides them: password"
    assert decision.write is None
    forced = plan(CONNECTION, raw, current, overwrite_secrets=True)
    assert forced.outcome == "updated"
    assert forced.item.fields == ("password",)


def test_skip_existing_leaves_a_differing_item_alone_and_says_why() -> None:
    current = {"key": "k", "value": "old", "description": "***"}
    decision = plan(VARIABLE, {"key": "k", "value": "new"}, current, mode="skip-existing")
    assert decision.outcome == "skipped"
    assert decision.item == ConfigItem(
        "variable", "k", ("value",), "exists (mode=skip-existing); differs"
    )
    assert decision.write is None
    unchanged = plan(VARIABLE, {"key": "k", "value": "old"}, current, mode="skip-existing")
    assert unchanged.outcome == "unchanged"


def test_a_secret_the_source_did_not_give_is_missing_and_left_as_it_is() -> None:
    current = {"connection_id": "c", "conn_type": "http"}
    listed = {"password": "never exported"}
    decision = plan(CONNECTION, {"connection_id": "c", "conn_type": "http"}, current, listed=listed)
    assert decision.outcome == "unchanged"
    assert [(m.fields, m.reason) for m in decision.missing] == [
        (("password",), "never exported; left as it is on the target")
    ]


def test_include_deferred_none_is_the_default_false() -> None:
    pool = {"name": "p", "slots": 1, "description": None, "include_deferred": None}
    assert differing(POOL, pool, {**pool, "include_deferred": False}) == ([], [])
    assert differing(POOL, pool, {**pool, "include_deferred": True}) == (["include_deferred"], [])


def test_a_key_the_server_masks_and_the_wanted_extra_lacks_is_left_alone() -> None:
    # an export never carries a masked key (Airflow 3 -> 2 and back): its absence from the
    # wanted extra is no reason to write the extra (which would remove the secret unseen)
    current = {"connection_id": "c", "extra": '{"region": "eu", "token": "***"}'}
    without = {"connection_id": "c", "extra": '{"region": "eu"}'}
    assert differing(CONNECTION, without, current) == ([], [])
    other = {"connection_id": "c", "extra": '{"region": "us"}'}
    assert differing(CONNECTION, other, current) == (["extra"], [])
    with_it = {"connection_id": "c", "extra": '{"region": "eu", "token": "t"}'}
    assert differing(CONNECTION, with_it, current) == ([], ["extra"])


# -- one kind, through an adapter that writes one item per request --------------------------
class Target(V1Adapter):
    """Holds pools; writes them one request each, as on Airflow 2; ``refuse`` and ``stop``
    name the pools whose write is refused (a 409) or gets no answer."""

    def __init__(self, pools: list[dict[str, Any]] | None = None, **behaviour: Any) -> None:
        super().__init__(AirflowClient("http://127.0.0.1:1", api_version="v1"))
        self.held = {p["name"]: dict(p) for p in pools or []}
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []
        self.refuse: set[str] = set(behaviour.get("refuse", ()))
        self.stop: set[str] = set(behaviour.get("stop", ()))
        self.lock = threading.Lock()
        self.threads: set[int] = set()

    def pools(self) -> Iterator[dict[str, Any]]:
        return iter([dict(p) for p in self.held.values()])

    def variables(self) -> Iterator[dict[str, Any]]:
        return iter([])

    def connections(self) -> Iterator[dict[str, Any]]:
        return iter([])

    def _write(self, verb: str, item: Mapping[str, Any], fields: tuple[str, ...]) -> None:
        name = str(item["name"])
        with self.lock:
            self.calls.append((verb, name, fields))
            self.threads.add(threading.get_ident())
        if name in self.refuse:
            raise ConflictError(f"409: {name} clashes", status=409, method="POST", path="/pools")
        if name in self.stop:
            raise TransportError("no answer")
        self.held[name] = {**self.held.get(name, {}), **item}

    def create_pool(self, item: Mapping[str, Any]) -> None:
        self._write("create", item, ())

    def update_pool(self, item: Mapping[str, Any], current: Any, fields: Any) -> None:
        self._write("update", item, tuple(fields))


class Outcomes:
    def __init__(self) -> None:
        self.log: list[tuple[str, str, str]] = []

    def decided(self, outcome: str, item: ConfigItem) -> None:
        self.log.append(("decided", outcome, item.name))

    def written(self, results: list[tuple[str, ConfigItem, Failure]], stopped: bool) -> None:
        for outcome, item, failure in results:
            self.log.append(("written", "failed" if failure else outcome, item.name))
        if stopped:
            self.log.append(("stopped", "", ""))


def run_sync(target: Target, wanted: list[dict[str, Any]], **options: Any) -> Outcomes:
    recorder = Outcomes()
    options.setdefault("workers", 1)
    options.setdefault("dry_run", False)
    current = {name: dict(p) for name, p in target.held.items()}
    sync(
        POOL, wanted, current, target, recorder, mode="upsert", words=WORDS,
        listed=lambda raw: {}, **options,
    )  # fmt: skip
    return recorder


def test_sync_decides_everything_then_records_the_writes_in_order() -> None:
    target = Target([{"name": "b", "slots": 1}, {"name": "c", "slots": 3}])
    wanted = [{"name": n, "slots": 3} for n in "abcd"]
    recorder = run_sync(target, wanted)
    assert recorder.log == [
        ("decided", "unchanged", "c"),
        ("written", "created", "a"),
        ("written", "updated", "b"),
        ("written", "created", "d"),
    ]
    assert target.calls == [("create", "a", ()), ("update", "b", ("slots",)), ("create", "d", ())]


def test_a_dry_run_writes_nothing_and_records_what_it_would_do() -> None:
    target = Target([{"name": "b", "slots": 1}])
    wanted = [{"name": "a", "slots": 1}, {"name": "b", "slots": 2}]
    recorder = run_sync(target, wanted, dry_run=True)
    assert recorder.log == [("decided", "created", "a"), ("decided", "updated", "b")]
    assert target.calls == []


def test_one_request_per_item_workers_at_a_time_with_each_refusal_its_own() -> None:
    names = [f"p{i:02d}" for i in range(40)]
    target = Target(refuse={"p07"})
    recorder = run_sync(target, [{"name": n, "slots": 1} for n in names], workers=4)
    assert sorted(name for _, name, _ in target.calls) == names  # each one, once
    assert len(target.threads) > 1
    assert [entry[2] for entry in recorder.log] == names  # recorded in the wanted order
    assert [entry for entry in recorder.log if entry[1] == "failed"] == [
        ("written", "failed", "p07")
    ]


def test_an_error_for_every_write_stops_after_recording_the_writes_beside_it() -> None:
    names = [f"p{i:02d}" for i in range(40)]
    # one at a time: the writes before it are recorded, nothing after it is sent
    target = Target(stop={"p05"})
    with pytest.raises(TransportError):
        run_sync(target, [{"name": n, "slots": 1} for n in names], workers=1)
    assert [name for _, name, _ in target.calls] == names[:6]
    # in flight: its group of 16 finishes and is recorded, the next group is not sent
    target = Target(stop={"p05"})
    recorder = Outcomes()
    with pytest.raises(TransportError):
        sync(
            POOL, [{"name": n, "slots": 1} for n in names], {}, target, recorder,
            mode="upsert", dry_run=False, workers=4, words=WORDS, listed=lambda raw: {},
        )  # fmt: skip
    assert sorted(name for _, name, _ in target.calls) == names[:16]
    assert recorder.log[-1] == ("stopped", "", "")
    assert [entry[2] for entry in recorder.log[:-1]] == [n for n in names[:16] if n != "p05"]


# -- import_config on top of it -------------------------------------------------------------
DOC = {"format": "airflow-client-ext/config", "version": 1}


def importer(target: Target, monkeypatch: pytest.MonkeyPatch) -> AirflowClient:
    client = AirflowClient("http://127.0.0.1:1", api_version="v1")
    monkeypatch.setattr(client, "_adapter", lambda: target)
    return client


def test_import_writes_four_at_a_time_by_default_and_keeps_the_report_ordered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = Target([{"name": "p03", "slots": 9}])
    names = [f"p{i:02d}" for i in range(30)]
    report = importer(target, monkeypatch).import_config(
        {**DOC, "pools": [{"name": n, "slots": 1} for n in names]}
    )
    assert [i.name for i in report.created] == [n for n in names if n != "p03"]
    assert [(i.name, i.fields) for i in report.updated] == [("p03", ("slots",))]
    assert len(target.threads) > 1
    assert target.held["p03"]["slots"] == 1


def test_import_one_at_a_time_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    target = Target()
    importer(target, monkeypatch).import_config(
        {**DOC, "pools": [{"name": f"p{i}", "slots": 1} for i in range(9)]}, workers=1
    )
    assert len(target.threads) == 1
    with pytest.raises(InvalidArgumentError, match="workers must be an integer from 1 to 32"):
        importer(target, monkeypatch).import_config(DOC, workers=0)


def test_import_raises_a_refused_write_once_the_writes_beside_it_are_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = Target(refuse={"p02"})
    names = [f"p{i:02d}" for i in range(30)]
    doc = {
        **DOC,
        "pools": [{"name": n, "slots": 1} for n in names],
        "variables": [{"key": "v", "value": "1"}],
    }
    with pytest.raises(ConflictError, match="p02 clashes"):
        importer(target, monkeypatch).import_config(doc)
    # the group of 16 in flight with it finished; nothing after it was sent
    assert sorted(name for _, name, _ in target.calls) == names[:16]
    assert sorted(target.held) == sorted(set(names[:16]) - {"p02"})


def test_import_stops_at_refused_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing(Target):
        def create_pool(self, item: Mapping[str, Any]) -> None:
            raise AuthenticationError("401", status=401, method="POST", path="/pools")

    with pytest.raises(AuthenticationError):
        importer(Refusing(), monkeypatch).import_config(
            {**DOC, "pools": [{"name": "p", "slots": 1}]}, workers=1
        )


def test_an_item_twice_in_a_document_is_refused_before_anything_is_read() -> None:
    client = AirflowClient("http://127.0.0.1:1", api_version="v1")
    doc = {**DOC, "variables": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]}
    with pytest.raises(InvalidArgumentError, match=r"variables\[1\]\.key: 'a' is in the doc"):
        client.import_config(doc)
    assert client.transport.stats.requests == 0
