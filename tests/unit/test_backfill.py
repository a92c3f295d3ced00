"""``client.backfill`` and ``client.wait_backfill`` without a server: a fake Airflow 2 or 3
(``backfill_support.FakeAirflow``) behind the real client, transport and generated models.

What the real servers do is for the contract tests; here: the decisions per date, the run
ids, the request bodies, the refusals made before anything is sent, limit and partial,
idempotence, the 409 of a second backfill, and the wait with its failure report. Also the
run id filters of ``iter_dag_runs``: the client's filter equals the server's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from backfill_support import UTC, FakeAirflow, day, iso, server_prefix_match

from airflow_client_ext._backfill import DEFAULT_PREFIX, cut, decide, run_id_for
from airflow_client_ext._checks import RUN_ID_PATTERN, check_new_run_id
from airflow_client_ext._paging import run_id_selected
from airflow_client_ext.errors import (
    BackfillConflictError,
    BackfillFailedError,
    BackfillIncompleteError,
    DagPausedError,
    InvalidArgumentError,
    ServerError,
    UnsupportedFeatureError,
    UnsupportedScheduleError,
    WaitTimeoutError,
)
from airflow_client_ext.models import Backfill, BackfillEntry, DagRun
from airflow_client_ext.retry import DEFAULT_RETRY


# -- pure pieces -----------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", [DEFAULT_PREFIX, "nightly-", "a", "x.y~z:+-_"])
@pytest.mark.parametrize(
    "date",
    [
        day(1),
        datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=UTC),
        datetime.fromisoformat("2026-06-01T02:00+02:00"),
    ],
)
def test_run_ids_are_valid_airflow_run_ids(prefix: str, date: datetime) -> None:
    run_id = run_id_for(prefix, 42, date)
    assert RUN_ID_PATTERN.fullmatch(run_id)
    assert check_new_run_id(run_id) == run_id
    assert run_id == f"{prefix}0000042_{date.astimezone(UTC).isoformat()}"
    assert "backfill" not in run_id.lower()


def test_the_default_prefix_makes_ids_like_the_old_plugins() -> None:
    assert run_id_for(DEFAULT_PREFIX, 1, day(1)) == "batch_0000001_2026-01-01T00:00:00+00:00"
    # fixed-width numbers: the ids of one range sort in date order
    ids = [run_id_for(DEFAULT_PREFIX, n, day(n)) for n in (9, 10, 11)]
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("state", "none", "failed", "completed"),
    [
        (None, "create", "create", "create"),
        ("queued", "skip", "skip", "skip"),
        ("running", "skip", "skip", "skip"),
        ("success", "skip", "skip", "clear"),
        ("failed", "skip", "clear", "clear"),
    ],
)
def test_reprocess_decisions(state: str | None, none: str, failed: str, completed: str) -> None:
    assert [decide(state, r) for r in ("none", "failed", "completed")] == [none, failed, completed]


def test_limit_and_partial() -> None:
    dates = [day(n) for n in range(1, 8)]
    assert cut(dates, 7, False, "etl") == (dates, 0)
    assert cut(dates, 3, True, "etl") == (dates[:3], 4)
    with pytest.raises(InvalidArgumentError, match=r"7 runs, more than limit=3: pass partial=True"):
        cut(dates, 3, False, "etl")


def test_backfill_properties_follow_the_run_order() -> None:
    entries = (
        BackfillEntry(day(1), "create", "a"),
        BackfillEntry(day(2), "skip", "b", "running"),
        BackfillEntry(day(3), "clear", "c", "failed"),
    )
    forward = Backfill("etl", entries)
    assert forward.dates == (day(1), day(3))
    assert forward.run_ids == ("a", "c")
    assert (forward.created, forward.cleared, forward.skipped) == ((day(1),), (day(3),), (day(2),))
    assert Backfill("etl", entries, run_backwards=True).dates == (day(3), day(1))
    assert forward.summary() == "etl: 3 dates, create 1, clear 1, skip 1"


# -- argument checks: before anything is sent ------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"prefix": "my_backfill_"}, "prefix"),
        ({"prefix": "a/b"}, "prefix"),
        ({"prefix": "a..b"}, "prefix"),
        ({"prefix": "x" * 201}, "prefix"),
        ({"prefix": ""}, "prefix"),
        ({"reprocess": "all"}, "reprocess"),
        ({"limit": 0}, "limit"),
        ({"limit": True}, "limit"),
        ({"max_active_runs": 0}, "max_active_runs"),
        ({"partial": "yes"}, "partial"),
        ({"conf": ["x"]}, "conf"),
        ({"end": day(1) - timedelta(seconds=1)}, "end"),
        ({"start": datetime(2026, 1, 1)}, "start"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    kwargs: dict[str, Any], argument: str
) -> None:
    fake = FakeAirflow(2)
    made = fake.client()
    call: dict[str, Any] = {"start": day(1), "end": day(3), **kwargs}
    with pytest.raises(InvalidArgumentError) as info:
        made.backfill("etl", call.pop("start"), call.pop("end"), **call)
    assert info.value.argument == argument
    assert fake.sent == []


def test_the_prefix_is_refused_on_airflow_3_before_anything_is_sent() -> None:
    fake = FakeAirflow(3)
    with pytest.raises(InvalidArgumentError, match="Airflow 3 names the runs") as info:
        fake.client().backfill("etl", day(1), day(3), prefix="nightly_")
    assert info.value.argument == "prefix"
    assert fake.sent == []


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"max_active_runs": 2}, "max_active_runs"), ({"run_backwards": True}, "run_backwards")],
)
def test_what_airflow_2_cannot_honour_is_refused(kwargs: dict[str, Any], argument: str) -> None:
    fake = FakeAirflow(2)
    with pytest.raises(InvalidArgumentError, match="needs Airflow 3's backfill API") as info:
        fake.client().backfill("etl", day(1), day(3), **kwargs)
    assert info.value.argument == argument
    assert fake.sent == []


def test_airflow_2_before_2_9_cannot_set_a_runs_data_interval() -> None:
    fake = FakeAirflow(2, "2.8.4")
    with pytest.raises(
        UnsupportedFeatureError, match=r"trigger_data_interval\) needs Airflow 2\.9\.0"
    ):
        fake.client().backfill("etl", day(1), day(3))
    assert fake.sent == []
    assert fake.client().backfill("etl", day(1), day(3), dry_run=True).created == (
        day(1),
        day(2),
        day(3),
    )


# -- Airflow 2: the client makes the runs ----------------------------------------------------
def test_airflow_2_creates_one_run_per_date_with_its_data_interval() -> None:
    fake = FakeAirflow(2)
    fake.add_run(day(2), "success")
    made = fake.client()
    backfill = made.backfill("etl", day(1), day(4), conf={"full": True})
    assert backfill.created == (day(1), day(3), day(4))
    assert backfill.skipped == (day(2),)
    assert backfill.id is None
    assert backfill.run_ids == (
        "batch_0000001_2026-01-01T00:00:00+00:00",
        "batch_0000003_2026-01-03T00:00:00+00:00",
        "batch_0000004_2026-01-04T00:00:00+00:00",
    )
    bodies = [s.body for s in fake.posts("/dagRuns")]
    assert bodies[0] == {
        "dag_run_id": "batch_0000001_2026-01-01T00:00:00+00:00",
        "logical_date": "2026-01-01T00:00:00+00:00",
        "data_interval_start": "2026-01-01T00:00:00+00:00",
        "data_interval_end": "2026-01-02T00:00:00+00:00",
        "conf": {"full": True},
    }
    assert len(bodies) == 3
    # the existing runs were looked up by logical date over the range
    listing = next(s for s in fake.sent if s.method == "GET" and s.path.endswith("/dagRuns"))
    assert listing.query["execution_date_gte"] == ["2026-01-01T00:00:00+00:00"]
    assert listing.query["execution_date_lte"] == ["2026-01-04T00:00:00+00:00"]


def test_a_repeated_call_makes_no_second_run_and_a_dry_run_makes_none() -> None:
    fake = FakeAirflow(2)
    made = fake.client()
    dry = made.backfill("etl", day(1), day(3), dry_run=True, prefix="nightly_")
    assert dry.dry_run
    assert dry.run_ids == tuple(f"nightly_000000{n}_{iso(day(n))}" for n in (1, 2, 3))
    assert fake.posts() == []
    first = made.backfill("etl", day(1), day(3), prefix="nightly_")
    assert first.run_ids == dry.run_ids
    again = made.backfill("etl", day(1), day(3), prefix="nightly_")
    assert again.created == ()
    assert again.skipped == (day(1), day(2), day(3))
    assert len(fake.posts("/dagRuns")) == 3
    assert len(fake.runs) == 3


def test_a_run_made_meanwhile_counts_as_there() -> None:
    fake = FakeAirflow(2)
    fake.conflict_on_create.add(run_id_for(DEFAULT_PREFIX, 2, day(2)))
    backfill = fake.client().backfill("etl", day(1), day(3))
    assert backfill.created == (day(1), day(3))
    assert [(e.action, e.run_id) for e in backfill.entries if e.logical_date == day(2)] == [
        ("skip", "scheduled__meanwhile")
    ]


def test_reprocess_clears_runs_on_airflow_2_and_leaves_running_ones() -> None:
    fake = FakeAirflow(2)
    failed = fake.add_run(day(1), "failed")
    done = fake.add_run(day(2), "success")
    fake.add_run(day(3), "running")
    made = fake.client()
    backfill = made.backfill("etl", day(1), day(3), reprocess="failed")
    assert (backfill.cleared, backfill.skipped, backfill.created) == (
        (day(1),),
        (day(2), day(3)),
        (),
    )
    assert [s.path.split("/")[-2] for s in fake.posts("/clear")] == [failed]
    assert fake.posts("/clear")[0].body == {"dry_run": False}  # the whole run runs again
    fake.runs[failed]["state"] = "success"
    backfill = made.backfill("etl", day(1), day(3), reprocess="completed")
    assert backfill.cleared == (day(1), day(2))
    assert backfill.run_ids == (failed, done)


def test_more_runs_than_the_limit_is_an_error_unless_partial() -> None:
    fake = FakeAirflow(2)
    made = fake.client()
    with pytest.raises(InvalidArgumentError, match="10 runs, more than limit=4") as info:
        made.backfill("etl", day(1), day(10), limit=4)
    assert info.value.argument == "limit"
    assert fake.posts() == []
    first = made.backfill("etl", day(1), day(10), limit=4, partial=True)
    assert (first.created, first.remaining, first.to_date) == (
        tuple(day(n) for n in range(1, 5)),
        6,
        day(4),
    )
    second = made.backfill("etl", day(1), day(10), limit=4, partial=True)
    assert second.created == tuple(day(n) for n in range(5, 9))
    assert second.run_ids[0] == run_id_for(DEFAULT_PREFIX, 5, day(5))  # numbered in the range
    assert second.remaining == 2


def test_a_paused_dag_is_refused_or_unpaused() -> None:
    fake = FakeAirflow(2)
    fake.details["is_paused"] = True
    made = fake.client()
    with pytest.raises(DagPausedError, match="unpause=True"):
        made.backfill("etl", day(1), day(2))
    assert fake.posts() == []
    assert made.backfill("etl", day(1), day(2), dry_run=True).created == (day(1), day(2))
    made.backfill("etl", day(1), day(2), unpause=True)
    assert fake.posts()[0].method == "PATCH"
    assert fake.posts()[0].query["update_mask"] == ["is_paused"]
    assert len(fake.posts("/dagRuns")) == 2


def test_the_dags_start_date_bounds_the_range_and_no_schedule_is_an_error() -> None:
    fake = FakeAirflow(2)
    fake.details["start_date"] = "2026-01-03T00:00:00+00:00"
    assert fake.client().backfill("etl", day(1), day(4), dry_run=True).created == (day(3), day(4))
    fake.details["schedule_interval"] = None
    with pytest.raises(UnsupportedScheduleError, match="no schedule"):
        fake.client().backfill("etl", day(1), day(4))
    assert fake.posts() == []


# -- Airflow 3: the backfill API -------------------------------------------------------------
def test_airflow_3_sends_the_dry_run_then_the_same_body() -> None:
    fake = FakeAirflow(3)
    fake.add_run(day(2), "failed")
    backfill = fake.client().backfill("etl", day(1), day(3), conf={"a": 1}, reprocess="failed")
    dry, create = fake.posts("/backfills/dry_run")[0], fake.posts("/backfills")[0]
    assert (
        dry.body
        == create.body
        == {
            "dag_id": "etl",
            "from_date": "2026-01-01T00:00:00+00:00",
            "to_date": "2026-01-03T00:00:00+00:00",
            "run_backwards": False,
            "dag_run_conf": {"a": 1},
            "reprocess_behavior": "failed",
            "max_active_runs": 10,
        }
    )
    assert "run_on_latest_version" not in create.body
    assert backfill.id == 1
    assert backfill.state == "running"
    assert (backfill.created, backfill.cleared) == ((day(1), day(3)), (day(2),))
    assert backfill.run_ids == (
        "backfill__2026-01-01T00:00:00+00:00",
        "scheduled__2026-01-02T00:00:00+00:00",
        "backfill__2026-01-03T00:00:00+00:00",
    )


def test_airflow_3_options_go_in_the_body_where_the_server_has_them() -> None:
    fake = FakeAirflow(3)
    fake.client().backfill(
        "etl", day(1), day(3), max_active_runs=2, run_backwards=True, run_on_latest_version=True
    )
    body = fake.posts("/backfills")[0].body
    assert (body["max_active_runs"], body["run_backwards"], body["run_on_latest_version"]) == (
        2,
        True,
        True,
    )
    assert body["dag_run_conf"] == {}  # not null: 3.0.x refuses null with a 422
    old = FakeAirflow(3, "3.1.5")
    with pytest.raises(UnsupportedFeatureError, match=r"3\.1\.6"):
        old.client().backfill("etl", day(1), day(3), run_on_latest_version=False)
    assert old.sent == []


def test_airflow_3_partial_cuts_the_range_at_the_limit() -> None:
    fake = FakeAirflow(3)
    made = fake.client()
    with pytest.raises(InvalidArgumentError, match="limit=3"):
        made.backfill("etl", day(1), day(10), limit=3)
    assert fake.posts("/backfills") == []
    forward = made.backfill("etl", day(1), day(10), limit=3, partial=True)
    assert (forward.to_date, forward.remaining, forward.dates) == (
        day(3),
        7,
        (day(1), day(2), day(3)),
    )
    assert fake.posts("/backfills")[0].body["to_date"] == "2026-01-03T00:00:00+00:00"
    fake.backfills[0]["completed_at"] = "2026-02-02T00:00:00+00:00"
    backwards = made.backfill("etl", day(1), day(10), limit=3, partial=True, run_backwards=True)
    assert backwards.dates == (day(10), day(9), day(8))
    assert fake.posts("/backfills")[1].body["from_date"] == "2026-01-08T00:00:00+00:00"


def test_airflow_3_is_bounded_by_the_dags_dates_and_a_dry_run_creates_nothing() -> None:
    fake = FakeAirflow(3)
    fake.details["end_date"] = "2026-01-05T00:00:00+00:00"
    backfill = fake.client().backfill("etl", day(1), day(20), dry_run=True)
    assert backfill.dates == tuple(day(n) for n in range(1, 6))
    assert backfill.run_ids == (None,) * 5  # Airflow 3 names them when it makes them
    assert fake.posts("/backfills/dry_run")[0].body["to_date"] == "2026-01-05T00:00:00+00:00"
    assert [s.path for s in fake.posts()] == ["/api/v2/backfills/dry_run"]


def test_a_second_backfill_names_the_running_one_and_how_to_cancel_it() -> None:
    fake = FakeAirflow(3)
    made = fake.client()
    made.backfill("etl", day(1), day(3))
    with pytest.raises(BackfillConflictError) as info:
        made.backfill("etl", day(5), day(6))
    message = str(info.value)
    assert "backfill 1 (2026-01-01T00:00:00+00:00 to 2026-01-03T00:00:00+00:00, running)" in message
    assert "client.cancel_backfill(1)" in message
    assert "airflow-client-ext cancel-backfill 1" in message
    assert (info.value.backfill_id, info.value.status) == (1, 409)
    cancelled = made.cancel_backfill(1)
    assert cancelled.state == "completed"
    assert made.backfill("etl", day(5), day(6)).id == 2


def test_pause_unpause_and_get_on_airflow_3_only() -> None:
    fake = FakeAirflow(3)
    made = fake.client()
    backfill = made.backfill("etl", day(1), day(3))
    paused = made.pause_backfill(backfill)
    assert (paused.state, paused.entries) == ("paused", backfill.entries)  # what it knew stays
    assert made.unpause_backfill(1).state == "running"
    assert made.get_backfill(1).from_date == day(1)
    assert [s.path for s in fake.posts()][-2:] == [
        "/api/v2/backfills/1/pause",
        "/api/v2/backfills/1/unpause",
    ]
    v2 = FakeAirflow(2)
    with pytest.raises(UnsupportedFeatureError, match="exists only on Airflow 3"):
        v2.client().pause_backfill(1)
    with pytest.raises(InvalidArgumentError, match="backfill_id"):
        made.cancel_backfill(-1)


# -- waiting ---------------------------------------------------------------------------------
def progress(steps: dict[int, dict[str, str]]) -> Any:
    """An on_list hook: at the n-th listing, set these runs' states."""
    calls = {"n": 0}

    def hook(fake: FakeAirflow) -> None:
        calls["n"] += 1
        for run_id, state in steps.get(calls["n"], {}).items():
            fake.runs[run_id]["state"] = state

    return hook


