"""Every argument is checked before anything is sent, in the library and the CLI.

Each bad input of the tables below goes to a client (or the CLI) pointed at a local HTTP
server that counts every connection and request it gets: the call must raise the expected
class (the CLI: exit 2 with one ``Error:`` line naming the option), with a message that
names the argument and says what is allowed, and the server must have seen nothing. The
client is made without ``api_version``, so even the version detection (a request) would
show up. The last section pins what must stay accepted.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from airflow_client_ext import _checks
from airflow_client_ext.auth import (
    BasicAuth,
    BearerAuth,
    HeaderAuth,
    NoAuth,
    TokenAuth,
    WebLoginAuth,
)
from airflow_client_ext.cli import cli
from airflow_client_ext.client import AirflowClient
from airflow_client_ext.errors import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidSettingError,
)
from airflow_client_ext.kerberos import KerberosAuth
from airflow_client_ext.migration import migrate
from airflow_client_ext.models import CONFIG_FORMAT, CONFIG_FORMAT_VERSION
from airflow_client_ext.retry import RetryPolicy
from airflow_client_ext.workflows import PollSchedule

NAN = math.nan
INF = math.inf
DOC = {"format": CONFIG_FORMAT, "version": CONFIG_FORMAT_VERSION}
HEALTH = {
    "metadatabase": {"status": "healthy"},
    "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": None},
    "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
    "dag_processor": None,
}


# -- the request-counting server --------------------------------------------------------------
class CountingServer(ThreadingHTTPServer):
    """Counts every connection and every request; answers like a bare Airflow 3."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests = 0
        self.paths: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.connections += 1
        return True

    def reset(self) -> None:
        with self.lock:
            self.connections = self.requests = 0
            self.paths.clear()


class _Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def parse_request(self) -> bool:
        with self.server.lock:
            self.server.requests += 1
            self.server.paths.append(self.raw_requestline.decode("latin-1").strip())
        return super().parse_request()

    def _answer(self) -> None:
        path = self.path.split("?", 1)[0]
        body: Any = {"detail": "Not Found"}
        status = 404
        if path == "/api/v2/version":
            status, body = 200, {"version": "3.3.2", "git_version": None}
        elif path == "/api/v2/monitor/health":
            status, body = 200, HEALTH
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def counting_server() -> Iterator[CountingServer]:
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(counting_server: CountingServer) -> CountingServer:
    counting_server.reset()
    return counting_server


@pytest.fixture
def client(server: CountingServer) -> Iterator[AirflowClient]:
    """A client that has not detected the server's version yet (that would be a request)."""
    made = AirflowClient(server.url, auth=TokenAuth("admin", "admin"))
    yield made
    made.close()


def test_the_server_counts_what_a_good_call_sends(server: CountingServer) -> None:
    """The zero of the tables means something: a valid call is counted."""
    client = AirflowClient(server.url, auth=NoAuth())
    assert client.health().healthy
    assert server.requests == 2  # GET /api/v2/version, GET /api/v2/monitor/health
    assert server.connections >= 1
    result = CliRunner().invoke(cli, ["health"], env={"AIRFLOW_URL": server.url})
    assert result.exit_code == 0, result.output
    assert server.requests == 4


# -- the library table ------------------------------------------------------------------------
Call = Callable[[AirflowClient], Any]


def _set(client: AirflowClient, **attributes: Any) -> AirflowClient:
    for name, value in attributes.items():
        setattr(client, name, value)
    return client


def _doc(**sections: Any) -> dict[str, Any]:
    return {**DOC, **sections}


def _env(client: AirflowClient, **env: str) -> AirflowClient:
    return AirflowClient.from_env({"AIRFLOW_URL": client.base_url, **env})


class Color(Enum):
    RED = "red"


S = InvalidSettingError
A = InvalidArgumentError
DAG_ID_RULE = "letters, digits, '_', '.' and '-'"
PATH_ID_RULE = "without leading/trailing whitespace, control characters or '/'"
SECONDS_RULE = "positive, finite number of seconds"

