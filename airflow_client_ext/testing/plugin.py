"""pytest plugin: a real Airflow per version, started once per session.

Loaded through the ``pytest11`` entry point ``airflow_client_ext``. Importing it is cheap and
needs nothing beyond pytest; the harness itself loads when a fixture is first used.

Options:
    ``--airflow-version V`` (repeatable, or a comma list; default 2.11.2 and 3.3.2),
    ``--airflow-url URL`` (repeatable: use running servers instead of starting any),
    ``--airflow-username`` / ``--airflow-password`` (for ``--airflow-url``; default
    ``$AIRFLOW_USERNAME`` / ``$AIRFLOW_PASSWORD``, else admin/admin),
    ``--airflow-dags DIR`` (the DAGs folder of started servers),
    ``--airflow-env KEY=VALUE`` (repeatable: Airflow config for started servers),
    ``--airflow-startup-timeout S`` (default 180).

Fixtures:
    ``airflow_server`` (session): an ``AirflowInstance`` (an ``AirflowServer`` or a
    ``RemoteAirflow``). Tests that use it, directly or through other fixtures, are
    parametrized (indirectly, session scope) by the version to start (``"2.11.2"``) or the
    ``--airflow-url`` (so ``item.callspec.params["airflow_server"]`` is that string), with
    ids ``airflow-2.11.2`` / ``airflow-remote``. Each server starts once per session (at its
    first use) and stops at the end of the session; servers of different versions run side
    by side.
    ``airflow_dags_folder`` (session): the DAGs folder (``--airflow-dags`` or None: an empty
    one); override it in a conftest.py (keep it session-scoped) to serve your own DAGs.
    ``airflow_version`` (function): a version string, parametrized like ``airflow_server``,
    for tests that start their own ``AirflowServer``; skipped with ``--airflow-url``.

A failed test that used a started server gets the tail of each of that server's logs
(scheduler, API server, ...) as sections of its report: what CI shows on failure.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import DEFAULT_VERSIONS

if TYPE_CHECKING:
    from .secrets_guard import SecretsGuard
    from .server import AirflowInstance

logger = logging.getLogger("airflow_client_ext.testing")

REMOTE_SKIP_REASON = "--airflow-url given: this test starts its own Airflow"


def target_id(param: str, index: int = 0) -> str:
    """Test id of one ``airflow_server`` parameter: ``airflow-<version>`` or ``airflow-remote``."""
    if _is_url(param):
        return "airflow-remote" if index == 0 else f"airflow-remote-{index}"
    return f"airflow-{param}"


def _is_url(param: str) -> bool:
    return param.startswith(("http://", "https://"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("airflow", "airflow-client-ext: a real Airflow for tests")
    group.addoption(
        "--airflow-version",
        action="append",
        dest="airflow_versions",
        default=None,
        metavar="VERSION",
        help="Airflow version to start (repeatable or a comma list; "
        f"default: {', '.join(DEFAULT_VERSIONS)}).",
    )
    group.addoption(
        "--airflow-url",
        action="append",
        dest="airflow_urls",
        default=None,
        metavar="URL",
        help="Use this running Airflow (e.g. http://127.0.0.1:8080) instead of starting one "
        "(repeatable or a comma list).",
    )
    group.addoption(
        "--airflow-username",
        dest="airflow_username",
        default=None,
        help="User for --airflow-url (default: $AIRFLOW_USERNAME, else admin).",
    )
    group.addoption(
        "--airflow-password",
        dest="airflow_password",
        default=None,
        help="Password for --airflow-url (default: $AIRFLOW_PASSWORD, else admin).",
    )
    group.addoption(
        "--airflow-dags",
        dest="airflow_dags",
        default=None,
        metavar="DIR",
        help="DAGs folder of the Airflow servers started for the session.",
    )
    group.addoption(
        "--airflow-env",
        action="append",
        dest="airflow_env",
        default=None,
        metavar="KEY=VALUE",
        help="Extra environment (Airflow config) for the servers started for the session, "
        "e.g. AIRFLOW__API__EXPOSE_CONFIG=True (repeatable).",
    )
    group.addoption(
        "--airflow-database",
        dest="airflow_database",
        default="sqlite",
        metavar="DATABASE",
        help="Metadata database of the servers started for the session: sqlite (default), "
        "postgres (a throwaway PostgreSQL per server; needs the Debian package postgresql) "
        "or a SQLAlchemy URL.",
    )
    group.addoption(
        "--airflow-secrets-guard",
        dest="airflow_secrets_guard",
        action="store_true",
        default=False,
        help="Fail any test whose output, DEBUG logs or error texts show a secret of the "
        "session (the started servers' passwords, what tests add with the secrets_guard "
        "fixture, any JWT).",
    )
    group.addoption(
        "--airflow-startup-timeout",
        dest="airflow_startup_timeout",
        type=float,
        default=180.0,
        metavar="SECONDS",
        help="Seconds for migration plus health of each started server (default 180).",
    )


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        for item in value.split(","):
            item = item.strip()
            if item and item not in out:
                out.append(item)
    return out


def airflow_targets(config: pytest.Config) -> list[str]:
    """The ``airflow_server`` parameters selected by the command line: the ``--airflow-url``
    values if any, else the versions to start.
    """
    urls = _split(config.getoption("airflow_urls", None))
    if urls:
        return urls
    return _split(config.getoption("airflow_versions", None)) or list(DEFAULT_VERSIONS)


def _already_parametrized(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    targets = airflow_targets(metafunc.config)
    ids = [target_id(t, i) for i, t in enumerate(targets)]
    if "airflow_server" in names:
        if not _already_parametrized(metafunc, "airflow_server"):
            metafunc.parametrize("airflow_server", targets, ids=ids, indirect=True, scope="session")
    elif "airflow_version" in names and not _already_parametrized(metafunc, "airflow_version"):
        if any(_is_url(t) for t in targets):
            params = [pytest.param("remote", marks=pytest.mark.skip(reason=REMOTE_SKIP_REASON))]
            metafunc.parametrize("airflow_version", params, ids=["airflow-remote"])
        else:
            metafunc.parametrize("airflow_version", targets, ids=ids)


class _Pool:
    """Servers started for the session, by (target, DAGs folder); stopped at its end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.servers: dict[tuple[str, str], AirflowInstance] = {}
        self.failures: dict[tuple[str, str], BaseException] = {}

    def _progress(self) -> Callable[[str], None]:
        config = self.config
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capman = config.pluginmanager.get_plugin("capturemanager")

        def say(message: str) -> None:
            logger.info(message)
            if reporter is None:
                return
            ctx = (
                capman.global_and_fixture_disabled()
                if capman is not None
                else contextlib.nullcontext()
            )
            with ctx:
                reporter.write_line(f"[airflow-client-ext] {message}")

        return say

    def get(self, target: str, dags_folder: Path | None) -> AirflowInstance:
        key = (target, str(dags_folder or ""))
        if key in self.failures:
            raise self.failures[key]
        if key in self.servers:
            return self.servers[key]
        from .server import AirflowServer, RemoteAirflow  # lazy: keeps the plugin cheap

        server: AirflowInstance
        try:
            if _is_url(target):
                server = RemoteAirflow(target, *_remote_credentials(self.config))
            else:
                server = AirflowServer(
                    target,
                    dags_folder,
                    extra_env=airflow_env(self.config),
                    database=self.config.getoption("airflow_database", "sqlite"),
                    startup_timeout=self.config.getoption("airflow_startup_timeout", 180.0),
                    progress=self._progress(),
                )
                self.config.stash[_GUARD_KEY].add_password(
                    server.username, server.password, f"Airflow {target}'s admin password"
                )
                server.start()
        except Exception as exc:
            self.failures[key] = exc
            raise
        self.servers[key] = server
        return server

    def close(self) -> None:
        servers = list(self.servers.values())
        self.servers.clear()
        for server in reversed(servers):
            try:
                server.stop()
            except Exception:  # pragma: no cover - stop() does not raise in practice
                logger.exception("stopping %r failed", server)


