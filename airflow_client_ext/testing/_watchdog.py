"""Watchdog of one server: ``python -m airflow_client_ext.testing._watchdog ID``.

It reads process group ids from stdin, one per line, as the harness starts processes, and
every 2 s it records the server's processes (``Tracker.scan``), so it still knows the ones
that later leave their group or lose their parent. The write end of the pipe belongs to the
harness process only: when the harness dies, even by SIGKILL, stdin reaches end-of-file and
the watchdog stops the server (SIGTERM, then SIGKILL after a grace period). A normal
``stop()`` closes the pipe too, after stopping the server itself: the watchdog then stops
whatever it knows of that is still alive (normally nothing) and exits.
"""

from __future__ import annotations

import os
import select
import sys

from airflow_client_ext.testing._procs import Tracker, terminate

SCAN_INTERVAL = 2.0


def main(argv: list[str]) -> int:
    tracker = Tracker(argv[1])
    my_group = os.getpgrp()
    fd = sys.stdin.fileno()
    buffer = b""
    while True:
        ready, _, _ = select.select([fd], [], [], SCAN_INTERVAL)
        if not ready:
            if tracker.pgids:
                tracker.scan(marker=False)
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break  # the harness is gone
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            word = raw.decode("ascii", "replace").strip()
            if word.isdigit() and int(word) > 1 and int(word) != my_group:
                tracker.add_group(int(word))
                tracker.scan(marker=False)
    terminate(tracker, [], grace=5.0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
