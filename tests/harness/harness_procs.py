"""Process-table helpers for the harness tests, independent of the harness's own bookkeeping.

They read ``/proc`` directly so that a test can prove, without trusting the code under test,
that every process a server had is gone after it stopped.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
MARKER_VAR = "AIRFLOW_CLIENT_EXT_SERVER_ID"


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    state: str
    start: int  # start time in clock ticks since boot: tells a reused pid apart
    args: str


def read_proc(pid: int) -> Proc | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
        args = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    return Proc(pid, int(fields[1]), int(fields[2]), fields[0], int(fields[19]), args.strip())


def table() -> dict[int, Proc]:
    procs = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            info = read_proc(int(entry.name))
            if info is not None:
                procs[info.pid] = info
    return procs


def is_alive(proc: Proc) -> bool:
    """The same process (same pid and start time) still exists and is not a zombie."""
    now = read_proc(proc.pid)
    return now is not None and now.start == proc.start and now.state not in ("Z", "X")


def tree(roots: list[int], pgids: list[int]) -> dict[int, Proc]:
    """Live processes that are in ``pgids``, descend from ``roots`` or from such processes,
    or are in the group of such a process (closure)."""
    procs = {pid: p for pid, p in table().items() if p.state not in ("Z", "X")}
    children: dict[int, list[int]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    found: dict[int, Proc] = {}
    groups = set(pgids)
    todo = [pid for pid in roots if pid in procs]
    todo += [p.pid for p in procs.values() if p.pgid in groups]
    while todo:
        pid = todo.pop()
        if pid in found or pid not in procs:
            continue
        found[pid] = procs[pid]
        todo.extend(children.get(pid, ()))
        if procs[pid].pgid not in groups and procs[pid].pgid != os.getpgrp():
            groups.add(procs[pid].pgid)
            todo.extend(p.pid for p in procs.values() if p.pgid == procs[pid].pgid)
    found.pop(os.getpid(), None)
    return found


def marked(server_id: str) -> set[int]:
    """Live pids whose environment carries the server's marker variable."""
    needle = f"{MARKER_VAR}={server_id}".encode()
    out = set()
    for p in table().values():
        if p.state in ("Z", "X"):
            continue
        try:
            env = (PROC / str(p.pid) / "environ").read_bytes()
        except OSError:
            continue
        if needle + b"\0" in env or env.endswith(needle):
            out.add(p.pid)
    return out


def wait_gone(procs: dict[int, Proc], timeout: float) -> list[Proc]:
    """Wait up to ``timeout`` s for all to be gone; return the survivors."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in procs.values() if is_alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def start_slow_task(srv: Any, run_id: str, seconds: int = 300, timeout: float = 120) -> None:
    """Unpause ``slow``, trigger a run that sleeps ``seconds`` and wait until its task runs."""
    srv.wait_for_dag("slow", unpause=True)
    body: dict[str, Any] = {"dag_run_id": run_id, "conf": {"seconds": seconds}}
    if srv.major >= 3:
        body["logical_date"] = None
    srv.api("POST", "dags/slow/dagRuns", body)
    deadline = time.monotonic() + timeout
    while True:
        resp = srv.request("GET", f"dags/slow/dagRuns/{run_id}/taskInstances/sleep")
        if resp.status == 200 and resp.json().get("state") == "running":
            time.sleep(2)  # let the task process settle (fork, process title)
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"task of {run_id} not running after {timeout} s: {resp.text}")
        time.sleep(0.5)
