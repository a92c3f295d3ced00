"""Authentication as small flows that can answer a challenge and re-send once.

An auth is a generator, :meth:`Auth.auth_flow`, in the shape of httpx's: it yields the
request to send (after adding its headers), receives the response, and may yield again: a
token request before the real one, or the same request once more after a 401 (a refreshed
token, a fresh Kerberos token). The transport drives it; every attempt of a retry runs the
flow anew, so single-use credentials are never re-sent.

=================  ============================  =========================================
auth               Airflow 2 (``/api/v1``)        Airflow 3 (``/api/v2``)
=================  ============================  =========================================
``BasicAuth``      basic auth backend             not accepted by Airflow 3
``TokenAuth``      sent as basic auth             ``POST /auth/token``, JWT cached and renewed
``BearerAuth``     a bearer backend (custom)      a token you got elsewhere (or a callable)
``HeaderAuth``     a plugin's raw header          a plugin's raw header
``WebLoginAuth``   the webserver's login form     (not needed: use TokenAuth)
                   (Starship, UI-only routes)
=================  ============================  =========================================

No auth object ever shows a secret in its ``repr``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Generator
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from . import _checks
from ._http import Request, safe_url

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

AuthFlow = Generator[Request, "BaseHTTPResponse", None]


class Auth:
    """Base class: sends the request unchanged. Subclasses add headers or challenges."""

    #: lower-case header names whose values are secrets (redacted, dropped on redirect)
    sensitive_headers: frozenset[str] = frozenset()
    #: a human name for the scheme, for error messages
    scheme: str = "no auth"

    def auth_flow(self, request: Request) -> AuthFlow:
        yield request

    @property
    def principal(self) -> str | None:
        """The user the credentials speak for, if known (for error messages)."""
        return None

    def secrets(self) -> list[str]:
        """Secret values to mask in any text shown to a person."""
        return []

    def describe(self) -> str:
        return f"{self.scheme} as {self.principal!r}" if self.principal else self.scheme

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NoAuth(Auth):
    """Send no credentials (a public endpoint, or auth done by a proxy in front)."""


def _basic_header(username: str, password: str) -> str:
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class BasicAuth(Auth):
    """HTTP basic auth: Airflow 2 with ``airflow.api.auth.backend.basic_auth``.

    On ``/api/v1`` it logs in once through the webserver's session (see
    :class:`_SessionLogin`) where the server takes it, because Airflow 2 hashes the password
    on every basic-auth request (about 120 ms of server time each); ``session=False`` sends
    basic auth on every request.
    """

    sensitive_headers = frozenset({"authorization", "cookie"})
    scheme = "basic auth"

    def __init__(self, username: str, password: str, *, session: bool = True) -> None:
        _check_credentials("BasicAuth", username, password, basic=True)
        _checks.check_flag("BasicAuth.session", session, setting=True)
        self.username = username
        self._password = password
        self._header = _basic_header(username, password)
        self._session = _SessionLogin(username, password) if session else None

    @property
    def principal(self) -> str:
        return self.username

    def secrets(self) -> list[str]:
        found = [self._password, self._header.split(" ", 1)[1]]
        return found + (self._session.secrets() if self._session else [])

    def auth_flow(self, request: Request) -> AuthFlow:
        if self._session is not None and _is_v1(request.url):
            yield from self._session.flow(request, self._header)
            return
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"


def _check_credentials(owner: str, username: str, password: str, *, basic: bool = False) -> None:
    """A username and a password that can be sent (``basic``: no ':' in the username, which
    basic auth sends as ``username:password``)."""
    _checks.check_text(
        f"{owner}.username",
        username,
        no_colon=basic,
        context="basic auth sends username:password" if basic else "",
    )
    _checks.check_text(f"{owner}.password", password, secret=True)


def _api_root(url: str) -> str:
    """The server's root URL (with any path prefix) from an API URL."""
    index = url.find("/api/")
    if index < 0:
        index = url.find("/", url.find("//") + 2)
        return url if index < 0 else url[:index]
    return url[:index]


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (not verified: the server does that), or None."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
        return float(exp) if isinstance(exp, int | float) else None
    except (IndexError, ValueError, AttributeError):
        return None