LIBRARY: list[Any] = [
    # -- the client: URL, auth, api_version, retry, timeout, TLS, proxy -----------------------
    ("url-empty", lambda c: AirflowClient(""), S, ["url must be", "http(s) URL with a host"]),
    ("url-no-scheme", lambda c: AirflowClient("localhost:8080"), S, ["url must be", "no scheme"]),
    ("url-ftp", lambda c: AirflowClient("ftp://h/x"), S, ["url must be", "scheme is 'ftp'"]),
    ("url-no-host", lambda c: AirflowClient("http://"), S, ["url must be", "no host"]),
    ("url-bad-port", lambda c: AirflowClient("http://h:99999"), S, ["url must be", "port"]),
    ("url-padded", lambda c: AirflowClient(" http://h"), S, ["url must be", "whitespace"]),
    ("url-query", lambda c: AirflowClient("http://h/?a=1"), S, ["url", "query or fragment"]),
    ("url-not-str", lambda c: AirflowClient(8080), S, ["url must be", "got 8080"]),  # type: ignore[arg-type]
    (
        "url-credentials",
        lambda c: AirflowClient("http://admin:pw-424242@h"),
        S,
        ["url must be", "credentials", "'http://***@h'"],
    ),
    (
        "api-version-v3",
        lambda c: AirflowClient(c.base_url, api_version="v3"),
        S,
        ["api_version must be one of: v1, v2", "'v3'"],
    ),
    (
        "api-version-vs-url",
        lambda c: AirflowClient(c.base_url + "/api/v1", api_version="v2"),
        S,
        ["api_version must match the URL", "/api/v1"],
    ),
    (
        "auth-tuple",
        lambda c: AirflowClient(c.base_url, auth=("admin", "admin")),  # type: ignore[arg-type]
        S,
        ["auth must be an Auth object"],
    ),
    (
        "retry-int",
        lambda c: AirflowClient(c.base_url, retry=3),  # type: ignore[arg-type]
        S,
        ["retry must be a RetryPolicy"],
    ),
    ("timeout-0", lambda c: AirflowClient(c.base_url, timeout=0), S, ["timeout", SECONDS_RULE]),
    ("timeout-neg", lambda c: AirflowClient(c.base_url, timeout=-1), S, ["timeout", "got -1"]),
    ("timeout-nan", lambda c: AirflowClient(c.base_url, timeout=NAN), S, ["timeout", "got nan"]),
    ("timeout-inf", lambda c: AirflowClient(c.base_url, timeout=INF), S, ["timeout", "got inf"]),
    ("timeout-bool", lambda c: AirflowClient(c.base_url, timeout=True), S, ["timeout", "True"]),
    (
        "timeout-str",
        lambda c: AirflowClient(c.base_url, timeout="10"),  # type: ignore[arg-type]
        S,
        ["timeout must be", "(connect, read) pair"],
    ),
    (
        "timeout-pair",
        lambda c: AirflowClient(c.base_url, timeout=(5, 0)),
        S,
        ["timeout must be", "got tuple (5, 0)"],
    ),
    (
        "verify-path",
        lambda c: AirflowClient(c.base_url, verify="/etc/ca.pem"),  # type: ignore[arg-type]
        S,
        ["verify must be True or False"],
    ),
    (
        "ca-bundle-missing",
        lambda c: AirflowClient(c.base_url, ca_bundle="/no/such/ca.pem"),
        S,
        ["ca_bundle must be the path of an existing file", "no such file"],
    ),
    (
        "proxy-socks",
        lambda c: AirflowClient(c.base_url, proxy="socks5://p:1080"),
        S,
        ["proxy must be an http(s) URL", "scheme is 'socks5'"],
    ),
    (
        "user-agent-newline",
        lambda c: AirflowClient(c.base_url, user_agent="x\r\ny"),
        S,
        ["user_agent must be", "control character"],
    ),
    ("with-options-timeout", lambda c: c.with_options(timeout=0), S, ["timeout", SECONDS_RULE]),
    (
        "with-options-retry",
        lambda c: c.with_options(retry="none"),  # type: ignore[arg-type]
        S,
        ["retry must be a RetryPolicy"],
    ),
    (
        "env-timeout-0",
        lambda c: _env(c, AIRFLOW_TIMEOUT="0"),
        S,
        ["AIRFLOW_TIMEOUT must be a positive, finite number"],
    ),
    (
        "env-timeout-nan",
        lambda c: _env(c, AIRFLOW_TIMEOUT="nan"),
        S,
        ["AIRFLOW_TIMEOUT must be", "got nan"],
    ),
    (
        "env-timeout-text",
        lambda c: _env(c, AIRFLOW_TIMEOUT="soon"),
        S,
        ["AIRFLOW_TIMEOUT must be", "'soon'"],
    ),
    (
        "env-verify",
        lambda c: _env(c, AIRFLOW_VERIFY="maybe"),
        S,
        ["AIRFLOW_VERIFY must be one of: true, false", "'maybe'"],
    ),
    (
        "env-api-version",
        lambda c: _env(c, AIRFLOW_API_VERSION="3"),
        S,
        ["AIRFLOW_API_VERSION must be one of: v1, v2"],
    ),
    (
        "env-url",
        lambda c: AirflowClient.from_env({"AIRFLOW_URL": "localhost:8080"}),
        S,
        ["AIRFLOW_URL must be an http(s) URL", "no scheme"],
    ),
    # -- retry settings -----------------------------------------------------------------------
    ("retry-total-neg", lambda c: RetryPolicy(total=-1), S, ["RetryPolicy.total", "integer >= 0"]),
    ("retry-total-float", lambda c: RetryPolicy(total=1.5), S, ["RetryPolicy.total", "got 1.5"]),  # type: ignore[arg-type]
    ("retry-total-bool", lambda c: RetryPolicy(total=True), S, ["RetryPolicy.total", "True"]),
    (
        "retry-backoff-nan",
        lambda c: RetryPolicy(backoff_base=NAN),
        S,
        ["RetryPolicy.backoff_base must be a finite number of seconds >= 0"],
    ),
    (
        "retry-backoff-max-neg",
        lambda c: RetryPolicy(backoff_max=-1),
        S,
        ["RetryPolicy.backoff_max must be", ">= 0"],
    ),
    (
        "retry-after-inf",
        lambda c: RetryPolicy(retry_after_max=INF),
        S,
        ["RetryPolicy.retry_after_max must be", "finite"],
    ),
    (
        "retry-statuses",
        lambda c: RetryPolicy(retry_statuses=frozenset({503, 600})),
        S,
        ["RetryPolicy.retry_statuses must be a set of HTTP statuses", "600"],
    ),
    # -- auth objects -------------------------------------------------------------------------
    ("basic-no-user", lambda c: BasicAuth("", "pw"), S, ["BasicAuth.username must be a non-empty"]),
    ("basic-colon", lambda c: BasicAuth("a:b", "pw"), S, ["BasicAuth.username", "':'"]),
    (
        "basic-no-password",
        lambda c: BasicAuth("u", ""),
        S,
        ["BasicAuth.password must be a non-empty string", "got an empty string"],
    ),
    ("token-blank-user", lambda c: TokenAuth("  ", "pw"), S, ["TokenAuth.username", "whitespace"]),
    (
        "token-none-password",
        lambda c: TokenAuth("u", None),  # type: ignore[arg-type]
        S,
        ["TokenAuth.password must be a non-empty string", "got None"],
    ),
    (
        "token-margin",
        lambda c: TokenAuth("u", "pw", refresh_margin=-1),
        S,
        ["TokenAuth.refresh_margin must be a finite number of seconds >= 0"],
    ),
    ("bearer-empty", lambda c: BearerAuth(""), S, ["BearerAuth.token must be a non-empty string"]),
    (
        "bearer-newline",
        lambda c: BearerAuth("tok-123\n"),
        S,
        ["BearerAuth.token must be", "without whitespace", "trailing newline", "8 characters"],
    ),
    (
        "header-name",
        lambda c: HeaderAuth("Bad: name", "v"),
        S,
        ["HeaderAuth.name must be a header name"],
    ),
    (
        "header-value",
        lambda c: HeaderAuth("X-Key", ""),
        S,
        ["HeaderAuth.value must be a non-empty"],
    ),
    (
        "header-value-newline",
        lambda c: HeaderAuth("X-Key", "k-1\r\n"),
        S,
        ["HeaderAuth.value must be", "without control characters", "trailing newline"],
    ),
    (
        "bearer-space",
        lambda c: BearerAuth("tok 123"),
        S,
        ["BearerAuth.token must be", "whitespace in it"],
    ),
    (
        "kerberos-mutual",
        lambda c: KerberosAuth(mutual="yes"),
        S,
        ["KerberosAuth.mutual must be one of: required, optional, disabled"],
    ),
    ("kerberos-service", lambda c: KerberosAuth(service=""), S, ["KerberosAuth.service must be"]),
    (
        "web-login-path",
        lambda c: WebLoginAuth("u", "pw", login_path="login/"),
        S,
        ["WebLoginAuth.login_path must be a path starting with '/'"],
    ),
    # -- ids ----------------------------------------------------------------------------------
    ("dag-id-empty", lambda c: c.trigger(""), A, ["dag_id must be", DAG_ID_RULE, "got ''"]),
    ("dag-id-blank", lambda c: c.trigger("   "), A, ["dag_id must be", "only whitespace"]),
    ("dag-id-padded", lambda c: c.get_dag(" etl"), A, ["dag_id must be", "leading or trailing"]),
    ("dag-id-slash", lambda c: c.trigger("etl/daily"), A, ["dag_id", "'/' is not allowed"]),
    ("dag-id-space", lambda c: c.pause("my dag"), A, ["dag_id must be", "' ' is not allowed"]),
    ("dag-id-long", lambda c: c.unpause("x" * 251), A, ["dag_id", "at most 250", "251 char"]),
    ("dag-id-none", lambda c: c.get_dag(None), A, ["dag_id must be", "got None"]),  # type: ignore[arg-type]
    (
        "run-id-empty",
        lambda c: c.get_dag_run("etl", ""),
        A,
        ["run_id must be a non-empty string", PATH_ID_RULE],
    ),
    ("run-id-slash", lambda c: c.wait("etl", "a/b"), A, ["run_id must be", "%2F"]),
    ("run-id-padded", lambda c: c.wait("etl", " r1"), A, ["run_id must be", "leading or trailing"]),
    ("run-id-control", lambda c: c.clear_run("etl", "r\x00"), A, ["run_id", "control character"]),
    ("run-id-dotdot", lambda c: c.get_dag_run("etl", ".."), A, ["run_id", "path steps"]),
    (
        "new-run-id-slash",
        lambda c: c.trigger("etl", run_id="a/b"),
        A,
        ["run_id must be", "allowed_run_id_pattern", "'/' is not allowed"],
    ),
    (
        "new-run-id-newline",
        lambda c: c.trigger("etl", run_id="ci_1234\n"),
        A,
        ["run_id must be", "'\\n' is not allowed"],
    ),
    (
        "header-name-newline",
        lambda c: HeaderAuth("X-Key\n", "v"),
        S,
        ["HeaderAuth.name must be a header name"],
    ),
    ("new-run-id-dotdot", lambda c: c.trigger("etl", run_id="a..b"), A, ["run_id", "'..'"]),
    ("task-id-empty", lambda c: c.task_log("etl", "r1", ""), A, ["task_id must be", DAG_ID_RULE]),
    # -- conf, dates, note, flags --------------------------------------------------------------
    ("conf-list", lambda c: c.trigger("etl", conf=[1]), A, ["conf must be a JSON object"]),  # type: ignore[arg-type]
    ("conf-nan", lambda c: c.trigger("etl", conf={"x": NAN}), A, ["conf['x']", "JSON cannot"]),
    (
        "conf-datetime",
        lambda c: c.trigger("etl", conf={"d": datetime(2026, 1, 1)}),
        A,
        ["conf['d']", "ISO string"],
    ),
    (
        "date-naive",
        lambda c: c.trigger("etl", logical_date=datetime(2026, 1, 1)),
        A,
        ["logical_date must be a timezone-aware datetime", "no time zone"],
    ),
    (
        "date-naive-text",
        lambda c: c.trigger("etl", logical_date="2026-01-01T00:00:00"),
        A,
        ["logical_date must be", "no time zone"],
    ),
    (
        "date-unparseable",
        lambda c: c.trigger("etl", logical_date="yesterday"),
        A,
        ["logical_date must be", "ISO 8601", "not an ISO 8601 date"],
    ),
    (
        "date-a-date",
        lambda c: c.trigger("etl", logical_date=date(2026, 1, 1)),  # type: ignore[arg-type]
        A,
        ["logical_date must be a timezone-aware datetime", "got date"],
    ),
    (
        "note-too-long",
        lambda c: c.trigger("etl", note="n" * 1001),
        A,
        ["note must be", "at most 1000", "1001 characters"],
    ),
    ("unpause-text", lambda c: c.trigger("etl", unpause="yes"), A, ["unpause must be True or"]),  # type: ignore[arg-type]
    # -- waits: timeouts, intervals, callbacks ---------------------------------------------------
    ("wait-timeout-0", lambda c: c.wait("etl", "r1", timeout=0), A, ["timeout", SECONDS_RULE]),
    ("wait-timeout-neg", lambda c: c.wait("etl", "r1", timeout=-5), A, ["timeout", "got -5"]),
    ("wait-timeout-nan", lambda c: c.wait("etl", "r1", timeout=NAN), A, ["timeout", "or None"]),
    (
        "wait-on-update",
        lambda c: c.wait("etl", "r1", on_update="print"),  # type: ignore[arg-type]
        A,
        ["on_update must be a callable"],
    ),
    (
        "wait-raise-text",
        lambda c: c.wait("etl", "r1", raise_on_failure="no"),  # type: ignore[arg-type]
        A,
        ["raise_on_failure must be True or False"],
    ),
    (
        "wait-endpoint",
        lambda c: c.wait("etl", "r1", use_wait_endpoint="auto"),  # type: ignore[arg-type]
        A,
        ["use_wait_endpoint must be True or False, or None"],
    ),
    (
        "poll-initial-0",
        lambda c: _set(c, poll_initial=0).wait("etl", "r1"),
        A,
        ["poll_initial must be a positive, finite number of seconds"],
    ),
    (
        "poll-factor-nan",
        lambda c: _set(c, poll_factor=NAN).wait("etl", "r1"),
        A,
        ["poll_factor must be a finite number >= 1"],
    ),
    (
        "stream-interval",
        lambda c: _set(c, wait_stream_interval=-1).wait("etl", "r1"),
        A,
        ["wait_stream_interval must be", SECONDS_RULE],
    ),
    (
        "trigger-and-wait-timeout",
        lambda c: c.trigger_and_wait("etl", timeout=0),
        A,
        ["timeout must be", SECONDS_RULE],
    ),
    ("trigger-and-wait-dag", lambda c: c.trigger_and_wait(""), A, ["dag_id must be"]),
    ("wait-for-dag-0", lambda c: c.wait_for_dag("etl", timeout=0), A, ["timeout", SECONDS_RULE]),
    (
        "wait-for-dag-unpause",
        lambda c: c.wait_for_dag("etl", unpause=1),  # type: ignore[arg-type]
        A,
        ["unpause must be True or False"],
    ),
    (
        "healthy-timeout",
        lambda c: c.wait_until_healthy(timeout=-1),
        A,
        ["timeout must be", SECONDS_RULE],
    ),
    (
        "poll-schedule",
        lambda c: PollSchedule(0.5, 1.5, 0.1),
        A,
        ["PollSchedule.cap must be a finite number of seconds >= PollSchedule.initial"],
    ),
    # -- tries and map indexes -------------------------------------------------------------------
    (
        "try-0",
        lambda c: c.task_log("etl", "r1", "t", try_number=0),
        A,
        ["try_number must be an integer >= 1", "tries count from 1"],
    ),
    ("try-neg", lambda c: c.task_log("etl", "r1", "t", try_number=-1), A, ["try_number", "-1"]),
    (
        "try-float",
        lambda c: c.task_log("etl", "r1", "t", try_number=1.0),  # type: ignore[arg-type]
        A,
        ["try_number must be an integer", "got 1.0"],
    ),
    (
        "map-index-2",
        lambda c: c.task_log("etl", "r1", "t", map_index=-2),
        A,
        ["map_index must be an integer >= -1", "not mapped"],
    ),
    (
        "map-index-text",
        lambda c: c.task_log("etl", "r1", "t", map_index="0"),  # type: ignore[arg-type]
        A,
        ["map_index must be an integer", "got '0'"],
    ),
    # -- states, paging --------------------------------------------------------------------------
    (
        "run-state-typo",
        lambda c: list(c.iter_dag_runs("etl", state="sucess")),
        A,
        ["state must be", "queued, running, success, failed", "'sucess'"],
    ),
    (
        "run-state-enum",
        lambda c: list(c.iter_dag_runs("etl", state=[Color.RED])),
        A,
        ["state must be", "is not one"],
    ),
    (
        "run-state-empty",
        lambda c: list(c.iter_dag_runs("etl", state=[])),
        A,
        ["state must be", "empty list filters nothing"],
    ),
    (
        "ti-state-typo",
        lambda c: list(c.iter_task_instances("etl", "r1", state="done")),
        A,
        ["state must be", "up_for_retry", "'done'"],
    ),
    ("runs-dag-id", lambda c: c.iter_dag_runs("etl/x"), A, ["dag_id must be", "or '~' for all"]),
    (
        "runs-limit-0",
        lambda c: c.iter_dag_runs("etl", limit=0),
        A,
        ["limit must be an integer >= 1", "items per page"],
    ),
    ("dags-offset", lambda c: c.iter_dags(offset=-1), A, ["offset must be an integer >= 0"]),
    (
        "paginate-limit",
        lambda c: c.paginate(lambda **kw: None, limit=-1),
        A,
        ["limit must be an integer >= 1"],
    ),
    ("paginate-method", lambda c: c.paginate("get_dags"), A, ["method must be a callable"]),  # type: ignore[arg-type]
    # -- export, import, features, generated APIs -----------------------------------------------
    (
        "export-flag",
        lambda c: c.export_config(variables="no"),  # type: ignore[arg-type]
        A,
        ["variables must be True or False"],
    ),
    (
        "import-mode",
        lambda c: c.import_config(_doc(), mode="merge"),
        A,
        ["mode must be one of: upsert, skip-existing", "'merge'"],
    ),
    (
        "import-dry-run",
        lambda c: c.import_config(_doc(), dry_run="yes"),  # type: ignore[arg-type]
        A,
        ["dry_run must be True or False"],
    ),
    (
        "import-format",
        lambda c: c.import_config({"format": "other"}),
        A,
        ["not an export document", CONFIG_FORMAT],
    ),
    (
        "import-section",
        lambda c: c.import_config(_doc(pools="p1")),
        A,
        ["'pools' must be a list"],
    ),
    (
        "import-item-id",
        lambda c: c.import_config(_doc(pools=[{"name": "p1", "slots": 1}, {"slots": 2}])),
        A,
        ["pools[1].name must be a non-empty string", "got None"],
    ),
    (
        "import-item-type",
        lambda c: c.import_config(_doc(variables=["k=v"])),
        A,
        ["variables[0] must be an object with a 'key'"],
    ),
    (
        "import-item-twice",
        lambda c: c.import_config(_doc(pools=[{"name": "p1", "slots": 1}, {"name": "p1"}])),
        A,
        ["pools[1].name: 'p1' is in the document twice (also at pools[0])"],
    ),
    (
        "import-workers",
        lambda c: c.import_config(_doc(), workers=0),
        A,
        ["workers must be an integer from 1 to 32"],
    ),
    ("feature-name", lambda c: c.supports("wait"), A, ["unknown feature 'wait'", "wait_stream"]),
    ("api-type", lambda c: c.api(42), A, ["api must be the name of a generated API class"]),  # type: ignore[arg-type]
    # -- migrate, Starship -------------------------------------------------------------------------
    (
        "migrate-what",
        lambda c: migrate(c, c, what=["variables", "dags"]),
        A,
        ["what must be a non-empty list of some of: pools", "unknown: 'dags'"],
    ),
    ("migrate-what-empty", lambda c: migrate(c, c, what=[]), A, ["what must be", "(none)"]),
    (
        "migrate-mode",
        lambda c: migrate(c, c, mode="overwrite"),
        A,
        ["mode must be one of: upsert, skip-existing"],
    ),
    (
        "migrate-workers",
        lambda c: migrate(c, c, workers=0),
        A,
        ["workers must be an integer from 1 to 32"],
    ),
    ("migrate-workers-bool", lambda c: migrate(c, c, workers=True), A, ["workers", "True"]),
    (
        "migrate-dag-ids",
        lambda c: migrate(c, c, dag_ids=["etl", ""]),
        A,
        ["dag_ids must be", DAG_ID_RULE],
    ),
    (
        "migrate-history-batch",
        lambda c: migrate(c, c, history_batch=0),
        A,
        ["history_batch must be an integer >= 1"],
    ),
    (
        "migrate-source",
        lambda c: migrate(c.base_url, c),  # type: ignore[arg-type]
        A,
        ["source must be an AirflowClient"],
    ),
    (
        "starship-limit",
        lambda c: c.starship.dag_runs("etl", limit=0),
        A,
        ["limit must be an integer >= 1"],
    ),
    ("starship-dag-id", lambda c: c.starship.set_paused("", True), A, ["dag_id must be"]),
]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [pytest.param(call, error, words, id=name) for name, call, error, words in LIBRARY],
)
def test_a_bad_argument_is_refused_before_anything_is_sent(
    client: AirflowClient,
    server: CountingServer,
    call: Call,
    error: type[Exception],
    words: list[str],
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call(client)
    assert type(caught.value) is error, repr(caught.value)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)
    assert server.requests == 0, server.paths
    assert server.connections == 0


