"""Cached, isolated virtual environments holding one Airflow version each.

A venv lives in ``<cache>/airflow-venvs/<version>-py<X.Y>[-<hash>]``. It is created once and
reused. Creation is safe against:

- interruption: the venv is built in place (venvs are not relocatable, so building elsewhere
  and renaming would break the scripts' shebangs) and a marker file is written LAST; a folder
  without the marker is a leftover of an interrupted build and is removed and rebuilt;
- concurrency: an exclusive ``fcntl`` lock on ``<venv>.lock`` is held while checking and
  building, so a second process waits for the first one and then reuses its venv.

The installer is ``uv`` (the PyPI package, part of the ``testing`` extra) when it can be
found, else ``pip``; ``$AIRFLOW_CLIENT_EXT_INSTALLER=pip`` (or ``uv``) chooses. A cold
install of one Airflow takes about 15 s with uv here, about a minute with pip. What a
version needs beyond ``apache-airflow==X`` comes from :mod:`.versions`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._errors import AirflowServerError
from .versions import install_plan

logger = logging.getLogger("airflow_client_ext.testing")

CACHE_ENV_VAR = "AIRFLOW_CLIENT_EXT_CACHE"
INSTALLER_ENV_VAR = "AIRFLOW_CLIENT_EXT_INSTALLER"
READY_MARKER = ".airflow-client-ext-ready.json"
#: bumped when the way venvs are built changes, so that older cached venvs are rebuilt
#: (2: uv compiles bytecode; without it every Airflow process start compiled its imports)
BUILD_LAYOUT = 2
_LOCK_TIMEOUT = 3600.0


def cache_root() -> Path:
    """The cache folder: ``$AIRFLOW_CLIENT_EXT_CACHE`` or the user cache dir of the project."""
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is part of the [testing] extra
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "airflow-client-ext"
    return Path(platformdirs.user_cache_dir("airflow-client-ext"))


@dataclass(frozen=True)
class AirflowVenv:
    """A ready venv: where it is and how long getting it took."""

    path: Path
    version: str
    packages: tuple[str, ...]
    created: bool
    seconds: float
    installer: str = ""

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def airflow(self) -> Path:
        return self.bin / "airflow"


def venv_name(
    version: str,
    extra_packages: Sequence[str] = (),
    python: str | None = None,
    pip_args: Sequence[str] = (),
) -> str:
    """Folder name of the venv for one Airflow version, Python and extra-packages set."""
    py_tag = _python_tag(python)
    name = f"{version}-py{py_tag}"
    extras = sorted(set(extra_packages))
    if extras or pip_args:
        digest = hashlib.sha256(json.dumps([extras, list(pip_args)]).encode()).hexdigest()
        name += f"-{digest[:10]}"
    return name


def _python_tag(python: str | None) -> str:
    if python is None:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    out = subprocess.run(  # noqa: S603 - the caller chose this interpreter
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float, progress: Callable[[str], None]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    progress(f"waiting for another process holding {path}")
                    told = True
                if time.monotonic() > deadline:
                    raise AirflowServerError(
                        f"timed out after {timeout:.0f} s waiting for the lock {path}"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _is_ready(path: Path, version: str) -> bool:
    marker = path / READY_MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if info.get("version") != version or info.get("layout", 1) < BUILD_LAYOUT:
        return False
    python = path / "bin" / "python"
    if not (path / "bin" / "airflow").exists() or not python.exists():
        return False
    # The base interpreter a venv points at can disappear (pyenv upgrades, ...).
    try:
        subprocess.run(  # noqa: S603 - our own venv's interpreter
            [str(python), "-c", "pass"], check=True, capture_output=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def find_installer(choice: str | None = None) -> tuple[str, str | None]:
    """``("uv", path)`` when uv is wanted and found, else ``("pip", None)``.

    ``choice`` (default ``$AIRFLOW_CLIENT_EXT_INSTALLER``): ``"uv"``, ``"pip"`` or empty
    for uv-if-available. Asking for uv where there is none is an error.
    """
    wanted = (choice if choice is not None else os.environ.get(INSTALLER_ENV_VAR, "")).lower()
    if wanted not in ("", "uv", "pip"):
        raise AirflowServerError(f"{INSTALLER_ENV_VAR} must be 'uv' or 'pip', not {wanted!r}")
    if wanted == "pip":
        return "pip", None
    uv = _uv_binary()
    if uv is not None:
        return "uv", uv
    if wanted == "uv":
        raise AirflowServerError(
            "uv was asked for but is not installed: pip install uv "
            "(or pip install 'airflow-client-ext[testing]')"
        )
    return "pip", None


def _uv_binary() -> str | None:
    try:
        from uv import find_uv_bin  # the PyPI package ships the binary
    except ImportError:
        return shutil.which("uv")
    try:
        return str(find_uv_bin())
    except FileNotFoundError:  # pragma: no cover - a broken uv install
        return shutil.which("uv")


def ensure_venv(
    version: str,
    extra_packages: Sequence[str] = (),
    *,
    python: str | None = None,
    pip_args: Sequence[str] = (),
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    installer: str | None = None,
) -> AirflowVenv:
    """Return a venv with ``apache-airflow==version`` (plus extras), creating it if needed.

    ``python`` is the base interpreter (default: the running one); ``pip_args`` are passed to
    the installer (e.g. ``["--constraint", "constraints.txt"]``; uv and pip share the common
    ones); ``cache_dir`` overrides the cache root; ``installer`` is ``"uv"`` or ``"pip"``
    (default: see :func:`find_installer`). The pins of :mod:`.versions` for ``version`` are
    installed too and are part of the cache key.
    """
    say = progress or logger.info
    packages = (*extra_packages, *install_plan(version).requirements)
    root = (cache_dir or cache_root()) / "airflow-venvs"
    name = venv_name(version, packages, python, pip_args)
    path = root / name
    t0 = time.monotonic()
    if _is_ready(path, version):  # fast path, no lock needed: the marker is written last
        return _existing(path, version, extra_packages, t0)
    with _file_lock(root / f"{name}.lock", _LOCK_TIMEOUT, say):
        if _is_ready(path, version):  # built by someone else while we waited
            return _existing(path, version, extra_packages, t0)
        if path.exists():
            say(f"removing incomplete venv {path}")
            shutil.rmtree(path)
        tool, uv = find_installer(installer)
        say(f"creating a venv for Airflow {version} in {path} with {tool} (once)")
        _build(path, version, packages, python or sys.executable, pip_args, uv)
        seconds = time.monotonic() - t0
        info = {
            "version": version,
            "packages": sorted(packages),
            "pip_args": list(pip_args),
            "python": python or sys.executable,
            "installer": tool,
            "layout": BUILD_LAYOUT,
            "seconds": round(seconds, 1),
            "created_at": time.time(),
        }
        tmp = path / (READY_MARKER + ".tmp")
        tmp.write_text(json.dumps(info, indent=2))
        os.replace(tmp, path / READY_MARKER)
        say(f"venv for Airflow {version} provisioned with {tool} in {seconds:.1f} s")
        return AirflowVenv(path, version, tuple(extra_packages), True, seconds, tool)


def _existing(path: Path, version: str, extra_packages: Sequence[str], t0: float) -> AirflowVenv:
    try:
        tool = str(json.loads((path / READY_MARKER).read_text()).get("installer", "pip"))
    except (OSError, ValueError):
        tool = ""
    return AirflowVenv(path, version, tuple(extra_packages), False, time.monotonic() - t0, tool)


def _build(
    path: Path,
    version: str,
    packages: Sequence[str],
    python: str,
    pip_args: Sequence[str],
    uv: str | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    log = path.parent / f"{path.name}.install.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    venv_python = str(path / "bin" / "python")
    requirements = [f"apache-airflow=={version}", *packages, *pip_args]
    steps: list[list[str]]
    if uv is not None:
        steps = [
            # --seed: pip and setuptools in the venv, as `python -m venv` gives
            [uv, "venv", "--quiet", "--seed", "--python", python, str(path)],
            # --compile-bytecode: as pip does; the servers run with PYTHONDONTWRITEBYTECODE,
            # so without it every Airflow process (and task) compiles its imports again
            [uv, "pip", "install", "--compile-bytecode", "--python", venv_python, *requirements],
        ]
    else:
        steps = [
            [python, "-m", "venv", str(path)],
            [venv_python, "-m", "pip", "install", "--no-input", *requirements],
        ]
    with log.open("w") as out:
        for cmd in steps:
            out.write(f"$ {' '.join(cmd)}\n")
            out.flush()
            proc = subprocess.run(  # noqa: S603 - fixed commands
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False
            )
            if proc.returncode != 0:
                out.flush()
                raise AirflowServerError(
                    f"Airflow {version}: creating the venv failed "
                    f"(exit {proc.returncode}: {' '.join(cmd)})\n" + tail(log, 40)
                )


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a text file, framed with its name."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"--- {path}: cannot read ({exc})\n"
    body = "\n".join(text.splitlines()[-lines:])
    return f"--- last {lines} lines of {path}:\n{body}\n"
