"""A handle on an Airflow reachable over HTTP: :class:`AirflowInstance` (URLs, credentials,
version, authenticated requests, DAG helpers) and :class:`RemoteAirflow` (one already
running). :class:`~airflow_client_ext.testing.server.AirflowServer`, which starts its own,
builds on the same base."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from ._errors import AirflowServerError
from ._http import Response, basic_auth, http

__all__ = ["AirflowInstance", "RemoteAirflow", "fetch_token"]


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    if not head.isdigit():
        raise ValueError(f"not an Airflow version: {version!r}")
    return int(head)


class AirflowInstance:
    """An Airflow reachable over HTTP: URLs, credentials, version and authenticated requests.

    Base of ``AirflowServer`` (started here) and ``RemoteAirflow`` (already running).
    """

    url: str
    username: str
    password: str
    version: str

    def __init__(self, url: str, username: str, password: str, version: str) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self.version = version
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self.home: Path | None = None
        self.log_paths: dict[str, Path] = {}

    # -- identity ---------------------------------------------------------------------------
    @property
    def major(self) -> int:
        """2 or 3."""
        return _major(self.version)

    @property
    def api_version(self) -> str:
        """``"v1"`` on Airflow 2, ``"v2"`` on Airflow 3."""
        return "v1" if self.major < 3 else "v2"

    @property
    def api_url(self) -> str:
        """Base URL of the REST API: ``<url>/api/v1`` or ``<url>/api/v2``."""
        return f"{self.url}/api/{self.api_version}"

    @property
    def health_url(self) -> str:
        if self.major < 3:
            return f"{self.url}/health"
        return f"{self.url}/api/v2/monitor/health"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(version={self.version!r}, url={self.url!r})"

    # -- auth -------------------------------------------------------------------------------
    def get_token(self, *, refresh: bool = False) -> str:
        """A JWT from ``POST /auth/token`` (Airflow 3 only), cached until ``refresh``."""
        if self.major < 3:
            raise AirflowServerError(
                f"Airflow {self.version}: /api/v1 uses basic auth, there is no token endpoint"
            )
        with self._token_lock:
            if self._token is None or refresh:
                self._token = fetch_token(self.url, self.username, self.password)
            return self._token

    def auth_headers(self) -> dict[str, str]:
        """The ``Authorization`` header for the API of this version."""
        if self.major < 3:
            return {"Authorization": basic_auth(self.username, self.password)}
        return {"Authorization": f"Bearer {self.get_token()}"}

    # -- HTTP -------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """An authenticated request. ``path`` is relative to ``api_url`` (``"dags/x"``) or,
        with a leading slash, to ``url`` (``"/health"``). Returns any status code.
        """
        full = self.url + path if path.startswith("/") else f"{self.api_url}/{path}"
        hdrs = {**self.auth_headers(), **(headers or {})}
        resp = http(method, full, body=body, headers=hdrs, timeout=timeout)
        if resp.status == 401 and self.major >= 3:  # expired token: fetch a new one, once
            hdrs["Authorization"] = f"Bearer {self.get_token(refresh=True)}"
            resp = http(method, full, body=body, headers=hdrs, timeout=timeout)
        return resp

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        ok: Iterable[int] = (200, 201, 204),
        timeout: float = 30.0,
    ) -> Any:
        """Like ``request`` but returns the decoded JSON and raises on an unexpected status."""
        resp = self.request(method, path, body, timeout=timeout)
        if resp.status not in set(ok):
            raise AirflowServerError(
                f"Airflow {self.version}: {method} {path} -> {resp.status}: {resp.text[:2000]}"
            )
        return resp.json()

    def health(self, *, timeout: float = 10.0) -> dict[str, Any]:
        """The decoded health document (no auth needed)."""
        resp = http("GET", self.health_url, timeout=timeout)
        if resp.status != 200:
            raise AirflowServerError(
                f"Airflow {self.version}: GET {self.health_url} -> {resp.status}: {resp.text[:500]}"
            )
        doc = resp.json()
        if not isinstance(doc, dict):
            raise AirflowServerError(f"Airflow {self.version}: bad health document {doc!r}")
        return doc

    # -- DAGs -------------------------------------------------------------------------------
    def _check_alive(self) -> None:
        """Raise if a local server process died (nothing to check for a remote one)."""

    def wait_for_dag(
        self, dag_id: str, timeout: float = 120.0, *, unpause: bool = False
    ) -> dict[str, Any]:
        """Wait until ``dag_id`` is parsed and visible through the REST API; return the DAG.

        With ``unpause=True`` the DAG is also unpaused (DAGs are paused at creation by
        default). On timeout the error lists the server's import errors.
        """
        deadline = time.monotonic() + timeout
        path = f"dags/{quote(dag_id, safe='')}"
        last = "no answer"
        while True:
            self._check_alive()
            try:
                resp = self.request("GET", path, timeout=10)
            except OSError as exc:
                last = f"transport error: {exc}"
            else:
                if resp.status == 200:
                    dag: dict[str, Any] = resp.json()
                    if unpause and dag.get("is_paused"):
                        dag = self.api("PATCH", path, {"is_paused": False})
                    return dag
                last = f"{resp.status}: {resp.text[:300]}"
            if time.monotonic() > deadline:
                raise AirflowServerError(
                    f"Airflow {self.version}: DAG {dag_id!r} not visible after {timeout:.0f} s "
                    f"(last GET {path}: {last}); import errors: {self._import_errors()}"
                )
            time.sleep(1.0)

    def _import_errors(self) -> str:
        try:
            doc = self.api("GET", "importErrors")
        except (AirflowServerError, OSError) as exc:
            return f"(cannot list them: {exc})"
        errors = doc.get("import_errors", []) if isinstance(doc, dict) else doc
        if not errors:
            return "none"
        return "; ".join(
            f"{e.get('filename')}: {str(e.get('stack_trace', ''))[-500:]}" for e in errors
        )

    # -- local-only features (overridden by AirflowServer) ----------------------------------
    def exited(self) -> dict[str, int]:
        """Process name -> exit code of each process started here that died (none for a
        remote server)."""
        return {}

    @property
    def pids(self) -> dict[str, int]:
        """Process name -> pid of each process started here (none for a remote server)."""
        return {}

    @property
    def pgids(self) -> dict[str, int]:
        """Process name -> process group id (none for a remote server)."""
        return {}

    def airflow(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 120.0,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``airflow`` CLI with the server's environment (local servers only)."""
        raise AirflowServerError(f"{self!r}: the airflow CLI is only available on local servers")

    # -- context manager (no-op for remote servers) -----------------------------------------
    def start(self) -> AirflowInstance:
        return self

    def stop(self) -> None:
        return None

    def __enter__(self) -> AirflowInstance:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def fetch_token(url: str, username: str, password: str, *, timeout: float = 30.0) -> str:
    """``POST <url>/auth/token`` on Airflow 3; returns the access token."""
    resp = http(
        "POST",
        f"{url.rstrip('/')}/auth/token",
        body={"username": username, "password": password},
        timeout=timeout,
    )
    if resp.status not in (200, 201):
        raise AirflowServerError(f"POST {url}/auth/token -> {resp.status}: {resp.text[:500]}")
    token = resp.json().get("access_token")
    if not isinstance(token, str):
        raise AirflowServerError(f"POST {url}/auth/token: no access_token in {resp.text[:500]}")
    return token


