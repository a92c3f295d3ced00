"""A real, throwaway Apache Airflow (2.x or 3.x) for tests, and a handle on a running one.

``AirflowServer`` provisions a cached venv for the requested version, makes a fresh
``AIRFLOW_HOME`` (SQLite) in a temp folder, migrates the database and starts the server
processes, each in its own process group; ``stop()`` (or leaving the ``with`` block) stops
every process it started, including the task processes that left those groups::

    with AirflowServer("3.3.2", dags_folder="tests/dags") as srv:
        srv.wait_for_dag("quick_success")
        print(srv.api_url, srv.username, srv.password)

``RemoteAirflow`` (or ``AirflowServer.attach``) wraps an Airflow that is already running and
offers the same attributes, minus the local ones (``home``, ``log_paths``, ``airflow()``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from . import _procs
from ._errors import AirflowServerError
from ._venv import AirflowVenv, ensure_venv, tail
from .instance import AirflowInstance, RemoteAirflow, _major, fetch_token
from .postgres import POSTGRES_DRIVERS, PostgresServer
from .versions import install_plan

__all__ = [
    "AirflowInstance",
    "AirflowServer",
    "AirflowServerError",
    "RemoteAirflow",
    "fetch_token",
]

logger = logging.getLogger("airflow_client_ext.testing")

KEEP_HOME_ENV_VAR = "AIRFLOW_CLIENT_EXT_KEEP_HOME"

# Fixed secrets: throwaway servers on loopback only. All processes of one server, and the
# `airflow()` CLI runs, must agree on them.
_FERNET_KEY = "YWlyZmxvdy1jbGllbnQtZXh0LXRlc3QtZmVybmV0ISE="  # 32 bytes, as Fernet needs
_SECRET_KEY = "airflow-client-ext-testing-secret-key"  # noqa: S105 - throwaway server
_JWT_SECRET = "airflow-client-ext-testing-jwt-secret-0123456789abcdef"  # noqa: S105
_V1_AUTH_BACKENDS = "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session"
# last: the 401's WWW-Authenticate comes from the last backend
_V1_KERBEROS_BACKEND = "airflow.providers.fab.auth_manager.api.auth.backend.kerberos_auth"
_SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
_TAIL_LINES = 40
_SQLITE_ARGS_MODULE = "airflow_client_ext_sqlite"
_SQLITE_BUSY_TIMEOUT = 60  # seconds


# -- process-wide safety net: atexit and SIGTERM/SIGHUP stop every running server ------------
_RUNNING: set[AirflowServer] = set()
_RUNNING_LOCK = threading.Lock()
_HOOKS_INSTALLED = False
_HANDED_OUT_PORTS: set[int] = set()


def _stop_all_running() -> None:
    with _RUNNING_LOCK:
        servers = list(_RUNNING)
    for srv in servers:
        with contextlib.suppress(Exception):
            srv.stop()


def _install_hooks() -> None:
    global _HOOKS_INSTALLED
    with _RUNNING_LOCK:
        if _HOOKS_INSTALLED:
            return
        _HOOKS_INSTALLED = True
    atexit.register(_stop_all_running)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(signum)
        if previous in (signal.SIG_IGN, None):
            continue
        signal.signal(signum, _make_handler(previous))


def _make_handler(
    previous: Callable[[int, FrameType | None], Any] | int,
) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        _stop_all_running()
        if callable(previous):
            previous(signum, frame)
            return
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    return handler


def airflow_fqdn() -> str:
    """The host name Airflow 2 registers its Kerberos service under (``airflow/<this>``):
    ``airflow.utils.net.getfqdn()``, which may differ from ``socket.getfqdn()``."""
    name = socket.gethostname()
    with contextlib.suppress(OSError):
        for *_, canonical, _ in socket.getaddrinfo(
            name, None, 0, socket.SOCK_DGRAM, 0, socket.AI_CANONNAME
        ):
            if canonical:
                return canonical
    return name


def free_port() -> int:
    """A free TCP port on 127.0.0.1 that this process has not handed out before."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with _RUNNING_LOCK:
            if port not in _HANDED_OUT_PORTS:
                _HANDED_OUT_PORTS.add(port)
                return port
    raise AirflowServerError("no free TCP port found")


