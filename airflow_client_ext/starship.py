"""The Starship plugin's API (``/api/starship``), on the client's transport.

Astronomer's Starship plugin (PyPI ``astronomer-starship``) reads and writes what the stable
API cannot: connection passwords in clear, and run history (DAG runs, task instances and
their earlier tries) written as is. ``client.starship`` is a :class:`StarshipClient`::

    client = AirflowClient("http://airflow:8080", auth=TokenAuth("admin", pw))
    if client.starship.available():
        conns = client.starship.connections()          # passwords included
        page = client.starship.dag_runs("etl", limit=100)

It sends every call through the client's transport (retries, timeouts, typed errors, the
same pools), with the auth Starship needs: on Airflow 3 the client's own (a token); on
Airflow 2 the webserver's login (:class:`~airflow_client_ext.auth.WebLoginAuth`, made from
the client's username and password), because Starship's routes sit behind the UI login
there. The generated API (``airflow_client_ext_starship.StarshipApi``) is at
:attr:`StarshipClient.api` for anything else.

Starship's quirks are absorbed here and nowhere else:

- ``/health`` and ``/airflow_version`` answer text on Airflow 2 and a JSON string on 3;
- DELETE answers 204 on Airflow 2 and 200 ``null`` on 3 (both: None);
- dates come as ``str(datetime)``, without a timezone on SQLite: read as UTC;
- on Airflow 3.3.2 a missing parameter gives a plain-text 500 and the server resets the
  connection: required values are checked before sending, and after such an answer the
  idle pooled connections to the server are dropped;
- error bodies echo what was sent (``kwargs``): the secrets sent (passwords, variable
  values, extras) are masked in the error raised.

Passwords, variable values and extras never show in a ``repr``; :meth:`StarshipClient.env_vars`
returns a mapping whose ``repr`` shows only how many variables it holds.
"""

from __future__ import annotations

import importlib
import json
import logging
import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from . import _checks
from ._http import Request, redact_text, safe_url
from .auth import Auth, NoAuth, web_login_for
from .errors import (
    ApiError,
    ConfigurationError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
)

if TYPE_CHECKING:
    from .client import AirflowClient

logger = logging.getLogger("airflow_client_ext.starship")

GENERATED_PACKAGE = "airflow_client_ext_starship"
#: Starship's default page size is 10 runs; we ask for more per request.
PAGE_SIZE = 200

T = TypeVar("T")

#: Row fields that hold dates (Starship's own list, common.py _DATETIME_KEYS, plus
#: trigger_timeout).
DATE_FIELDS = frozenset(
    {
        "queued_at",
        "logical_date",
        "start_date",
        "end_date",
        "data_interval_start",
        "data_interval_end",
        "run_after",
        "last_scheduling_decision",
        "execution_date",
        "queued_dttm",
        "scheduled_dttm",
        "created_at",
        "updated_at",
        "partition_date",
        "trigger_timeout",
    }
)


@dataclass(frozen=True)
class StarshipPool:
    """A pool as Starship reads and writes it. ``slots=-1``: unlimited."""

    name: str
    slots: int
    description: str | None = None
    include_deferred: bool | None = None  # Airflow >= 2.7

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slots": self.slots,
            "description": self.description,
            "include_deferred": self.include_deferred,
        }


@dataclass(frozen=True)
class StarshipVariable:
    """A variable with its value in clear (hidden from ``repr``)."""

    key: str
    value: str | None = field(repr=False)
    description: str | None = None


@dataclass(frozen=True)
class StarshipConnection:
    """A connection with its password in clear (password and extra hidden from ``repr``)."""

    conn_id: str
    conn_type: str
    host: str | None = None
    port: int | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: str | None = field(default=None, repr=False)
    description: str | None = None

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.extra) if s]


