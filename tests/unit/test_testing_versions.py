"""The harness's table of versions and what each needs to install and run (no server)."""

from __future__ import annotations

import pytest

from airflow_client_ext.testing import _venv
from airflow_client_ext.testing._errors import AirflowServerError
from airflow_client_ext.testing.versions import MATRIX, PRIMARY, VERSION_FIXES, install_plan


def test_the_matrix_is_the_latest_patch_of_every_minor_oldest_first() -> None:
    minors = [tuple(int(p) for p in v.split(".")[:2]) for v in MATRIX]
    assert minors == sorted(minors)
    assert len(set(minors)) == len(minors)
    assert minors[0] == (2, 8)
    assert minors[-1] == (3, 3)
    assert set(PRIMARY) <= set(MATRIX)


def test_every_fix_is_for_a_matrix_version_and_says_why() -> None:
    for version, fix in VERSION_FIXES.items():
        assert version in MATRIX
        assert fix.pins or fix.settings
        for item in (*fix.pins, *fix.settings):
            assert len(item.reason) > 40, item  # a reason a person can act on


def test_a_pin_is_installed_and_part_of_the_cache_key() -> None:
    plan = install_plan("3.2.2")
    assert plan.requirements == ("fastapi<0.156",)
    assert install_plan("3.3.2").requirements == ()
    pinned = _venv.venv_name("3.2.2", plan.requirements)
    assert pinned != _venv.venv_name("3.2.2")
    assert pinned.startswith("3.2.2-py")


def test_a_setting_reaches_the_servers_environment() -> None:
    assert install_plan("3.0.6").env == {
        "AIRFLOW__API_AUTH__JWT_ISSUER": "airflow-client-ext-testing"
    }
    assert install_plan("2.11.2").env == {}


def test_the_installer_is_chosen_explicitly_or_uv_when_found() -> None:
    assert _venv.find_installer("pip") == ("pip", None)
    tool, path = _venv.find_installer("")
    assert tool == "uv"  # the testing extra installs uv
    assert path is not None
    with pytest.raises(AirflowServerError, match="must be 'uv' or 'pip'"):
        _venv.find_installer("conda")


def test_uv_asked_for_but_missing_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_venv, "_uv_binary", lambda: None)
    assert _venv.find_installer("") == ("pip", None)
    with pytest.raises(AirflowServerError, match="pip install uv"):
        _venv.find_installer("uv")
