"""Kerberos (SPNEGO, HTTP ``Negotiate``) for Airflow 2's Kerberos API backend, on pyspnego.

Needs the ``kerberos`` extra (``pip install 'airflow-client-ext[kerberos]'``); importing this
module does not import pyspnego, making a :class:`KerberosAuth` does.

The flow sends the request as is; when the server answers 401 ``WWW-Authenticate:
Negotiate``, it makes a fresh security context and token for ``<service>/<hostname>`` and
sends the request again with ``Authorization: Negotiate <token>``. A token is single-use:
every request, and every retry of one, gets its own. When the server sends its own token back
(mutual authentication), it is verified; a bad one fails the call. Airflow 2.11 never sends
one, so ``mutual="optional"`` (the default) verifies it when it comes and ``"required"``
fails when it does not.

Airflow 3 (``/api/v2``) accepts only tokens: there KerberosAuth fails with that message
instead of a 401 the caller cannot act on.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import _checks
from ._http import Request, read_problem, safe_path
from .auth import Auth, AuthFlow
from .errors import (
    BODY_EXCERPT_LIMIT,
    ApiError,
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

INSTALL_HINT = "pip install 'airflow-client-ext[kerberos]'"
MUTUAL_MODES = ("required", "optional", "disabled")


class MutualAuthenticationError(AuthenticationError):
    """The server did not prove it is the Kerberos service we asked for (no token back with
    ``mutual="required"``, or a token that fails verification): its answer is not used."""


def _require_spnego() -> None:
    try:
        import spnego  # noqa: F401

        if os.name != "nt":  # pyspnego's Kerberos outside Windows (SSPI there)
            import gssapi  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            f"KerberosAuth needs pyspnego with Kerberos support: {INSTALL_HINT}"
        ) from exc


class KerberosAuth(Auth):
    """Kerberos over SPNEGO, for Airflow 2 with the Kerberos API backend.

    :param service: the service part of the server's principal; Airflow uses ``airflow``
        (its principal is ``airflow/<host>@REALM``).
    :param hostname: the host part; default: the host of the request URL. Airflow registers
        the name its ``getfqdn()`` returns, which may differ from the name in the URL.
    :param principal: the client principal; default: the one of the default credential cache
        (``kinit``, ``KRB5CCNAME``). With ``keytab``, the principal to take from it.
    :param mutual: ``"optional"`` (verify the server's token when it sends one),
        ``"required"`` (fail when it does not) or ``"disabled"`` (do not ask for it).
    :param delegate: forward the ticket-granting ticket to the server.
    :param keytab: a client keytab to get credentials from, instead of a credential cache.
    """

    sensitive_headers = frozenset({"authorization"})
    scheme = "Kerberos"

    def __init__(
        self,
        service: str = "airflow",
        hostname: str | None = None,
        principal: str | None = None,
        mutual: str = "optional",
        delegate: bool = False,
        *,
        keytab: str | os.PathLike[str] | None = None,
    ) -> None:
        _checks.check_choice("KerberosAuth.mutual", mutual, MUTUAL_MODES, setting=True)
        _checks.check_text("KerberosAuth.service", service, context="Airflow's is 'airflow'")
        _checks.check_text("KerberosAuth.hostname", hostname, none="the URL's host")
        _checks.check_text("KerberosAuth.principal", principal, none="the credential cache's")
        _checks.check_flag("KerberosAuth.delegate", delegate, setting=True)
        keytab_name = os.fspath(keytab) if isinstance(keytab, os.PathLike) else keytab
        _checks.check_text("KerberosAuth.keytab", keytab_name, none="the credential cache")
        _require_spnego()
        self.service = service
        self.hostname = hostname
        self._principal = principal
        self.mutual = mutual
        self.delegate = delegate
        self.keytab = os.fspath(keytab) if keytab is not None else None
        self._last_token: str | None = None

    @property
    def principal(self) -> str | None:
        return self._principal

    def secrets(self) -> list[str]:
        return [self._last_token] if self._last_token else []

    def __repr__(self) -> str:
        return (
            f"KerberosAuth(service={self.service!r}, hostname={self.hostname!r}, "
            f"principal={self._principal!r}, keytab={self.keytab!r}, mutual={self.mutual!r}, "
            f"delegate={self.delegate!r})"
        )

    # -- the flow ---------------------------------------------------------------------------
    def auth_flow(self, request: Request) -> AuthFlow:
        response = yield request
        if _is_api_v2(request.url):
            if response.status in (401, 403):
                raise _error(AuthenticationError, _AIRFLOW3, request, response)
            return
        if response.status not in (401, 403):
            return
        if not _offers_negotiate(response):
            raise _error(AuthenticationError, _NOT_OFFERED, request, response)
        host = self.hostname or urlsplit(request.url).hostname or ""
        target = f"{self.service}/{host}"
        context, token = self._first_token(host, target, request)
        request.headers["Authorization"] = f"Negotiate {token}"
        response = yield request
        if response.status == 401:
            raise _error(AuthenticationError, self._refused(target), request, response)
        if response.status == 403 and "/api/v1/" in request.url:
            raise _error(PermissionDeniedError, self._not_permitted(), request, response)
        if 200 <= response.status < 300:
            self._verify_server(context, target, request, response)

    def _first_token(self, host: str, target: str, request: Request) -> tuple[Any, str]:
        """A fresh security context and its first token (base64), or an AuthenticationError
        that says what to check."""
        import spnego

        wanted = spnego.ContextReq.sequence_detect
        if self.mutual != "disabled":
            wanted |= spnego.ContextReq.mutual_auth
        if self.delegate:
            wanted |= spnego.ContextReq.delegate
        credential: Any = self._principal
        if self.keytab is not None:
            credential = spnego.KerberosKeytab(keytab=self.keytab, principal=self._principal)
        try:
            context = spnego.client(
                credential,
                hostname=host,
                service=self.service,
                context_req=wanted,
                protocol="kerberos",
            )
            raw = context.step() or b""
        except _kerberos_errors() as exc:
            raise AuthenticationError(
                f"{request.method} {safe_path(request.url)} -> 401: the server asks for "
                f"Kerberos (Negotiate), but no Kerberos token could be made for {target}: "
                f"{_hint(exc, self._who(), target)} (Kerberos says: {_library_message(exc)})",
                status=401,
                method=request.method,
                path=safe_path(request.url),
            ) from None
        token = base64.b64encode(raw).decode("ascii")
        self._last_token = token
        return context, token

    def _verify_server(
        self, context: Any, target: str, request: Request, response: BaseHTTPResponse
    ) -> None:
        """Mutual authentication: the server's token, when it sends one, must verify."""
        token = _server_token(response)
        if token is None:
            if self.mutual == "required":
                raise _error(
                    MutualAuthenticationError,
                    f"mutual='required', but the server sent no Kerberos token back, so it did "
                    f"not prove it is {target}; the answer is not used. Airflow 2 never sends "
                    "one: use mutual='optional' there.",
                    request,
                    response,
                )
            return
        if self.mutual == "disabled":
            return
        bad_token: tuple[type[Exception], ...] = (*_kerberos_errors(), binascii.Error)
        try:
            context.step(base64.b64decode(token, validate=True))
        except bad_token as exc:
            raise _error(
                MutualAuthenticationError,
                f"the server's Kerberos token does not verify as {target} (mutual "
                f"authentication failed: {_library_message(exc)}); the answer is not used.",
                request,
                response,
            ) from None
        if not context.complete:
            raise _error(
                MutualAuthenticationError,
                f"the server's Kerberos token did not complete the exchange with {target}; "
                "the answer is not used.",
                request,
                response,
            )

    # -- words for errors -------------------------------------------------------------------
    def _who(self) -> str:
        """The client principal, best effort (for messages): given, or the cache's."""
        if self._principal:
            return self._principal
        if self.keytab is not None:
            return f"the principal of {self.keytab}"
        try:  # the cache's owner, valid ticket or not (krb5 comes with pyspnego[kerberos])
            import krb5

            context = krb5.init_context()
            return str(krb5.cc_get_principal(context, krb5.cc_default(context)))
        except Exception:  # no cache: the caller's message says so
            return "the principal of the default credential cache"

    def _refused(self, target: str) -> str:
        return (
            f"the server refused the Kerberos token of {self._who()} for {target}. Check that "
            f"the server's keytab holds {target}@<REALM> with its current key, that {target} "
            "is the name the server registered (Airflow uses airflow/<its getfqdn()>: pass "
            "hostname=... when the URL uses another name) and that the clocks agree."
        )

    def _not_permitted(self) -> str:
        who = self._who()
        return (
            f"Kerberos authenticated {who}, but Airflow refused the call: Airflow 2 needs a "
            f"user named by the full principal ({who}; `airflow users create --username "
            "<principal>@<REALM> ...`), with a role that allows this call."
        )


_AIRFLOW3 = (
    "Airflow 3 (/api/v2) accepts only tokens, not Kerberos (Negotiate): KerberosAuth cannot "
    "authenticate there. Get a token from the auth manager (POST /auth/token, or your auth "
    "manager's own token endpoint) and use TokenAuth or BearerAuth."
)
_NOT_OFFERED = (
    "the server refused the call without asking for Kerberos (no 'WWW-Authenticate: "
    "Negotiate'): on Airflow 2, add airflow.providers.fab.auth_manager.api.auth.backend."
    "kerberos_auth as the LAST entry of [api] auth_backends (the challenge comes from the "
    "last one), with [kerberos] keytab set and AUTH_ROLE_PUBLIC = None in "
    "webserver_config.py."
)


def _error(cls: type[ApiError], why: str, request: Request, response: BaseHTTPResponse) -> ApiError:
    path = safe_path(request.url)
    content_type = response.headers.get("Content-Type", "")
    problem = read_problem(response.data or b"", content_type, BODY_EXCERPT_LIMIT)
    return cls(
        f"{request.method} {path} -> {response.status}: {why}",
        status=response.status,
        method=request.method,
        path=path,
        title=problem.title,
        detail=problem.detail,
        type=problem.type,
        body_excerpt=problem.excerpt,
    )


def _hint(exc: Exception, who: str, target: str) -> str:
    text = str(exc).lower()
    if "expired" in text:
        return (
            f"the Kerberos ticket of {who} has expired. Run `kinit` again (or `kinit -R` "
            "while it is renewable), or give KerberosAuth(principal=..., keytab=...) to get "
            "fresh tickets from a keytab."
        )
    if "not found in kerberos database" in text:
        return (
            f"the KDC does not know the service principal {target}. Check service= and "
            "hostname= (Airflow registers airflow/<its getfqdn()>)."
        )
    if "kdc" in text and ("cannot" in text or "unable" in text):
        return "the KDC cannot be reached. Check the realm's kdc in krb5.conf (KRB5_CONFIG)."
    if "keytab" in text or "key table" in text:
        return f"the keytab cannot give credentials for {who}. Check its path and principal."
    return (
        "no usable Kerberos ticket. Run `kinit <principal>` and check it with `klist`; make "
        "sure KRB5CCNAME names that credential cache and KRB5_CONFIG the realm's krb5.conf; "
        "or give KerberosAuth(principal=..., keytab=...)."
    )


def _kerberos_errors() -> tuple[type[Exception], ...]:
    """What pyspnego and the krb5 bindings under it raise (krb5 is absent on Windows)."""
    from spnego.exceptions import SpnegoError

    try:
        from krb5 import Krb5Error
    except ImportError:
        return (SpnegoError,)
    return (SpnegoError, Krb5Error)


def _library_message(exc: Exception) -> str:
    """The Kerberos library's own words, without pyspnego's numeric codes."""
    if isinstance(exc, binascii.Error):
        return f"not base64 ({exc})"
    text = str(exc)
    for part in text.split(", "):
        if part.startswith("Minor (") and "): " in part:
            return part.split("): ", 1)[1]
    code = getattr(exc, "err_code", None)
    if code is not None and text.endswith(f" {code}"):
        return text[: -len(f" {code}")]
    return text


def _is_api_v2(url: str) -> bool:
    return "/api/v2/" in url or url.endswith("/api/v2")


def _negotiate_values(response: BaseHTTPResponse) -> list[str]:
    """The ``Negotiate`` entries of ``WWW-Authenticate`` (there may be several schemes)."""
    header = response.headers.get("WWW-Authenticate", "")
    found = []
    for item in header.split(","):
        scheme, _, rest = item.strip().partition(" ")
        if scheme.lower() == "negotiate":
            found.append(rest.strip())
    return found


def _offers_negotiate(response: BaseHTTPResponse) -> bool:
    return response.status == 401 and bool(_negotiate_values(response))


def _server_token(response: BaseHTTPResponse) -> str | None:
    return next((value for value in _negotiate_values(response) if value), None)


__all__ = ["INSTALL_HINT", "KerberosAuth", "MutualAuthenticationError"]
