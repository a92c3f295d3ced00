"""``AirflowClient``: one client for Airflow 2 (``/api/v1``) and 3 (``/api/v2``).

::

    client = AirflowClient("https://airflow.example.com/prefix", auth=TokenAuth("me", pw))
    client.api_version          # "v2": detected once, lazily, then cached
    client.server_version       # "3.3.2"
    dags = client.api("DAGApi").get_dags(limit=10)   # any generated API, on our transport

The generated APIs are reached with :meth:`AirflowClient.api` (by class or by name) or
through :attr:`AirflowClient.api_client`; they share the client's transport, so auth,
retries, timeouts and typed errors apply to every call.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import urlunsplit

import urllib3

from . import _checks, features
from ._answers import checked_methods
from ._http import Request, safe_url
from .auth import Auth, BasicAuth, BearerAuth, NoAuth, TokenAuth
from .errors import ApiError, ConfigurationError, InvalidSettingError, UnexpectedResponseError
from .retry import DEFAULT_RETRY, RetryPolicy
from .transport import Transport
from .workflows import Workflows

if TYPE_CHECKING:
    from .starship import StarshipClient

T = TypeVar("T")

#: The generated package of each API version.
GENERATED_PACKAGES = {"v1": "airflow_client_ext_v1", "v2": "airflow_client_ext_v2"}
API_VERSIONS = tuple(GENERATED_PACKAGES)


def split_base_url(url: str, name: str = "url") -> tuple[str, str | None]:
    """``https://h/prefix/api/v2/`` -> (``https://h/prefix``, ``"v2"``); no suffix -> None.

    Raises :class:`InvalidSettingError` for anything but an http(s) URL with a host (the
    server's base URL, with its path prefix behind a proxy), before anything is sent."""
    parts = _checks.check_url(
        name, url, example="http://localhost:8080 (with its path prefix behind a proxy)"
    )
    assert parts is not None
    path = parts.path.rstrip("/")
    version = None
    for candidate in API_VERSIONS:
        if path.endswith(f"/api/{candidate}"):
            version = candidate
            path = path[: -len(f"/api/{candidate}")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), version


class _ServerInfo:
    """What we learned about the server, shared by a client and its ``with_options`` copies."""

    def __init__(self, api_version: str | None) -> None:
        self.api_version = api_version
        self.server_version: str | None = None
        self.lock = threading.Lock()


class AirflowClient(Workflows):
    """A client for one Airflow server, Airflow 2 or 3.

    :param url: the server's base URL, with or without ``/api/v1`` or ``/api/v2``, with its
        path prefix when Airflow sits behind a reverse proxy.
    :param auth: ``TokenAuth`` (both majors), ``BasicAuth`` (Airflow 2), ``BearerAuth``,
        ``HeaderAuth``, or None for no credentials.
    :param api_version: ``"v1"`` or ``"v2"`` to skip detection.
    :param retry: a :class:`RetryPolicy` (default: 3 retries with jittered backoff).
    :param timeout: seconds, ``(connect, read)`` or a ``urllib3.Timeout``; finite by default
        (10 s to connect, 60 s to read).
    :param verify: verify TLS certificates (default True); ``ca_bundle`` names a CA file.
    :param client_cert: a client certificate file, or ``(cert_file, key_file)``.
    :param proxy: a proxy URL; by default the ``HTTPS_PROXY``/``NO_PROXY`` environment.
    :param max_body_bytes: the largest answer read whole (64 MiB by default); a larger one
        raises :class:`~airflow_client_ext.errors.ResponseLimitError`. Task logs are
        streamed and not bound by it.
    :param max_body_seconds: the time one answer's body may take to arrive (default: five
        read timeouts, at least 30 s), however steadily it trickles in.
    """

    def __init__(
        self,
        url: str,
        auth: Auth | None = None,
        *,
        api_version: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] | urllib3.Timeout | None = None,
        verify: bool = True,
        ca_bundle: str | None = None,
        client_cert: str | tuple[str, str] | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        user_agent: str | None = None,
        max_body_bytes: int | None = None,
        max_body_seconds: float | None = None,
    ) -> None:
        root, suffix = split_base_url(url)
        _checks.check_choice(
            "api_version", api_version, API_VERSIONS, none="detect it", setting=True
        )
        if api_version and suffix and api_version != suffix:
            raise InvalidSettingError(
                f"api_version must match the URL, which ends in /api/{suffix}; got {api_version!r}",
                argument="api_version",
            )
        _checks.check_instance(
            "auth",
            auth,
            Auth,
            "an Auth object (BasicAuth, TokenAuth, ...)",
            none="no credentials",
            setting=True,
        )
        _check_options(retry, timeout)
        _checks.check_flag("verify", verify, setting=True)
        _checks.check_file("ca_bundle", ca_bundle, none="the system's CAs")
        _checks.check_client_cert(client_cert)
        _checks.check_url(
            "proxy", proxy, credentials=True, example="http://proxy:3128", none="the environment's"
        )
        _checks.check_flag("trust_env", trust_env, setting=True)
        _checks.check_text("user_agent", user_agent, none="airflow-client-ext's own")
        self.base_url = root
        self._info = _ServerInfo(api_version or suffix)
        self._transport = Transport(
            auth=auth,
            retry=retry or DEFAULT_RETRY,
            timeout=timeout,
            verify=verify,
            ca_bundle=ca_bundle,
            client_cert=client_cert,
            proxy=proxy,
            trust_env=trust_env,
            user_agent=user_agent,
        )
        if max_body_bytes is not None or max_body_seconds is not None:
            self._transport = self._transport.with_options(
                max_body_bytes=max_body_bytes, max_body_seconds=max_body_seconds
            )
        self._api_client: Any = None

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> AirflowClient:
        """A client from the environment.

        ``AIRFLOW_URL`` (required); ``AIRFLOW_USERNAME`` and ``AIRFLOW_PASSWORD``, or
        ``AIRFLOW_TOKEN``; ``AIRFLOW_AUTH`` to choose the scheme (``token``, the default with
        a username; ``basic``; ``bearer``, the default with a token; ``none``);
        ``AIRFLOW_API_VERSION``; ``AIRFLOW_CA_BUNDLE``; ``AIRFLOW_VERIFY=false``;
        ``AIRFLOW_TIMEOUT`` (seconds). Keyword arguments override the environment.
        """
        env = os.environ if environ is None else environ
        url = options.pop("url", None)
        if not url:
            url = env.get("AIRFLOW_URL")
            if not url:
                raise ConfigurationError(
                    "AIRFLOW_URL is not set: export AIRFLOW_URL=http://host:8080 (the base URL "
                    "of the Airflow webserver or API server)"
                )
            split_base_url(url, "AIRFLOW_URL")
        if "auth" not in options:
            options["auth"] = auth_from_env(env)
        if "api_version" not in options and env.get("AIRFLOW_API_VERSION"):
            options["api_version"] = _checks.check_choice(
                "AIRFLOW_API_VERSION", env["AIRFLOW_API_VERSION"], API_VERSIONS, setting=True
            )
        if "ca_bundle" not in options and env.get("AIRFLOW_CA_BUNDLE"):
            options["ca_bundle"] = _checks.check_file("AIRFLOW_CA_BUNDLE", env["AIRFLOW_CA_BUNDLE"])
        if "verify" not in options and env.get("AIRFLOW_VERIFY"):
            verify = _checks.check_choice(
                "AIRFLOW_VERIFY", env["AIRFLOW_VERIFY"].strip().lower(), _BOOLEANS, setting=True
            )
            options["verify"] = verify in _TRUE
        if "timeout" not in options and env.get("AIRFLOW_TIMEOUT"):
            text = env["AIRFLOW_TIMEOUT"]
            try:
                seconds: Any = float(text)
            except ValueError:
                seconds = text
            options["timeout"] = _checks.check_seconds("AIRFLOW_TIMEOUT", seconds, setting=True)
        return cls(url, **options)

    @classmethod
    def from_profile(
        cls,
        name: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        **options: Any,
    ) -> AirflowClient:
        """A client from a profile of ``profiles.toml`` (see :mod:`airflow_client_ext.profiles`).

        ``name`` defaults to ``AIRFLOW_PROFILE``, then to the file's default. Each setting
        comes from the keyword arguments, else the environment (the variables of
        :meth:`from_env`), else the profile; the password (or token) from ``password=``
        (``token=``, or an ``auth=`` object), else ``AIRFLOW_PASSWORD`` (``AIRFLOW_TOKEN``),
        else the OS keyring (``airflow-client-ext login`` stores it there).
        """
        from .profiles import ProfileError, fill_secret, get_profile, profile_environ
        from .profiles import secret_variable as needed

        env = os.environ if environ is None else environ
        profile = get_profile(name, env)
        merged = profile_environ(profile, env)
        for variable, value in (
            ("AIRFLOW_USERNAME", username),
            ("AIRFLOW_PASSWORD", password),
            ("AIRFLOW_TOKEN", token),
        ):
            if value is not None:
                merged[variable] = value
        if "auth" not in options:
            missing = fill_secret(profile.name, merged)
            lacking = needed(merged)
            if missing and lacking:
                what = "password" if lacking == "AIRFLOW_PASSWORD" else "token"
                raise ProfileError(
                    f"profile {profile.name!r}: no {what}: pass it, set {lacking}, or store "
                    f"it with `airflow-client-ext login -p {profile.name}` ({missing})"
                )
        return cls.from_env(merged, **options)

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] | urllib3.Timeout | None = None,
        max_body_bytes: int | None = None,
        max_body_seconds: float | None = None,
    ) -> AirflowClient:
        """The same client with other retry, timeout or body limits, for one call or a few::

        client.with_options(retry=RetryPolicy(total=0)).api("DAGApi").get_dags()
        """
        _check_options(retry, timeout)
        clone = object.__new__(AirflowClient)
        clone.base_url = self.base_url
        clone._info = self._info
        clone._transport = self._transport.with_options(
            retry=retry,
            timeout=timeout,
            max_body_bytes=max_body_bytes,
            max_body_seconds=max_body_seconds,
        )
        clone._api_client = None
        return clone

    # -- what the server is -----------------------------------------------------------------
    @property
    def auth(self) -> Auth:
        return self._transport.auth

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def api_version(self) -> str:
        """``"v1"`` (Airflow 2) or ``"v2"`` (Airflow 3): detected on first use, then cached."""
        if self._info.api_version is None:
            self._detect()
        assert self._info.api_version is not None
        return self._info.api_version

    @property
    def server_version(self) -> str:
        """The Airflow version the server reports, e.g. ``"3.3.2"``."""
        if self._info.server_version is None:
            self._detect()
        assert self._info.server_version is not None
        return self._info.server_version

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/{self.api_version}"

    def supports(self, feature: str) -> bool:
        """Whether the server's version has ``feature`` (a name of
        :data:`airflow_client_ext.features.FEATURES`, e.g. ``"wait_stream"``)."""
        features.feature(feature)  # a name of the table, before the version is asked
        return features.supports(self.server_version, feature)

    def require(self, feature: str, *, action: str = "") -> None:
        """Raise :class:`UnsupportedFeatureError` (naming ``feature`` and the first version
        that has it) unless the server's version has it; nothing is sent to find out."""
        features.feature(feature)  # a name of the table, before the version is asked
        features.require(self.server_version, feature, action=action)

    def _detect(self) -> None:
        with self._info.lock:
            if self._info.api_version and self._info.server_version:
                return
            candidates = [self._info.api_version] if self._info.api_version else ["v2", "v1"]
            answers = []
            for version in candidates:
                assert version is not None
                found, answer = self._probe_version(version)
                if found is not None:
                    self._info.api_version = version
                    self._info.server_version = found
                    return
                answers.append(f"GET /api/{version}/version -> {answer}")
            raise ConfigurationError(
                f"no Airflow API found at {safe_url(self.base_url)} ("
                + "; ".join(answers)
                + "). Check the URL, and the path prefix if Airflow is behind a proxy."
            )

    def _probe_version(self, version: str) -> tuple[str | None, str]:
        """GET /api/vN/version: public on both majors; with credentials if a gateway asks.
        A server that cannot be reached raises TransportError: no point in guessing."""
        url = f"{self.base_url}/api/{version}/version"
        request = Request("GET", url, {"Accept": "application/json"})
        for auth in (NoAuth(), self.auth):
            try:
                response = self._transport.send(request, auth=auth)
            except ApiError as exc:
                if exc.status in (401, 403) and isinstance(auth, NoAuth):
                    continue
                return None, str(exc.status)
            except UnexpectedResponseError:  # a 2xx HTML page: a UI or a proxy, not the API
                return None, "an HTML page, not Airflow's JSON"
            try:
                found = json.loads(response.data).get("version")
            except (ValueError, AttributeError):
                return None, "not JSON"
            return (str(found), "200") if found else (None, "no version in the answer")
        return None, "refused"

    # -- the generated APIs -----------------------------------------------------------------
    @property
    def generated(self) -> ModuleType:
        """The generated package for this server: ``airflow_client_ext_v1`` or ``_v2``."""
        return importlib.import_module(GENERATED_PACKAGES[self.api_version])

    @property
    def api_client(self) -> Any:
        """The generated ``ApiClient`` of this server's API, bound to this client's transport."""
        if self._api_client is None:
            package = self.generated
            host = self.api_url if self.api_version == "v1" else self.base_url
            api_client = _version_gated(package.ApiClient)(package.Configuration(host=host))
            api_client.airflow_client = self
            api_client.rest_client.pool_manager = self._transport  # the seam
            api_client.user_agent = self._transport.user_agent
            self._api_client = api_client
        return self._api_client

    @overload
    def api(self, api: type[T]) -> T: ...
    @overload
    def api(self, api: str) -> Any: ...
    def api(self, api: type[T] | str) -> T | Any:
        """A generated API object bound to this client: ``client.api("DAGApi")`` or
        ``client.api(airflow_client_ext_v2.DAGApi)``."""
        if not (isinstance(api, type) or (isinstance(api, str) and api)):
            _checks.fail(
                "api", "the name of a generated API class (e.g. 'DAGApi') or the class", api
            )
        package = self.generated
        if isinstance(api, str):
            cls = getattr(package, api, None)
            if cls is None or not api.endswith("Api"):
                names = sorted(n for n in package.__all__ if n.endswith("Api") and n != "ApiClient")
                raise ConfigurationError(
                    f"{package.__name__} has no API named {api!r}; it has: {', '.join(names)}"
                )
            return cls(self.api_client)
        if not api.__module__.startswith(package.__name__ + "."):
            raise ConfigurationError(
                f"{api.__name__} comes from {api.__module__.split('.')[0]}, but the server at "
                f"{safe_url(self.base_url)} speaks /api/{self.api_version} ({package.__name__})"
            )
        factory: Any = api
        return factory(self.api_client)

    @property
    def starship(self) -> StarshipClient:
        """The Starship plugin's API on this server (``/api/starship``), on this client's
        transport; on Airflow 2 it logs in to the webserver with this client's username and
        password. See :mod:`airflow_client_ext.starship`."""
        starship: StarshipClient | None = self.__dict__.get("_starship")
        if starship is None:
            from .starship import StarshipClient

            starship = StarshipClient(self)
            self.__dict__["_starship"] = starship
        return starship

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> AirflowClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        version = self._info.api_version or "not detected yet"
        return (
            f"AirflowClient(url={safe_url(self.base_url)!r}, api_version={version!r}, "
            f"auth={self.auth!r})"
        )


