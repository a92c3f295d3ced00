"""The seam: one transport under every generated client.

Each generated ``ApiClient`` builds its request (URL, headers, JSON body) and hands it to
``rest_client.pool_manager.request(...)``. :class:`Transport` takes that place: it has the
``request`` signature of urllib3's ``PoolManager`` and owns, for every call of every
generated API, the auth flow, retries and backoff, timeouts, TLS, proxies, the user agent,
logging with redaction and the mapping of answers to the typed errors of
:mod:`airflow_client_ext.errors`. Nothing else in the package does HTTP.
"""

from __future__ import annotations

import functools
import json
import logging
import platform
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
    SSLError,
)
from urllib3.util.retry import Retry

from . import __version__
from ._body import (
    DEFAULT_MAX_BODY_BYTES,
    ERROR_BODY_PREFIX,
    BodyLimitHit,
    BodyTooLarge,
    body_seconds,
    iter_body,
    load_body,
)
from ._http import (
    SENSITIVE_HEADERS,
    Request,
    describe_detail,
    read_problem,
    redact_headers,
    redact_text,
    safe_path,
    safe_url,
)
from .auth import Auth, NoAuth
from .errors import (
    BODY_EXCERPT_LIMIT,
    ApiError,
    AuthenticationError,
    PermissionDeniedError,
    ResponseLimitError,
    TransportError,
    UnexpectedResponseError,
    error_class_for,
)
from .retry import DEFAULT_RETRY, IDEMPOTENT_METHODS, RetryPolicy

logger = logging.getLogger("airflow_client_ext.transport")

DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)
USER_AGENT = f"airflow-client-ext/{__version__} python/{platform.python_version()}"

#: A trigger: its body may carry a client-chosen ``dag_run_id``, an idempotency key.
_TRIGGER_PATH = re.compile(r"/api/v[12]/dags/[^/]+/dagRuns$")

# urllib3 errors that mean the connection was never made: the request did not leave.
_NOT_SENT = (NewConnectionError, ConnectTimeoutError, NameResolutionError, ProxyError)


def as_timeout(value: float | tuple[float, float] | urllib3.Timeout | None) -> urllib3.Timeout:
    """A finite urllib3 Timeout from seconds, (connect, read), a Timeout, or None (default)."""
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, urllib3.Timeout):
        return value
    if isinstance(value, tuple):
        return urllib3.Timeout(connect=value[0], read=value[1])
    return urllib3.Timeout(connect=min(float(value), 10.0), read=float(value))


@dataclass
class TransportStats:
    """Counters a test or a curious user can read: what the transport really did."""

    requests: int = 0  # HTTP requests sent (logins and retries included)
    retries: int = 0  # attempts after the first
    deduplicated_triggers: int = 0  # retried triggers recognised as already done

    def snapshot(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "deduplicated_triggers": self.deduplicated_triggers,
        }


