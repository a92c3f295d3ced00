"""The venv cache: reuse, rebuild after an interrupted build, one builder at a time.

The real ``pip install`` is replaced by a fake build (a venv-like folder whose ``bin/python``
is this interpreter), so these tests take seconds and need no server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airflow_client_ext.testing import _venv

FAKE_BUILD = """
import os, sys, time
from pathlib import Path

def fake_build(path, version, extra_packages, python, pip_args, uv=None):
    (path / "bin").mkdir(parents=True)
    os.symlink(sys.executable, path / "bin" / "python")
    (path / "bin" / "airflow").write_text("#!/bin/sh\\n")
    with open(os.environ["BUILD_LOG"], "a") as log:
        log.write("%d\\n" % os.getpid())
    time.sleep(float(os.environ.get("BUILD_SECONDS", "0")))
"""


def _run_ensure(cache: Path, log: Path, seconds: float) -> subprocess.Popen[str]:
    code = FAKE_BUILD + textwrap.dedent(
        f"""
        from airflow_client_ext.testing import _venv
        _venv._build = fake_build
        venv = _venv.ensure_venv("9.9.9", cache_dir=Path({str(cache)!r}))
        print(venv.path, venv.created)
        """
    )
    env = {"BUILD_LOG": str(log), "BUILD_SECONDS": str(seconds), "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONPATH": ":".join(sys.path)},
    )


def test_two_processes_build_once(tmp_path: Path) -> None:
    log = tmp_path / "builds.log"
    first = _run_ensure(tmp_path / "cache", log, seconds=2)
    second = _run_ensure(tmp_path / "cache", log, seconds=2)
    outs = [p.communicate(timeout=60) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs
    results = sorted(out.split() for out, _ in outs)
    assert results[0][0] == results[1][0]  # same venv path
    assert sorted(r[1] for r in results) == ["False", "True"]  # built once, reused once
    assert len(log.read_text().split()) == 1
    marker = Path(results[0][0]) / _venv.READY_MARKER
    assert json.loads(marker.read_text())["version"] == "9.9.9"


def test_interrupted_build_is_redone(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = cache / "airflow-venvs" / _venv.venv_name("9.9.9")
    (path / "bin").mkdir(parents=True)  # a leftover without the ready marker
    (path / "junk").write_text("half-installed")
    log = tmp_path / "builds.log"
    proc = _run_ensure(cache, log, seconds=0)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.split() == [str(path), "True"]
    assert not (path / "junk").exists()
    again = _run_ensure(cache, log, seconds=0)
    out, err = again.communicate(timeout=60)
    assert out.split() == [str(path), "False"], err
    assert len(log.read_text().split()) == 1


def test_venv_names_separate_versions_pythons_and_extras() -> None:
    tag = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert _venv.venv_name("2.11.2") == f"2.11.2-py{tag}"
    with_extras = _venv.venv_name("2.11.2", ["apache-airflow-providers-http"])
    assert with_extras.startswith(f"2.11.2-py{tag}-")
    assert with_extras != _venv.venv_name("2.11.2", ["other"])
    assert with_extras == _venv.venv_name("2.11.2", ["apache-airflow-providers-http"] * 2)


def test_cache_root_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_venv.CACHE_ENV_VAR, str(tmp_path))
    assert _venv.cache_root() == tmp_path.resolve()
    monkeypatch.delenv(_venv.CACHE_ENV_VAR)
    assert _venv.cache_root().name == "airflow-client-ext"