@pytest.mark.parametrize("major", [2, 3])
def test_wait_follows_every_run_to_its_end(major: int) -> None:
    fake = FakeAirflow(major)
    made = fake.client()
    backfill = made.backfill("etl", day(1), day(2))
    a, b = backfill.run_ids
    assert a is not None
    assert b is not None
    fake.on_list = progress({2: {a: "running"}, 3: {a: "success", b: "running"}, 5: {b: "success"}})
    seen: list[tuple[str, str]] = []
    done = made.wait_backfill(
        backfill, on_update=lambda run, tis: seen.append((run.run_id, run.state))
    )
    assert [run.state for run in done.runs] == ["success", "success"]
    assert done.finished
    assert seen == [
        (a, "queued"),
        (b, "queued"),
        (a, "running"),
        (a, "success"),
        (b, "running"),
        (b, "success"),
    ]


def test_failed_runs_raise_one_error_listing_each_with_its_failed_tasks() -> None:
    fake = FakeAirflow(3)
    made = fake.client()
    backfill = made.backfill("etl", day(1), day(3))
    ids = [r for r in backfill.run_ids if r]
    for run_id in ids:
        fake.runs[run_id]["state"] = "success"
    fake.runs[ids[0]]["state"] = fake.runs[ids[2]]["state"] = "failed"
    fake.tis[ids[0]] = [("extract", "success"), ("load", "failed")]
    fake.tis[ids[2]] = [("extract", "failed"), ("load", "upstream_failed")]
    with pytest.raises(BackfillFailedError) as info:
        made.wait_backfill(backfill)
    error = info.value
    assert [f.run.run_id for f in error.failures] == [ids[0], ids[2]]
    assert [ti.key for ti in error.failed_task_instances] == ["load", "extract"]
    assert error.log_tails[f"{ids[0]}:load"].endswith("ValueError: load broke")
    assert f"2 of 3 runs failed: {ids[0]} (load); {ids[2]} (extract)" in str(error)
    assert error.run.run_id == ids[0]
    assert [r.state for r in error.backfill.runs] == ["failed", "success", "failed"]
    assert made.wait_backfill(backfill, raise_on_failure=False).runs[1].succeeded