@dataclass
class _Shared:
    """State shared by a transport and its ``with_options`` copies: pools and verdicts."""

    direct: urllib3.PoolManager
    proxied: urllib3.ProxyManager | None
    proxy_url: str | None
    stats: TransportStats = field(default_factory=TransportStats)
    #: True once credentials got a 2xx from /api/v1: a later 403 is a permission matter
    v1_credentials_verified: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class Transport:
    """Sends requests for the generated clients and the workflows. Thread-safe."""

    def __init__(
        self,
        *,
        auth: Auth | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float | tuple[float, float] | urllib3.Timeout | None = None,
        verify: bool = True,
        ca_bundle: str | None = None,
        client_cert: str | tuple[str, str] | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        user_agent: str | None = None,
        max_redirects: int = 5,
        pool_maxsize: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_body_seconds: float | None = None,
    ) -> None:
        self.auth = auth or NoAuth()
        self.retry = retry
        self.timeout = as_timeout(timeout)
        #: the largest body read whole (decoded bytes); see :mod:`airflow_client_ext._body`
        self.max_body_bytes = _positive("max_body_bytes", max_body_bytes)
        #: the time one body may take to arrive; None: five read timeouts, at least 30 s
        self.max_body_seconds = (
            None if max_body_seconds is None else _positive("max_body_seconds", max_body_seconds)
        )
        self.user_agent = user_agent or USER_AGENT
        self.max_redirects = max_redirects
        self._sleep = sleep
        pool_kw: dict[str, Any] = {"maxsize": pool_maxsize, "block": False}
        if verify:
            pool_kw["cert_reqs"] = "CERT_REQUIRED"
            if ca_bundle:
                pool_kw["ca_certs"] = ca_bundle
        else:
            pool_kw["cert_reqs"] = "CERT_NONE"
            logger.warning("TLS certificate verification is off (verify=False)")
        if client_cert:
            cert, key = client_cert if isinstance(client_cert, tuple) else (client_cert, None)
            pool_kw["cert_file"], pool_kw["key_file"] = cert, key
        if proxy is None and trust_env:
            env = urllib.request.getproxies_environment()
            proxy = env.get("https") or env.get("http")
            self._trust_env_bypass = True
        else:
            self._trust_env_bypass = False
        self._shared = _Shared(
            direct=urllib3.PoolManager(num_pools=8, **pool_kw),
            proxied=urllib3.ProxyManager(proxy, num_pools=8, **pool_kw) if proxy else None,
            proxy_url=proxy,
        )

    # -- options ----------------------------------------------------------------------------
    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] | urllib3.Timeout | None = None,
        auth: Auth | None = None,
        max_body_bytes: int | None = None,
        max_body_seconds: float | None = None,
    ) -> Transport:
        """A copy with other retry, timeout, body limits or auth settings, sharing pools and
        counters (and the auth unless one is given: e.g. Starship's web login on Airflow 2)."""
        clone = object.__new__(Transport)
        clone.__dict__.update(self.__dict__)
        if auth is not None:
            clone.auth = auth
        if max_body_bytes is not None:
            clone.max_body_bytes = _positive("max_body_bytes", max_body_bytes)
        if max_body_seconds is not None:
            clone.max_body_seconds = _positive("max_body_seconds", max_body_seconds)
        if retry is not None:
            clone.retry = retry
        if timeout is not None:
            clone.timeout = as_timeout(timeout)
        return clone

    @property
    def stats(self) -> TransportStats:
        return self._shared.stats

    def close(self) -> None:
        self._shared.direct.clear()
        if self._shared.proxied is not None:
            self._shared.proxied.clear()

    def __repr__(self) -> str:
        proxy = f", proxy={safe_url(self._shared.proxy_url)!r}" if self._shared.proxy_url else ""
        return f"Transport(auth={self.auth!r}, retry={self.retry!r}{proxy})"

    # -- the PoolManager face the generated rest clients call -------------------------------
    def request(
        self,
        method: str,
        url: str,
        body: bytes | str | None = None,
        fields: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: urllib3.Timeout | float | None = None,
        preload_content: bool = True,
        encode_multipart: bool = True,
        **_: Any,
    ) -> urllib3.BaseHTTPResponse:
        request = Request(
            method=method.upper(),
            url=url,
            headers=dict(headers or {}),
            body=body,
            fields=fields or None,
            encode_multipart=encode_multipart,
        )
        # The generated code asks for preload_content=False and then reads the whole body;
        # loading it here lets the loop inspect and retry. Streams use send() directly.
        return self.send(request, timeout=timeout, preload_content=True)

    def stream_body(self, request: Request, response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        """The chunks of a streamed answer (``send(..., preload_content=False)``) within
        ``max_body_seconds``; a body that breaks off or trickles raises TransportError
        (:class:`ResponseLimitError` for the deadline). Not retried: the caller has the
        chunks already read."""
        seconds = body_seconds(self.max_body_seconds, self.timeout)
        try:
            yield from iter_body(response, seconds)
        except HTTPError as exc:
            raise self.body_error(request, exc) from exc

    def body_error(self, request: Request, exc: HTTPError) -> TransportError:
        """The typed error for a body that could not be read (or went past a limit)."""
        return self._transport_error(request, exc, 0, sent=True)

    # -- the loop ---------------------------------------------------------------------------
    def send(
        self,
        request: Request,
        *,
        timeout: urllib3.Timeout | float | None = None,
        preload_content: bool = True,
        auth: Auth | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send with auth and retries; return a 2xx response or raise one typed error.

        With ``preload_content`` the body is read within the body limits: a body past
        ``max_body_bytes`` raises :class:`ResponseLimitError` at once (the same request would
        get the same answer); one slower than ``max_body_seconds`` counts as a lost answer,
        like a read timeout: retried if the request is safe to repeat, then
        :class:`ResponseLimitError`. A streamed body (``preload_content=False``) is the
        caller's to read, e.g. with :func:`airflow_client_ext._body.iter_body`.
        """
        auth = auth or self.auth
        method = request.method
        run_id = _trigger_run_id(request)
        repeatable = method in IDEMPOTENT_METHODS or run_id is not None
        effective_timeout = as_timeout(timeout) if timeout is not None else self.timeout
        attempt = 0
        while True:
            if attempt:
                self._shared.stats.retries += 1
            try:
                response = self._attempt(request, auth, effective_timeout, preload_content)
            except _NOT_SENT as exc:
                if self.retry.retries_connect_error(attempt):
                    self._wait(attempt, request, f"connection failed ({_reason(exc)})", None)
                    attempt += 1
                    continue
                raise self._transport_error(request, exc, attempt, sent=False) from exc
            except SSLError as exc:
                raise self._transport_error(request, exc, attempt, sent=False) from exc
            except BodyTooLarge as exc:
                raise self._transport_error(request, exc, attempt, sent=True) from exc
            except HTTPError as exc:  # read timeout, reset or protocol error after sending
                safe = repeatable or getattr(exc, "auth_step", False)
                if self.retry.retries_lost_request(attempt, repeatable=safe):
                    self._wait(attempt, request, f"no answer ({_reason(exc)})", None)
                    attempt += 1
                    continue
                raise self._transport_error(
                    request, exc, attempt, sent=True, repeatable=safe
                ) from exc

            status = response.status
            if 200 <= status < 300:
                self._check_body(request, response)
                if "/api/v1/" in request.url and not isinstance(auth, NoAuth):
                    self._shared.v1_credentials_verified = True
                return response
            if request.redirect_is_answer and 300 <= status < 400:
                return response
            if status == 409 and run_id is not None and attempt > 0:
                existing = self._same_trigger(request, run_id, auth)
                if existing is not None:
                    return existing
            if self.retry.retries_status(attempt, status, repeatable=repeatable):
                delay = self.retry.retry_after(response.headers.get("Retry-After"))
                self._wait(attempt, request, f"answer {status}", delay)
                attempt += 1
                continue
            raise self._api_error(request, response, auth, attempt)

    def _attempt(
        self,
        original: Request,
        auth: Auth,
        timeout: urllib3.Timeout,
        preload_content: bool,
    ) -> urllib3.BaseHTTPResponse:
        """One attempt: a fresh copy of the request through a fresh run of the auth flow."""
        request = Request(
            method=original.method,
            url=original.url,
            headers={"User-Agent": self.user_agent, **original.headers},
            body=original.body,
            fields=original.fields,
            encode_multipart=original.encode_multipart,
            follow_redirects=original.follow_redirects,
            redirect_is_answer=original.redirect_is_answer,
        )
        flow = auth.auth_flow(request)
        try:
            outgoing = next(flow)
            while True:
                try:
                    response = self._urlopen(outgoing, auth, timeout, preload_content)
                except HTTPError as exc:
                    # lost on the auth flow's own request (a login): the call itself was not
                    # sent, so repeating it is safe whatever its method
                    exc.auth_step = outgoing is not request  # type: ignore[attr-defined]
                    raise
                try:
                    outgoing = flow.send(response)
                except StopIteration:
                    return response
                response.drain_conn()
        finally:
            flow.close()

    def _urlopen(
        self, request: Request, auth: Auth, timeout: urllib3.Timeout, preload_content: bool
    ) -> urllib3.BaseHTTPResponse:
        request.headers.setdefault("User-Agent", self.user_agent)  # logins made by flows too
        # urllib3 follows redirects only; it drops secret headers when the host changes
        redirects = _redirect_policy(
            self.max_redirects if request.follow_redirects else 0, auth.sensitive_headers
        )
        self._shared.stats.requests += 1
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            started = time.monotonic()
            logger.debug(
                "%s %s headers=%s",
                request.method,
                safe_url(request.url),
                redact_headers(request.headers, SENSITIVE_HEADERS | auth.sensitive_headers),
            )
        extra: dict[str, Any] = {}
        if request.fields:
            extra = {"fields": request.fields, "encode_multipart": request.encode_multipart}
        try:
            response = self._manager_for(request.url).request(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers,
                timeout=timeout,
                retries=redirects,
                preload_content=False,
                **extra,
            )
            if preload_content:
                success = 200 <= response.status < 300
                response = load_body(
                    response,
                    max_bytes=self.max_body_bytes if success else ERROR_BODY_PREFIX,
                    seconds=body_seconds(self.max_body_seconds, timeout),
                    prefix=not success,
                )
        except MaxRetryError as exc:
            raise (exc.reason or exc) from None
        if debug:
            logger.debug(
                "%s %s -> %s in %.0f ms",
                request.method,
                safe_path(request.url),
                response.status,
                (time.monotonic() - started) * 1000,
            )
        return response

    def _manager_for(self, url: str) -> urllib3.PoolManager:
        shared = self._shared
        if shared.proxied is None:
            return shared.direct
        if self._trust_env_bypass:
            host = urlsplit(url).hostname or ""
            if urllib.request.proxy_bypass_environment(host):  # type: ignore[attr-defined]
                return shared.direct
        return shared.proxied

    def _wait(self, attempt: int, request: Request, why: str, delay: float | None) -> None:
        seconds = delay if delay is not None else self.retry.backoff(attempt)
        logger.info(
            "retry %d/%d of %s %s in %.2f s after %s",
            attempt + 1,
            self.retry.total,
            request.method,
            safe_path(request.url),
            seconds,
            why,
        )
        self._sleep(seconds)

    # -- answers ----------------------------------------------------------------------------
    def _check_body(self, request: Request, response: urllib3.BaseHTTPResponse) -> None:
        """A 2xx that the API would never send (an HTML page): a clear error, not a
        JSONDecodeError deep in the generated code."""
        wants_json = "json" in request.headers.get("Accept", "")
        content_type = response.headers.get("Content-Type", "")
        # no body is no page, whatever its Content-Type (Airflow 2 labels its 204s and its
        # empty 201s text/html)
        if response.status == 204 or not wants_json or "html" not in content_type.lower():
            return
        if not response.data:
            return
        excerpt = read_problem(response.data, content_type, 200).excerpt
        login = "/login" in (response.geturl() or "")
        hint = (
            "the server redirected to its login page: the API did not accept the credentials"
            if login
            else "expected Airflow's JSON; is the URL that of the Airflow API server (or is a "
            "proxy answering in its place)?"
        )
        raise UnexpectedResponseError(
            f"{request.method} {safe_path(request.url)} answered {response.status} with an "
            f"HTML page: {hint}. Page starts: {excerpt}",
            status=response.status,
            method=request.method,
            path=safe_path(request.url),
            body_excerpt=excerpt,
        )

    def _same_trigger(
        self, request: Request, run_id: str, auth: Auth
    ) -> urllib3.BaseHTTPResponse | None:
        """A retried trigger answered 409: did our first attempt create the run?"""
        url = f"{request.url}/{quote(run_id, safe='')}"
        lookup = Request("GET", url, headers={"Accept": "application/json"})
        response = self.send(lookup, auth=auth)
        try:
            sent_conf = json.loads(request.body or "{}").get("conf") or {}
            existing_conf = json.loads(response.data).get("conf") or {}
        except ValueError:
            return None
        if sent_conf != existing_conf:
            return None
        self._shared.stats.deduplicated_triggers += 1
        logger.info(
            "trigger of run %r was retried and the first attempt had created it: not a second run",
            run_id,
        )
        return response

    def _transport_error(
        self,
        request: Request,
        exc: BaseException,
        attempt: int,
        *,
        sent: bool,
        repeatable: bool = True,
    ) -> TransportError:
        where = f"{request.method} {safe_url(request.url)}"
        tries = f" after {attempt + 1} attempts" if attempt else ""
        if isinstance(exc, BodyLimitHit):
            return ResponseLimitError(
                f"{where} failed{tries}: {exc}.",
                method=request.method,
                path=safe_path(request.url),
                retries=attempt,
                limit=exc.limit,
                value=exc.value,
                received=exc.received,
            )
        if isinstance(exc, SSLError):
            hint = " Check the certificate (ca_bundle=..., or verify=False for a test server)."
        elif not sent:
            hint = " Is the server up and the URL right?"
        elif not repeatable:
            hint = (
                f" The request may have reached the server; a {request.method} is not "
                "repeated without an idempotency key, so check its effect before sending again."
            )
        else:
            hint = ""
        message = f"{where} failed{tries}: {_reason(exc)}.{hint}"
        return TransportError(
            message, method=request.method, path=safe_path(request.url), retries=attempt
        )

    def _api_error(
        self, request: Request, response: urllib3.BaseHTTPResponse, auth: Auth, attempt: int
    ) -> ApiError:
        status = response.status
        content_type = response.headers.get("Content-Type", "")
        problem = read_problem(response.data, content_type, BODY_EXCERPT_LIMIT)
        secrets = auth.secrets()
        path = safe_path(request.url)
        cls = error_class_for(status)
        # the server's words may echo what we sent: mask our secrets in them
        detail = redact_text(describe_detail(problem.detail), secrets)
        if not problem.is_json and problem.excerpt:
            kind = "an HTML page" if "html" in content_type.lower() else "a non-JSON body"
            detail = (
                f"the answer is {kind}, not Airflow's JSON (a proxy or load balancer in front "
                f"of Airflow?): {redact_text(problem.excerpt[:200], secrets)}"
            )
        summary = f"{status} {problem.title or response.reason or ''}".strip()
        tries = f" (after {attempt + 1} attempts)" if attempt else ""
        message = f"{request.method} {path} -> {summary}{tries}" + (f": {detail}" if detail else "")

        if status in (401, 403):
            cls, message = self._classify_auth_failure(request, status, detail, auth, message)
        elif status == 404:
            message += ". Not found on this server (wrong name, or an endpoint this Airflow "
            message += "version does not have)."
        kwargs: dict[str, Any] = {
            "status": status,
            "method": request.method,
            "path": path,
            "title": problem.title,
            "detail": problem.detail,
            "type": problem.type,
            "body_excerpt": redact_text(problem.excerpt, secrets),
            "headers": redact_headers(dict(response.headers), SENSITIVE_HEADERS),
        }
        return cls(message, **kwargs)

    def _classify_auth_failure(
        self, request: Request, status: int, detail: str, auth: Auth, message: str
    ) -> tuple[type[ApiError], str]:
        """One place for "is this bad credentials or a missing permission?".

        Airflow 3 answers 401 for missing or expired credentials and 403 "Invalid JWT token"
        for a bad token. Airflow 2 answers the same 403 for a wrong password, for no
        credentials and for a user without the permission; we tell them apart with one
        probe that any user with a role passes, unless these credentials already got a 2xx.
        """
        where = f"at {safe_url(request.url)}"
        who = auth.describe()
        v1 = "/api/v1/" in request.url
        if isinstance(auth, NoAuth):
            return AuthenticationError, (
                f"{message}. No credentials were sent {where}: pass auth=TokenAuth(user, "
                "password) (or BasicAuth on Airflow 2), or set AIRFLOW_USERNAME and "
                "AIRFLOW_PASSWORD for AirflowClient.from_env()."
            )
        if status == 401 or (not v1 and "jwt" in detail.lower()):
            hint = ""
            if "/api/v2/" in request.url and auth.scheme == "basic auth":
                hint = (
                    " Airflow 3 (/api/v2) does not accept basic auth: use "
                    "TokenAuth(username, password)."
                )
            return AuthenticationError, (
                f"{message}. Authentication failed for {who} {where}: check the credentials." + hint
            )
        if not v1:
            return PermissionDeniedError, f"{message}. {who} is not allowed to do this."
        if self._shared.v1_credentials_verified or self._v1_probe_passes(request, auth):
            return PermissionDeniedError, (
                f"{message}. {who} is authenticated but lacks the permission for this call."
            )
        return AuthenticationError, (
            f"{message}. Authentication failed for {who} {where}: Airflow 2 answers 403 both "
            "for a wrong username or password and for a user without any role. Check the "
            "credentials, and that [api] auth_backends includes "
            "airflow.api.auth.backend.basic_auth."
        )

    def _v1_probe_passes(self, request: Request, auth: Auth) -> bool:
        root = request.url[: request.url.index("/api/v1/")]
        probe = Request("GET", f"{root}/api/v1/dags?limit=1", {"Accept": "application/json"})
        try:
            response = self._attempt(probe, auth, self.timeout, True)
        except HTTPError:
            return False
        if 200 <= response.status < 300:
            self._shared.v1_credentials_verified = True
            return True
        return False


@functools.lru_cache(maxsize=64)
def _redirect_policy(max_redirects: int, auth_sensitive: frozenset[str]) -> Retry:
    """The urllib3 Retry of one request: redirects only (the loop of :meth:`Transport.send`
    does the retrying), dropping the sensitive headers (ours and the auth's) on a redirect to
    another host. urllib3 never changes a Retry (each step makes a new one), so one serves
    every request."""
    return Retry(
        total=max_redirects,
        connect=0,
        read=0,
        status=0,
        other=0,
        redirect=max_redirects,
        raise_on_redirect=False,
        # else urllib3 takes a 413/429/503 with Retry-After to a GET or PUT for a status
        # retry and, with status=0, raises "too many 503 error responses" (no answer)
        respect_retry_after_header=False,
        raise_on_status=False,
        remove_headers_on_redirect=SENSITIVE_HEADERS | auth_sensitive,
    )


def _trigger_run_id(request: Request) -> str | None:
    """The client-chosen run id of a trigger, which makes repeating the POST safe."""
    if request.method != "POST" or not _TRIGGER_PATH.search(urlsplit(request.url).path):
        return None
    try:
        body = json.loads(request.body or "")
    except (ValueError, TypeError):
        return None
    run_id = body.get("dag_run_id") if isinstance(body, dict) else None
    return str(run_id) if run_id else None


_N = TypeVar("_N", int, float)


def _positive(name: str, value: _N) -> _N:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return value


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    return re.sub(r"<urllib3[^>]*>:?\s*", "", text) or type(exc).__name__


__all__ = ["DEFAULT_TIMEOUT", "Transport", "TransportStats", "as_timeout"]
