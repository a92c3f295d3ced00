"""The exceptions of airflow-client-ext: one class per HTTP meaning, never a bare JSON error.

Every non-2xx answer becomes exactly one :class:`ApiError` subclass, chosen by status::

    AirflowClientError
    ├── ApiError                       an HTTP answer that is not 2xx
    │   ├── BadRequestError            400, 405, 406, 415, 422
    │   ├── AuthenticationError        401, and Airflow 2's 403 for bad or missing credentials
    │   ├── PermissionDeniedError      403 for a known user without the permission
    │   ├── NotFoundError              404
    │   ├── ConflictError              409
    │   ├── RateLimitError             429
    │   └── ServerError                5xx
    ├── UnexpectedResponseError        a 2xx whose body is not what the API sends (HTML, ...)
    │   └── InvalidResponseError       a 2xx the client cannot read: truncated or empty JSON,
    │                                  a wrong content type, or JSON that does not fit the
    │                                  generated model: .operation, .fields, .server_version
    ├── TransportError                 no HTTP answer: DNS, refused, reset, timeout, TLS
    │   └── ResponseLimitError         an answer past a limit: max_body_bytes, max_body_seconds
    ├── ConfigurationError             the client was set up wrongly (URL, auth, environment)
    ├── InvalidArgumentError           an argument that cannot be sent (also ValueError)
    │   └── InvalidSettingError        a client setting that cannot work (also a
    │                                  ConfigurationError): URL, auth, timeout, retry
    ├── UnsupportedFeatureError        the server's version lacks a feature: .feature, .since
    └── WorkflowError                  a workflow did not reach its goal
        ├── DagPausedError             a trigger of a paused DAG (would sit queued)
        ├── DagRunFailedError          the run failed: .run, .failed_task_instances, .log_tails
        └── WaitTimeoutError           a wait timed out: .timeout, .last_run, .last_state

Each carries what a person needs to act: status, method, URL path (no credentials, no secret
query values), the RFC 7807 ``title``, ``detail`` and ``type`` when the server sent them, and
a bounded excerpt of the body. Secrets never appear in the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import DagRun, TaskInstance

BODY_EXCERPT_LIMIT = 500


class AirflowClientError(Exception):
    """Base class of every error raised by airflow-client-ext."""


class ConfigurationError(AirflowClientError):
    """The client was configured wrongly: a bad URL, a missing setting, a wrong auth."""


class TransportError(AirflowClientError):
    """The request got no HTTP answer: DNS failure, refused or reset connection, timeout, TLS.

    ``__cause__`` holds the underlying urllib3 error.
    """

    def __init__(self, message: str, *, method: str = "", path: str = "", retries: int = 0):
        super().__init__(message)
        self.method = method
        self.path = path
        self.retries = retries


class ApiError(AirflowClientError):
    """A non-2xx answer from the server."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        path: str,
        title: str | None = None,
        detail: Any = None,
        type: str | None = None,  # the RFC 7807 member's name
        body_excerpt: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path
        self.title = title
        self.detail = detail
        self.type = type
        self.body_excerpt = body_excerpt
        self.headers = headers or {}

    def __repr__(self) -> str:
        name = self.__class__.__name__
        return f"{name}(status={self.status}, method={self.method!r}, path={self.path!r})"


class BadRequestError(ApiError):
    """400 (and 405, 406, 415, 422): the request was malformed or failed validation."""


class AuthenticationError(ApiError):
    """The server did not accept the credentials, or none were sent."""


class PermissionDeniedError(ApiError):
    """403: the user is known but lacks the permission."""


class NotFoundError(ApiError):
    """404: no such resource (DAG, run, variable, ...), or no such endpoint on this server."""


class ConflictError(ApiError):
    """409: the resource already exists, or conflicts with its current state."""


class RateLimitError(ApiError):
    """429: too many requests; retried by default, raised when retries are exhausted."""


class ServerError(ApiError):
    """5xx: the server (or a proxy in front of it) failed."""