_BOOLEANS = ("true", "false", "1", "0", "yes", "no", "on", "off")
_TRUE = ("true", "1", "yes", "on")


def _check_options(retry: Any, timeout: Any) -> None:
    _checks.check_instance(
        "retry", retry, RetryPolicy, "a RetryPolicy", none="the default policy", setting=True
    )
    _checks.check_timeout("timeout", timeout)


_GATED: dict[Any, type] = {}


#: values the generated ``sanitize_for_serialization`` returns as they are
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _version_gated(api_client_class: Any) -> type:
    """The generated ``ApiClient`` class, refusing (before anything is sent) an operation
    that :data:`features.OPERATIONS` says the server's version does not have, and turning a
    2xx it cannot read into :class:`InvalidResponseError` (see :mod:`._answers`)."""
    gated = _GATED.get(api_client_class)
    if gated is None:

        def param_serialize(self: Any, method: str, resource_path: str, *a: Any, **kw: Any) -> Any:
            if f"{method.upper()} {resource_path}" in features.OPERATIONS:
                server_version = self.airflow_client.server_version
                features.require_operation(server_version, method, resource_path)
            return api_client_class.param_serialize(self, method, resource_path, *a, **kw)

        def sanitize_for_serialization(self: Any, obj: Any) -> Any:
            # what the generated one gives for a plain value (itself) and for a plain dict
            # or list (the same container of sanitized values), without its isinstance
            # checks; anything else is the generated one's
            kind = obj.__class__
            if kind in _PLAIN:
                return obj
            if kind is dict:
                return {key: sanitize_for_serialization(self, v) for key, v in obj.items()}
            if kind is list:
                return [sanitize_for_serialization(self, v) for v in obj]
            return api_client_class.sanitize_for_serialization(self, obj)

        gated = type(api_client_class.__name__, (api_client_class,), {
            "param_serialize": param_serialize,
            "sanitize_for_serialization": sanitize_for_serialization,
            **checked_methods(api_client_class),
            "__doc__": _version_gated.__doc__,
        })  # fmt: skip
        _GATED[api_client_class] = gated
    return gated