def test_a_wait_that_runs_out_of_time_says_how_far_it_got() -> None:
    fake = FakeAirflow(2)
    made = fake.client()
    now = [0.0]
    made._clock = lambda: now[0]  # type: ignore[method-assign]
    made._sleep = lambda s: now.__setitem__(0, now[0] + s)  # type: ignore[method-assign]
    backfill = made.backfill("etl", day(1), day(3))
    fake.runs[backfill.run_ids[0] or ""]["state"] = "success"
    with pytest.raises(
        WaitTimeoutError, match=r"1 of 3 runs ended \(queued 2, success 1\)"
    ) as info:
        made.wait_backfill(backfill, timeout=5)
    assert info.value.timeout == 5.0
    with pytest.raises(InvalidArgumentError, match="dry run"):
        made.wait_backfill(made.backfill("etl", day(1), day(3), dry_run=True))


def test_a_backfill_known_by_id_finds_its_runs_on_airflow_3() -> None:
    fake = FakeAirflow(3)
    made = fake.client()
    made.backfill("etl", day(1), day(2))
    for run in fake.runs.values():
        run["state"] = "success"
    fake.add_run(day(3), "success")  # not a backfill run
    done = made.wait_backfill(made.get_backfill(1))
    assert [r.run_id for r in done.runs] == [f"backfill__{iso(day(1))}", f"backfill__{iso(day(2))}"]
    listing = next(s for s in fake.sent if s.path.endswith("/dagRuns") and "run_type" in s.query)
    assert listing.query["run_type"] == ["backfill"]