def airflow_env(config: pytest.Config) -> dict[str, str]:
    """The ``--airflow-env KEY=VALUE`` options as a dict."""
    env: dict[str, str] = {}
    for item in config.getoption("airflow_env", None) or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(f"--airflow-env wants KEY=VALUE, not {item!r}")
        env[key.strip()] = value
    return env


def _remote_credentials(config: pytest.Config) -> tuple[str, str]:
    username = (
        config.getoption("airflow_username", None) or os.environ.get("AIRFLOW_USERNAME") or "admin"
    )
    password = (
        config.getoption("airflow_password", None) or os.environ.get("AIRFLOW_PASSWORD") or "admin"
    )
    return username, password


_POOL_KEY = pytest.StashKey[_Pool]()
_GUARD_KEY = pytest.StashKey["SecretsGuard"]()


def pytest_configure(config: pytest.Config) -> None:
    pool = _Pool(config)
    config.stash[_POOL_KEY] = pool
    config.add_cleanup(pool.close)  # also runs after KeyboardInterrupt
    from .secrets_guard import GuardPlugin, SecretsGuard  # small: pytest and the errors

    guard = SecretsGuard()
    config.stash[_GUARD_KEY] = guard
    if config.getoption("airflow_secrets_guard", False):
        guarding = GuardPlugin(guard)
        guarding.start()
        config.add_cleanup(guarding.stop)
        config.pluginmanager.register(guarding, "airflow-client-ext-secrets-guard")