def auth_from_env(env: Mapping[str, str]) -> Auth:
    """The auth that ``AIRFLOW_AUTH``, ``AIRFLOW_USERNAME``/``PASSWORD`` and ``AIRFLOW_TOKEN``
    describe; ``AIRFLOW_AUTH=kerberos`` reads ``AIRFLOW_KERBEROS_PRINCIPAL``, ``_KEYTAB``,
    ``_SERVICE`` and ``_HOSTNAME`` (all optional: the default ticket cache otherwise)."""
    username, password = env.get("AIRFLOW_USERNAME"), env.get("AIRFLOW_PASSWORD")
    token = env.get("AIRFLOW_TOKEN")
    scheme = env.get("AIRFLOW_AUTH") or ("bearer" if token and not username else "token")
    scheme = scheme.strip().lower()
    if scheme == "none":
        return NoAuth()
    if scheme == "bearer":
        if not token:
            raise ConfigurationError("AIRFLOW_AUTH=bearer needs AIRFLOW_TOKEN")
        return BearerAuth(token)
    if scheme == "kerberos":
        from .kerberos import KerberosAuth  # lazy: pyspnego is an extra

        return KerberosAuth(
            service=env.get("AIRFLOW_KERBEROS_SERVICE") or "airflow",
            hostname=env.get("AIRFLOW_KERBEROS_HOSTNAME") or None,
            principal=env.get("AIRFLOW_KERBEROS_PRINCIPAL") or None,
            keytab=env.get("AIRFLOW_KERBEROS_KEYTAB") or None,
        )
    if scheme in ("token", "basic"):
        if not username and not password and not env.get("AIRFLOW_AUTH"):
            return NoAuth()
        if not username or password is None:
            raise ConfigurationError(
                f"AIRFLOW_AUTH={scheme} needs AIRFLOW_USERNAME and AIRFLOW_PASSWORD"
            )
        return TokenAuth(username, password) if scheme == "token" else BasicAuth(username, password)
    raise ConfigurationError(
        f"AIRFLOW_AUTH={scheme!r} is not one of: token, basic, bearer, kerberos, none"
    )