@dataclass(frozen=True)
class StarshipDag:
    """A DAG as Starship lists it. ``schedule`` is Airflow 2's ``schedule_interval`` or
    Airflow 3's ``timetable_summary``."""

    dag_id: str
    is_paused: bool | None
    fileloc: str | None = None
    description: str | None = None
    owners: str | None = None
    tags: tuple[str, ...] = ()
    dag_run_count: int | None = None
    schedule: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of rows (dicts as Starship sends them, dates as UTC ISO 8601) and the DAG's
    total number of runs (Starship pages count runs, also for task instances)."""

    records: list[dict[str, Any]]
    dag_run_count: int | None


class EnvVars(Mapping[str, str]):
    """The server's environment as Starship returns it: secrets included, so its ``repr``
    shows only how many variables it holds."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"EnvVars(<{len(self._values)} variables, values hidden>)"

    __str__ = __repr__


def as_utc(value: datetime | None) -> datetime | None:
    """Starship writes ``str(datetime)``; without a timezone (SQLite) the time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class StarshipClient:
    """The Starship API of one server. See the module docstring.

    :param client: the :class:`~airflow_client_ext.AirflowClient` of the server.
    :param auth: the auth for Starship's routes; default: the client's own on Airflow 3, a
        :class:`~airflow_client_ext.auth.WebLoginAuth` with the client's username and
        password on Airflow 2.
    """

    def __init__(self, client: AirflowClient, auth: Auth | None = None) -> None:
        _checks.check_instance(
            "auth", auth, Auth, "an Auth object", none="the client's own", setting=True
        )
        self._client = client
        self._given_auth = auth
        self._auth: Auth | None = auth
        self._api: Any = None

    @property
    def url(self) -> str:
        return f"{self._client.base_url}/api/starship"

    @property
    def auth(self) -> Auth:
        if self._auth is None:
            auth = self._client.auth
            if self._client.api_version == "v1":
                login = web_login_for(auth)
                if login is None:
                    raise ConfigurationError(
                        f"Starship on Airflow 2 sits behind the webserver's login, which "
                        f"{auth.describe()} cannot pass: give the client TokenAuth or BasicAuth "
                        "(username and password), or StarshipClient(client, auth=WebLoginAuth("
                        "user, password))"
                    )
                auth = login
            self._auth = auth
        return self._auth

    @property
    def api(self) -> Any:
        """The generated ``StarshipApi``, bound to the client's transport and Starship's auth."""
        if self._api is None:
            package = importlib.import_module(GENERATED_PACKAGE)
            api_client = package.ApiClient(package.Configuration(host=self.url))
            transport = self._client.transport.with_options(auth=self.auth)
            api_client.rest_client.pool_manager = transport  # the seam
            api_client.user_agent = transport.user_agent
            self._api = package.StarshipApi(api_client)
        return self._api

    @property
    def models(self) -> Any:
        """The generated models package (``DagRun``, ``TaskInstance``, ...)."""
        return importlib.import_module(GENERATED_PACKAGE)

    def __repr__(self) -> str:
        return f"StarshipClient(url={safe_url(self.url)!r})"

    # -- the one place errors are shaped ----------------------------------------------------
    def _call(self, what: str, func: Callable[[], T], secrets: Sequence[str] = ()) -> T:
        try:
            return func()
        except ServerError as exc:
            if exc.body_excerpt and not exc.body_excerpt.lstrip().startswith(("{", "[")):
                # Airflow 3.3.2: a plain-text 500 after which the server resets the
                # keep-alive connection; drop the idle ones so the next call starts clean
                self._drop_idle_connections()
                raise _scrubbed(
                    exc,
                    secrets,
                    f"Starship {what} failed: {exc}. Starship answers a plain-text 500 when a "
                    "parameter it needs is missing or cannot be read; check the values sent.",
                ) from None
            raise _scrubbed(exc, secrets) from None
        except ApiError as exc:
            if isinstance(exc, NotFoundError) and exc.path.rstrip("/").endswith("/api/starship"):
                raise
            raise _scrubbed(exc, secrets) from None

    def _drop_idle_connections(self) -> None:
        """Close the idle keep-alive connections to the server (the pool stays open: a
        closed connection reconnects on its next use), so that no request, a POST in
        particular, goes out on a connection the server has reset."""
        try:
            pool = self._client.transport._manager_for(self.url).connection_from_url(self.url)
            idle = pool.pool
            if idle is None:
                return
            held = []
            while True:
                try:
                    held.append(idle.get(block=False))
                except queue.Empty:
                    break
            for conn in held:
                if conn is not None:
                    conn.close()
                idle.put(conn)
        except Exception:  # pragma: no cover - best effort
            logger.debug("could not drop idle connections to %s", safe_url(self.url))

    # -- server ------------------------------------------------------------------------------
    def available(self) -> bool:
        """True if the Starship plugin answers on this server (GET ``/info``).

        On Airflow 2 a GET without credentials comes first: a server without the plugin
        answers it 404 (Flask finds no route before any login is asked for), so that one
        is told at no login; the webserver limits logins (Flask-AppBuilder: 5 per 40 s
        from one address by default), and a probe should not spend them."""
        if self._client.api_version == "v1" and self._absent_without_login():
            return False
        try:
            self.info()
        except NotFoundError:
            return False
        return True

    def _absent_without_login(self) -> bool:
        probe = Request(
            "GET",
            f"{self.url}/info",
            {"Accept": "application/json"},
            follow_redirects=False,
            redirect_is_answer=True,  # to the login page: the route is there
        )
        try:
            self._client.transport.send(probe, auth=NoAuth())
        except NotFoundError:
            return True
        except ApiError:  # 401, 403: behind the login; a 5xx: the login path decides
            pass
        return False

    def info(self) -> dict[str, str]:
        """``{"airflow_version": ..., "starship_version": ...}``."""
        answer = self._call("GET /info", lambda: self.api.get_info())
        return {
            "airflow_version": answer.airflow_version,
            "starship_version": answer.starship_version,
        }

    def health(self) -> str:
        """``"OK"`` (text on Airflow 2, a JSON string on 3: the same here)."""
        answer = self._call(
            "GET /health", lambda: self.api.get_health(_headers={"Accept": "text/plain"})
        )
        return str(answer).strip().strip('"')

    def airflow_version(self) -> str:
        answer = self._call(
            "GET /airflow_version",
            lambda: self.api.get_airflow_version(_headers={"Accept": "text/plain"}),
        )
        return str(answer).strip().strip('"')

    def env_vars(self) -> EnvVars:
        """The server process's environment (secrets included; hidden from ``repr``)."""
        return EnvVars(self._call("GET /env_vars", lambda: self.api.get_env_vars()))

    # -- pools -------------------------------------------------------------------------------
    def pools(self) -> list[StarshipPool]:
        return [
            StarshipPool(p.name, p.slots, p.description, p.include_deferred)
            for p in self._call("GET /pools", lambda: self.api.get_pools())
        ]

    def create_pool(self, pool: StarshipPool) -> None:
        """Create a pool (:class:`~airflow_client_ext.errors.ConflictError` if it exists)."""
        if not pool.name or not isinstance(pool.slots, int):
            raise InvalidArgumentError(f"a pool needs a name and integer slots: {pool!r}")
        body = self.models.Pool(
            name=pool.name,
            slots=pool.slots,
            description=pool.description,
            # required on Airflow >= 2.7; Airflow's own default when unknown
            include_deferred=bool(pool.include_deferred),
        )
        self._call("POST /pools", lambda: self.api.create_pool(body))

    def delete_pool(self, name: str) -> None:
        """Refused: Starship 2.10.1's ``DELETE /pools`` ignores the name and deletes every
        pool, ``default_pool`` included (after which no task is scheduled)."""
        raise InvalidArgumentError(
            f"not deleting pool {name!r} through Starship: its DELETE /pools ignores the name "
            "and deletes EVERY pool (default_pool included). Use the stable API: "
            "client.api('PoolApi').delete_pool(name)"
        )

    # -- variables ---------------------------------------------------------------------------
    def variables(self) -> list[StarshipVariable]:
        return [
            StarshipVariable(v.key, v.val, v.description)
            for v in self._call("GET /variables", lambda: self.api.get_variables())
        ]

    def create_variable(self, variable: StarshipVariable) -> None:
        """Create a variable (:class:`~airflow_client_ext.errors.ConflictError` if it exists)."""
        _require(variable.key, "the variable's key")
        if variable.value is None:
            raise InvalidArgumentError(
                f"variable {variable.key!r} has no value: Starship cannot create it without one"
            )
        body = self.models.Variable(
            key=variable.key, val=variable.value, description=variable.description
        )
        self._call(
            f"POST /variables ({variable.key})",
            lambda: self.api.create_variable(body),
            secrets=[variable.value],
        )

    def delete_variable(self, key: str) -> None:
        _checks.check_id("key", key, path=False)
        self._call("DELETE /variables", lambda: self.api.delete_variable(key))

    # -- connections -------------------------------------------------------------------------
    def connections(self) -> list[StarshipConnection]:
        """Every connection, passwords in clear."""
        return [
            StarshipConnection(
                conn_id=c.conn_id,
                conn_type=c.conn_type,
                host=c.host,
                port=c.port,
                schema=c.var_schema,
                login=c.login,
                # the generated model holds it as a pydantic SecretStr (format: password)
                password=c.password.get_secret_value() if c.password is not None else None,
                extra=c.extra,
                description=c.description,
            )
            for c in self._call("GET /connections", lambda: self.api.get_connections())
        ]

    def create_connection(self, connection: StarshipConnection) -> None:
        """Create a connection (:class:`~airflow_client_ext.errors.ConflictError` if it exists)."""
        _require(connection.conn_id, "the connection's conn_id")
        _require(connection.conn_type, f"conn_type of connection {connection.conn_id!r}")
        body = self.models.Connection.from_dict(
            {
                "conn_id": connection.conn_id,
                "conn_type": connection.conn_type,
                "host": connection.host,
                "port": connection.port,
                "schema": connection.schema,
                "login": connection.login,
                "password": connection.password,
                "extra": connection.extra,
                "description": connection.description,
            }
        )
        self._call(
            f"POST /connections ({connection.conn_id})",
            lambda: self.api.create_connection(body),
            secrets=connection.secrets(),
        )

    def delete_connection(self, conn_id: str) -> None:
        _checks.check_id("conn_id", conn_id, path=False)
        self._call("DELETE /connections", lambda: self.api.delete_connection(conn_id))

    # -- DAGs --------------------------------------------------------------------------------
    def dags(self) -> list[StarshipDag]:
        return [
            StarshipDag(
                dag_id=d.dag_id,
                is_paused=d.is_paused,
                fileloc=d.fileloc,
                description=d.description,
                owners=d.owners,
                tags=tuple(d.tags or ()),
                dag_run_count=d.dag_run_count,
                schedule=d.timetable_summary or d.schedule_interval,
            )
            for d in self._call("GET /dags", lambda: self.api.get_dags())
        ]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        _checks.check_dag_id(dag_id)
        _checks.check_flag("paused", paused)
        body = self.models.DagPause(dag_id=dag_id, is_paused=paused)
        self._call("PATCH /dags", lambda: self.api.set_dag_paused(body))

    # -- run history -------------------------------------------------------------------------
    # Rows travel as the JSON objects Starship sends: their fields differ by version, a
    # POST writes exactly the keys it is given (Airflow 2 fails on a column it lacks), and
    # an explicit null is not the same as an absent key. The generated models would add
    # every field of the spec; ``models.DagRun.from_dict(row)`` gives a typed view.

    def dag_runs(self, dag_id: str, *, limit: int = PAGE_SIZE, offset: int = 0) -> Page:
        """A page of the DAG's runs (dicts, dates as UTC), newest start first."""
        _checks.check_dag_id(dag_id)
        _check_page(limit, offset)
        doc = self._get_rows(
            "GET /dag_runs",
            lambda: self.api.get_dag_runs_without_preload_content(
                dag_id=dag_id, limit=limit, offset=offset
            ),
        )
        return Page([_row_dates_as_utc(r) for r in doc.get("dag_runs") or []], _count(doc))

    def iter_dag_runs(self, dag_id: str, *, page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every run of the DAG (each run once, even if pages overlap)."""
        seen: set[str] = set()
        offset = 0
        while True:
            page = self.dag_runs(dag_id, limit=page_size, offset=offset)
            for run in page.records:
                if run["run_id"] not in seen:
                    seen.add(run["run_id"])
                    yield run
            offset += page_size
            if len(page.records) < page_size:
                return

    def create_dag_runs(self, runs: Sequence[Mapping[str, Any]]) -> None:
        """Insert runs (rows as read from a server of the same Airflow version). Needs
        PostgreSQL as the server's database. Existing runs: 409 on Airflow 2, kept on 3."""
        rows = _rows(runs, ("dag_id", "run_id"), "run")
        if rows:
            self._post_rows("POST /dag_runs", "_create_dag_runs_serialize", {"dag_runs": rows})

    def delete_dag_runs(self, dag_id: str) -> None:
        """Delete ALL runs of the DAG (and, by cascade, their task instances)."""
        _checks.check_dag_id(dag_id)
        self._call("DELETE /dag_runs", lambda: self.api.delete_dag_runs(dag_id))

    def task_instances(self, dag_id: str, *, limit: int = PAGE_SIZE, offset: int = 0) -> Page:
        """The task instances (dicts) of a page of the DAG's runs (``limit`` counts runs)."""
        _checks.check_dag_id(dag_id)
        _check_page(limit, offset)
        doc = self._get_rows(
            "GET /task_instances",
            lambda: self.api.get_task_instances_without_preload_content(
                dag_id=dag_id, limit=limit, offset=offset
            ),
        )
        rows = doc.get("task_instances") or []
        return Page([_row_dates_as_utc(r) for r in rows], _count(doc))

    def iter_task_instances(
        self, dag_id: str, *, page_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        return self._iter_tis(self.task_instances, dag_id, page_size)

    def create_task_instances(self, task_instances: Sequence[Mapping[str, Any]]) -> None:
        """Insert task instances as read from a server of the same version (their runs must
        exist). PostgreSQL only."""
        rows = _rows(task_instances, ("dag_id", "run_id", "task_id"), "task instance")
        if rows:
            self._post_rows(
                "POST /task_instances",
                "_create_task_instances_serialize",
                {"task_instances": rows},
            )

    def task_instance_history(
        self, dag_id: str, *, limit: int = PAGE_SIZE, offset: int = 0
    ) -> Page:
        """Earlier tries of the task instances of a page of runs (empty before 2.10)."""
        _checks.check_dag_id(dag_id)
        _check_page(limit, offset)
        doc = self._get_rows(
            "GET /task_instance_history",
            lambda: self.api.get_task_instance_history_without_preload_content(
                dag_id=dag_id, limit=limit, offset=offset
            ),
        )
        rows = doc.get("task_instances") or []
        return Page([_row_dates_as_utc(r) for r in rows], _count(doc))

    def iter_task_instance_history(
        self, dag_id: str, *, page_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        return self._iter_tis(self.task_instance_history, dag_id, page_size)

    def create_task_instance_history(self, tries: Sequence[Mapping[str, Any]]) -> None:
        rows = _rows(tries, ("dag_id", "run_id", "task_id"), "task instance try")
        if rows:
            self._post_rows(
                "POST /task_instance_history",
                "_create_task_instance_history_serialize",
                {"task_instances": rows},
            )

    def _iter_tis(
        self, fetch: Callable[..., Page], dag_id: str, page_size: int
    ) -> Iterator[dict[str, Any]]:
        seen: set[tuple[Any, ...]] = set()
        offset = 0
        while True:
            page = fetch(dag_id, limit=page_size, offset=offset)
            for ti in page.records:
                key = (
                    ti.get("run_id"),
                    ti.get("task_id"),
                    ti.get("map_index"),
                    ti.get("try_number"),
                )
                if key not in seen:
                    seen.add(key)
                    yield ti
            offset += page_size
            if page.dag_run_count is None or offset >= page.dag_run_count:
                return

    def _get_rows(self, what: str, func: Callable[[], Any]) -> dict[str, Any]:
        response = self._call(what, func)
        try:
            doc = json.loads(response.data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise UnexpectedResponseError(
                f"Starship {what} answered {response.status} with something else than a JSON "
                "object",
                status=response.status,
                method="GET",
                path=what.split(" ", 1)[-1],
                body_excerpt=bytes(response.data[:200]).decode("utf-8", "replace"),
            )
        return doc

    def _post_rows(self, what: str, serializer: str, body: dict[str, Any]) -> None:
        """POST rows exactly as given, through the generated request builder."""
        api = self.api

        def send() -> None:
            params = getattr(api, serializer)(body, None, None, None, 0)
            api.api_client.call_api(*params).read()

        self._call(what, send)


def _row_dates_as_utc(row: dict[str, Any]) -> dict[str, Any]:
    """Starship writes dates as ``str(datetime)``: without an offset (SQLite) they are UTC."""
    for key, value in row.items():
        if key in DATE_FIELDS and isinstance(value, str) and value:
            row[key] = _utc_text(value)
    return row


def _utc_text(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return as_utc(parsed).isoformat()  # type: ignore[union-attr]


def _rows(
    items: Sequence[Mapping[str, Any]], required: Sequence[str], what: str
) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        if not isinstance(item, Mapping):
            raise InvalidArgumentError(f"each {what} must be a dict, not {type(item).__name__}")
        lacking = [k for k in required if not item.get(k)]
        if lacking:
            raise InvalidArgumentError(
                f"a {what} lacks {', '.join(lacking)}: {dict(item)!r:.200}; give rows as "
                "Starship returns them"
            )
        rows.append(dict(item))
    if len({tuple(sorted(r)) for r in rows}) > 1:
        raise InvalidArgumentError(
            f"the {what}s do not all have the same fields: Starship inserts them in one "
            "statement, which needs the same columns for every row (send rows of one server)"
        )
    return rows


def _count(doc: Mapping[str, Any]) -> int | None:
    value = doc.get("dag_run_count")
    return int(value) if isinstance(value, int) else None


def _require(value: Any, what: str) -> None:
    if value is None or value == "":
        raise InvalidArgumentError(f"{what} is missing: Starship needs it")


def _check_page(limit: int, offset: int) -> None:
    _checks.check_page_size("limit", limit)
    _checks.check_offset(offset)


def _scrubbed(exc: ApiError, secrets: Sequence[str], message: str | None = None) -> ApiError:
    """The same error with the secrets that were sent masked (Starship echoes its input)."""
    hidden = [s for s in secrets if s]
    hidden += [escaped for s in hidden if (escaped := json.dumps(s)[1:-1]) != s]  # in JSON
    text = redact_text(message if message is not None else str(exc), hidden)
    detail = exc.detail
    if isinstance(detail, str):
        detail = redact_text(detail, hidden)
    elif detail is not None and hidden:
        detail = redact_text(str(detail), hidden)
    return type(exc)(
        text,
        status=exc.status,
        method=exc.method,
        path=exc.path,
        title=exc.title,
        detail=detail,
        type=exc.type,
        body_excerpt=redact_text(exc.body_excerpt, hidden),
        headers=exc.headers,
    )


__all__ = [
    "EnvVars",
    "Page",
    "StarshipClient",
    "StarshipConnection",
    "StarshipDag",
    "StarshipPool",
    "StarshipVariable",
    "as_utc",
]
