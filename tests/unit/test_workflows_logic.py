"""Pure logic of the workflows (no server): run ids, conf checks, the poll schedule, NDJSON
parsing, log tails, import planning and the report."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from airflow_client_ext._config_io import _KINDS, _desired, _differing
from airflow_client_ext._logs import render_log_message
from airflow_client_ext._masks import has_mask, masked_keys
from airflow_client_ext._versions import CONNECTION_FIELDS
from airflow_client_ext.errors import (
    AirflowClientError,
    DagRunFailedError,
    InvalidArgumentError,
    WaitTimeoutError,
    WorkflowError,
)
from airflow_client_ext.features import version_tuple
from airflow_client_ext.models import (
    DagRun,
    Health,
    ImportItem,
    ImportReport,
    TaskInstance,
    utc,
)
from airflow_client_ext.workflows import (
    RUN_ID_PATTERN,
    NdjsonDecoder,
    PollSchedule,
    check_conf,
    check_logical_date,
    check_run_id,
    headline,
    log_tail,
    new_run_id,
)

KINDS = {k.kind: k for k in _KINDS}


# -- run ids --------------------------------------------------------------------------------
def test_run_id_format_is_valid_for_both_airflow_versions() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    run_id = new_run_id(moment, "abcd1234")
    assert run_id == "manual__2026-01-02T03:04:05.678901Z__abcd1234"
    # Airflow's default [scheduler] allowed_run_id_pattern (2.6.3+ and 3.x), no '..'
    assert re.match(r"^[A-Za-z0-9_.~:+-]+$", run_id)
    assert ".." not in run_id
    assert check_run_id(run_id) == run_id


def test_run_ids_are_unique_utc_and_sort_by_time() -> None:
    ids = [new_run_id() for _ in range(500)]
    assert len(set(ids)) == 500
    assert all(RUN_ID_PATTERN.match(i) for i in ids)
    local = datetime(2026, 1, 2, 5, 0, tzinfo=timezone(timedelta(hours=2)))
    assert new_run_id(local, "x").startswith("manual__2026-01-02T03:00:00.000000Z")
    earlier = new_run_id(datetime(2026, 1, 1, tzinfo=timezone.utc), "ffffffff")
    later = new_run_id(datetime(2026, 1, 1, 0, 0, 1, tzinfo=timezone.utc), "00000000")
    assert earlier < later


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "a..b", "ünïcode", "x?y"])
def test_invalid_run_ids_are_refused_before_sending(bad: str) -> None:
    with pytest.raises(InvalidArgumentError, match="run_id"):
        check_run_id(bad)


# -- conf -----------------------------------------------------------------------------------
def test_conf_is_copied_as_the_server_will_see_it() -> None:
    conf = {"day": "2026-01-01", "n": 3, "f": 1.5, "ok": True, "none": None, "t": (1, 2)}
    checked = check_conf(conf)
    assert checked == {"day": "2026-01-01", "n": 3, "f": 1.5, "ok": True, "none": None, "t": [1, 2]}
    assert checked is not conf
    assert check_conf(None) == {}
    assert check_conf({}) == {}


@pytest.mark.parametrize(
    ("conf", "words"),
    [
        ([1, 2], "must be a JSON object"),
        ("{}", "must be a JSON object"),
        ({1: "a"}, "key 1"),
        ({"a": {"b": {2: 1}}}, "conf['a']['b'] has the key 2"),
        ({"when": datetime(2026, 1, 1)}, "ISO string"),
        ({"x": [1, {2, 3}]}, "conf['x'][1] is a set"),
        ({"x": math.nan}, "JSON cannot carry"),
        ({"x": math.inf}, "JSON cannot carry"),
        ({"x": Decimal("1.5")}, "Decimal"),
        ({"x": b"bytes"}, "bytes"),
    ],
)
def test_conf_that_is_not_a_json_object_is_refused_clearly(conf: object, words: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_conf(conf)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)  # also a ValueError for callers
    assert isinstance(info.value, AirflowClientError)


def test_logical_date_must_carry_a_time_zone() -> None:
    aware = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert check_logical_date(aware) is aware
    assert check_logical_date("2026-01-01T00:00:00Z") == aware
    assert check_logical_date("2026-01-01T02:00:00+02:00") == aware
    assert check_logical_date(None) is None
    with pytest.raises(InvalidArgumentError, match="no time zone"):
        check_logical_date(datetime(2026, 1, 1))
    with pytest.raises(InvalidArgumentError, match="no time zone"):
        check_logical_date("2026-01-01T00:00:00")
    with pytest.raises(InvalidArgumentError, match="ISO 8601"):
        check_logical_date("yesterday")


# -- poll schedule --------------------------------------------------------------------------
def test_poll_schedule_starts_fast_and_backs_off_to_its_cap() -> None:
    schedule = PollSchedule(0.5, 1.5, 5.0)
    delays = [schedule.next() for _ in range(10)]
    assert delays[:6] == [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875]
    assert delays[6:] == [5.0, 5.0, 5.0, 5.0]
    assert delays == sorted(delays)


def test_poll_schedule_reset_starts_over() -> None:
    schedule = PollSchedule(0.5, 2.0, 4.0)
    assert [schedule.next() for _ in range(4)] == [0.5, 1.0, 2.0, 4.0]
    schedule.reset()
    assert [schedule.next() for _ in range(2)] == [0.5, 1.0]


def test_poll_schedule_keeps_a_fast_cap_for_its_first_seconds() -> None:
    schedule = PollSchedule(0.5, 1.5, 5.0, fast_cap=0.75, fast_for=3.0)
    delays = [schedule.next() for _ in range(7)]
    assert delays == [0.5, 0.75, 0.75, 0.75, 0.75, 1.125, 1.6875]
    schedule.reset()  # a reset does not bring the fast phase back
    assert [schedule.next() for _ in range(2)] == [0.5, 0.75]
    with pytest.raises(ValueError, match=r"PollSchedule\.fast_cap"):
        PollSchedule(0.5, 1.5, 5.0, fast_cap=0.1)


@pytest.mark.parametrize(("initial", "factor", "cap"), [(0, 1.5, 5), (1, 0.5, 5), (5, 1.5, 1)])
def test_poll_schedule_refuses_nonsense(initial: float, factor: float, cap: float) -> None:
    with pytest.raises(ValueError, match="PollSchedule"):
        PollSchedule(initial, factor, cap)


# -- NDJSON ---------------------------------------------------------------------------------
def test_ndjson_lines_split_across_chunks() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'{"state": "que') == []
    assert decoder.feed(b'ued"}\n{"state": "running"}\n{"sta') == [
        {"state": "queued"},
        {"state": "running"},
    ]
    assert decoder.feed(b'te": "success", "results": {"t": [1, 2]}}\n') == [
        {"state": "success", "results": {"t": [1, 2]}}
    ]
    assert decoder.close() == []


def test_ndjson_blank_lines_crlf_and_a_last_line_without_newline() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'\n\r\n{"state": "running"}\r\n\n') == [{"state": "running"}]
    assert decoder.feed(b'{"state": "failed"}') == []
    assert decoder.close() == [{"state": "failed"}]
    assert decoder.close() == []


def test_ndjson_one_byte_at_a_time() -> None:
    stream = b'{"state": "queued"}\n{"state": "running"}\n{"state": "success"}\n'
    decoder = NdjsonDecoder()
    docs = []
    for i in range(len(stream)):
        docs += decoder.feed(stream[i : i + 1])
    assert [d["state"] for d in docs] == ["queued", "running", "success"]


def test_ndjson_garbage_and_endless_lines_raise_value_error() -> None:
    with pytest.raises(ValueError, match="Expecting"):
        NdjsonDecoder().feed(b"<html>oops</html>\n")
    with pytest.raises(ValueError, match="longer than"):
        NdjsonDecoder(max_line=10).feed(b'{"state": "runn')


# -- logs -----------------------------------------------------------------------------------
def test_log_tail_is_bounded_by_lines_and_characters() -> None:
    text = "\n".join(f"line {i}" for i in range(1000)) + "\n"
    tail = log_tail(text)
    assert tail.splitlines() == [f"line {i}" for i in range(960, 1000)]
    long = "\n".join("x" * 300 + str(i) for i in range(40))
    tail = log_tail(long, lines=40, chars=4096)
    assert len(tail) <= 4096
    assert tail.endswith("x" * 300 + "39")
    assert tail.startswith("x")  # cut at the start of a line, not in its middle
    assert log_tail("") == ""
    assert log_tail("one line") == "one line"
    assert len(log_tail("y" * 10_000)) == 4096  # a single huge line is cut anyway


def test_headline_prefers_the_last_exception_line() -> None:
    log = "INFO - start\nTraceback ...\nRuntimeError: boom\nINFO - Task exited with return code 1\n"
    assert headline(log) == "RuntimeError: boom"
    assert headline("INFO - a\nINFO - b\n") == "INFO - b"
    assert headline("") == ""


def test_airflow3_structured_log_lines_become_text() -> None:
    line = render_log_message(
        {
            "timestamp": "2026-01-01T00:00:00Z",
            "event": "Task failed with exception",
            "level": "error",
            "logger": "task",
            "ti_id": "x",
            "run_id": "r",
            "try_number": 1,
            "custom": {"k": 1},
            "error_detail": [
                {
                    "exc_type": "RuntimeError",
                    "exc_value": "boom",
                    "frames": [{"filename": "/dags/a.py", "lineno": 3, "name": "boom"}],
                }
            ],
        }
    )
    assert line.splitlines() == [
        '[2026-01-01T00:00:00Z] {task} ERROR - Task failed with exception custom={"k": 1}',
        "Traceback (most recent call last):",
        '  File "/dags/a.py", line 3, in boom',
        "RuntimeError: boom",
    ]
    assert render_log_message("::group::plain text") == "::group::plain text"
    assert render_log_message({"event": "bare"}) == "bare"


# -- masks and versions ---------------------------------------------------------------------
def test_masked_values_are_recognised_in_text_and_json() -> None:
    assert has_mask("***")
    assert has_mask('{"password": "***", "user": "u"}')
    assert has_mask({"a": ["x", "***"]})
    assert not has_mask("a *** b")  # text that merely contains stars is a value
    assert not has_mask('{"a": "b"}')
    assert not has_mask(None)
    assert masked_keys('{"api_key": "***", "region": "eu", "nested": {"secret": "***"}}') == [
        "api_key",
        "nested",
    ]
    assert masked_keys(None) == []
    assert masked_keys("not json") == []


def test_version_tuple_reads_the_leading_numbers() -> None:
    assert version_tuple("3.3.2") == (3, 3, 2)
    assert version_tuple("3.1.0rc1") == (3, 1, 0)
    assert version_tuple("2.11.2.dev0+x") == (2, 11, 2)
    assert version_tuple("3.1.0") >= (3, 1)
    assert version_tuple("3.0.6") < (3, 1)


# -- import planning ------------------------------------------------------------------------
def plan(kind: str, item: dict[str, object], current: dict[str, object]) -> tuple[list[str], ...]:
    spec = KINDS[kind]
    desired, unknown = _desired(spec, item, {})
    differing, unverifiable = _differing(spec, desired, current)
    return differing, unverifiable, sorted(unknown)


def test_values_compare_by_meaning() -> None:
    current = {"key": "k", "value": '{"a": 1, "b": [1, 2]}', "description": None}
    # Airflow 3 re-dumps JSON values: same meaning, other spacing
    redumped = {"key": "k", "value": '{"b":[1,2],"a":1}', "description": ""}
    assert plan("variable", redumped, current) == ([], [], [])
    assert plan("variable", {"key": "k", "value": '{"a":1,"b":[1,2]}'}, current) == ([], [], [])
    assert plan("variable", {"key": "k", "value": '{"a":2,"b":[1,2]}'}, current)[0] == ["value"]
    # "" and None are the same empty description; a value "" is a value
    assert plan("variable", {"key": "k", "description": ""}, current) == ([], [], [])
    plain = {"key": "k", "value": "", "description": None}
    assert plan("variable", {"key": "k", "value": "x"}, plain)[0] == ["value"]
    assert plan("variable", {"key": "k", "value": ""}, plain) == ([], [], [])


def test_masked_values_are_never_compared_nor_written() -> None:
    # the document's value was masked at export: not managed, listed as unknown
    assert plan("variable", {"key": "k", "value": "***"}, {"key": "k", "value": "x"}) == (
        [],
        [],
        ["value"],
    )
    # the server masks its current value: cannot compare
    assert plan("variable", {"key": "k", "value": "s3cret"}, {"key": "k", "value": "***"}) == (
        [],
        ["value"],
        [],
    )


def test_connection_passwords_are_compared_only_when_the_server_says_none_is_set() -> None:
    base = {f: None for f in CONNECTION_FIELDS if f != "password"}
    base.update(connection_id="c", conn_type="http")
    airflow2 = dict(base)  # never says anything about the password
    airflow3_none = {**base, "password": None}
    airflow3_set = {**base, "password": "***"}
    wanted = {"connection_id": "c", "conn_type": "http", "password": "pw"}
    assert plan("connection", wanted, airflow2) == ([], ["password"], [])
    assert plan("connection", wanted, airflow3_set) == ([], ["password"], [])
    assert plan("connection", wanted, airflow3_none) == (["password"], [], [])
    no_password = {"connection_id": "c", "conn_type": "http"}
    assert plan("connection", no_password, airflow3_set) == ([], [], [])


def test_connection_extras_compare_without_the_masked_keys() -> None:
    current = {"connection_id": "c", "conn_type": "http", "extra": '{"region": "eu", "k": "***"}'}
    same_shown = {"connection_id": "c", "extra": '{"region":"eu","k":"real"}'}
    assert plan("connection", same_shown, current) == ([], ["extra"], [])
    other = {"connection_id": "c", "extra": '{"region":"us","k":"real"}'}
    assert plan("connection", other, current)[0] == ["extra"]
    exported_masked = {"connection_id": "c", "extra": '{"region": "eu", "k": "***"}'}
    assert plan("connection", exported_masked, current) == ([], [], ["extra"])


def test_fields_a_server_does_not_report_are_not_compared() -> None:
    old_server = {"name": "p", "slots": 3, "description": None}  # no include_deferred
    assert plan("pool", {"name": "p", "slots": 3, "include_deferred": True}, old_server) == (
        [],
        [],
        [],
    )
    assert plan("pool", {"name": "p", "slots": 4}, old_server)[0] == ["slots"]


# -- report ---------------------------------------------------------------------------------
def test_import_report_counts_and_summary() -> None:
    report = ImportReport(
        created=(ImportItem("pool", "p", ("slots",)),),
        updated=(ImportItem("variable", "v", ("value",)), ImportItem("variable", "w")),
        unchanged=tuple(ImportItem("variable", f"u{i}") for i in range(40)),
        skipped=(),
        missing=(ImportItem("connection", "c", ("password",), "never returned"),),
        dry_run=True,
    )
    assert report.counts == {
        "created": 1,
        "updated": 2,
        "unchanged": 40,
        "skipped": 0,
        "missing": 1,
    }
    assert report.total == 43
    assert report.changed
    assert report.summary() == (
        "created 1, updated 2, unchanged 40, skipped 0 (1 missing secret) "
        "[dry run: nothing was written]"
    )
    assert str(report) == report.summary()
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["counts"]["unchanged"] == 40
    assert doc["missing"][0] == {
        "kind": "connection",
        "name": "c",
        "fields": ["password"],
        "reason": "never returned",
    }
    assert report.created[0].key == "pool:p"
    empty = ImportReport(unchanged=(ImportItem("pool", "p"),))
    assert not empty.changed
    assert empty.summary() == "created 0, updated 0, unchanged 1, skipped 0"


# -- models and errors ----------------------------------------------------------------------
def test_models_are_frozen_and_dates_aware() -> None:
    run = DagRun(dag_id="d", run_id="r", state="success", start_date=utc("2026-01-01T00:00:00Z"))
    assert run.start_date == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert run.finished
    assert run.succeeded
    assert not run.failed
    assert run.duration is None
    with pytest.raises(AttributeError):
        run.state = "failed"  # type: ignore[misc]
    assert utc("2026-01-01T00:00:00") == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert utc("") is None
    ti = TaskInstance(dag_id="d", run_id="r", task_id="double", map_index=7)
    assert ti.key == "double[7]"
    assert TaskInstance(dag_id="d", run_id="r", task_id="t").key == "t"
    assert "raw" not in repr(run)


def test_health_is_healthy_only_with_database_and_scheduler() -> None:
    ok = Health({"metadatabase": "healthy", "scheduler": "healthy", "triggerer": None})
    assert ok.healthy
    assert ok.unhealthy == []
    bad = Health({"metadatabase": "healthy", "scheduler": "unhealthy"})
    assert not bad.healthy
    assert bad.unhealthy == ["scheduler"]
    no_scheduler = Health({"metadatabase": "healthy", "scheduler": None})
    assert not no_scheduler.healthy
    assert no_scheduler.unhealthy == ["scheduler"]
    processor = Health({"metadatabase": "healthy", "scheduler": "healthy", "dag_processor": "x"})
    assert not processor.healthy


def test_workflow_errors_carry_what_a_pipeline_needs() -> None:
    run = DagRun(dag_id="d", run_id="r", state="failed")
    ti = TaskInstance(dag_id="d", run_id="r", task_id="t", state="failed")
    failed = DagRunFailedError("failed", run=run, failed_task_instances=[ti], log_tails={"t": "x"})
    assert isinstance(failed, WorkflowError)
    assert isinstance(failed, AirflowClientError)
    assert (failed.run, failed.failed_task_instances, failed.log_tails) == (run, [ti], {"t": "x"})
    assert (failed.dag_id, failed.run_id) == ("d", "r")
    timeout = WaitTimeoutError("late", timeout=5, last_run=run)
    assert isinstance(timeout, TimeoutError)
    assert isinstance(timeout, AirflowClientError)
    assert (timeout.timeout, timeout.last_run, timeout.last_state) == (5, run, "failed")
    assert WaitTimeoutError("late", timeout=1, last_state="not found").last_state == "not found"