def test_the_table_is_large_enough() -> None:
    assert len(LIBRARY) >= 60
    assert len({row[0] for row in LIBRARY}) == len(LIBRARY)
    assert len(CLI) >= 15


def test_settings_errors_are_configuration_errors_too() -> None:
    with pytest.raises(ConfigurationError) as caught:
        AirflowClient("http://h:1", timeout=0)
    assert isinstance(caught.value, InvalidArgumentError)
    assert caught.value.argument == "timeout"


def test_no_secret_appears_in_an_error() -> None:
    secret = "pw-424242-never-shown"
    for make in (
        lambda: AirflowClient(f"http://admin:{secret}@h"),
        lambda: BasicAuth("a:b", secret),
        lambda: BearerAuth(secret + "\n"),
        lambda: HeaderAuth("X-Key", " " + secret + "\r\n"),
    ):
        with pytest.raises(InvalidSettingError) as caught:
            make()
        assert secret not in str(caught.value)


# -- the CLI table ----------------------------------------------------------------------------
CLI: list[Any] = [
    ("trigger-dag-empty", ["trigger", ""], ["'DAG_ID'", DAG_ID_RULE]),
    ("trigger-dag-slash", ["trigger", "etl/x"], ["'DAG_ID'", "'/' is not allowed"]),
    ("trigger-run-id", ["trigger", "etl", "--run-id", "a b"], ["'--run-id'", "'_.~:+-'"]),
    ("trigger-conf", ["trigger", "etl", "--conf", "[1]"], ["'--conf'", "JSON object"]),
    ("trigger-date", ["trigger", "etl", "--logical-date", "soon"], ["'--logical-date'", "ISO"]),
    ("trigger-note", ["trigger", "etl", "--note", "n" * 1001], ["'--note'", "at most 1000"]),
    ("trigger-timeout-0", ["trigger", "etl", "--wait", "--timeout", "0"], ["'--timeout'"]),
    ("trigger-timeout-nan", ["trigger", "etl", "--wait", "--timeout", "nan"], ["got nan"]),
    ("wait-run-empty", ["wait", "etl", ""], ["'RUN_ID'", PATH_ID_RULE]),
    ("wait-run-slash", ["wait", "etl", "a/b"], ["'RUN_ID'", "%2F"]),
    ("wait-timeout-neg", ["wait", "etl", "r1", "--timeout", "-1"], ["'--timeout'", SECONDS_RULE]),
    ("wait-timeout-inf", ["wait", "etl", "r1", "--timeout", "inf"], ["'--timeout'", "got inf"]),
    ("runs-state", ["runs", "etl", "--state", "sucess"], ["'--state'", "queued, running"]),
    ("runs-limit", ["runs", "etl", "--limit", "0"], ["'--limit'", "x>=1"]),
    ("runs-dag", ["runs", "etl!"], ["'DAG_ID'", "or '~' for all"]),
    ("logs-try", ["logs", "etl", "r1", "t", "--try", "0"], ["'--try'", "x>=1"]),
    ("logs-map-index", ["logs", "etl", "r1", "t", "--map-index", "-2"], ["'--map-index'"]),
    ("logs-task", ["logs", "etl", "r1", "my task"], ["'TASK_ID'", "' ' is not allowed"]),
    ("pause-dag", ["pause", " etl"], ["'DAG_ID'", "leading or trailing whitespace"]),
    ("unpause-dag", ["unpause", "a" * 251], ["'DAG_ID'", "251 characters"]),
    ("health-wait-0", ["health", "--wait", "0"], ["'--wait'", SECONDS_RULE]),
    ("global-timeout", ["--timeout", "0", "pause", "etl"], ["'--timeout'", SECONDS_RULE]),
    ("global-url", ["--url", "ftp://h", "pause", "etl"], ["'--url'", "scheme is 'ftp'"]),
    ("global-api-version", ["--api-version", "v3", "pause", "etl"], ["'--api-version'"]),
    ("global-auth", ["--auth", "ntlm", "pause", "etl"], ["'--auth'"]),
    ("import-mode", ["import", "x.json", "--mode", "merge"], ["'--mode'"]),
    ("migrate-to", ["migrate", "--from", "@URL", "--to", "localhost:1"], ["'--to'", "no scheme"]),
    ("migrate-what", ["migrate", "--from", "@URL", "--to", "@URL", "--what", "dags"], ["'--what'"]),
    (
        "migrate-dag-id",
        ["migrate", "--from", "@URL", "--to", "@URL", "--dag-id", "a/b"],
        ["'--dag-id'", DAG_ID_RULE],
    ),
    (
        "migrate-workers",
        ["migrate", "--from", "@URL", "--to", "@URL", "--workers", "0"],
        ["'--workers'"],
    ),
]