class RemoteAirflow(AirflowInstance):
    """An Airflow that is already running; the version is detected from the server.

    Airflow 3 is recognized by ``GET /api/v2/version`` (with a token from ``POST
    /auth/token``), Airflow 2 by ``GET /api/v1/version``; the credentials are checked either
    way (``AirflowServerError`` if rejected). ``start``/``stop`` do nothing.
    """

    def __init__(
        self, url: str, username: str, password: str, *, version: str | None = None
    ) -> None:
        super().__init__(url, username, password, version or "0")
        if version is None:
            self.version = self._detect()

    def _detect(self) -> str:
        """The server's version; also checks that the credentials are accepted."""
        v2 = http("GET", f"{self.url}/api/v2/version")
        if v2.status in (200, 401, 403):  # Airflow 3 (the endpoint may need a token)
            self.version = str(v2.json()["version"]) if v2.status == 200 else "3"
            try:
                self.get_token(refresh=True)
            except AirflowServerError as exc:
                raise AirflowServerError(
                    f"Airflow 3 at {self.url} rejected the credentials of {self.username!r}: {exc}"
                ) from None
            if v2.status != 200:
                return str(self.api("GET", "version")["version"])
            return self.version
        v1 = http("GET", f"{self.url}/api/v1/version")
        if v1.status != 200:
            raise AirflowServerError(
                f"cannot detect the Airflow version at {self.url}: GET /api/v2/version -> "
                f"{v2.status}, GET /api/v1/version -> {v1.status}: {v1.text[:200]}"
            )
        self.version = str(v1.json()["version"])
        check = self.request("GET", "dags?limit=1")  # /version is public on 2.x, this is not
        if check.status != 200:
            raise AirflowServerError(
                f"Airflow {self.version} at {self.url} rejected the credentials of "
                f"{self.username!r}: GET {self.api_url}/dags -> {check.status}"
            )
        return self.version
