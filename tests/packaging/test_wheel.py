"""The distribution: one wheel that installs the layer and both generated clients, and works
in a fresh venv without the source tree."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SMOKE = """
import importlib.metadata as md, json, sys
import airflow_client_ext, airflow_client_ext_v1 as v1, airflow_client_ext_v2 as v2
assert "site-packages" in airflow_client_ext.__file__, airflow_client_ext.__file__
def api_names(p):
    return [n for n in p.__all__ if n.endswith("Api") and n != "ApiClient"]
apis = {p.__name__: api_names(p) for p in (v1, v2)}
for p in (v1, v2):
    for name in apis[p.__name__]:
        getattr(p, name)
eps = [e.value for e in md.entry_points(group="pytest11") if e.name == "airflow_client_ext"]
body = v2.ApiClient().sanitize_for_serialization(v2.TriggerDAGRunPostBody())
print(json.dumps({"apis": {k: len(v) for k, v in apis.items()}, "pytest11": eps, "body": body,
                  "requires": md.requires("airflow-client-ext")}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("airflow_client_ext-*.whl")
    return built


def test_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {
        "airflow_client_ext",
        "airflow_client_ext_v1",
        "airflow_client_ext_v2",
        "airflow_client_ext_starship",
    }
    assert "airflow_client_ext_starship/py.typed" in names
    assert "airflow_client_ext/py.typed" in names
    assert "airflow_client_ext_v2/py.typed" in names
    licenses = [n for n in names if "/licenses/" in n]
    assert any(n.endswith("LICENSE") for n in licenses)
    assert any(n.endswith("apache-airflow-core.NOTICE") for n in licenses)


def test_wheel_works_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, cwd=tmp_path
    )
    result = subprocess.run(
        [str(python), "-c", SMOKE], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    report = json.loads(result.stdout)
    assert report["apis"] == {"airflow_client_ext_v1": 19, "airflow_client_ext_v2": 28}
    assert report["pytest11"] == ["airflow_client_ext.testing.plugin"]
    assert report["body"] == {"logical_date": None}
    assert any(r.startswith("pydantic") for r in report["requires"])