class TokenAuth(Auth):
    """Username and password that work on both majors.

    On Airflow 3 it logs in with ``POST /auth/token``, caches the JWT, logs in again shortly
    before the token's ``exp`` and once more if the server answers 401 anyway (a restarted
    server with a new secret, a clock skew). Thread-safe: concurrent calls share one login.
    On Airflow 2 (``/api/v1``) it logs in once through the webserver's session where the
    server takes it, else (or with ``session=False``) sends the same credentials as basic
    auth; see :class:`BasicAuth`.
    """

    sensitive_headers = frozenset({"authorization", "cookie"})
    scheme = "token auth"

    def __init__(
        self,
        username: str,
        password: str,
        *,
        token_url: str | None = None,
        refresh_margin: float = 30.0,
        renew_early: bool = True,
        session: bool = True,
    ) -> None:
        _check_credentials("TokenAuth", username, password)
        _checks.check_flag("TokenAuth.session", session, setting=True)
        _checks.check_url("TokenAuth.token_url", token_url, none="<server>/auth/token")
        _checks.check_seconds("TokenAuth.refresh_margin", refresh_margin, zero=True, setting=True)
        _checks.check_flag("TokenAuth.renew_early", renew_early, setting=True)
        self.username = username
        self._password = password
        self.token_url = token_url
        self.refresh_margin = refresh_margin
        self.renew_early = renew_early
        self._basic = _basic_header(username, password)
        self._session = _SessionLogin(username, password) if session else None
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lifetime: float | None = None
        self._lock = threading.Lock()
        #: number of logins made (for tests and diagnostics)
        self.logins = 0

    @property
    def principal(self) -> str:
        return self.username

    def secrets(self) -> list[str]:
        found = [s for s in (self._password, self._basic.split(" ", 1)[1], self._token) if s]
        return found + (self._session.secrets() if self._session else [])

    def __repr__(self) -> str:
        state = "token cached" if self._token else "no token yet"
        return f"TokenAuth(username={self.username!r}, password=***, {state})"

    def _fresh(self) -> bool:
        """True while the cached token may be used: until ``refresh_margin`` seconds (at most
        a quarter of its lifetime) before its ``exp``; without ``renew_early``, until the
        server refuses it."""
        if self._token is None:
            return False
        if self._expires_at is None or not self.renew_early:
            return True
        margin = self.refresh_margin
        if self._lifetime:
            margin = min(margin, self._lifetime / 4)
        return time.time() < self._expires_at - margin

    def _login_request(self, url: str) -> Request:
        body = json.dumps({"username": self.username, "password": self._password})
        return Request(
            method="POST",
            url=self.token_url or f"{_api_root(url)}/auth/token",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=body,
        )

    def _store(self, response: BaseHTTPResponse, login: Request) -> bool:
        """Keep the token of a login answer. False: not a login answer (a 503, say), which
        the flow then hands back to the transport to retry or report."""
        from .errors import AuthenticationError

        if response.status not in (200, 201, 401, 403):
            return False
        token = None
        if response.status in (200, 201):
            try:
                token = json.loads(response.data).get("access_token")
            except (ValueError, AttributeError):
                token = None
        if not token:
            detail = response.data[:200].decode("utf-8", "replace")
            raise AuthenticationError(
                f"login as {self.username!r} failed: POST {safe_url(login.url)} answered "
                f"{response.status} ({detail.strip() or 'no body'}). Check the username and "
                "password; Airflow 3 takes them at /auth/token (simple or FAB auth manager).",
                status=response.status,
                method="POST",
                path="/auth/token",
            )
        self._token = token
        self._expires_at = jwt_expiry(token)
        self._lifetime = self._expires_at - time.time() if self._expires_at else None
        self.logins += 1
        return True

    def auth_flow(self, request: Request) -> AuthFlow:
        if _is_v1(request.url):
            if self._session is not None:
                yield from self._session.flow(request, self._basic)
                return
            request.headers["Authorization"] = self._basic
            yield request
            return
        with self._lock:
            if not self._fresh():
                login = self._login_request(request.url)
                if not self._store((yield login), login):
                    return
            used = self._token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if not _token_refused(response):
            return
        with self._lock:
            if self._token == used:  # nobody renewed it meanwhile
                login = self._login_request(request.url)
                if not self._store((yield login), login):
                    return
            used = self._token
        request.headers["Authorization"] = f"Bearer {used}"
        yield request