class _StartFailure(Exception):
    """Internal: why a start failed (wrapped into AirflowServerError with the log tails)."""

    def __init__(self, message: str, culprit: str | None = None) -> None:
        super().__init__(message)
        self.culprit = culprit


class AirflowServer(AirflowInstance):
    """A throwaway Airflow ``version`` on free loopback ports; a context manager.

    Parameters:
        version: e.g. ``"2.11.2"`` or ``"3.3.2"``.
        dags_folder: the DAGs folder (default: an empty folder in the home).
        triggerer: also run ``airflow triggerer``.
        extra_env: more environment for every process (applied last, wins).
        extra_packages: more pip requirements for the venv (a separate cached venv; its
            cache key includes them), e.g. ``["astronomer-starship==2.10.1"]``.
        database: Airflow's metadata database: ``"sqlite"`` (default, a file in the home),
            ``"postgres"`` (a throwaway PostgreSQL cluster started and stopped with the
            server, see :class:`~airflow_client_ext.testing.postgres.PostgresServer`; the
            venv gets its drivers), or a SQLAlchemy URL of a database you run. Off SQLite,
            Airflow 2 runs the ``LocalExecutor`` (as 3 does), not the sequential one.
        kerberos_keytab: Airflow 2 only: serve ``/api/v1`` with the Kerberos API backend too
            (last in ``[api] auth_backends``, after basic auth), its service principal
            ``airflow/<airflow_fqdn()>`` taken from this keytab; the venv gets the ``kerberos``
            extra and ``AUTH_ROLE_PUBLIC = None`` goes into ``webserver_config.py``. A
            Kerberos user is an Airflow user named by the full principal: pass
            ``username="alice@EXAMPLE.TEST"`` to make the admin one.
        krb5_config: the ``krb5.conf`` the server's processes use (``KRB5_CONFIG``).
        startup_timeout: seconds for migration plus health (provisioning not included).
        username, password: the admin user to create; the password defaults to a new random
            one (read it back as ``server.password``), so a leak of it is easy to spot.
        port: the API/webserver port (default: a free one).
        home: AIRFLOW_HOME to use (kept after stop); default: a temp folder removed at stop
            unless ``keep_home`` or ``$AIRFLOW_CLIENT_EXT_KEEP_HOME`` is set.
        python: base interpreter of the venv (default: the running one).
        pip_args: more ``pip install`` arguments (e.g. ``["--constraint", "c.txt"]``).
        cache_dir: cache root (default ``$AIRFLOW_CLIENT_EXT_CACHE`` or the user cache dir).
        stop_timeout: seconds between SIGTERM and SIGKILL at stop.
        progress: called with progress lines (default: the ``airflow_client_ext.testing``
            logger at INFO).
    """

    def __init__(
        self,
        version: str,
        dags_folder: str | os.PathLike[str] | None = None,
        *,
        triggerer: bool = False,
        extra_env: Mapping[str, str] | None = None,
        extra_packages: Sequence[str] = (),
        database: str = "sqlite",
        kerberos_keytab: str | os.PathLike[str] | None = None,
        krb5_config: str | os.PathLike[str] | None = None,
        startup_timeout: float = 180.0,
        username: str = "admin",
        password: str | None = None,
        port: int | None = None,
        home: str | os.PathLike[str] | None = None,
        keep_home: bool = False,
        python: str | None = None,
        pip_args: Sequence[str] = (),
        cache_dir: str | os.PathLike[str] | None = None,
        stop_timeout: float = 5.0,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        _major(version)  # validate early
        password = password or f"pw-{secrets.token_urlsafe(12)}-x"
        super().__init__("http://127.0.0.1:0", username, password, version)
        self.dags_folder = Path(dags_folder).resolve() if dags_folder is not None else None
        if self.dags_folder is not None and not self.dags_folder.is_dir():
            raise AirflowServerError(
                f"Airflow {version}: DAGs folder {self.dags_folder} does not exist"
            )
        self.triggerer = triggerer
        self.extra_env = dict(extra_env or {})
        self.extra_packages = tuple(extra_packages)
        self.kerberos_keytab = Path(kerberos_keytab).resolve() if kerberos_keytab else None
        self.krb5_config = Path(krb5_config).resolve() if krb5_config else None
        if self.kerberos_keytab is not None:
            if _major(version) >= 3:
                raise AirflowServerError(
                    f"Airflow {version} has no Kerberos API backend: /api/v2 accepts tokens only"
                )
            self.extra_packages += (f"apache-airflow[kerberos]=={version}",)
        if database not in ("sqlite", "postgres") and "://" not in database:
            raise AirflowServerError(
                f"database must be 'sqlite', 'postgres' or a SQLAlchemy URL, not {database!r}"
            )
        self.database = database
        if database == "postgres" or database.startswith("postgresql"):
            self.extra_packages += tuple(
                p for p in POSTGRES_DRIVERS if p not in self.extra_packages
            )
        self.postgres: PostgresServer | None = None
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.python = python
        self.pip_args = tuple(pip_args)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._requested_port = port
        self._given_home = Path(home).resolve() if home is not None else None
        self.keep_home = keep_home or bool(os.environ.get(KEEP_HOME_ENV_VAR))
        self._progress = progress or logger.info
        self.port: int | None = None
        self.venv: AirflowVenv | None = None
        self.installer = ""  # "uv" or "pip": what built the venv (known after start)
        self.env: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.server_id = uuid.uuid4().hex
        self._popens: dict[str, subprocess.Popen[bytes]] = {}
        self._launch_args: dict[str, list[str]] = {}
        self._logs: list[IO[bytes]] = []
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._tracker = _procs.Tracker(self.server_id)
        self._state = "new"  # new -> starting -> running -> stopping -> stopped
        self._lock = threading.Lock()

    @classmethod
    def attach(
        cls, url: str, username: str, password: str, *, version: str | None = None
    ) -> RemoteAirflow:
        """A handle on an Airflow that is already running (version detected if not given)."""
        return RemoteAirflow(url, username, password, version=version)

    # -- public state -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._state == "running"

    @property
    def pids(self) -> dict[str, int]:
        """Process name (``webserver``, ``scheduler``, ...) -> pid of each started process."""
        return {name: p.pid for name, p in self._popens.items()}

    @property
    def pgids(self) -> dict[str, int]:
        """Process name -> process group id (each started process leads its own group)."""
        return dict(self.pids)

    @property
    def watchdog_pid(self) -> int | None:
        """Pid of the watchdog process that stops the server if this process dies."""
        return self._watchdog.pid if self._watchdog is not None else None

    def processes(self) -> dict[int, int]:
        """Every live process of this server right now (pid -> pgid): the groups' members,
        their descendants, and (Linux) every process carrying this server's marker variable.
        """
        return {pid: info.pgid for pid, info in self._tracker.scan().items()}

    def rss_bytes(self) -> int:
        """Resident memory of all the server's processes, summed (Linux; 0 elsewhere)."""
        total = 0
        for pid in self.processes():
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def exited(self) -> dict[str, int]:  # documented on AirflowInstance
        return {name: p.returncode for name, p in self._popens.items() if p.poll() is not None}

    def _check_alive(self) -> None:
        if self._state != "running":
            raise AirflowServerError(f"Airflow {self.version}: server is not running")
        for name, code in self.exited().items():
            raise AirflowServerError(
                f"Airflow {self.version}: process {name!r} exited with code {code}\n{self._tails()}"
            )

    # -- start ------------------------------------------------------------------------------
    def start(self) -> AirflowServer:
        """Provision, migrate, start and wait for health. Idempotent while running."""
        with self._lock:
            if self._state == "running":
                return self
            if self._state != "new":
                raise AirflowServerError(
                    f"Airflow {self.version}: a server cannot be started twice (state "
                    f"{self._state}); make a new AirflowServer"
                )
            self._state = "starting"
        _install_hooks()
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        t0 = time.monotonic()
        try:
            self._start(t0)
        except _StartFailure as exc:
            tails = self._tails(first=exc.culprit)
            self.stop()
            raise AirflowServerError(
                f"Airflow {self.version} failed to start: {exc}\n{tails}"
            ) from None
        except BaseException:
            self.stop()
            raise
        self._state = "running"
        self.timings["start_total"] = time.monotonic() - t0
        self._progress(
            f"Airflow {self.version} ready at {self.url} in "
            f"{self.timings['start_total']:.1f} s (healthy "
            f"{self.timings['healthy']:.1f} s after launch)"
        )
        return self

    def _start(self, t0: float) -> None:
        self.venv = ensure_venv(
            self.version,
            self.extra_packages,
            python=self.python,
            pip_args=self.pip_args,
            cache_dir=self.cache_dir,
            progress=self._progress,
        )
        self.timings["provision"] = self.venv.seconds
        self.installer = self.venv.installer
        deadline = time.monotonic() + self.startup_timeout
        if self._given_home is not None:
            self.home = self._given_home
            self.home.mkdir(parents=True, exist_ok=True)
        else:
            self.home = Path(tempfile.mkdtemp(prefix=f"airflow-{self.version}-"))
        (self.home / "harness-logs").mkdir(exist_ok=True)
        dags = self.dags_folder or self.home / "dags"
        dags.mkdir(exist_ok=True)
        self.port = self._requested_port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if self.database == "postgres":
            self._progress(f"Airflow {self.version}: starting a throwaway PostgreSQL")
            self.postgres = PostgresServer(startup_timeout=self.startup_timeout)
            self.postgres.start()
            self.timings["postgres"] = self.postgres.timings["start"]
        self.env = self._build_env(dags)
        if self._database_url().startswith("sqlite:"):
            self._be_patient_with_sqlite_locks()
        if self.kerberos_keytab is not None:
            # FAB's default AUTH_ROLE_PUBLIC makes the Kerberos backend let everyone in as
            # anonymous (then 403); None makes it ask for Negotiate
            config = self.home / "webserver_config.py"  # a given home may have one: append
            text = config.read_text() if config.exists() else ""
            config.write_text(f"{text}\nAUTH_ROLE_PUBLIC = None\n")
        self._start_watchdog()
        if self.postgres is not None and self.postgres.pid is not None:
            self._tell_watchdog(str(self.postgres.pid))  # stopped too if this process dies

        t = time.monotonic()
        self._setup_step("db-migrate", ["db", "migrate"], deadline)
        if self.major < 3:
            self._setup_step(
                "users-create",
                [
                    "users", "create", "--username", self.username, "--password",
                    self.password, "--firstname", "Admin", "--lastname", "User",
                    "--role", "Admin", "--email", "admin@example.com",
                ],
                deadline,
            )  # fmt: skip
        self.timings["setup"] = time.monotonic() - t

        t = time.monotonic()
        port = str(self.port)
        # one worker unless extra_env asks for more (Airflow's own default is 4)
        if self.major < 3:
            workers = self.env.get("AIRFLOW__WEBSERVER__WORKERS", "1")
            self._launch(
                "webserver",
                ["webserver", "--port", port, "--hostname", "127.0.0.1", "--workers", workers],
            )
            self._launch("scheduler", ["scheduler"])
        else:
            workers = self.env.get("AIRFLOW__API__WORKERS", "1")
            self._launch(
                "api-server",
                ["api-server", "--port", port, "--host", "127.0.0.1", "--workers", workers],
            )
            self._launch("scheduler", ["scheduler"])
            self._launch("dag-processor", ["dag-processor"])
        if self.triggerer:
            self._launch("triggerer", ["triggerer"])
        self._wait_healthy(deadline)
        self.timings["healthy"] = time.monotonic() - t

    def _build_env(self, dags: Path) -> dict[str, str]:
        assert self.home is not None
        assert self.venv is not None
        home = self.home
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "_AIRFLOW"))
            and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", _procs.MARKER_VAR)
        }
        env.update(
            {
                "PATH": f"{self.venv.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
                "VIRTUAL_ENV": str(self.venv.path),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",  # keep __pycache__ out of the DAGs folder
                _procs.MARKER_VAR: self.server_id,
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self._database_url(),
                "AIRFLOW__CORE__FERNET_KEY": _FERNET_KEY,
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            }
        )
        if self.major < 3:
            env.update(
                {
                    **self._airflow2_executor(),
                    "AIRFLOW__API__AUTH_BACKENDS": _V1_AUTH_BACKENDS,
                    "AIRFLOW__WEBSERVER__SECRET_KEY": _SECRET_KEY,
                    "AIRFLOW__WEBSERVER__WORKERS": "1",
                    "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
                    "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(self.port),
                    "AIRFLOW__WEBSERVER__BASE_URL": self.url,
                    "AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE": "False",
                    "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
                    "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "10",
                    "AIRFLOW__METRICS__TIMER_UNIT_CONSISTENCY": "True",
                    # a busy CI machine: gunicorn's master may answer slowly at start
                    "AIRFLOW__WEBSERVER__WEB_SERVER_MASTER_TIMEOUT": "300",
                }
            )
        else:
            passwords = home / "simple_auth_manager_passwords.json"
            passwords.write_text(json.dumps({self.username: self.password}))
            env.update(
                {
                    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                    "AIRFLOW__CORE__PARALLELISM": "4",
                    "AIRFLOW__CORE__AUTH_MANAGER": _SIMPLE_AUTH_MANAGER,
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{self.username}:admin",
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                    "AIRFLOW__API__HOST": "127.0.0.1",
                    "AIRFLOW__API__PORT": str(self.port),
                    "AIRFLOW__API__WORKERS": "1",
                    "AIRFLOW__API__SECRET_KEY": _SECRET_KEY,
                    "AIRFLOW__API_AUTH__JWT_SECRET": _JWT_SECRET,
                    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
                    # a busy machine: the first call of a task to the execution API can take
                    # tens of seconds; the default 5 s kills the task
                    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
                }
            )
        env.update(install_plan(self.version).env)  # what this release needs to run
        env.update(self._kerberos_env())
        env.update(self.extra_env)
        return env

    def _airflow2_executor(self) -> dict[str, str]:
        """SQLite allows Airflow 2 one task at a time; any other database, four at once."""
        if self._database_url().startswith("sqlite:"):
            return {"AIRFLOW__CORE__EXECUTOR": "SequentialExecutor"}
        return {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__CORE__PARALLELISM": "4"}

    def _kerberos_env(self) -> dict[str, str]:
        if self.kerberos_keytab is None:
            return {}
        env = {
            "AIRFLOW__API__AUTH_BACKENDS": f"{_V1_AUTH_BACKENDS},{_V1_KERBEROS_BACKEND}",
            "AIRFLOW__KERBEROS__KEYTAB": str(self.kerberos_keytab),
            "KRB5_KTNAME": str(self.kerberos_keytab),
            "KRB5RCACHEDIR": str(self.home),  # the replay cache, not in /var/tmp
        }
        if self.krb5_config is not None:
            env["KRB5_CONFIG"] = str(self.krb5_config)
        return env

    def _be_patient_with_sqlite_locks(self) -> None:
        """Wait up to 60 s for SQLite's write lock instead of its default 5 s.

        On a busy machine the scheduler can hold the lock longer than 5 s, and an API write
        (a trigger) then fails with a 500 "Database error" (``database is locked``). Airflow
        reads connect args from an import path; ``$AIRFLOW_HOME/config`` is on its sys.path.
        """
        assert self.home is not None
        config = self.home / "config"
        config.mkdir(exist_ok=True)
        (config / f"{_SQLITE_ARGS_MODULE}.py").write_text(
            '"""Written by airflow_client_ext.testing: SQLite waits 60 s for a lock."""\n'
            f"CONNECT_ARGS = {{'timeout': {_SQLITE_BUSY_TIMEOUT}}}\n"
        )
        for option in ("SQL_ALCHEMY_CONNECT_ARGS", "SQL_ALCHEMY_CONNECT_ARGS_ASYNC"):
            self.env[f"AIRFLOW__DATABASE__{option}"] = f"{_SQLITE_ARGS_MODULE}.CONNECT_ARGS"

    def _database_url(self) -> str:
        if self.postgres is not None:
            return self.postgres.sqlalchemy_url
        if "://" in self.database:
            return self.database
        return f"sqlite:///{self.home}/airflow.db"

    def _start_watchdog(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != _procs.MARKER_VAR}
        # The folder holding the airflow_client_ext package, so `-m` finds it whatever the
        # harness's sys.path tricks.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(
            [root, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        self._watchdog = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "airflow_client_ext.testing._watchdog", self.server_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )

    def _tell_watchdog(self, line: str) -> None:
        wd = self._watchdog
        if wd is None or wd.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            wd.stdin.write(f"{line}\n".encode())
            wd.stdin.flush()

    def _airflow_cmd(self, args: Sequence[str]) -> list[str]:
        assert self.venv is not None
        return [str(self.venv.airflow), *args]

    def _open_log(self, name: str) -> IO[bytes]:
        assert self.home is not None
        path = self.home / "harness-logs" / f"{name}.log"
        self.log_paths[name] = path
        f = path.open("ab")
        self._logs.append(f)
        return f

    def _setup_step(self, name: str, args: list[str], deadline: float) -> None:
        self._progress(f"Airflow {self.version}: airflow {' '.join(args[:2])}")
        log = self._open_log(name)
        proc = subprocess.Popen(  # noqa: S603 - the venv's airflow
            self._airflow_cmd(args),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.home,
            start_new_session=True,
        )
        self._popens[name] = proc  # so stop() covers it if we are interrupted
        self._tracker.add_group(proc.pid)
        self._tell_watchdog(str(proc.pid))
        try:
            rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise _StartFailure(
                f"`airflow {' '.join(args[:2])}` timed out (startup_timeout "
                f"{self.startup_timeout:.0f} s)",
                name,
            ) from None
        if rc != 0:
            raise _StartFailure(f"`airflow {' '.join(args[:2])}` exited with code {rc}", name)
        del self._popens[name]
        self._tracker.remove_group(proc.pid)

    def restart_api_server(self, *, down_for: float = 0.0, timeout: float = 120.0) -> float:
        """Kill the API server (Airflow 2: the webserver) with SIGKILL to its process group,
        keep it down ``down_for`` seconds, start it again and wait until it answers.

        For tests of clients that must ride out a restart. Returns the seconds from the kill
        to the first healthy answer.
        """
        name = "webserver" if self.major < 3 else "api-server"
        proc = self._popens[name]
        killed = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        self._tracker.remove_group(proc.pid)
        time.sleep(down_for)
        self._launch(name, self._launch_args[name])
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health(timeout=5)
                return time.monotonic() - killed
            except (AirflowServerError, OSError) as exc:
                if time.monotonic() > deadline:
                    raise AirflowServerError(
                        f"Airflow {self.version}: the {name} did not answer {timeout:.0f} s "
                        f"after its restart ({exc})\n{self._tails(name)}"
                    ) from exc
            time.sleep(0.2)

    def _launch(self, name: str, args: list[str]) -> None:
        self._launch_args[name] = args
        log = self._open_log(name)
        proc = subprocess.Popen(  # noqa: S603 - the venv's airflow
            self._airflow_cmd(args),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.home,
            start_new_session=True,
        )
        self._popens[name] = proc
        self._tracker.add_group(proc.pid)
        self._tell_watchdog(str(proc.pid))

    def _wait_healthy(self, deadline: float) -> None:
        wanted = ["metadatabase", "scheduler"]
        if self.major >= 3:
            wanted.append("dag_processor")
        if self.triggerer:
            wanted.append("triggerer")
        last = "no answer yet"
        while True:
            for name, p in self._popens.items():
                if p.poll() is not None:
                    raise _StartFailure(f"process {name!r} exited with code {p.returncode}", name)
            try:
                doc = self.health(timeout=5)
            except (AirflowServerError, OSError) as exc:
                last = str(exc)
            else:
                states = {k: (doc.get(k) or {}).get("status") for k in wanted}
                last = f"health {states}"
                if all(s == "healthy" for s in states.values()):
                    problem = self._auth_problem()
                    if problem is None:
                        return
                    last = problem
            if time.monotonic() > deadline:
                raise _StartFailure(
                    f"not healthy after startup_timeout={self.startup_timeout:.0f} s (last: {last})"
                )
            time.sleep(0.5)

    def _auth_problem(self) -> str | None:
        """None when the API accepts our credentials, else what went wrong."""
        try:
            if self.major >= 3:
                self.get_token(refresh=True)
                return None
            resp = self.request("GET", "version", timeout=10)
        except (AirflowServerError, OSError) as exc:
            return f"auth check failed: {exc}"
        if resp.status != 200:
            return f"auth check: GET {self.api_url}/version -> {resp.status}"
        return None

    def _tails(self, first: str | None = None) -> str:
        """The tail of each log file, the culprit's first."""
        names = sorted(self.log_paths, key=lambda n: n != first)
        kept = self._given_home is not None or self.keep_home
        parts = [
            f"AIRFLOW_HOME={self.home}"
            + ("" if kept else f" (removed at stop; set {KEEP_HOME_ENV_VAR}=1 to keep it)")
        ]
        for name in names:
            path = self.log_paths[name]
            if path.exists():
                parts.append(tail(path, _TAIL_LINES))
        return "\n".join(parts)

    # -- stop -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop every process of the server (SIGTERM to each process group, then SIGKILL).

        Idempotent; also called by ``atexit`` and on SIGTERM/SIGHUP of this process.
        """
        with self._lock:
            if self._state in ("stopping", "stopped", "new"):
                if self._state == "new":
                    self._state = "stopped"
                return
            self._state = "stopping"
        try:
            t = time.monotonic()
            leftovers = _procs.terminate(
                self._tracker, list(self._popens.values()), grace=self.stop_timeout
            )
            self.timings["stop"] = time.monotonic() - t
            if self.postgres is not None:  # after Airflow (it holds connections), before
                self.postgres.stop()  # the watchdog lets go
            if leftovers:  # pragma: no cover - not seen in practice
                logger.warning("Airflow %s: processes %s survived SIGKILL", self.version, leftovers)
        finally:
            # End-of-file makes the watchdog stop whatever it saw that is still alive
            # (normally nothing by now), then exit.
            wd = self._watchdog
            if wd is not None:
                with contextlib.suppress(OSError, ValueError):
                    if wd.stdin is not None:
                        wd.stdin.close()
                try:
                    wd.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    wd.kill()
                    wd.wait()
            for f in self._logs:
                with contextlib.suppress(OSError):
                    f.close()
            with _RUNNING_LOCK:
                _RUNNING.discard(self)
            self._state = "stopped"
            if self.home is not None and self._given_home is None and not self.keep_home:
                shutil.rmtree(self.home, ignore_errors=True)

    # -- CLI --------------------------------------------------------------------------------
    def airflow(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 120.0,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``airflow`` CLI of this server's venv with its environment."""
        if self._state not in ("starting", "running") or self.venv is None:
            raise AirflowServerError(f"Airflow {self.version}: server is not running")
        cmd = self._airflow_cmd(args)
        proc = subprocess.Popen(  # noqa: S603 - the venv's airflow
            cmd,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=self.home,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except BaseException as exc:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise AirflowServerError(
                    f"Airflow {self.version}: `airflow {' '.join(args)}` timed out after "
                    f"{timeout:.0f} s"
                ) from None
            raise
        result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise AirflowServerError(
                f"Airflow {self.version}: `airflow {' '.join(args)}` exited with code "
                f"{proc.returncode}\n--- stdout:\n{_last_lines(out)}\n--- stderr:\n"
                f"{_last_lines(err)}"
            )
        return result


def _last_lines(text: str, n: int = _TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-n:])