# -- run id filters of iter_dag_runs ---------------------------------------------------------
IDS = [
    "batch_0000001_2026-01-01T00:00:00+00:00",
    "batch_0000002_2026-01-02T00:00:00+00:00",
    "batch-0000003_2026-01-03T00:00:00+00:00",  # the server's "batch_" also matches "batch"
    "batchX",
    "Batch_0000004",
    "manual__2026-01-05",
    "batch_",
    "batch_9",
]


def runs_fake(version: str) -> FakeAirflow:
    fake = FakeAirflow(3, version)
    for n, run_id in enumerate(IDS, 1):
        fake.add_run(day(n), "success", run_id)
    return fake


@pytest.mark.parametrize(
    "prefix", ["batch_", "batch_000000", "batch", "B", "~", "batch_|manual", "zzz"]
)
@pytest.mark.parametrize("after", [None, "batch_0000001_2026-01-01T00:00:00+00:00", "batch_"])
def test_the_prefix_filter_gives_the_same_runs_with_or_without_the_server(
    prefix: str, after: str | None
) -> None:
    expected = [r for r in IDS if r.startswith(prefix) and (after is None or r > after)]
    results = {}
    for version in ("3.3.2", "3.2.2"):
        fake = runs_fake(version)
        found = fake.client().iter_dag_runs("etl", run_id_prefix=prefix, start_after=after)
        results[version] = sorted(run.run_id for run in found)
        sent = [
            s.query.get("run_id_prefix_pattern") for s in fake.sent if s.path.endswith("/dagRuns")
        ]
        server_side = version == "3.3.2" and prefix != "~" and "|" not in prefix
        assert sent == ([[prefix]] if server_side else [None]), version
    assert results["3.3.2"] == results["3.2.2"] == sorted(expected)