def _invoke(server: CountingServer, args: list[str], **env: str) -> Any:
    environ = {
        "AIRFLOW_URL": server.url,
        "AIRFLOW_USERNAME": "admin",
        "AIRFLOW_PASSWORD": "admin",
        "AIRFLOW_TIMEOUT": "",
        "AIRFLOW_AUTH": "",
        "AIRFLOW_API_VERSION": "",
        **env,
    }
    argv = [server.url if arg == "@URL" else arg for arg in args]
    return CliRunner().invoke(cli, argv, env=environ)


def _one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return str(lines[0])


@pytest.mark.parametrize(
    ("args", "words"), [pytest.param(args, words, id=name) for name, args, words in CLI]
)
def test_a_bad_cli_value_exits_2_with_one_line_before_anything_is_sent(
    server: CountingServer, args: list[str], words: list[str]
) -> None:
    result = _invoke(server, args)
    line = _one_error_line(result)
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert result.stdout == ""
    assert server.requests == 0, server.paths
    assert server.connections == 0


def test_a_bad_environment_value_names_the_option_and_its_variable(server: CountingServer) -> None:
    result = _invoke(server, ["pause", "etl"], AIRFLOW_TIMEOUT="nan")
    line = _one_error_line(result)
    assert "'--timeout' (env var: 'AIRFLOW_TIMEOUT')" in line
    assert server.requests == 0


