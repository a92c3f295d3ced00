"""The fault soak: >= 1,000 client calls through the fault proxy, and API server restarts.

Not part of CI (``-m "not soak"`` there): ``make soak`` runs it on 2.11.2 and 3.3.2. Each
test prints its figures.

``test_soak``: a seeded random fifth of all requests (logins included) meets a fault: 503
with Retry-After, 429, a connection reset before or after the request reached the server,
an HTML 502 page, a stall past the read timeout, a truncated JSON body. The calls: >= 200
triggers (a client-chosen run id each), >= 100 variable writes (create, then update), the
rest reads (a DAG, a run, a variable, a page of runs, the health), with a new client (so a
new login on Airflow 3) every 50 calls. Then the server, read directly: every trigger made
exactly one run with its conf, every variable holds its last value.

What the retry policy absorbs must never surface. A write that is not safe to repeat (a
POST or PATCH without an idempotency key) whose request may have reached the server is not
repeated by the client: it raises, saying so. The soak then does what the message asks of a
user: it reads the variable, and writes again only if the value is not there. Those are
counted apart ("writes surfaced as designed").

``test_api_server_restart_*``: the API server is killed (SIGKILL to its process group) and
started again while a ``trigger_and_wait`` polls and while a paging walk is half done; both
finish with the right answer.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from calibration import calibrated_read_timeout
from faultproxy import (
    Delay,
    FaultProxy,
    Forward,
    ResetAfterRequest,
    ResetBeforeRequest,
    Status,
    Truncate,
)

from airflow_client_ext import AirflowClient, RetryPolicy, TokenAuth
from airflow_client_ext._versions import adapter_for
from airflow_client_ext.errors import AirflowClientError, NotFoundError
from airflow_client_ext.testing import AirflowInstance

pytestmark = pytest.mark.soak

TRIGGER_DAG = "echo_conf"  # as the other fault tests: stays paused, runs are only queued
TRIGGERS = 220
VARIABLES = 60  # each created, then updated: 120 writes
READS = 720
CALLS_PER_CLIENT = 50
FAULT_SHARE = 0.2
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
#: retries enough that a run of faults on one call (0.2 ** 9) does not happen in a soak
SOAK_RETRY = RetryPolicy(total=8, backoff_base=0.05, backoff_max=0.5)


def fault_plan(seed: int, count: int, stall: float) -> list[Any]:
    """A seeded sequence: a fifth of the requests meet one of the faults."""
    rng = random.Random(seed)
    kinds: list[Any] = [
        Status(503, retry_after="0"),
        Status(503, retry_after="1"),
        Status(429, retry_after="0"),
        ResetBeforeRequest(),
        ResetAfterRequest(),
        Status(502, body=HTML_502, content_type="text/html"),
        Truncate(),
    ]
    plan: list[Any] = []
    for _ in range(count):
        if rng.random() >= FAULT_SHARE:
            plan.append(Forward())
        elif rng.random() < 0.04:  # a stall costs a read timeout: keep them few
            plan.append(Delay(stall))
        else:
            plan.append(rng.choice(kinds))
    return plan


def kind_of(action: str) -> str:
    return "stall" if action.startswith("delay") else action


def test_soak(
    airflow_server: AirflowInstance,
    proxy: FaultProxy,
    runs: Any,
) -> None:
    version = airflow_server.version
    probe = AirflowClient(
        airflow_server.url, auth=TokenAuth(airflow_server.username, airflow_server.password)
    )
    read_timeout = calibrated_read_timeout(probe, TRIGGER_DAG)
    probe.close()
    stall = read_timeout + 1.0
    seed = 20261202
    proxy.plan(*fault_plan(seed, 6000, stall), match=lambda method, path: True)

    clients: list[AirflowClient] = []
    calls = Counter[str]()
    surfaced: list[str] = []  # errors the policy should have absorbed: must stay empty
    by_design: list[str] = []  # non-repeatable writes that may have reached the server
    marker = uuid.uuid4().hex[:10]
    run_ids: dict[str, dict[str, Any]] = {}
    values: dict[str, str] = {}
    prefix = f"soak_{marker}_"
    rng = random.Random(seed)

    def client() -> AirflowClient:
        if not clients or sum(calls.values()) % CALLS_PER_CLIENT == 0:
            made = AirflowClient(
                proxy.url,
                auth=TokenAuth(airflow_server.username, airflow_server.password),
                retry=SOAK_RETRY,
                timeout=(5.0, read_timeout),
                trust_env=False,
            )
            clients.append(made)
        return clients[-1]

    def call(kind: str, action: Callable[[AirflowClient], Any]) -> Any:
        calls[kind] += 1
        try:
            return action(client())
        except AirflowClientError as exc:
            surfaced.append(f"{kind}: {type(exc).__name__}: {exc}")
            return None

    def write(key: str, value: str, create: bool) -> None:
        """A write, and what a user does when it may or may not have landed."""
        calls["variable write"] += 1
        adapter = adapter_for(client())
        item = {"key": key, "value": value, "description": None}
        try:
            if create:
                adapter.create_variable(item)
            else:
                adapter.update_variable(item, {"key": key}, ["value"])
        except AirflowClientError as exc:
            text = str(exc)
            if "may have reached the server" not in text and "502" not in text:
                surfaced.append(f"variable write: {type(exc).__name__}: {exc}")
                return
            by_design.append(type(exc).__name__)
            try:  # check the effect before sending again, as the message says
                landed = adapter.api("VariableApi").get_variable(key).value == value
            except NotFoundError:
                landed = False
            if landed:
                values[key] = value
            else:
                write(key, value, create=create and not _exists(adapter, key))
            return
        values[key] = value

    started = time.monotonic()
    # writes: create every variable, then update each
    for i in range(VARIABLES):
        write(f"{prefix}{i:03d}", f"first {i}", create=True)
    for i in range(VARIABLES):
        write(f"{prefix}{i:03d}", f"second {i} {uuid.uuid4().hex[:6]}", create=False)
    # triggers and reads, interleaved
    reads = 0
    for n in range(TRIGGERS + READS):
        if (n % 4 == 0 and len(run_ids) < TRIGGERS) or reads >= READS:
            run_id = f"soak_{marker}_{len(run_ids):04d}"
            conf = {"marker": marker, "n": len(run_ids)}
            run_ids[run_id] = conf
            call("trigger", lambda c, r=run_id, cf=conf: runs.trigger(c, r, cf))
            continue
        reads += 1
        pick = rng.randrange(5)
        if pick == 0:
            call("get DAG", lambda c: c.get_dag(TRIGGER_DAG))
        elif pick == 1 and run_ids:
            some = rng.choice(list(run_ids))
            call("get run", lambda c, r=some: c.get_dag_run(TRIGGER_DAG, r))
        elif pick == 2:
            key = f"{prefix}{rng.randrange(VARIABLES):03d}"
            call("get variable", lambda c, k=key: c.api("VariableApi").get_variable(k))
        elif pick == 3:
            call("page of runs", lambda c: next(iter(c.iter_dag_runs(TRIGGER_DAG)), None))
        else:
            call("health", lambda c: c.health())
    seconds = time.monotonic() - started

    # the server's own view, asked directly
    made = runs.with_marker(marker)
    per_trigger = Counter(made)
    adapter = adapter_for(probe_client(airflow_server))
    wrong_values = {
        key: value
        for key, value in values.items()
        if adapter.api("VariableApi").get_variable(key).value != value
    }
    requests = sum(c.transport.stats.requests for c in clients)
    retries = sum(c.transport.stats.retries for c in clients)
    dedup = sum(c.transport.stats.deduplicated_triggers for c in clients)
    faults = Counter(kind_of(r.action) for r in proxy.log if r.action != "forwarded")
    logins = proxy.count("POST", "/auth/token")
    for c in clients:
        c.close()

    total_calls = sum(calls.values())
    print(f"\nfault soak on Airflow {version} (seed {seed}, read timeout {read_timeout} s):")
    print(f"  calls {total_calls}: {dict(calls)}")
    print(f"  clients {len(clients)}, logins {logins}")
    print(f"  requests {requests} (proxy saw {len(proxy.log)}), retries {retries}")
    print(f"  faults {sum(faults.values())}: {dict(sorted(faults.items()))}")
    print(f"  surfaced errors the policy absorbs: {len(surfaced)}")
    print(f"  writes surfaced as designed (checked, then re-sent if absent): {len(by_design)}")
    print(f"  triggers {len(run_ids)}, runs on the server {len(made)}, deduplicated {dedup}")
    print(f"  variables checked {len(values)}, wrong {len(wrong_values)}")
    print(f"  time {seconds:.0f} s")

    assert total_calls >= 1000
    assert len(run_ids) >= 200
    assert calls["variable write"] >= 100
    assert surfaced == [], "\n".join(surfaced[:20])
    assert sorted(per_trigger) == sorted(run_ids), "a trigger left no run, or a stray run"
    assert set(per_trigger.values()) == {1}, "a trigger made two runs"
    for run_id, conf in list(run_ids.items())[:: max(1, len(run_ids) // 20)]:
        assert (runs.get(run_id) or {}).get("conf") == conf
    assert len(values) == VARIABLES
    assert wrong_values == {}
    for kind in ("reset-before", "reset-after", "truncate", "status 503", "status 429"):
        assert faults[kind], f"no {kind} fault met"
    assert faults["status 502"]
    assert faults["stall"]
    if airflow_server.major >= 3:
        assert logins >= len(clients)  # every client logged in, through the faults
    assert seconds < 1800


def _exists(adapter: Any, key: str) -> bool:
    try:
        adapter.api("VariableApi").get_variable(key)
    except NotFoundError:
        return False
    return True


def probe_client(server: AirflowInstance) -> AirflowClient:
    """A client straight to the server (no proxy) for reading its state."""
    return AirflowClient(server.url, auth=TokenAuth(server.username, server.password))


# -- the API server killed and started again --------------------------------------------------
RESTART_RETRY = RetryPolicy(total=40, backoff_base=0.5, backoff_max=2.0)


def restart_soon(server: AirflowInstance, after: Callable[[], bool]) -> threading.Thread:
    """A thread that restarts the API server once ``after()`` is true; its downtime lands in
    ``thread.downtime``."""

    def run() -> None:
        while not after():
            time.sleep(0.05)
        thread.downtime = server.restart_api_server(down_for=2.0)  # type: ignore[attr-defined]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_api_server_restart_during_trigger_and_wait(airflow_server: AirflowInstance) -> None:
    """The wait rides out the restart and returns the run's real end.

    On Airflow 3 a running task talks to the API server (the execution API): killed under
    it, the task may fail, and then that is the end the wait must report. On Airflow 2 the
    webserver plays no part in running tasks: the run succeeds.
    """
    client = AirflowClient(
        airflow_server.url,
        auth=TokenAuth(airflow_server.username, airflow_server.password),
        retry=RESTART_RETRY,
    )
    client.wait_for_dag("slow", timeout=300, unpause=True)
    seen: list[str] = []
    restart = restart_soon(airflow_server, lambda: len(seen) >= 1)
    run = client.trigger_and_wait(
        "slow",
        conf={"seconds": 30},
        timeout=600,
        raise_on_failure=False,
        on_update=lambda r, _tis: seen.append(str(r.state)),
    )
    restart.join(timeout=300)
    assert not restart.is_alive()
    truth = probe_client(airflow_server).get_dag_run("slow", run.run_id)
    print(
        f"\nAirflow {airflow_server.version}: API server down {restart.downtime:.1f} s "  # type: ignore[attr-defined]
        f"during trigger_and_wait; {client.transport.stats.retries} retries; run {run.state} "
        f"(server: {truth.state}); states seen {seen}"
    )
    assert run.state in ("success", "failed")
    assert run.state == truth.state
    assert client.transport.stats.retries >= 1
    if airflow_server.major < 3:
        assert run.state == "success"
    client.close()


def test_api_server_restart_during_a_paging_walk(
    airflow_server: AirflowInstance, runs: Any
) -> None:
    client = AirflowClient(
        airflow_server.url,
        auth=TokenAuth(airflow_server.username, airflow_server.password),
        retry=RESTART_RETRY,
    )
    marker = uuid.uuid4().hex[:10]
    for i in range(120):
        runs.create_directly(f"walk_{marker}_{i:03d}", {"marker": marker})
    before = sorted(r.run_id for r in client.iter_dag_runs(TRIGGER_DAG))
    walked: list[str] = []
    restart = restart_soon(airflow_server, lambda: len(walked) >= 100)
    for run in client.iter_dag_runs(TRIGGER_DAG):
        walked.append(run.run_id)
        if len(walked) == 100:
            time.sleep(0.5)  # the next page is asked for while the server is down
    restart.join(timeout=300)
    assert not restart.is_alive()
    print(
        f"\nAirflow {airflow_server.version}: API server down {restart.downtime:.1f} s "  # type: ignore[attr-defined]
        f"during a walk of {len(walked)} runs; {client.transport.stats.retries} retries"
    )
    assert sorted(walked) == before  # every run once, none twice
    assert client.transport.stats.retries >= 1
    client.close()