def test_the_servers_prefix_match_is_a_superset_of_the_prefix() -> None:
    for prefix in ("batch_", "batch_000000", "batch", "b", "Batch", "batch_9"):
        for run_id in IDS:
            if run_id.startswith(prefix):
                assert server_prefix_match(run_id, prefix), (prefix, run_id)
    assert server_prefix_match("batch-0000003", "batch_")  # wider than the prefix


def test_run_id_filters_on_airflow_2_and_their_checks() -> None:
    assert run_id_selected("b_2", "b_", "b_1")
    assert not run_id_selected("b_1", "b_", "b_1")
    assert not run_id_selected("c_2", "b_", None)
    fake = FakeAirflow(2)
    fake.add_run(day(1), "success", "batch_1")
    fake.add_run(day(2), "success", "other")
    made = fake.client()
    assert [r.run_id for r in made.iter_dag_runs("etl", run_id_prefix="batch_")] == ["batch_1"]
    with pytest.raises(InvalidArgumentError, match="start_after"):
        made.iter_dag_runs("etl", start_after=" x")
    with pytest.raises(InvalidArgumentError, match="run_id_prefix"):
        made.iter_dag_runs("etl", run_id_prefix="")
    assert isinstance(next(made.iter_dag_runs("etl")), DagRun)