class UnexpectedResponseError(AirflowClientError):
    """A 2xx answer that is not what the API sends: an HTML login page, a proxy's page, ..."""

    def __init__(self, message: str, *, status: int, method: str, path: str, body_excerpt: str):
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path
        self.body_excerpt = body_excerpt


class InvalidResponseError(UnexpectedResponseError):
    """A 2xx answer this client cannot read as the operation's model: JSON that is truncated
    or not JSON at all, an empty body, a content type other than JSON, or a well-formed answer
    that does not fit the generated model (a pydantic ``ValidationError``, kept as
    ``__cause__``).

    ``operation`` is the generated method (``"DagRunApi.get_dag_run"``) when known, ``fields``
    the paths of the fields that did not fit (``["state"]``), ``server_version`` the server's
    Airflow version (``"unknown"`` when it was not detected), ``body_excerpt`` a bounded,
    redacted start of the body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        path: str,
        body_excerpt: str,
        operation: str | None = None,
        fields: Sequence[str] = (),
        server_version: str = "unknown",
        content_type: str = "",
    ) -> None:
        super().__init__(
            message, status=status, method=method, path=path, body_excerpt=body_excerpt
        )
        self.operation = operation
        self.fields = list(fields)
        self.server_version = server_version
        self.content_type = content_type

    def __repr__(self) -> str:
        return (
            f"InvalidResponseError(status={self.status}, method={self.method!r}, "
            f"path={self.path!r}, operation={self.operation!r}, fields={self.fields!r})"
        )


class ResponseLimitError(TransportError):
    """An answer went past a limit of the transport while its body was read: larger than
    ``max_body_bytes`` (``limit="max_body_bytes"``) or slower than ``max_body_seconds``
    (``limit="max_body_seconds"``). ``value`` is the limit, ``received`` the bytes read."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        retries: int = 0,
        limit: str,
        value: float,
        received: int,
    ) -> None:
        super().__init__(message, method=method, path=path, retries=retries)
        self.limit = limit
        self.value = value
        self.received = received


class InvalidArgumentError(AirflowClientError, ValueError):
    """A call was given a value that cannot be sent (an empty ``dag_id``, a ``conf`` that is
    not a JSON object, a naive ``logical_date``, a ``timeout`` of 0, ...), found before
    anything is sent. The message names the argument and what it may be; ``argument`` is
    its name (None when the error is about a whole document)."""

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class InvalidSettingError(ConfigurationError, InvalidArgumentError):
    """A client setting that cannot work (a URL without a host, an auth that is not an
    ``Auth``, a timeout of 0, a ``RetryPolicy`` with a negative delay, an empty password),
    found before anything is sent. Both a :class:`ConfigurationError` and an
    :class:`InvalidArgumentError` (so a ``ValueError``)."""


class UnsupportedFeatureError(AirflowClientError):
    """The server's Airflow version does not have a feature the call needs.

    Decided from the detected server version and the table of
    :mod:`airflow_client_ext.features`, before anything is sent. ``feature`` is the table's
    name, ``since`` the first Airflow version that has it (``None``: no version of this
    server's major), ``server_version`` what the server reported.
    """

    def __init__(
        self, message: str, *, feature: str, since: str | None, server_version: str
    ) -> None:
        super().__init__(message)
        self.feature = feature
        self.since = since
        self.server_version = server_version


class WorkflowError(AirflowClientError):
    """A workflow could not reach its goal although every HTTP call succeeded."""


class DagPausedError(WorkflowError):
    """A trigger of a paused DAG: the run would sit queued until someone unpauses it.

    Pass ``unpause=True`` to unpause the DAG first.
    """

    def __init__(self, message: str, *, dag_id: str) -> None:
        super().__init__(message)
        self.dag_id = dag_id


