"""What we generate from, and where it comes from: one place for the spec pipeline's facts.

``openapi/specs.lock.json`` names, for each spec id, the file in ``openapi/``, where it came
from (distribution, version, path inside the wheel) and its sha256. ``scripts/fetch_spec.py``
writes it; ``scripts/generate.py`` refuses to generate from a file that does not match it.

Specs written here (``AUTHORED``: Starship publishes none) are locked too, so that an edit
is a deliberate step: ``make lock-authored`` (``python scripts/specs.py --relock``) records
the new sha256 after the edit.

The client is generated from the newest spec of each API, but must read the answers of every
minor release people run. ``COMPAT_VERSIONS`` names, per spec id, the latest patch release of
each older supported minor; ``make spec`` fetches their specs unchanged into
``openapi/compat/`` and locks them under ``"compat"`` in the same lock file. They are never
generated from: the transforms compare the main spec with them (``load_compat_specs``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPENAPI_DIR = ROOT / "openapi"
LOCK_FILE = OPENAPI_DIR / "specs.lock.json"
TEMPLATES_DIR = ROOT / "scripts" / "templates"

#: openapi-generator-cli release the pipeline is pinned to (the PyPI package bundles the jar).
GENERATOR_VERSION = "7.26.0"


@dataclass(frozen=True)
class Upstream:
    """A spec shipped inside a wheel on the package index."""

    spec_id: str
    distribution: str
    path_in_wheel: str
    file_name: str


@dataclass(frozen=True)
class Target:
    """A generated package: which spec, which Python package name."""

    spec_id: str
    package: str


#: Specs fetched by ``make spec``. Keys of the lock file are the spec ids.
UPSTREAMS = {
    "v1": Upstream(
        spec_id="v1",
        distribution="apache-airflow",
        path_in_wheel="airflow/api_connexion/openapi/v1.yaml",
        file_name="airflow-v1.yaml",
    ),
    "v2": Upstream(
        spec_id="v2",
        distribution="apache-airflow-core",
        path_in_wheel="airflow/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml",
        file_name="airflow-v2.yaml",
    ),
}


#: Older releases whose answers the client generated from ``UPSTREAMS`` must also read: the
#: latest patch of each older supported minor (see ../shared/AIRFLOW_NOTES.md, "Versions in the
#: field"). On a bump of the main spec, add the release it replaces here.
COMPAT_VERSIONS: dict[str, tuple[str, ...]] = {
    "v1": ("2.8.4", "2.9.3", "2.10.5"),
    "v2": ("3.0.6", "3.1.8", "3.2.2"),
}

#: Folder (inside ``openapi/``) of the compat specs.
COMPAT_DIR_NAME = "compat"


def compat_file_name(spec_id: str, version: str) -> str:
    """The compat spec's file, relative to ``openapi/``: ``compat/airflow-v2-3.1.8.yaml``."""
    stem = UPSTREAMS[spec_id].file_name.removesuffix(".yaml")
    return f"{COMPAT_DIR_NAME}/{stem}-{version}.yaml"


def version_key(version: str) -> tuple[int, ...]:
    """``"3.10.2"`` -> ``(3, 10, 2)``, for ordering release numbers."""
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class Authored:
    """A spec written in this repository from the behaviour of a distribution's code."""

    spec_id: str
    distribution: str
    version: str
    file_name: str


#: Specs authored here, with the distribution (and version) whose behaviour they describe.
AUTHORED = {
    "starship": Authored(
        spec_id="starship",
        distribution="astronomer-starship",
        version="2.10.1",
        file_name="starship.yaml",
    ),
}

#: Generated packages. Their names say which API they speak and cannot collide with the
#: official client's ``airflow_client`` package.
TARGETS = {
    "v1": Target(spec_id="v1", package="airflow_client_ext_v1"),
    "v2": Target(spec_id="v2", package="airflow_client_ext_v2"),
    "starship": Target(spec_id="starship", package="airflow_client_ext_starship"),
}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_lock() -> dict[str, Any]:
    if not LOCK_FILE.exists():
        return {"specs": {}}
    return dict(json.loads(LOCK_FILE.read_text()))