def test_airflow_3_a_5xx_on_create_is_made_good_without_a_second_backfill() -> None:
    # nothing made (SQLite's "database is locked"): the POST goes again, once
    fake = FakeAirflow(3)
    fake.create_faults = ["before"]
    made = fake.client().backfill("etl", day(1), day(3))
    assert len(fake.posts("/backfills")) == 2
    assert [b["id"] for b in fake.backfills] == [made.id] == [1]
    # made, then a 500: the active backfill over the range is ours; no second POST
    fake = FakeAirflow(3)
    fake.create_faults = ["after"]
    made = fake.client().backfill("etl", day(1), day(3))
    assert len(fake.posts("/backfills")) == 1
    assert (made.id, len(fake.backfills), made.from_date, made.to_date) == (1, 1, day(1), day(3))
    assert [e.logical_date for e in made.entries] == [day(1), day(2), day(3)]
    # made without its last run, then a 500: said at once, with the dates that have no run
    fake = FakeAirflow(3)
    fake.create_faults = ["partial"]
    with pytest.raises(BackfillIncompleteError, match=r"no run for 1 of its 3 dates") as caught:
        fake.client().backfill("etl", day(1), day(3))
    assert len(fake.posts("/backfills")) == 1  # never a second backfill
    assert caught.value.missing == (day(3),)
    assert caught.value.backfill.id == 1
    assert [e.run_id is not None for e in caught.value.backfill.entries] == [True, True, False]
    # waiting for it ends when the server ends it: not a timeout for a run that never comes
    for run in fake.runs.values():
        run["state"] = "success"
    fake.backfills[0]["completed_at"] = "2026-02-02T00:00:00+00:00"
    with pytest.raises(BackfillIncompleteError, match="the server ended it without them"):
        fake.client().wait_backfill(caught.value.backfill, timeout=None)
    # a server that keeps failing: the retry policy's attempts, then its error; nothing made
    fake = FakeAirflow(3)
    fake.create_faults = ["before"] * 10
    with pytest.raises(ServerError):
        fake.client().backfill("etl", day(1), day(3))
    assert len(fake.posts("/backfills")) == 1 + DEFAULT_RETRY.total
    assert fake.backfills == []
