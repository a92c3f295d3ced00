"""Fetch the Airflow specs from the wheels on the package index: ``make spec``.

    python scripts/fetch_spec.py --airflow2 2.11.2 --airflow3 3.3.2

Downloads ``apache-airflow==<airflow2>`` and ``apache-airflow-core==<airflow3>`` (no
dependencies), extracts each spec unchanged into ``openapi/``, carries the wheels' LICENSE
and NOTICE files into ``openapi/licenses/``, and rewrites ``openapi/specs.lock.json``. Then
does the same for the older releases of ``COMPAT_VERSIONS`` (``scripts/specs.py``): their
specs go to ``openapi/compat/``, their entries under ``"compat"`` in the lock, and their
LICENSE and NOTICE files to ``openapi/licenses/<distribution>-<version>.<name>`` unless they
are the same as the main release's. With the versions already locked, nothing changes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from specs import (
    COMPAT_DIR_NAME,
    COMPAT_VERSIONS,
    OPENAPI_DIR,
    UPSTREAMS,
    Upstream,
    compat_file_name,
    read_lock,
    sha256_of,
    version_key,
    write_lock,
)

LICENSES_DIR = OPENAPI_DIR / "licenses"
LICENSE_FILES = ("LICENSE", "NOTICE")


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


def store_licenses(distribution: str, version: str | None, archive: zipfile.ZipFile) -> list[str]:
    """Copy the wheel's LICENSE and NOTICE into ``openapi/licenses``; return their file names.

    The main release's files are ``<distribution>.<name>``; a compat release (``version``
    given) reuses them when its own are identical, else gets ``<distribution>-<version>.<name>``.
    """
    names = []
    for member in sorted(archive.namelist()):
        parts = member.split("/")
        if ".dist-info" not in parts[0] or parts[-1] not in LICENSE_FILES or len(parts) > 3:
            continue
        data = archive.read(member)
        shared = LICENSES_DIR / f"{distribution}.{parts[-1]}"
        if version is None:
            shared.write_bytes(data)
            target = shared
        elif shared.exists() and shared.read_bytes() == data:
            target = shared
        else:
            target = LICENSES_DIR / f"{distribution}-{version}.{parts[-1]}"
            target.write_bytes(data)
        names.append(target.name)
    return sorted(names)


def extract(
    upstream: Upstream, version: str, wheel: Path, file_name: str, *, compat: bool = False
) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        try:
            data = archive.read(upstream.path_in_wheel)
        except KeyError:
            raise SystemExit(
                f"{wheel.name} has no {upstream.path_in_wheel}: did the spec move? "
                "Update UPSTREAMS in scripts/specs.py."
            ) from None
        target = OPENAPI_DIR / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        licenses = store_licenses(upstream.distribution, version if compat else None, archive)
    return {
        "distribution": upstream.distribution,
        "version": version,
        "path_in_wheel": upstream.path_in_wheel,
        "file": file_name,
        "sha256": sha256_of(data),
        "wheel": wheel.name,
        "wheel_sha256": sha256_of(wheel.read_bytes()),
        "license": "Apache-2.0",
        "license_files": licenses,
    }


def check_compat_versions(spec_id: str, main_version: str, previous: str | None) -> list[str]:
    compat = sorted(COMPAT_VERSIONS.get(spec_id, ()), key=version_key)
    newer = [v for v in compat if version_key(v) >= version_key(main_version)]
    if newer:
        raise SystemExit(
            f"{spec_id}: compat versions {newer} are not older than {main_version}; "
            "fix COMPAT_VERSIONS in scripts/specs.py"
        )
    if previous and previous != main_version and previous not in compat:
        print(
            f"{spec_id}: note: {previous}, the spec this bump replaces, is not in "
            "COMPAT_VERSIONS (scripts/specs.py); add it if its servers are still supported"
        )
    return compat


def remove_stale(lock: dict[str, Any]) -> None:
    """Delete compat specs and versioned license files that no lock entry names any more."""
    entries = list(lock.get("specs", {}).values())
    entries += [e for by_version in lock.get("compat", {}).values() for e in by_version.values()]
    files = {OPENAPI_DIR / e["file"] for e in entries}
    licenses = {LICENSES_DIR / name for e in entries for name in e.get("license_files", [])}
    for path in sorted((OPENAPI_DIR / COMPAT_DIR_NAME).glob("*.yaml")):
        if path not in files:
            path.unlink()
            print(f"removed {path.relative_to(OPENAPI_DIR)}")
    for upstream in UPSTREAMS.values():
        for name in LICENSE_FILES:
            for path in sorted(LICENSES_DIR.glob(f"{upstream.distribution}-*.{name}")):
                if path not in licenses:
                    path.unlink()
                    print(f"removed {path.relative_to(OPENAPI_DIR)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow2", required=True, help="apache-airflow version (v1 spec)")
    parser.add_argument("--airflow3", required=True, help="apache-airflow-core version (v2)")
    args = parser.parse_args()
    versions = {"v1": args.airflow2, "v2": args.airflow3}

    LICENSES_DIR.mkdir(parents=True, exist_ok=True)
    lock = read_lock()
    specs = lock.setdefault("specs", {})
    compat_lock = lock.setdefault("compat", {})
    with tempfile.TemporaryDirectory(prefix="airflow-spec-") as tmp:
        for spec_id, upstream in UPSTREAMS.items():
            previous = specs.get(spec_id, {}).get("version")
            compat = check_compat_versions(spec_id, versions[spec_id], previous)
            wheel = download_wheel(upstream.distribution, versions[spec_id], Path(tmp))
            entry = extract(upstream, versions[spec_id], wheel, upstream.file_name)
            changed = specs.get(spec_id) != entry
            specs[spec_id] = entry
            state = "updated" if changed else "unchanged"
            print(
                f"{spec_id}: {upstream.distribution} {entry['version']} {entry['sha256']} ({state})"
            )
            # the main release's license files are in place: compat ones compare with them
            old_entries = compat_lock.get(spec_id, {})
            new_entries = {}
            for version in compat:
                wheel = download_wheel(upstream.distribution, version, Path(tmp))
                file_name = compat_file_name(spec_id, version)
                entry = extract(upstream, version, wheel, file_name, compat=True)
                state = "unchanged" if old_entries.get(version) == entry else "updated"
                new_entries[version] = entry
                print(f"{spec_id} compat: {upstream.distribution} {version} ({state})")
            compat_lock[spec_id] = new_entries
    write_lock(lock)
    remove_stale(lock)


if __name__ == "__main__":
    main()