def _token_refused(response: BaseHTTPResponse) -> bool:
    """Airflow 3 refuses an expired token with 401 and a token it cannot verify (signed with
    another secret, say after a restart) with 403 "Invalid JWT token": both call for a login."""
    if response.status == 401:
        return True
    return response.status == 403 and b"jwt" in (response.data or b"")[:200].lower()


class BearerAuth(Auth):
    """A bearer token from elsewhere (a platform's SSO, a secret store): a string, or a
    callable that returns one; a callable is asked again once when the server refuses the
    token (401, or Airflow 3's 403 "Invalid JWT token").
    """

    sensitive_headers = frozenset({"authorization"})
    scheme = "bearer token"

    def __init__(self, token: str | Callable[[], str]) -> None:
        if not callable(token):
            _checks.check_text(
                "BearerAuth.token", token, secret=True, token=True, context="or a callable"
            )
        self._source = token
        self._current: str | None = None

    def _get(self, refresh: bool = False) -> str:
        if isinstance(self._source, str):
            return self._source
        if self._current is None or refresh:
            self._current = self._source()
        return self._current

    def secrets(self) -> list[str]:
        current = self._source if isinstance(self._source, str) else self._current
        return [current] if current else []

    def auth_flow(self, request: Request) -> AuthFlow:
        request.headers["Authorization"] = f"Bearer {self._get()}"
        response = yield request
        if callable(self._source) and _token_refused(response):
            request.headers["Authorization"] = f"Bearer {self._get(refresh=True)}"
            yield request

    def __repr__(self) -> str:
        kind = "callable" if callable(self._source) else "***"
        return f"BearerAuth(token={kind})"


class HeaderAuth(Auth):
    """A raw header, as some plugins and gateways want (``X-API-Key: ...``)."""

    scheme = "header auth"

    def __init__(self, name: str, value: str) -> None:
        if not isinstance(name, str) or not _checks.HEADER_NAME.fullmatch(name):
            _checks.fail(
                "HeaderAuth.name",
                "a header name of letters, digits and !#$%&'*+-.^_`|~",
                name,
                setting=True,
            )
        _checks.check_text("HeaderAuth.value", value, secret=True, header=True)
        self.name = name
        self._value = value
        self.sensitive_headers = frozenset({name.lower()})

    def secrets(self) -> list[str]:
        return [self._value]

    def auth_flow(self, request: Request) -> AuthFlow:
        request.headers[self.name] = self._value
        yield request

    def __repr__(self) -> str:
        return f"HeaderAuth(name={self.name!r}, value=***)"


class _CsrfTokenFinder(HTMLParser):
    """Finds ``<input name="csrf_token" value="...">`` in Flask-AppBuilder's login page."""

    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input" and self.token is None:
            found = dict(attrs)
            if found.get("name") == "csrf_token" and found.get("value"):
                self.token = found["value"]


_REDIRECTS = (301, 302, 303, 307, 308)


def _redirects_to_login(response: BaseHTTPResponse, login_path: str) -> bool:
    if response.status not in _REDIRECTS:
        return False
    location = urlsplit(response.headers.get("Location", "")).path.rstrip("/")
    return location.endswith(login_path.rstrip("/"))


