"""Servers started by the tests themselves: failed starts, and proof that nothing survives.

Each test starts its own ``AirflowServer`` (parametrized by ``airflow_version``, like the
session servers) and stops it itself; the process checks read ``/proc`` directly
(``harness_procs``), independent of the harness's own bookkeeping.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from harness_procs import Proc, marked, start_slow_task, tree, wait_gone

from airflow_client_ext.testing import AirflowServer, AirflowServerError

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

HERE = Path(__file__).resolve().parent
DAGS = HERE.parent / "dags"

# Valid for `airflow db migrate` and `users create`, fatal for the scheduler on 2.x and 3.x.
BAD_SCHEDULER_ENV = {"AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "not-a-number"}


def _snapshot(srv: AirflowServer) -> dict[int, Proc]:
    procs = tree(list(srv.pids.values()), list(srv.pgids.values()))
    assert set(srv.pids.values()) <= set(procs), "a started process is already gone"
    return procs


def _assert_all_gone(procs: dict[int, Proc], server_id: str, timeout: float = 5) -> None:
    survivors = wait_gone(procs, timeout)
    assert not survivors, "processes survived the stop:\n" + "\n".join(
        f"{p.pid} pgid={p.pgid} {p.args[:150]}" for p in survivors
    )
    assert not marked(server_id), "processes with the server's marker survived"


def _assert_task_outside_groups(procs: dict[int, Proc], srv: AirflowServer) -> None:
    """The snapshot holds a process that left the started groups (the task runner does),
    so the test covers more than a plain group kill."""
    started = set(srv.pgids.values())
    outside = [p for p in procs.values() if p.pgid not in started]
    assert outside, "expected a task process in a group of its own"


def test_start_failure_names_version_and_shows_log_tails(airflow_version: str) -> None:
    srv = AirflowServer(airflow_version, extra_env=BAD_SCHEDULER_ENV, startup_timeout=120)
    with pytest.raises(AirflowServerError) as err:
        srv.start()
    message = str(err.value)
    assert f"Airflow {airflow_version} failed to start" in message
    assert "process 'scheduler' exited" in message
    assert "last 40 lines of" in message
    # The culprit's log comes first, and it explains the failure.
    first_log = message.split("--- last 40 lines of ", 2)[1]
    assert first_log.split(":", 1)[0].endswith("scheduler.log")
    assert "not-a-number" in first_log
    # Every process's log is shown.
    for name in srv.log_paths:
        assert f"{name}.log" in message
    # Nothing it started survives, and its home is gone.
    assert srv.pids, "the failed start had launched processes"
    assert all(p.returncode is not None for p in srv._popens.values())
    assert not marked(srv.server_id)
    assert srv.home is not None
    assert not srv.home.exists()


def test_start_timeout(airflow_version: str) -> None:
    srv = AirflowServer(airflow_version, startup_timeout=1)
    t0 = time.monotonic()
    with pytest.raises(AirflowServerError) as err:
        srv.start()
    assert time.monotonic() - t0 < 60
    message = str(err.value)
    assert f"Airflow {airflow_version} failed to start" in message
    assert "timed out" in message or "not healthy after startup_timeout=1 s" in message
    assert "last 40 lines of" in message
    assert not marked(srv.server_id)


def test_nothing_survives_stop(airflow_version: str) -> None:
    srv = AirflowServer(airflow_version, DAGS, triggerer=True)
    try:
        srv.start()
        assert "triggerer" in srv.pids
        start_slow_task(srv, "leftover-check")
        procs = _snapshot(srv)
        _assert_task_outside_groups(procs, srv)
        assert set(marked(srv.server_id)) <= set(procs)
        assert srv.processes().keys() >= set(marked(srv.server_id))
        # DAGs stay paused at creation unless asked otherwise.
        assert srv.api("GET", "dags/quick_success")["is_paused"] is True
    finally:
        srv.stop()
    _assert_all_gone(procs, srv.server_id)
    assert srv.watchdog_pid is not None
    assert not Path(f"/proc/{srv.watchdog_pid}").exists() or _is_zombie(srv.watchdog_pid)
    srv.stop()  # idempotent


def test_nothing_survives_when_the_with_block_raises(airflow_version: str) -> None:
    seen: dict[str, Any] = {}

    def body() -> None:
        with AirflowServer(airflow_version, DAGS) as srv:
            seen["server"] = srv
            start_slow_task(srv, "with-raises")
            seen["procs"] = _snapshot(srv)
            _assert_task_outside_groups(seen["procs"], srv)
            # a process that dies is named at the next wait, not met as a timeout
            assert srv.exited() == {}
            os.killpg(srv.pgids["scheduler"], signal.SIGKILL)
            deadline = time.monotonic() + 30
            while not srv.exited() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert srv.exited() == {"scheduler": -signal.SIGKILL}
            with pytest.raises(AirflowServerError, match="process 'scheduler' exited with code -9"):
                srv.wait_for_dag("quick_success", timeout=600)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        body()
    srv = seen["server"]
    assert not srv.running
    _assert_all_gone(seen["procs"], srv.server_id)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.parametrize(
    "sig",
    [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
    ids=["SIGINT-atexit", "SIGTERM-handler", "SIGKILL-watchdog"],
)
def test_nothing_survives_when_the_test_process_is_interrupted(
    airflow_version: str, sig: signal.Signals, tmp_path: Path
) -> None:
    """A process that started a server and never stopped it gets a signal: SIGINT
    (KeyboardInterrupt, then atexit), SIGTERM (the harness's handler) or SIGKILL (the
    watchdog). Every process of the server must go away."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    log = (tmp_path / "child.log").open("w")
    child = subprocess.Popen(
        [sys.executable, str(HERE / "serve_forever.py"), airflow_version, str(DAGS)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
        start_new_session=True,
    )
    procs: dict[int, Proc] = {}
    info: dict[str, Any] = {}
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until READY (or the child's death)
        assert line.startswith("READY "), (tmp_path / "child.log").read_text()[-3000:]
        info = json.loads(line[len("READY ") :])
        pids = [int(p) for p in info["pids"]]
        pgids = [int(p) for p in info["pgids"]]
        procs = tree([child.pid, *pids], pgids)
        assert set(pids) <= set(procs)
        assert info["watchdog"] in procs
        os.kill(child.pid, sig)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:  # the test failed before the signal: clean up ourselves
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout=60)
        log.close()
        if child.stdout is not None:
            child.stdout.close()
    # The watchdog needs its grace period after a SIGKILL; the others finish before exiting.
    # (generous on a busy machine: a task process may take a while to honour SIGTERM)
    _assert_all_gone(procs, str(info["server_id"]), timeout=60 if sig == signal.SIGKILL else 30)
