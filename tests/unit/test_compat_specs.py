"""The specs of the older supported releases (``COMPAT_VERSIONS`` in ``scripts/specs.py``):
locked like the main specs, one per minor, older than the main one, with their licenses."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import specs


def test_compat_versions_are_locked_older_minors() -> None:
    lock = specs.read_lock()
    for spec_id, versions in specs.COMPAT_VERSIONS.items():
        main = specs.version_key(lock["specs"][spec_id]["version"])
        assert sorted(lock["compat"][spec_id]) == sorted(versions)
        minors = {specs.version_key(v)[:2] for v in versions}
        assert len(minors) == len(versions)  # one release per minor
        assert all(specs.version_key(v) < main for v in versions)
        for version, path, entry in specs.locked_compat_specs(spec_id):
            assert entry["version"] == version
            assert entry["distribution"] == specs.UPSTREAMS[spec_id].distribution
            assert entry["path_in_wheel"] == specs.UPSTREAMS[spec_id].path_in_wheel
            assert path == specs.OPENAPI_DIR / specs.compat_file_name(spec_id, version)
            assert entry["license"] == "Apache-2.0"
            assert entry["license_files"]
            for name in entry["license_files"]:
                assert (specs.OPENAPI_DIR / "licenses" / name).is_file()


def test_every_compat_spec_file_is_locked() -> None:
    files = {
        e["file"]
        for by_version in specs.read_lock()["compat"].values()
        for e in by_version.values()
    }
    on_disk = {f"compat/{p.name}" for p in (specs.OPENAPI_DIR / "compat").glob("*")}
    assert on_disk == files


def test_load_compat_specs_refuses_a_changed_file(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = specs.read_lock()
    lock["compat"]["v2"]["3.1.8"]["sha256"] = "0" * 64
    monkeypatch.setattr(specs, "read_lock", lambda: lock)
    with pytest.raises(SystemExit, match="byte-for-byte"):
        specs.load_compat_specs("v2")


def test_load_compat_specs_wants_the_lock_to_match_compat_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(specs.COMPAT_VERSIONS, "v2", ("3.0.6", "3.1.8", "3.2.2", "3.2.1"))
    with pytest.raises(SystemExit, match="make spec"):
        specs.load_compat_specs("v2")


def test_compat_licenses_reuse_the_main_releases_files_when_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fetch_spec

    monkeypatch.setattr(fetch_spec, "LICENSES_DIR", tmp_path)

    def store(version: str | None, license_text: str, notice: str) -> list[str]:
        path = tmp_path / f"{version}.whl"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("x.dist-info/licenses/LICENSE", license_text)
            archive.writestr("x.dist-info/licenses/NOTICE", notice)
            archive.writestr("x.dist-info/licenses/sub/dir/LICENSE", "too deep")
        with zipfile.ZipFile(path) as archive:
            names: list[str] = fetch_spec.store_licenses("apache-airflow-core", version, archive)
        return names

    main = store(None, "L", "N 2026")
    assert main == ["apache-airflow-core.LICENSE", "apache-airflow-core.NOTICE"]
    old = store("3.0.6", "L", "N 2025")
    assert old == ["apache-airflow-core-3.0.6.NOTICE", "apache-airflow-core.LICENSE"]
    assert (tmp_path / "apache-airflow-core-3.0.6.NOTICE").read_text() == "N 2025"
    assert (tmp_path / "apache-airflow-core.NOTICE").read_text() == "N 2026"
    assert not (tmp_path / "apache-airflow-core-3.0.6.LICENSE").exists()


def test_compat_versions_must_be_older_than_the_main_spec(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import fetch_spec

    monkeypatch.setitem(fetch_spec.COMPAT_VERSIONS, "v2", ("3.0.6", "3.3.2"))
    with pytest.raises(SystemExit, match=r"\['3.3.2'\] are not older than 3.3.2"):
        fetch_spec.check_compat_versions("v2", "3.3.2", "3.3.2")
    monkeypatch.setitem(fetch_spec.COMPAT_VERSIONS, "v2", ("3.0.6", "3.1.8", "3.2.2"))
    assert fetch_spec.check_compat_versions("v2", "3.4.0", "3.3.2") == ["3.0.6", "3.1.8", "3.2.2"]
    assert (
        "3.3.2, the spec this bump replaces, is not in COMPAT_VERSIONS" in capsys.readouterr().out
    )