class WebLoginAuth(Auth):
    """Airflow 2's webserver login: for routes behind the UI's login, such as the Starship
    plugin's ``/api/starship`` (the API auth backends do not cover them).

    It logs in once through the login form (``GET /login/`` for the CSRF token, then
    ``POST /login/`` with it, the username and the password), keeps the session cookie,
    and logs in again when the session has ended (the server answers with a redirect to its
    login page). Thread-safe: concurrent calls share one login. Airflow 3 needs no such
    thing: its token (:class:`TokenAuth`) covers plugins too.

    The password and the cookies are secrets: never in its ``repr``, logs or errors.
    """

    sensitive_headers = frozenset({"cookie"})
    scheme = "web login"

    def __init__(
        self,
        username: str,
        password: str,
        *,
        login_path: str = "/login/",
        cookie_name: str = "session",
    ) -> None:
        _check_credentials("WebLoginAuth", username, password)
        if not isinstance(login_path, str) or not login_path.startswith("/"):
            _checks.fail(
                "WebLoginAuth.login_path", "a path starting with '/'", login_path, setting=True
            )
        _checks.check_id("WebLoginAuth.cookie_name", cookie_name, path=False)
        self.username = username
        self._password = password
        self.login_path = login_path
        self.cookie_name = cookie_name
        self._cookies: dict[str, str] = {}
        self._lock = threading.Lock()
        #: number of logins made (for tests and diagnostics)
        self.logins = 0

    @property
    def principal(self) -> str:
        return self.username

    def secrets(self) -> list[str]:
        return [s for s in (self._password, *self._cookies.values()) if s]

    def __repr__(self) -> str:
        state = "session cached" if self._cookies else "not logged in"
        return f"WebLoginAuth(username={self.username!r}, password=***, {state})"

    def auth_flow(self, request: Request) -> AuthFlow:
        request.follow_redirects = False  # a redirect to the login page is our signal
        with self._lock:
            if not self._cookies and not (yield from self._login(request.url)):
                return
            used = dict(self._cookies)
        request.headers["Cookie"] = _cookie_header(used)
        response = yield request
        if response.status != 401 and not _redirects_to_login(response, self.login_path):
            return
        with self._lock:
            if self._cookies == used:  # nobody logged in again meanwhile
                self._cookies = {}
                if not (yield from self._login(request.url)):
                    return
            used = dict(self._cookies)
        request.headers["Cookie"] = _cookie_header(used)
        yield request

    def _login(
        self, url: str, *, root: str | None = None
    ) -> Generator[Request, BaseHTTPResponse, bool]:
        """Log in (at ``root``, the server's root URL, or the root of the API URL ``url``);
        False hands a not-a-login answer (a 503, say) back to the transport."""
        from .errors import AuthenticationError

        login_url = (root if root is not None else _api_root(url)) + self.login_path
        page = yield Request(
            "GET", login_url, headers={"Accept": "text/html"}, follow_redirects=False
        )
        if page.status == 429 or page.status >= 500:
            return False
        finder = _CsrfTokenFinder()
        if page.status == 200:
            finder.feed(page.data.decode("utf-8", "replace"))
        if finder.token is None:
            raise AuthenticationError(
                f"web login as {self.username!r} failed: GET {safe_url(login_url)} answered "
                f"{page.status} without a login form (no csrf_token). WebLoginAuth is for "
                "Airflow 2's webserver; on Airflow 3 use TokenAuth.",
                status=page.status,
                method="GET",
                path=self.login_path,
            )
        cookies = _cookies_from(page, {})
        form = {"csrf_token": finder.token, "username": self.username, "password": self._password}
        answer = yield Request(
            "POST",
            login_url,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "text/html",
                "Cookie": _cookie_header(cookies),
            },
            body=urlencode(form),
            follow_redirects=False,
        )
        if answer.status == 429 or answer.status >= 500:
            return False
        cookies = _cookies_from(answer, cookies)
        if (
            answer.status not in _REDIRECTS
            or _redirects_to_login(answer, self.login_path)
            or self.cookie_name not in cookies
        ):
            raise AuthenticationError(
                f"web login as {self.username!r} failed: POST {safe_url(login_url)} answered "
                f"{answer.status}"
                + (" (back to the login page)" if answer.status in _REDIRECTS else "")
                + ". Check the username and password (a user of the webserver's auth "
                "manager, with the Admin role for Starship).",
                status=answer.status,
                method="POST",
                path=self.login_path,
            )
        self._cookies = cookies
        self.logins += 1
        return True


