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
    ├── TransportError                 no HTTP answer: DNS, refused, reset, timeout, TLS
    └── ConfigurationError             the client was set up wrongly (URL, auth, environment)

Each carries what a person needs to act: status, method, URL path (no credentials, no secret
query values), the RFC 7807 ``title``, ``detail`` and ``type`` when the server sent them, and
a bounded excerpt of the body. Secrets never appear in the message.
"""

from __future__ import annotations

from typing import Any

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
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "error_class_for",
]
