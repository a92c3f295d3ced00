"""The Airflow versions the harness starts, and what each needs to install and run.

Upstream publishes a constraints file per release (the exact dependency world it was tested
with), but it lives outside the package index, so the harness installs a plain
``apache-airflow==X.Y.Z`` and keeps, in :data:`VERSION_FIXES`, ONE table of what a release
needs beyond that: a pin of a dependency that has since broken it, or a setting it cannot
start without. Each entry says why. A version not in the table needs nothing.

:data:`MATRIX` is the latest patch of every supported minor: what ``make matrix`` runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The latest patch release of every minor the client supports, oldest first.
MATRIX: tuple[str, ...] = (
    "2.8.4",
    "2.9.3",
    "2.10.5",
    "2.11.2",
    "3.0.6",
    "3.1.8",
    "3.2.2",
    "3.3.2",
)

#: The two versions the full contract suites run on (the specs' own versions).
PRIMARY: tuple[str, ...] = ("2.11.2", "3.3.2")


@dataclass(frozen=True)
class Pin:
    """A requirement added to ``pip install apache-airflow==X`` and why it is needed."""

    requirement: str
    reason: str


@dataclass(frozen=True)
class Setting:
    """An environment variable every process of the server gets, and why."""

    name: str
    value: str
    reason: str


@dataclass(frozen=True)
class VersionFix:
    pins: tuple[Pin, ...] = ()
    settings: tuple[Setting, ...] = ()


#: What a release needs beyond a plain install, keyed by exact version.
VERSION_FIXES: Mapping[str, VersionFix] = {
    "2.8.4": VersionFix(
        pins=(
            Pin(
                "WTForms<3.1",
                "with WTForms 3.1 or later (which 2.8.4's own requirements allow) every "
                "Flask-AppBuilder form page of the UI answers 500 (FAB 4.3.11 passes field "
                "flags as a tuple: \"'tuple' object has no attribute 'items'\"), "
                "/variable/add and /variable/list/ among them",
            ),
        ),
    ),
    "3.0.6": VersionFix(
        pins=(
            Pin(
                "cadwyn<6",
                "with cadwyn 6 or later (which 3.0.6's own requirements allow) the execution "
                "API answers the task runner's first call with 422 'validation error': every "
                "task fails, and the dag-processor reports unhealthy; cadwyn 5.4 runs them",
            ),
            Pin(
                "fastapi<0.118",
                "cadwyn 5 imports fastapi._compat.get_compat_model_name_map, gone from later "
                "FastAPI releases (the api-server dies at start without this pin)",
            ),
        ),
        settings=(
            Setting(
                "AIRFLOW__API_AUTH__JWT_ISSUER",
                "airflow-client-ext-testing",
                "3.0.x signs its JWTs with iss=None when [api_auth] jwt_issuer is unset; "
                "PyJWT >= 2.10 (which 3.0.6's own requirements allow) refuses that claim, so "
                "POST /auth/token answers 500 'Issuer (iss) must be a string'",
            ),
        ),
    ),
    "3.2.2": VersionFix(
        pins=(
            Pin(
                "fastapi<0.156",
                "FastAPI 0.157 and later (which 3.2.2's own requirements allow) make pydantic "
                "reject 3.2.2's execution-API union TITerminalStatePayload ('needs a "
                "discriminator field'): the api-server and dag-processor die at start; "
                "0.155.0 runs (bisected here; pydantic 2.13 or 2.14 makes no difference)",
            ),
        ),
    ),
}


@dataclass(frozen=True)
class InstallPlan:
    """What provisioning one version installs and sets."""

    version: str
    pins: tuple[Pin, ...] = field(default=())
    settings: tuple[Setting, ...] = field(default=())

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(p.requirement for p in self.pins)

    @property
    def env(self) -> dict[str, str]:
        return {s.name: s.value for s in self.settings}


def install_plan(version: str) -> InstallPlan:
    """The pins and settings of ``version`` (none for a version the table does not name)."""
    fix = VERSION_FIXES.get(version, VersionFix())
    return InstallPlan(version, fix.pins, fix.settings)