def write_lock(lock: dict[str, Any]) -> None:
    LOCK_FILE.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")


def locked_spec_path(spec_id: str) -> tuple[Path, dict[str, Any]]:
    """Return the spec file for ``spec_id`` after checking it against the lock."""
    entry = read_lock()["specs"].get(spec_id)
    if entry is None:
        raise SystemExit(f"spec {spec_id!r} is not in {LOCK_FILE}; run `make spec` first")
    path = OPENAPI_DIR / entry["file"]
    actual = sha256_of(path.read_bytes())
    if actual != entry["sha256"] and spec_id in AUTHORED:
        raise SystemExit(
            f"{path} has sha256 {actual}, the lock says {entry['sha256']}: after editing an "
            "authored spec, record it with `make lock-authored`."
        )
    if actual != entry["sha256"]:
        raise SystemExit(
            f"{path} has sha256 {actual}, the lock says {entry['sha256']}: specs in openapi/ "
            "are kept byte-for-byte as upstream ships them. Put fixes in scripts/transforms.py "
            "and restore the file with `make spec`."
        )
    return path, entry


def _check_locked_file(entry: dict[str, Any], what: str) -> Path:
    path = OPENAPI_DIR / entry["file"]
    actual = sha256_of(path.read_bytes())
    if actual != entry["sha256"]:
        raise SystemExit(
            f"{path} ({what}) has sha256 {actual}, the lock says {entry['sha256']}: specs in "
            "openapi/ are kept byte-for-byte as upstream ships them; restore it with `make spec`."
        )
    return path


def locked_compat_specs(spec_id: str) -> list[tuple[str, Path, dict[str, Any]]]:
    """(version, file, lock entry) of each compat spec of ``spec_id``, oldest first, checked
    against the lock; ``COMPAT_VERSIONS`` and the lock must name the same versions."""
    wanted = sorted(COMPAT_VERSIONS.get(spec_id, ()), key=version_key)
    locked = read_lock().get("compat", {}).get(spec_id, {})
    if sorted(locked, key=version_key) != wanted:
        raise SystemExit(
            f"the lock has compat specs {sorted(locked, key=version_key)} for {spec_id!r}, "
            f"COMPAT_VERSIONS in scripts/specs.py says {wanted}: run `make spec`"
        )
    return [
        (
            version,
            _check_locked_file(locked[version], f"{spec_id} compat {version}"),
            locked[version],
        )
        for version in wanted
    ]


@functools.cache
def _parsed(path: Path, sha256: str) -> Any:
    import yaml  # the tool venv and the test envs have it; this module's other users need not

    data = path.read_bytes()
    if yaml.__with_libyaml__:  # the same result as safe_load, in a fifth of the time
        return yaml.load(data, Loader=yaml.CSafeLoader)
    return yaml.safe_load(data)


def load_compat_specs(spec_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(version, parsed spec) of each compat spec of ``spec_id``, oldest first.

    Parsed once per process and shared: callers must not change them (``copy.deepcopy``
    first, as ``transforms.apply_transforms`` does).
    """
    return [
        (version, _parsed(path, entry["sha256"]))
        for version, path, entry in locked_compat_specs(spec_id)
    ]


def relock_authored() -> list[str]:
    """Record the current sha256 of each authored spec in the lock; return what changed."""
    lock = read_lock()
    specs = lock.setdefault("specs", {})
    changed = []
    for spec_id, authored in AUTHORED.items():
        data = (OPENAPI_DIR / authored.file_name).read_bytes()
        entry = {
            "authored": True,
            "distribution": authored.distribution,
            "version": authored.version,
            "file": authored.file_name,
            "sha256": sha256_of(data),
            "license": "Apache-2.0",
        }
        if specs.get(spec_id) != entry:
            specs[spec_id] = entry
            changed.append(spec_id)
    write_lock(lock)
    return changed


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--relock"]:
        raise SystemExit("usage: python scripts/specs.py --relock")
    names = relock_authored()
    print(f"relocked: {', '.join(names)}" if names else "authored specs unchanged")
