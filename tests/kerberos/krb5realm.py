"""A throwaway MIT Kerberos realm on loopback, for tests.

``Krb5Realm`` writes a KDC profile and a ``krb5.conf`` into a temporary folder, creates the
database with ``kdb5_util``, starts ``krb5kdc`` in the foreground in its own process group on
a free loopback port, and makes principals and keytabs with ``kadmin.local``. ``stop()``
ends the KDC by its process group id. Nothing outside the folder is touched: every command
runs with ``KRB5_CONFIG`` and ``KRB5_KDC_PROFILE`` naming the folder's files, and tickets go
to caches in the folder (``kinit()`` returns the cache's name for ``KRB5CCNAME``).

Needs Debian's krb5-kdc, krb5-admin-server (kadmin.local) and krb5-user (kinit, klist).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_PR_SET_PDEATHSIG = 1


def _tool(name: str) -> str:
    found = shutil.which(name) or next(
        (f"{d}/{name}" for d in SBIN if Path(f"{d}/{name}").exists()), None
    )
    if found is None:
        raise RuntimeError(
            f"{name} not found: install Debian's krb5-kdc krb5-admin-server krb5-user "
            "(.ci/run does)"
        )
    return found


def _die_with_parent() -> None:
    """In the KDC's child: Linux sends it SIGTERM if this (pytest) process dies, even by
    SIGKILL, so a KDC never outlives its tests. A normal run stops it with ``stop()``."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (the KDC listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port for the KDC")


class Krb5Realm:
    """A realm with its KDC running; a context manager. Use ``env`` for client programs."""

    def __init__(self, realm: str = "EXAMPLE.TEST", *, hostname: str | None = None) -> None:
        self.realm = realm
        #: the host name services are registered under (Airflow uses getfqdn())
        self.hostname = hostname or socket.getfqdn()
        self.folder = Path(tempfile.mkdtemp(prefix="krb5realm-"))
        self.port = 0
        self.krb5_conf = self.folder / "krb5.conf"
        self.kdc_conf = self.folder / "kdc.conf"
        self.kdc_log = self.folder / "kdc.log"
        self._kdc: subprocess.Popen[bytes] | None = None
        self.setup_seconds = 0.0

    # -- environment ------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """The variables that point Kerberos programs and libraries at this realm."""
        return {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KDC_PROFILE": str(self.kdc_conf),
            "KRB5RCACHEDIR": str(self.folder),
            "KRB5CCNAME": f"FILE:{self.folder}/default.ccache",
            "KRB5_TRACE": "/dev/null",
        }

    def _run(self, *cmd: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            cmd,
            env={**os.environ, **self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd[:3])} exited with {proc.returncode}: {proc.stderr.strip()}"
            )
        return proc.stdout

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> Krb5Realm:
        started = time.monotonic()
        self.port = _free_port()
        self._write_config()
        # A throwaway master password for a throwaway database in a temp folder.
        self._run(_tool("kdb5_util"), "-r", self.realm, "create", "-s", "-P", "throwaway-master")
        log = self.kdc_log.open("ab")
        try:
            self._kdc = subprocess.Popen(
                [_tool("krb5kdc"), "-n", "-r", self.realm],
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        try:
            self._wait_listening(timeout=30)
        except BaseException:
            self.stop()
            raise
        self.setup_seconds = time.monotonic() - started
        return self

    def _write_config(self) -> None:
        folder, realm, port = self.folder, self.realm, self.port
        self.kdc_conf.write_text(
            f"""[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {realm} = {{
        database_name = {folder}/principal
        key_stash_file = {folder}/stash
        acl_file = {folder}/kadm5.acl
        max_life = 10h
        max_renewable_life = 1d
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{self.kdc_log}
"""
        )
        self.krb5_conf.write_text(
            f"""[libdefaults]
    default_realm = {realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    ignore_acceptor_hostname = false
    udp_preference_limit = 1
    forwardable = true

[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    {self.hostname} = {realm}
    localhost = {realm}
"""
        )
        (folder / "kadm5.acl").write_text("")

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self._kdc is not None
            if self._kdc.poll() is not None:
                log = self.kdc_log.read_text()[-2000:]
                raise RuntimeError(f"krb5kdc exited with {self._kdc.returncode}: {log}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"krb5kdc not listening on port {self.port} after {timeout} s")
            time.sleep(0.05)

    @property
    def kdc_pid(self) -> int | None:
        return self._kdc.pid if self._kdc is not None else None

    def stop(self) -> None:
        """Stop the KDC (by its process group) and remove the folder. Idempotent."""
        kdc, self._kdc = self._kdc, None
        if kdc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(kdc.pid, signal.SIGTERM)
            try:
                kdc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(kdc.pid, signal.SIGKILL)
                kdc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Krb5Realm:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- principals, keytabs, tickets -------------------------------------------------------
    def principal(self, name: str) -> str:
        return name if "@" in name else f"{name}@{self.realm}"

    def add_principal(self, name: str, keytab: Path | None = None) -> Path:
        """Create ``name`` with a random key and export it to ``keytab`` (appended if the file
        exists; default ``<folder>/<name>.keytab``). Returns the keytab's path."""
        kadmin = _tool("kadmin.local")
        full = self.principal(name)
        keytab = keytab or self.folder / (name.replace("/", "_") + ".keytab")
        self._run(kadmin, "-r", self.realm, "-q", f"addprinc -randkey {full}")
        self._run(kadmin, "-r", self.realm, "-q", f"ktadd -k {keytab} {full}")
        return keytab

    def kinit(
        self, name: str, keytab: Path, *, lifetime: str | None = None, cache: str | None = None
    ) -> str:
        """Get a ticket for ``name`` from its keytab into ``cache`` (default: a fresh one);
        returns the cache's name (for ``KRB5CCNAME``)."""
        cache = cache or f"FILE:{self.folder}/{name.replace('/', '_')}-{time.monotonic_ns()}.cc"
        args = [_tool("kinit"), "-k", "-t", str(keytab)]
        if lifetime:
            args += ["-l", lifetime]
        self._run(*args, self.principal(name), env={"KRB5CCNAME": cache})
        return cache