@pytest.fixture(scope="session")
def secrets_guard(request: pytest.FixtureRequest) -> SecretsGuard:
    """The session's :class:`~airflow_client_ext.testing.secrets_guard.SecretsGuard`:
    ``secrets_guard.add(secret, label)`` watches one more secret (with
    ``--airflow-secrets-guard``; without it, adding is harmless and nothing is watched)."""
    return request.config.stash[_GUARD_KEY]


@pytest.fixture(scope="session")
def airflow_dags_folder(request: pytest.FixtureRequest) -> Path | None:
    """DAGs folder of started servers: ``--airflow-dags`` or None (an empty folder).

    Override it (session scope) in a conftest.py to serve your own DAGs.
    """
    value = request.config.getoption("airflow_dags", None)
    if not value:
        return None
    return Path(value).resolve()


@pytest.fixture(scope="session")
def _airflow_pool(request: pytest.FixtureRequest) -> Iterator[_Pool]:
    """The session's servers; all of them stop when the session's fixtures are torn down."""
    pool = request.config.stash[_POOL_KEY]
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def airflow_server(
    request: pytest.FixtureRequest,
    _airflow_pool: _Pool,
    airflow_dags_folder: Path | None,
) -> AirflowInstance:
    """A running Airflow: started once per session and target, stopped at session end.

    Its parameter (``request.param``) is a version (``"3.3.2"``) or an ``--airflow-url``.
    """
    param = getattr(request, "param", None)
    if not isinstance(param, str):  # requested dynamically: not parametrized, use the first
        param = airflow_targets(request.config)[0]
    return _airflow_pool.get(param, airflow_dags_folder)


def _dead_processes(server: Any) -> str:
    """``"scheduler (exit code 1)"``: the server's processes that died; "" if none."""
    exited = getattr(server, "exited", None)
    dead = exited() if callable(exited) else {}
    return ", ".join(f"{name} (exit code {code})" for name, code in sorted(dead.items()))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail a test at once, naming the process, when its server lost one before it began
    (a dead scheduler would otherwise show as a wait running to its timeout)."""
    server: Any = getattr(item, "funcargs", {}).get("airflow_server")
    dead = _dead_processes(server)
    if dead:
        pytest.fail(
            f"Airflow {server.version}: not running any more: {dead}; its logs follow",
            pytrace=False,
        )
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the server's log tails to the report of a failed test that used it."""
    report = yield
    server = getattr(item, "funcargs", {}).get("airflow_server")
    if report.failed and call.when == "call" and server is not None:
        from ._venv import tail  # lazy, like the rest of the harness

        dead = _dead_processes(server)
        if dead:
            report.sections.append((f"Airflow {server.version} processes", f"exited: {dead}"))
        for name, path in sorted(server.log_paths.items()):
            report.sections.append((f"Airflow {server.version} {name} log", tail(path)))
    return report


@pytest.fixture
def airflow_version(request: pytest.FixtureRequest) -> str:
    """A version to start, for tests that run their own ``AirflowServer``.

    Parametrized like ``airflow_server`` (same ids); skipped when ``--airflow-url`` is given.
    In a test that also uses ``airflow_server``, it is that server's version.
    """
    param = getattr(request, "param", None)
    if isinstance(param, str):
        return param
    callspec = getattr(request.node, "callspec", None)
    server_param = callspec.params.get("airflow_server") if callspec is not None else None
    if isinstance(server_param, str) and not _is_url(server_param):
        return server_param
    if isinstance(server_param, str):
        pytest.skip(REMOTE_SKIP_REASON)
    targets = airflow_targets(request.config)
    if _is_url(targets[0]):
        pytest.skip(REMOTE_SKIP_REASON)
    return targets[0]
