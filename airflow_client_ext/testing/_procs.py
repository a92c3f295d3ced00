"""Process bookkeeping: find every process of a server and stop them all, by process group.

Every process a server starts is the leader of its own process group
(``start_new_session=True``). Some Airflow processes leave those groups (Airflow 2's task
runner and DAG processor manager, Airflow 3's task processes call ``setpgid``), and a process
whose parent dies is re-parented to init, which hides where it came from. So a ``Tracker``
remembers every process it has seen (pid and start time, so a reused pid is never mistaken for
one of ours): members of the started groups, their descendants, and (Linux) processes whose
environment still shows the server's marker variable (``setproctitle`` overwrites it in most
Airflow processes, so the marker is only a complement). Stopping signals every remembered
process that is still alive, and its group. Nothing is ever killed by name.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MARKER_VAR = "AIRFLOW_CLIENT_EXT_SERVER_ID"

logger = logging.getLogger("airflow_client_ext.testing")

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int
    state: str
    start: int  # start time since boot in clock ticks (0 when unknown)

    @property
    def dead(self) -> bool:
        return self.state in ("Z", "X")


def _has_proc() -> bool:
    return (_PROC / "self" / "stat").exists()


def read_proc(pid: int) -> ProcInfo | None:
    """The process ``pid`` from ``/proc``, or None."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    fields = raw[raw.rfind(")") + 2 :].split()
    try:
        return ProcInfo(pid, int(fields[1]), int(fields[2]), fields[0], int(fields[19]))
    except (IndexError, ValueError):
        return None


def ps_table() -> dict[int, ProcInfo]:
    """Every process of the machine."""
    table: dict[int, ProcInfo] = {}
    if _has_proc():
        for entry in _PROC.iterdir():
            if entry.name.isdigit():
                info = read_proc(int(entry.name))
                if info is not None:
                    table[info.pid] = info
        return table
    out = subprocess.run(
        ["ps", "-A", "-o", "pid=,ppid=,pgid=,stat="],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].isdigit():
            pid = int(parts[0])
            table[pid] = ProcInfo(pid, int(parts[1]), int(parts[2]), parts[3][:1], 0)
    return table


def cmdline(pid: int) -> str:
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()[:120]


def _marked(pids: Iterable[int], server_id: str) -> set[int]:
    needle = f"{MARKER_VAR}={server_id}".encode()
    found: set[int] = set()
    for pid in pids:
        try:
            env = (_PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if needle + b"\0" in env or env.endswith(needle):
            found.add(pid)
    return found


class Tracker:
    """Remembers every process of one server seen by ``scan``."""

    def __init__(self, server_id: str, pgids: Iterable[int] = ()) -> None:
        self.server_id = server_id
        self.pgids: set[int] = set(pgids)
        self.known: dict[int, int] = {}  # pid -> start time

    def add_group(self, pgid: int) -> None:
        self.pgids.add(pgid)

    def remove_group(self, pgid: int) -> None:
        """Forget a group whose leader was reaped (its id may be reused)."""
        self.pgids.discard(pgid)

    def scan(self, *, marker: bool = True) -> dict[int, ProcInfo]:
        """Look for new processes of the server; return the live (non-zombie) known ones."""
        table = ps_table()
        me, my_group = os.getpid(), os.getpgrp()
        live = {pid: info for pid, info in table.items() if not info.dead}
        groups = {g for g in self.pgids if g > 1 and g != my_group}
        found = {pid for pid, info in live.items() if info.pgid in groups}
        found |= {pid for pid, start in self.known.items() if _same(live.get(pid), start)}
        if marker and _has_proc():
            found |= _marked(live, self.server_id)
        children: dict[int, list[int]] = {}
        for info in live.values():
            children.setdefault(info.ppid, []).append(info.pid)
        todo = list(found)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        found -= {me, 0, 1}
        for pid in found:
            self.known.setdefault(pid, live[pid].start)
        return {pid: live[pid] for pid, start in self.known.items() if _same(live.get(pid), start)}


def _same(info: ProcInfo | None, start: int) -> bool:
    return info is not None and not info.dead and info.start == start


def _signal(alive: dict[int, ProcInfo], extra_groups: Iterable[int], sig: int) -> None:
    my_group = os.getpgrp()
    # A group that still holds one of our live processes cannot have been reused.
    groups = {info.pgid for info in alive.values()} | set(extra_groups)
    for group in groups - {0, 1, my_group}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _reap(popens: Iterable[subprocess.Popen[bytes]]) -> None:
    for p in popens:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            p.poll()


def terminate(
    tracker: Tracker,
    popens: list[subprocess.Popen[bytes]],
    *,
    grace: float = 5.0,
    kill_wait: float = 10.0,
) -> list[int]:
    """SIGTERM every process of the server and its group, wait ``grace`` s, then SIGKILL
    what is left. Returns the pids still alive at the end (normally none).
    """

    def unreaped() -> list[int]:  # an unreaped child's pid (and group id) cannot be reused
        return [p.pid for p in popens if p.returncode is None]

    alive = tracker.scan()
    _signal(alive, unreaped(), signal.SIGTERM)
    termed = set(alive)
    deadline = time.monotonic() + grace
    while True:
        time.sleep(0.1)
        _reap(popens)
        alive = tracker.scan(marker=False)
        if not alive and not unreaped():
            return []
        if time.monotonic() > deadline:
            break
        late = {pid: info for pid, info in alive.items() if pid not in termed}
        if late:  # started after the first SIGTERM
            _signal(late, [], signal.SIGTERM)
            termed |= set(late)
    logger.info(
        "still running %.0f s after SIGTERM, sending SIGKILL: %s",
        grace,
        "; ".join(f"{pid} {cmdline(pid)}" for pid in sorted(alive)),
    )
    deadline = time.monotonic() + kill_wait
    while True:
        _signal(alive, unreaped(), signal.SIGKILL)
        time.sleep(0.1)
        _reap(popens)
        alive = tracker.scan(marker=False)
        if (not alive and not unreaped()) or time.monotonic() > deadline:
            break
    for p in popens:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=1)
    return sorted(alive)