class WebFormAuth(Auth):
    """A post of one of Airflow 2's web forms (``/variable/varimport``, say), behind the
    webserver's login: the session of ``web`` (which logs in when it has none), and the
    CSRF token that the form's page (``form_path``) holds, read just before the post and
    sent in the request's fields with the cookies that came with it. The server's root URL
    (with any path prefix) is ``root``.

    A redirect to the login page (or a 401), at the page or at the post, means that the
    session ended before the post was carried out: it logs in again and tries once more,
    then raises :class:`~airflow_client_ext.errors.AuthenticationError`. A page that
    redirects elsewhere (Airflow 2 sends a user without the permission to its home page)
    raises :class:`~airflow_client_ext.errors.PermissionDeniedError`; any other page that is
    not a 2xx is the call's answer (a 404: no such form); a page without a CSRF token raises
    :class:`~airflow_client_ext.errors.UnexpectedResponseError`.
    """

    sensitive_headers = frozenset({"cookie"})
    scheme = "web login"

    def __init__(self, web: WebLoginAuth, root: str, form_path: str) -> None:
        self.web = web
        self.root = root.rstrip("/")
        self.form_path = form_path

    @property
    def principal(self) -> str:
        return self.web.username

    def secrets(self) -> list[str]:
        return self.web.secrets()

    def __repr__(self) -> str:
        return f"WebFormAuth({self.web!r}, form_path={self.form_path!r})"

    def auth_flow(self, request: Request) -> AuthFlow:
        from .errors import AuthenticationError, PermissionDeniedError, UnexpectedResponseError

        web = self.web
        request.follow_redirects = False
        fields = dict(request.fields or {})
        for _ in range(2):
            with web._lock:
                if not web._cookies and not (yield from web._login("", root=self.root)):
                    return
                used = dict(web._cookies)
            page = yield Request(
                "GET",
                self.root + self.form_path,
                headers={"Accept": "text/html", "Cookie": _cookie_header(used)},
                follow_redirects=False,
            )
            if self._session_ended(page, used):
                continue
            if page.status in _REDIRECTS:  # not the login page: the user lacks the permission
                raise PermissionDeniedError(
                    f"GET {self.form_path} redirected {web.username!r} elsewhere: the user may "
                    "not use this form of the webserver",
                    status=page.status,
                    method="GET",
                    path=self.form_path,
                )
            if not 200 <= page.status < 300:
                return  # the page's answer is the call's (a 404: no such form)
            finder = _CsrfTokenFinder()
            finder.feed(page.data.decode("utf-8", "replace"))
            if finder.token is None:
                raise UnexpectedResponseError(
                    f"GET {self.form_path} answered 200 without a form (no csrf_token): is "
                    "this Airflow 2's webserver?",
                    status=page.status,
                    method="GET",
                    path=self.form_path,
                    body_excerpt="",
                )
            request.fields = {**fields, "csrf_token": finder.token}
            request.headers["Cookie"] = _cookie_header(_cookies_from(page, used))
            response = yield request
            if not self._session_ended(response, used):
                return
        raise AuthenticationError(
            f"{request.method} {safe_url(request.url)}: the webserver sent {web.username!r} "
            "back to its login page right after a login; the session is not kept (check the "
            "webserver's secret_key and its session settings)",
            status=401,
            method=request.method,
            path=urlsplit(request.url).path,
        )

    def _session_ended(self, response: BaseHTTPResponse, used: dict[str, str]) -> bool:
        """True (and the session forgotten) if ``response`` sends the user to log in."""
        web = self.web
        if response.status != 401 and not _redirects_to_login(response, web.login_path):
            return False
        with web._lock:
            if web._cookies == used:  # nobody logged in again meanwhile
                web._cookies = {}
        return True


