"""The main job, `make demo`: a real local Airflow, the demo DAG triggered and watched with the
`airflow-client-ext` command line.

    python scripts/demo.py [--airflow-version 3.3.2] [--timeout 300]

Starts a throwaway Airflow through ``airflow_client_ext.testing`` with ``scripts/demo_dags``
(the first start provisions the Airflow venv), waits until the ``demo`` DAG is parsed, then
runs, as a subprocess whose output goes straight to this terminal::

    airflow-client-ext trigger demo --conf '{"rows": 4}' --unpause --wait --timeout 300

with ``AIRFLOW_URL``, ``AIRFLOW_USERNAME`` and ``AIRFLOW_PASSWORD`` set: a live display of
the run on a terminal, timestamped ``HH:MM:SS  task  state`` lines otherwise. Then it stops
the server and exits with the command's exit code (0 success, 1 the run failed, 5 timeout,
...; see ``airflow-client-ext --help``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from airflow_client_ext.testing import AirflowServer

DAGS = Path(__file__).resolve().parent / "demo_dags"
#: what the command reads from the environment: only the demo server's settings are passed
CLI_VARIABLES = (
    "AIRFLOW_URL",
    "AIRFLOW_USERNAME",
    "AIRFLOW_PASSWORD",
    "AIRFLOW_TOKEN",
    "AIRFLOW_AUTH",
    "AIRFLOW_API_VERSION",
    "AIRFLOW_TIMEOUT",
    "AIRFLOW_CA_BUNDLE",
    "AIRFLOW_VERIFY",
)


def say(message: str) -> None:
    print(f"{datetime.now():%H:%M:%S}  {message}", flush=True)


def cli_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("airflow-client-ext")
    if script.exists():
        return [str(script)]
    found = shutil.which("airflow-client-ext")
    return [found] if found else [sys.executable, "-m", "airflow_client_ext.cli"]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--airflow-version", default="3.3.2")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the run")
    args = parser.parse_args()

    say(f"starting Airflow {args.airflow_version} (the first start provisions its venv)")
    with AirflowServer(args.airflow_version, dags_folder=DAGS, progress=say) as srv:
        say(f"Airflow {srv.version} is healthy at {srv.url} (API {srv.api_version})")
        srv.wait_for_dag("demo")
        say("the demo DAG is parsed")
        env = {k: v for k, v in os.environ.items() if k not in CLI_VARIABLES}
        env.update(
            AIRFLOW_URL=srv.url, AIRFLOW_USERNAME=srv.username, AIRFLOW_PASSWORD=srv.password
        )
        argv = ["trigger", "demo", "--conf", '{"rows": 4}', "--unpause", "--wait"]
        argv += ["--timeout", f"{args.timeout:g}"]
        say("$ airflow-client-ext " + shlex.join(argv))
        try:
            code = subprocess.call([*cli_command(), *argv], env=env)
        except KeyboardInterrupt:
            code = 130
        say(f"airflow-client-ext exited with {code}; stopping Airflow")
    say("Airflow stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
