"""``migrate``: make one Airflow deployment hold what another holds.

::

    from airflow_client_ext import AirflowClient, TokenAuth, migrate

    report = migrate(old, new, what=("variables", "pools", "connections", "pause_states"))
    print(report.summary())          # created 12, updated 1, unchanged 40, skipped 0, failed 0

What moves, and through what:

=================  ===========================================  ============================
kind               read from the source                         written to the target
=================  ===========================================  ============================
variables          Starship if present (values in clear), else  the stable API
                   the stable API (Airflow 3 masks sensitive
                   values: reported missing)
pools              the stable API                               the stable API
connections        Starship if present (passwords in clear),    the stable API
                   else the stable API (no passwords:
                   reported missing, never written empty)
pause_states       the stable API                               the stable API
history            Starship: DAG runs, task instances and       Starship (PostgreSQL target,
                   their earlier tries                          same Airflow major)
=================  ===========================================  ============================

The target's current state is read the same way (through Starship when the target has it,
so that passwords and masked values compare too). An item that is equal is ``unchanged`` and
not written: a second run changes nothing. ``mode="skip-existing"`` never touches an item the
target has. ``dry_run=True`` reads everything, writes nothing and reports what it would do.

Variables, pools and connections are compared by :mod:`airflow_client_ext._compare` (the
comparison of ``import_config`` too) and written through the target's adapter: in bulk
requests of a few hundred items on Airflow 3, one request per item (``workers`` at a time)
on Airflow 2. A write the server refuses (a 4xx/5xx for that item, or the item's entry in a
bulk answer) is reported ``failed`` with the server's reason, and the migration goes on. A
failure that stops it (the target is down, the credentials are refused, a bulk request gets
no answer) raises :class:`MigrationError`, whose ``report`` holds what was done until then;
running again completes the rest (history included: runs that exist are not sent again,
missing task instances of existing runs are).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from . import _checks
from ._compare import CONNECTION, POOL, VARIABLE, Kind, Words, desired, differing, sync
from ._http import redact_text, safe_url
from ._versions import VersionAdapter, adapter_for
from ._writes import Failure
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    WorkflowError,
)
from .models import ConfigItem, MigrationReport

if TYPE_CHECKING:
    from .client import AirflowClient
    from .starship import StarshipClient

logger = logging.getLogger("airflow_client_ext.migration")
T = TypeVar("T")
U = TypeVar("U")

#: What ``migrate`` can move, in the order it moves them.
KINDS = ("pools", "variables", "connections", "pause_states", "history")
DEFAULT_WHAT = KINDS
MODES = ("upsert", "skip-existing")
#: Runs per POST when copying history (their task instances follow in one POST too).
HISTORY_BATCH = 100


#: An item of a :class:`MigrationReport` (the one item type of imports and migrations).
MigrationItem = ConfigItem


class MigrationError(WorkflowError):
    """The migration stopped before the end; ``report`` holds what was done until then.
    Running it again completes the rest."""

    def __init__(self, message: str, *, report: MigrationReport) -> None:
        super().__init__(message)
        self.report = report


# --------------------------------------------------------------------------------- entry


def migrate(
    source: AirflowClient,
    target: AirflowClient,
    *,
    what: Iterable[str] = DEFAULT_WHAT,
    dag_ids: Iterable[str] | None = None,
    mode: str = "upsert",
    dry_run: bool = False,
    history_batch: int = HISTORY_BATCH,
    on_item: Callable[[str, MigrationItem], None] | None = None,
    workers: int = 1,
) -> MigrationReport:
    """Copy variables, pools, connections, DAG pause states and run history from ``source``
    to ``target``; see the module docstring. ``dag_ids`` limits pause states and history to
    those DAGs. ``on_item(outcome, item)`` is called as each item is decided (progress).
    ``workers``: how many variable, pool and connection writes are in flight at once where
    they go one request per item (Airflow 2; default 1: an Airflow on SQLite serializes
    writes and may time out); on Airflow 3 they go in bulk requests, one at a time. The
    report stays exact: each batch of writes is recorded before anything else happens."""
    from .client import AirflowClient

    for name, client in (("source", source), ("target", target)):
        _checks.check_instance(name, client, AirflowClient, "an AirflowClient", setting=False)
    kinds = _check_what(what)
    _checks.check_choice("mode", mode, MODES)
    _checks.check_flag("dry_run", dry_run)
    _checks.check_int("history_batch", history_batch, minimum=1, meaning="runs per POST")
    _checks.check_callable("on_item", on_item, none="no progress")
    _checks.check_int("workers", workers, minimum=1, maximum=32, meaning="writes in flight")
    selected = _check_dag_ids(dag_ids)
    report = MigrationReport(
        mode=mode,
        dry_run=dry_run,
        what=kinds,
        source=safe_url(source.base_url),
        target=safe_url(target.base_url),
    )
    run = _Migration(
        source, target, report, mode, dry_run, selected, history_batch, on_item, workers
    )
    try:
        run.start()
        for kind in kinds:
            started = time.monotonic()
            try:
                getattr(run, f"do_{kind}")()
            finally:
                report.seconds[kind] = time.monotonic() - started
    except MigrationError:
        raise
    except Exception as exc:
        report.interrupted = f"{type(exc).__name__}: {run.redact(str(exc))}"
        raise MigrationError(
            f"migration from {report.source} to {report.target} stopped: "
            f"{run.redact(str(exc))}. The report ({report.summary()}) says what was done; "
            "run it again to complete the rest.",
            report=report,
        ) from exc
    return report


def _check_what(what: Iterable[str]) -> tuple[str, ...]:
    """The kinds to move, in the order they move (a comma list in one string is split)."""
    return _checks.check_kinds("what", what, KINDS)


def _check_dag_ids(dag_ids: Iterable[str] | None) -> set[str] | None:
    """None (every DAG) or the DAG ids to limit pause states and history to."""
    selected = _checks.check_ids("dag_ids", dag_ids, key=True)
    return None if selected is None else set(selected)


# --------------------------------------------------------------------------- the worker


_VARIABLE, _POOL, _CONNECTION = VARIABLE, POOL, CONNECTION
_WORDS = Words(
    here="the target",
    masked="masked by the source's API (no Starship there)",
    lacking="not on the target and the source did not give its {fields}",
    not_shown="the target does not show them (Starship on the target would)",
)
_NO_PASSWORD = {"password": "the source's API never returns passwords (no Starship there)"}
_differing = differing


def _listed(spec: Kind, raw: Mapping[str, Any]) -> Mapping[str, str]:
    """The secrets the source's listing left out: a connection without its password key
    (Airflow 2's stable API never returns one)."""
    return _NO_PASSWORD if spec is CONNECTION and "password" not in raw else {}


def _desired(spec: Kind, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to write, and those the source did not give (with why)."""
    return desired(spec, raw, _listed(spec, raw), _WORDS.masked)


class _Migration:
    def __init__(
        self,
        source: AirflowClient,
        target: AirflowClient,
        report: MigrationReport,
        mode: str,
        dry_run: bool,
        dag_ids: set[str] | None,
        history_batch: int,
        on_item: Callable[[str, MigrationItem], None] | None,
        workers: int = 1,
    ) -> None:
        self.source = source
        self.target = target
        self.report = report
        self.mode = mode
        self.dry_run = dry_run
        self.dag_ids = dag_ids
        self.history_batch = history_batch
        self.on_item = on_item
        self.secrets: list[str] = []
        self.workers = workers
        self.src: VersionAdapter | None = None
        self.dst: VersionAdapter | None = None
        self.src_starship: StarshipClient | None = None
        self.dst_starship: StarshipClient | None = None
        self._target_dags: dict[str, Any] | None = None

    # -- helpers -----------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        return redact_text(
            text,
            [*self.secrets, *self.source.auth.secrets(), *self.target.auth.secrets()],
        )

    def decide(self, outcome: str, item: MigrationItem) -> None:
        self.notify(outcome, self.record(outcome, item))

    def record(self, outcome: str, item: MigrationItem) -> MigrationItem:
        item = MigrationItem(item.kind, item.name, item.fields, self.redact(item.reason))
        self.report.add(outcome, item)
        return item

    def notify(self, outcome: str, item: MigrationItem) -> None:
        if self.on_item is not None:
            self.on_item(outcome, item)

    def start(self) -> None:
        self.src = adapter_for(self.source)
        self.dst = adapter_for(self.target)
        self.src_starship = _starship_of(self.source)
        self.dst_starship = _starship_of(self.target)
        self.report.starship = {
            "source": self.src_starship is not None,
            "target": self.dst_starship is not None,
        }

    def write(self, kind: str, name: str, action: Callable[[], object]) -> str | None:
        """Run one write; None if it worked, else the server's reason (the item failed).
        Errors that concern every write (credentials, permissions) stop the migration."""
        if self.dry_run:
            return None
        try:
            action()
        except (AuthenticationError, PermissionDeniedError):
            raise
        except ApiError as exc:
            logger.warning("%s %r: %s", kind, name, self.redact(str(exc)))
            return self.redact(str(exc))
        return None

    # -- variables, pools, connections -----------------------------------------------------
    def do_pools(self) -> None:
        assert self.src is not None
        assert self.dst is not None
        src, dst = self.src, self.dst
        wanted, current = _both(lambda: list(src.pools()), lambda: list(dst.pools()))
        self.sync(_POOL, wanted, {p["name"]: p for p in current})

    def do_variables(self) -> None:
        self.sync(_VARIABLE, *self._read_both(self._variables, "key"))

    def do_connections(self) -> None:
        self.sync(_CONNECTION, *self._read_both(self._connections, "connection_id"))

    def _read_both(
        self, read: Callable[[bool], list[dict[str, Any]]], key: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """The source's items and the target's by id, read at the same time (two servers
        answering at once: the reads of a large migration take half as long)."""
        wanted, current = _both(lambda: read(True), lambda: read(False))
        return wanted, {str(item[key]): item for item in current}

    def _variables(self, source: bool) -> list[dict[str, Any]]:
        """Through Starship where the server has it (values in clear), else the API."""
        starship = self.src_starship if source else self.dst_starship
        if starship is not None:
            return [
                {"key": v.key, "value": v.value, "description": v.description}
                for v in starship.variables()
            ]
        adapter = self.src if source else self.dst
        assert adapter is not None
        return list(adapter.variables())

    def _connections(self, source: bool) -> list[dict[str, Any]]:
        starship = self.src_starship if source else self.dst_starship
        if starship is not None:
            return [_neutral_connection(c) for c in starship.connections()]
        adapter = self.src if source else self.dst
        assert adapter is not None
        return list(adapter.connections())

    def sync(
        self, spec: Kind, wanted: list[dict[str, Any]], current: Mapping[str, dict[str, Any]]
    ) -> None:
        assert self.dst is not None
        for raw in wanted:
            self.secrets += [str(raw[f]) for f in spec.secrets if raw.get(f)]
        sync(
            spec,
            sorted(wanted, key=lambda item: str(item[spec.id_field])),
            current,
            self.dst,
            self,
            mode=self.mode,
            dry_run=self.dry_run,
            workers=self.workers,
            words=_WORDS,
            listed=partial(_listed, spec),
        )

    # the recorder of :func:`._compare.sync`
    def decided(self, outcome: str, item: ConfigItem) -> None:
        self.decide(outcome, item)

    def written(self, results: list[tuple[str, ConfigItem, Failure]], stopped: bool) -> None:
        """Record every result of a batch of writes in the report before telling
        ``on_item``, so that the report is exact whatever happens next; nobody is told
        about a batch that stopped the migration."""
        recorded = []
        for outcome, item, failure in results:
            if failure is not None:
                reason = self.redact(str(failure))
                logger.warning("%s %r: %s", item.kind, item.name, reason)
                outcome, item = "failed", ConfigItem(item.kind, item.name, item.fields, reason)
            recorded.append((outcome, self.record(outcome, item)))
        for outcome, item in [] if stopped else recorded:
            self.notify(outcome, item)

    # -- pause states ----------------------------------------------------------------------
    def target_dags(self) -> dict[str, Any]:
        if self._target_dags is None:
            api = self.target.api("DAGApi")
            self._target_dags = {str(d.dag_id): d for d in self.target.paginate(api.get_dags)}
        return self._target_dags

    def source_dags(self) -> list[Any]:
        api = self.source.api("DAGApi")
        dags = [d for d in self.source.paginate(api.get_dags)]
        if self.dag_ids is not None:
            known = {str(d.dag_id) for d in dags}
            for dag_id in sorted(self.dag_ids - known):
                self.decide(
                    "skipped", MigrationItem("dag", dag_id, (), "no such DAG on the source")
                )
            dags = [d for d in dags if str(d.dag_id) in self.dag_ids]
        return sorted(dags, key=lambda d: str(d.dag_id))

    def do_pause_states(self) -> None:
        assert self.dst is not None
        dst = self.dst
        on_target = self.target_dags()
        for dag in self.source_dags():
            dag_id = str(dag.dag_id)
            paused = bool(dag.is_paused)
            there = on_target.get(dag_id)
            state = "paused" if paused else "unpaused"
            if there is None:
                self.decide(
                    "skipped",
                    MigrationItem(
                        "pause_state",
                        dag_id,
                        (),
                        f"{state} on the source; the DAG is not on the target (deploy its "
                        "file there, let it be parsed, and run again)",
                    ),
                )
            elif bool(there.is_paused) == paused:
                self.decide("unchanged", MigrationItem("pause_state", dag_id, (), state))
            elif self.mode == "skip-existing":
                self.decide(
                    "skipped",
                    MigrationItem(
                        "pause_state",
                        dag_id,
                        ("is_paused",),
                        f"{state} on the source; differs (mode=skip-existing)",
                    ),
                )
            else:
                error = self.write(
                    "pause_state",
                    dag_id,
                    partial(dst.set_paused, dag_id, paused),
                )
                if error:
                    self.decide(
                        "failed", MigrationItem("pause_state", dag_id, ("is_paused",), error)
                    )
                else:
                    self.decide(
                        "updated", MigrationItem("pause_state", dag_id, ("is_paused",), state)
                    )

    # -- history ---------------------------------------------------------------------------
    def do_history(self) -> None:
        why_not = self.history_blocker()
        if why_not:
            self.decide("skipped", MigrationItem("history", "*", (), why_not))
            return
        on_target = self.target_dags()
        for dag in self.source_dags():
            dag_id = str(dag.dag_id)
            if dag_id not in on_target:
                self.decide(
                    "skipped",
                    MigrationItem(
                        "history",
                        dag_id,
                        (),
                        "the DAG is not on the target: its runs are "
                        "not copied (deploy it there and run again)",
                    ),
                )
                continue
            if not self.copy_history(dag_id):
                return

    def history_blocker(self) -> str | None:
        if self.src_starship is None or self.dst_starship is None:
            where = " and ".join(
                name
                for name, starship in (("source", self.src_starship), ("target", self.dst_starship))
                if starship is None
            )
            return (
                f"run history needs the Starship plugin on both sides; the {where} has none "
                "(pip install astronomer-starship on the Airflow server)"
            )
        src_major = self.source.server_version.split(".")[0]
        dst_major = self.target.server_version.split(".")[0]
        if src_major != dst_major:
            return (
                f"run history moves only between servers of the same Airflow major "
                f"(source {self.source.server_version}, target {self.target.server_version}): "
                "Starship writes rows as they are, and the tables differ"
            )
        return None

    def copy_history(self, dag_id: str) -> bool:
        """Copy the runs of one DAG that the target lacks, with their task instances and
        tries; fill in missing task instances of runs the target has. False: stop history
        (the target cannot take it)."""
        src, dst = self.src_starship, self.dst_starship
        assert src is not None
        assert dst is not None
        runs = list(src.iter_dag_runs(dag_id))
        if not runs:
            return True
        have_runs = {r["run_id"] for r in dst.iter_dag_runs(dag_id)}
        tis = _by_run(src.iter_task_instances(dag_id))
        have_tis = {_ti_key(t) for t in dst.iter_task_instances(dag_id)}
        tries = _by_run(src.iter_task_instance_history(dag_id))
        have_tries = {_try_key(t) for t in dst.iter_task_instance_history(dag_id)}
        # oldest first: a resumed migration continues where it stopped
        runs.sort(key=lambda r: (str(r.get("start_date") or r.get("queued_at") or ""), r["run_id"]))
        todo: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = []
        for run in runs:
            run_id = run["run_id"]
            name = f"{dag_id}/{run_id}"
            missing_tis = [t for t in tis.get(run_id, []) if _ti_key(t) not in have_tis]
            missing_tries = [t for t in tries.get(run_id, []) if _try_key(t) not in have_tries]
            if run_id in have_runs and not missing_tis and not missing_tries:
                self.decide(
                    "unchanged",
                    MigrationItem("dag_run", name, (), f"{run.get('state')}; on the target"),
                )
                continue
            if run_id in have_runs and self.mode == "skip-existing":
                self.decide(
                    "skipped",
                    MigrationItem(
                        "dag_run",
                        name,
                        ("task_instances",),
                        f"on the target without {len(missing_tis)} of its task instances "
                        "(mode=skip-existing)",
                    ),
                )
                continue
            todo.append((run, missing_tis, missing_tries))
        for start in range(0, len(todo), self.history_batch):
            batch = todo[start : start + self.history_batch]
            if not self.copy_batch(dag_id, batch, have_runs):
                return False
        return True

    def copy_batch(
        self,
        dag_id: str,
        batch: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]],
        have_runs: set[str],
    ) -> bool:
        dst = self.dst_starship
        assert dst is not None
        new_runs = [run for run, _, _ in batch if run["run_id"] not in have_runs]
        all_tis = [t for _, ts, _ in batch for t in ts]
        all_tries = [t for _, _, ts in batch for t in ts]

        def send_tis() -> None:
            dst.create_task_instances(all_tis)
            dst.create_task_instance_history(all_tries)

        # runs first: task instances refer to them
        error = self.write("dag_run", dag_id, partial(dst.create_dag_runs, new_runs))
        if not error:
            error = self.write("dag_run", dag_id, send_tis)
            if error and new_runs:
                error = (
                    f"the run was written but not all its task instances ({error}); run the "
                    "migration again to add them"
                )
        if error and _cannot_take_history(error):
            self.decide(
                "failed",
                MigrationItem(
                    "history",
                    dag_id,
                    (),
                    "the target's Airflow cannot import run history: Starship writes it only "
                    f"into a PostgreSQL metadata database ({error})",
                ),
            )
            return False
        for run, run_tis, run_tries in batch:
            name = f"{dag_id}/{run['run_id']}"
            detail = f"{len(run_tis)} task instances, {len(run_tries)} earlier tries"
            if error:
                self.decide("failed", MigrationItem("dag_run", name, (), error))
            elif run["run_id"] in have_runs:
                self.decide(
                    "updated",
                    MigrationItem("dag_run", name, ("task_instances",), f"added {detail}"),
                )
            else:
                self.decide(
                    "created",
                    MigrationItem("dag_run", name, (), f"{run.get('state')}; with {detail}"),
                )
        return True


# ----------------------------------------------------------------------------- helpers


def _both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Two reads of different servers at once; an error of either is raised."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(second)
        result = first()
        return result, later.result()


def _starship_of(client: AirflowClient) -> StarshipClient | None:
    """The server's Starship client if the plugin answers, else None."""
    starship = client.starship
    try:
        return starship if starship.available() else None
    except ConfigurationError:
        return None  # no way to log in to it (Airflow 2 with a token-only auth)
    except NotFoundError:
        return None
    except AuthenticationError as exc:  # e.g. no login form: a proxy does the auth
        logger.warning(
            "Starship at %s is not usable (%s): going on without it",
            safe_url(client.base_url),
            exc,
        )
        return None


def _neutral_connection(conn: Any) -> dict[str, Any]:
    return {
        "connection_id": conn.conn_id,
        "conn_type": conn.conn_type,
        "description": conn.description,
        "host": conn.host,
        "login": conn.login,
        "schema": conn.schema,
        "port": conn.port,
        "password": conn.password,
        "extra": conn.extra,
    }


def _by_run(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[str(row.get("run_id"))].append(row)
    return grouped


def _ti_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    map_index = row.get("map_index")
    return (row.get("run_id"), row.get("task_id"), -1 if map_index is None else map_index)


def _try_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (*_ti_key(row), row.get("try_number"))


def _cannot_take_history(error: str) -> bool:
    text = error.lower()
    return "sqlite" in text


__all__ = [
    "DEFAULT_WHAT",
    "KINDS",
    "MODES",
    "MigrationError",
    "MigrationItem",
    "MigrationReport",
    "migrate",
]