def _cookies_from(response: BaseHTTPResponse, cookies: dict[str, str]) -> dict[str, str]:
    """The cookies after a response's ``Set-Cookie`` headers (a cleared one is dropped)."""
    result = dict(cookies)
    for header in response.headers.getlist("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        for name, morsel in jar.items():
            if morsel.value and morsel["max-age"] not in ("0", 0):
                result[name] = morsel.value
            else:
                result.pop(name, None)
    return result


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def web_login_for(auth: Auth) -> WebLoginAuth | None:
    """A :class:`WebLoginAuth` with the username and password of ``auth`` (basic or token
    auth), for Airflow 2 routes behind the webserver's login; None for other kinds."""
    if isinstance(auth, WebLoginAuth):
        return auth
    if isinstance(auth, BasicAuth | TokenAuth):
        if auth._session is not None:  # one login for /api/v1 and the UI-only routes
            return auth._session.web
        return WebLoginAuth(auth.username, auth._password)
    return None


def _is_v1(url: str) -> bool:
    path = urlsplit(url).path
    return "/api/v1/" in path or path.endswith("/api/v1")


_REFUSED = (401, 403)


class _SessionLogin:
    """Airflow 2's session auth backend for ``/api/v1``: one login, then a cookie.

    Airflow 2 checks a basic-auth password with a deliberately slow hash on every request
    (about 120 ms of server time). Its default ``[api] auth_backends`` also include
    ``airflow.api.auth.backend.session``, which takes the webserver's login cookie. So once a
    client has sent ``basic_first`` requests (a one-off call never logs in), it logs in
    through the login form (:class:`WebLoginAuth`: one hash) and sends the cookie from then
    on. Whether the server takes it is learnt from the answers, never assumed:

    - an API answer of 401/403 to the cookie is sent again once with basic auth (a refused
      request was not carried out, so this is safe for a POST too). If basic auth passes,
      the cookie was the problem: before the session ever worked, the server does not take
      sessions (basic auth from then on); after, the session has ended (the next request
      logs in again). If basic auth is refused as well, that answer is the caller's (a
      wrong password, a missing permission), as with plain basic auth;
    - a login that fails (no login form: a webserver with another auth manager or a
      gateway; the form refuses the credentials) means basic auth from then on;
    - a login form that is busy or rate-limited (Flask-AppBuilder allows 5 logins per 40 s
      from one address by default: a 429; or a 5xx) means basic auth for ``cooldown``
      seconds, then another try. The call itself never waits for a login.

    Thread-safe: concurrent calls share one login (the lock of the :class:`WebLoginAuth`).
    """

    #: /api/v1 requests sent with basic auth before the first login
    basic_first = 2
    #: seconds of basic auth after the login form was busy or rate-limited
    cooldown = 60.0

    def __init__(self, username: str, password: str) -> None:
        self.web = WebLoginAuth(username, password)
        #: None: not known yet; True: the API took the session; False: basic auth only
        self.accepted: bool | None = None
        #: why sessions are not used (for diagnostics), once known
        self.why_not: str | None = None
        self._basic_sent = 0
        self._login_after = 0.0

    @property
    def logins(self) -> int:
        return self.web.logins

    def secrets(self) -> list[str]:
        return self.web.secrets()

    def flow(self, request: Request, basic: str) -> AuthFlow:
        web = self.web
        used: dict[str, str] = {}
        if self.accepted is not False:
            with web._lock:
                if not web._cookies:
                    yield from self._maybe_login(request.url)
                used = dict(web._cookies)
        if not used:
            request.headers["Authorization"] = basic
            yield request
            return
        request.headers["Cookie"] = _cookie_header(used)
        response = yield request
        if response.status not in _REFUSED:
            self.accepted = True
            return
        request.headers.pop("Cookie", None)
        request.headers["Authorization"] = basic
        response = yield request
        if response.status in _REFUSED:
            return  # refused with the password too: the caller's answer
        with web._lock:
            if self.accepted:
                if web._cookies == used:  # the session has ended: log in on the next call
                    web._cookies = {}
            else:
                self.accepted = False
                self.why_not = (
                    f"the API answered {response.status} to the session cookie and took "
                    "basic auth ([api] auth_backends lacks airflow.api.auth.backend.session)"
                )

    def _maybe_login(self, url: str) -> Generator[Request, BaseHTTPResponse, None]:
        """Log in if it is time to (called with the lock held); never raises for the
        login's sake: what goes wrong means basic auth, for a while or for good."""
        from .errors import AuthenticationError

        if self._basic_sent < self.basic_first or time.monotonic() < self._login_after:
            self._basic_sent += 1
            return
        try:
            if not (yield from self.web._login(url)):
                self._login_after = time.monotonic() + self.cooldown
        except AuthenticationError as exc:
            self.accepted, self.why_not = False, str(exc)