def test_a_library_argument_error_is_one_line_and_exit_2(
    server: CountingServer, tmp_path: Path
) -> None:
    """What only the library checks (an import document's items) is exit 2 too."""
    document = tmp_path / "config.json"
    document.write_text(json.dumps(_doc(variables=[{"value": "1"}])))
    result = _invoke(server, ["import", str(document)])
    line = _one_error_line(result)
    assert "variables[0].key must be a non-empty string" in line
    assert server.requests == 0


def test_a_cli_usage_error_with_json_is_one_json_line(server: CountingServer) -> None:
    result = _invoke(server, ["--json", "wait", "etl", "r1", "--timeout", "0"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    doc = json.loads(line)
    assert doc["exit_code"] == 2
    assert "'--timeout'" in doc["message"]
    assert server.requests == 0


# -- what stays accepted ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "dag_id", ["etl", "etl.daily", "etl-daily_v2", "group.task", "ünïcode_dag", "a" * 250, "a..b"]
)
def test_airflow_dag_and_task_ids_are_accepted(dag_id: str) -> None:
    assert _checks.check_dag_id(dag_id) == dag_id
    assert _checks.check_task_id(dag_id) == dag_id


@pytest.mark.parametrize(
    "run_id",
    [
        "manual__2024-01-01T00:00:00+00:00",
        "scheduled__2024-01-01T00:00:00+00:00",
        "backfill__2024-01-01T00:00:00+00:00",
        "manual__2026-01-01T12:00:00.123456Z__1a2b3c4d",
        "asset_triggered__2026-01-01T00:00:00.5+00:00",
        "my run @ 12:00 ~ ünïcode",
        "a..b",
        "?#%",
    ],
)
def test_run_ids_that_exist_are_accepted_as_read(run_id: str) -> None:
    assert _checks.check_run_id(run_id) == run_id


@pytest.mark.parametrize(
    "run_id", ["manual__2024-01-01T00:00:00+00:00", "ci_1234", "x~y:z+w-v.u", "a" * 300]
)
def test_run_ids_a_trigger_may_choose(run_id: str) -> None:
    assert _checks.check_new_run_id(run_id) == run_id


def test_wildcards_body_ids_and_variable_keys() -> None:
    assert _checks.check_dag_id("~", wildcard=True) == "~"
    assert _checks.check_run_id("~", wildcard=True) == "~"
    assert _checks.check_id("key", "path/like/key", path=False) == "path/like/key"
    assert _checks.check_id("connection_id", "my-conn:1", path=True) == "my-conn:1"


def test_numbers_that_are_accepted() -> None:
    assert _checks.check_map_index(-1) == -1
    assert _checks.check_map_index(0) == 0
    assert _checks.check_try_number(1) == 1
    assert _checks.check_try_number(None) is None
    assert _checks.check_seconds("timeout", 0.001) == 0.001
    assert _checks.check_seconds("timeout", 600) == 600.0
    assert _checks.check_seconds("timeout", None, none="no limit") is None
    assert _checks.check_seconds("backoff", 0, zero=True) == 0.0
    assert _checks.check_timeout("timeout", (3, 30.5)) == (3, 30.5)
    assert RetryPolicy(total=0, backoff_base=0).total == 0


def test_dates_that_are_accepted() -> None:
    utc = datetime(2026, 1, 1, tzinfo=timezone.utc)
    plus2 = timezone(timedelta(hours=2))
    check = _checks.check_aware_datetime
    assert check("logical_date", utc) is utc
    assert check("logical_date", "2026-01-01T00:00:00Z") == utc
    assert check("logical_date", "2026-01-01T00:00:00z") == utc
    assert check("logical_date", " 2026-01-01T02:00:00+02:00 ") == utc
    assert check("logical_date", datetime(2026, 1, 1, 2, tzinfo=plus2)) == utc
    assert check("logical_date", None, none="unset") is None


def test_states_choices_and_urls_that_are_accepted() -> None:
    from airflow_client_ext_v2.models.dag_run_state import DagRunState

    assert _checks.check_states("state", "failed", _checks.DAG_RUN_STATES) == ["failed"]
    assert _checks.check_states("state", (DagRunState.SUCCESS,), _checks.DAG_RUN_STATES) == [
        "success"
    ]
    assert _checks.check_states("state", None, _checks.DAG_RUN_STATES) is None
    states = ["none", "up_for_retry", "awaiting_input"]
    assert _checks.check_states("state", states, _checks.TASK_INSTANCE_STATES) == states
    assert _checks.check_kinds("what", "history, pause-states", ("pause_states", "history")) == (
        "pause_states",
        "history",
    )
    for url in ("http://h", "https://h:8443/prefix/", "http://[::1]:8080", "http://h/api/v2"):
        assert _checks.check_url("url", url) is not None
    assert _checks.check_url("proxy", "http://u:p@proxy:3128", credentials=True) is not None


def test_clients_and_auths_that_are_accepted(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-")
    client = AirflowClient(
        "https://h:8443/prefix",
        auth=BearerAuth(lambda: "tok"),
        api_version="v2",
        retry=RetryPolicy(total=0),
        timeout=(2, 30),
        verify=True,
        ca_bundle=str(bundle),
        proxy="http://proxy:3128",
    )
    assert client.transport.stats.requests == 0
    assert AirflowClient.from_env({"AIRFLOW_URL": "http://h", "AIRFLOW_VERIFY": "no"})
    assert TokenAuth("user@example.com", "p:w").username == "user@example.com"
    assert BasicAuth("admin", " spaces are fine in a password ").username == "admin"
    assert HeaderAuth("X-API-Key", "k-1").name == "X-API-Key"
    assert HeaderAuth("Authorization", "Basic YWRtaW46YWRtaW4=").name == "Authorization"


def test_no_arguments_at_all_still_show_the_help(server: CountingServer) -> None:
    result = _invoke(server, [])
    assert result.exit_code in (0, 2)  # 2 since click 8.2
    assert "Usage:" in result.output
    assert "Commands:" in result.output
    assert server.requests == 0
