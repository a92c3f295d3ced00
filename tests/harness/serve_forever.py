"""Child process of the signal tests: start a server, run a slow task, report, then wait.

Usage: ``python serve_forever.py VERSION DAGS_FOLDER``. Prints one JSON line (``READY
{...}``) with the server's pids, groups, marker id and watchdog pid, then sleeps until a
signal arrives. It never calls ``stop()``: only ``atexit``, the SIGTERM handler or the
watchdog can stop the server.
"""

from __future__ import annotations

import json
import signal
import sys
import time

from harness_procs import start_slow_task

from airflow_client_ext.testing import AirflowServer

# A job started in the background by a non-interactive shell (as CI may start us) inherits
# SIGINT ignored, and Python then never raises KeyboardInterrupt: restore it.
signal.signal(signal.SIGINT, signal.default_int_handler)


def main() -> None:
    version, dags = sys.argv[1], sys.argv[2]
    srv = AirflowServer(version, dags, progress=lambda line: print(line, file=sys.stderr))
    srv.start()
    start_slow_task(srv, "signal-check")
    info = {
        "pids": list(srv.pids.values()),
        "pgids": list(srv.pgids.values()),
        "server_id": srv.server_id,
        "watchdog": srv.watchdog_pid,
    }
    print("READY " + json.dumps(info), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