class DagRunFailedError(WorkflowError):
    """A DAG run ended ``failed``.

    ``run`` is the final :class:`~airflow_client_ext.models.DagRun`,
    ``failed_task_instances`` its task instances in state ``failed``, and ``log_tails`` maps
    each failed task instance's key (``"extract"``, ``"double[7]"``) to a bounded tail of its
    log (the last lines of its latest try).
    """

    def __init__(
        self,
        message: str,
        *,
        run: DagRun,
        failed_task_instances: Sequence[TaskInstance] = (),
        log_tails: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.run = run
        self.failed_task_instances = list(failed_task_instances)
        self.log_tails = dict(log_tails or {})

    @property
    def dag_id(self) -> str:
        return self.run.dag_id

    @property
    def run_id(self) -> str:
        return self.run.run_id


class WaitTimeoutError(WorkflowError, TimeoutError):
    """A wait ran out of time. ``timeout`` is the limit in seconds; ``last_run`` the last
    :class:`~airflow_client_ext.models.DagRun` seen (None when waiting for something else,
    e.g. a DAG to be parsed); ``last_state`` the last state seen, as text."""

    def __init__(
        self,
        message: str,
        *,
        timeout: float,
        last_run: DagRun | None = None,
        last_state: str | None = None,
    ) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.last_run = last_run
        self.last_state = (
            last_state
            if last_state is not None
            else (last_run.state if last_run is not None else None)
        )


def error_class_for(status: int) -> type[ApiError]:
    """The class of the hierarchy for an HTTP status (403 is refined by the transport)."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return BadRequestError


__all__ = [
    "AirflowClientError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "DagPausedError",
    "DagRunFailedError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "InvalidSettingError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseLimitError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "WaitTimeoutError",
    "WorkflowError",
    "error_class_for",
]


# -- backfills --------------------------------------------------------------------------------
class UnsupportedScheduleError(WorkflowError):
    """A backfill on Airflow 2 of a DAG whose logical dates the client cannot compute: no
    schedule, ``@once``, ``@continuous``, a dataset schedule or a custom timetable (see
    :mod:`airflow_client_ext._schedule`). ``dag_id`` names the DAG, ``schedule`` the schedule
    as the server described it (None: no schedule)."""

    def __init__(self, message: str, *, dag_id: str = "", schedule: str | None = "") -> None:
        super().__init__(message)
        self.dag_id = dag_id
        self.schedule = schedule


class BackfillConflictError(ConflictError):
    """409: a backfill of the DAG is already running (Airflow 3 allows one per DAG).
    ``backfill_id`` is the running one's id (None if it could not be found)."""

    backfill_id: int | None = None


class BackfillFailedError(DagRunFailedError):
    """Runs of a backfill ended ``failed``.

    ``failures`` holds one :class:`DagRunFailedError` per failed run (its failed task
    instances and their log tails, for the first few runs), in logical date order; ``run``,
    ``failed_task_instances`` and ``log_tails`` are those of all of them together (the keys
    of ``log_tails`` are ``"<run_id>:<task key>"``); ``backfill`` is the
    :class:`~airflow_client_ext.models.Backfill` with the runs as last seen.
    """

    def __init__(
        self, message: str, *, failures: Sequence[DagRunFailedError], backfill: Any
    ) -> None:
        tails = {
            f"{failure.run.run_id}:{key}": tail
            for failure in failures
            for key, tail in failure.log_tails.items()
        }
        super().__init__(
            message,
            run=failures[0].run,
            failed_task_instances=[ti for f in failures for ti in f.failed_task_instances],
            log_tails=tails,
        )
        self.failures = list(failures)
        self.backfill = backfill


class BackfillIncompleteError(AirflowClientError):
    """Airflow 3 made a backfill without some of its runs (its creation failed part-way:
    a 5xx; SQLite's "database is locked" under a busy scheduler does it). ``backfill`` is
    what was made, ``missing`` the logical dates that have no run. The same call again, once
    that backfill has ended, makes only the missing runs."""

    def __init__(self, message: str, *, backfill: Any, missing: Sequence[Any]) -> None:
        super().__init__(message)
        self.backfill = backfill
        self.missing = tuple(missing)


__all__ += [
    "BackfillConflictError",
    "BackfillFailedError",
    "BackfillIncompleteError",
    "UnsupportedScheduleError",
]
