"""Provisioning one Airflow venv: uv against pip, cold and warm, side by side in one run.

    python benchmarks/provision.py [--version 2.8.4 ...] [--installer uv --installer pip]

For each version and installer, in a throwaway cache:

- ``cold``: no venv and an empty package cache (uv's cache, pip's cache), so every wheel is
  downloaded: what a fresh CI machine pays;
- ``warm cache``: no venv but the package cache of the cold run: what a second venv of the
  same version (another extra, a wiped venv folder) pays;
- ``reuse``: the venv exists: what every later test session pays.

Prints one row per version and installer with the three times and uv's speed-up over pip.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from airflow_client_ext.testing import _venv
from airflow_client_ext.testing.versions import MATRIX


def provision(version: str, installer: str, cache: Path) -> float:
    t0 = time.monotonic()
    _venv.ensure_venv(version, cache_dir=cache, installer=installer, progress=lambda _: None)
    return time.monotonic() - t0


def measure(version: str, installer: str, scratch: Path) -> dict[str, float]:
    cache = scratch / f"{installer}-{version}"
    pkg_cache = scratch / f"{installer}-{version}-pkgcache"
    env_var = "UV_CACHE_DIR" if installer == "uv" else "PIP_CACHE_DIR"
    saved = os.environ.get(env_var)
    os.environ[env_var] = str(pkg_cache)
    try:
        cold = provision(version, installer, cache)
        shutil.rmtree(cache / "airflow-venvs")
        warm = provision(version, installer, cache)
        reuse = provision(version, installer, cache)
    finally:
        if saved is None:
            os.environ.pop(env_var, None)
        else:
            os.environ[env_var] = saved
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(pkg_cache, ignore_errors=True)
    return {"cold": cold, "warm cache": warm, "reuse": reuse}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="append", dest="versions")
    parser.add_argument("--installer", action="append", dest="installers")
    args = parser.parse_args()
    versions = args.versions or list(MATRIX)
    installers = args.installers or ["uv", "pip"]
    rows: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="provision-bench-") as tmp:
        for version in versions:
            for installer in installers:
                times = measure(version, installer, Path(tmp))
                rows.append((version, installer, times))
                print(
                    f"{version:8} {installer:4} cold {times['cold']:6.1f} s  "
                    f"warm cache {times['warm cache']:6.1f} s  reuse {times['reuse']:5.2f} s",
                    flush=True,
                )
    print()
    print("| version | installer | cold (s) | warm cache (s) | reuse (s) | cold vs pip |")
    print("|---|---|---|---|---|---|")
    pip_cold = {v: t["cold"] for v, i, t in rows if i == "pip"}
    for version, installer, times in rows:
        ratio = (
            f"{pip_cold[version] / times['cold']:.1f}x faster"
            if installer == "uv" and version in pip_cold
            else ""
        )
        print(
            f"| {version} | {installer} | {times['cold']:.1f} | {times['warm cache']:.1f} | "
            f"{times['reuse']:.2f} | {ratio} |"
        )


if __name__ == "__main__":
    main()
