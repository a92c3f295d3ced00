"""A throwaway PostgreSQL for Airflow's metadata database in tests.

``PostgresServer`` makes its own cluster with ``initdb`` in a temp folder, runs ``postgres``
on a free loopback port (its Unix socket in that folder too, so it never meets a system
cluster), creates a database, and at ``stop()`` ends the server by its PID (SIGINT, the
fast shutdown; SIGKILL to its process group if it lingers) and removes the folder::

    with PostgresServer() as pg:
        AirflowServer("2.11.2", database=pg.sqlalchemy_url)

It needs the Debian ``postgresql`` package (``initdb`` and ``postgres``; found on PATH or
under ``/usr/lib/postgresql/<major>/bin``). PostgreSQL refuses to run as root: as root, the
cluster belongs to, and the server runs as, the ``postgres`` user the package creates.
Airflow needs a driver in its venv: ``psycopg2-binary`` (and ``asyncpg`` on Airflow 3), the
:data:`POSTGRES_DRIVERS`, which ``AirflowServer`` adds itself for a PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

from ._errors import AirflowServerError
from ._venv import tail

logger = logging.getLogger("airflow_client_ext.testing")

__all__ = ["POSTGRES_DRIVERS", "PostgresServer", "find_postgres_bin"]


#: What Airflow needs to use PostgreSQL (Airflow 3 also talks to it asynchronously; the same
#: pair on Airflow 2 keeps one venv per version for both majors' recipes)
POSTGRES_DRIVERS = ("psycopg2-binary", "asyncpg")


def find_postgres_bin() -> Path:
    """The folder holding ``initdb`` and ``postgres`` (PATH first, then Debian's layout)."""
    found = shutil.which("initdb")
    if found and Path(found).with_name("postgres").exists():
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    raise AirflowServerError(
        "PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql/*/bin): "
        "install the Debian package `postgresql` (.ci/run does)"
    )


class PostgresServer:
    """A PostgreSQL cluster of its own on ``127.0.0.1:<port>``; a context manager.

    Parameters:
        port: the TCP port (default: a free one).
        database: the database to create (default ``airflow``).
        user: the database superuser (default ``airflow``; trust auth on loopback only).
        bin_dir: where ``initdb``/``postgres`` are (default: :func:`find_postgres_bin`).
        startup_timeout: seconds for initdb plus start.
        stop_timeout: seconds between SIGINT and SIGKILL at stop.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        database: str = "airflow",
        user: str = "airflow",
        bin_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 20.0,
    ) -> None:
        self.port = port
        self.database = database
        self.user = user
        self._bin_dir = Path(bin_dir) if bin_dir is not None else None
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.home: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}
        self._run_as: str | None = None
        self._lock = threading.Lock()
        self._state = "new"

    # -- public ------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def sqlalchemy_url(self) -> str:
        """For ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` (psycopg2)."""
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def log_path(self) -> Path | None:
        return self.home / "postgres.log" if self.home is not None else None

    def __repr__(self) -> str:
        return f"PostgresServer(port={self.port!r}, pid={self.pid!r}, state={self._state!r})"

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- start -------------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        with self._lock:
            if self._state == "running":
                return self
            if self._state != "new":
                raise AirflowServerError("a PostgresServer cannot be started twice")
            self._state = "starting"
        t0 = time.monotonic()
        try:
            self._start(t0 + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self._state = "running"
        self.timings["start"] = time.monotonic() - t0
        logger.info(
            "PostgreSQL ready on 127.0.0.1:%s (pid %s) in %.1f s",
            self.port,
            self.pid,
            self.timings["start"],
        )
        return self

    def _start(self, deadline: float) -> None:
        from .server import free_port  # the harness's port bookkeeping

        bin_dir = self._bin_dir or find_postgres_bin()
        self.port = self.port or free_port()
        self.home = Path(tempfile.mkdtemp(prefix="airflow-client-ext-pg-"))
        data = self.home / "data"
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise AirflowServerError(
                    "running as root and there is no `postgres` user to run PostgreSQL as: "
                    "install the Debian package `postgresql`, or run the tests as a normal user"
                ) from None
            self._run_as = "postgres"
            shutil.chown(self.home, user="postgres")
        log = self.log_path
        assert log is not None
        self._run(
            [
                str(bin_dir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                self.user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            ],
            deadline,
            "initdb",
        )
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - the cluster's own server
                [
                    str(bin_dir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.home),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self._run_as,
                cwd=self.home,
            )
        self._wait_ready(bin_dir, deadline)
        self._run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                self.database,
            ],
            deadline,
            "createdb",
        )

    def _run(self, cmd: list[str], deadline: float, name: str) -> None:
        log = self.log_path
        assert log is not None
        with log.open("ab") as out:
            out.write(f"$ {' '.join(cmd)}\n".encode())
            out.flush()
            proc = subprocess.Popen(  # noqa: S603 - PostgreSQL's own tools
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self._run_as,
                cwd=self.home,
            )
            try:
                rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise AirflowServerError(f"PostgreSQL: `{name}` timed out\n{tail(log)}") from None
        if rc != 0:
            raise AirflowServerError(f"PostgreSQL: `{name}` exited with code {rc}\n{tail(log)}")

    def _wait_ready(self, bin_dir: Path, deadline: float) -> None:
        assert self.process is not None
        log = self.log_path
        assert log is not None
        isready = bin_dir / "pg_isready"
        while True:
            if self.process.poll() is not None:
                raise AirflowServerError(
                    f"PostgreSQL exited with code {self.process.returncode} at start\n{tail(log)}"
                )
            check = subprocess.run(  # noqa: S603 - PostgreSQL's own tool
                [str(isready), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user],
                check=False,
                capture_output=True,
                timeout=30,
            )
            if check.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise AirflowServerError(f"PostgreSQL not ready in time\n{tail(log)}")
            time.sleep(0.2)

    # -- stop --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the server by its PID (fast shutdown, then SIGKILL to its group) and remove
        the cluster. Idempotent."""
        with self._lock:
            if self._state in ("stopped", "stopping"):
                return
            self._state = "stopping"
        try:
            proc = self.process
            if proc is not None and proc.poll() is None:
                t = time.monotonic()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGINT)  # "fast" shutdown of the postmaster
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
                self.timings["stop"] = time.monotonic() - t
            # the postmaster exits only after its backends: nothing of the group is left
        finally:
            self._state = "stopped"
            if self.home is not None:
                shutil.rmtree(self.home, ignore_errors=True)
