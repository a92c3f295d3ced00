"""Transforms of the Airflow 2 spec (``/api/v1``, apache-airflow 2.x ``v1.yaml``)."""

from __future__ import annotations

from . import Spec, iter_operations, transform


@transform("v1")
def require_declared_credentials(spec: Spec) -> None:
    """Make every operation send the credentials of the HTTP schemes the spec declares.

    v1 declares ``security: []`` globally and nothing per operation, so a client generated
    from it sends no credentials at all and the server answers 403. Airflow 2 enforces auth
    through its configured backends (basic auth, Kerberos, ...), so every operation accepts
    any of them: the global requirement becomes "any one of the declared HTTP schemes".
    """
    schemes = spec.get("components", {}).get("securitySchemes", {})
    http_schemes = [name for name, scheme in schemes.items() if scheme.get("type") == "http"]
    if not spec.get("security"):
        spec["security"] = [{name: []} for name in http_schemes]
    for _, _, operation in iter_operations(spec):
        if operation.get("security") == []:
            del operation["security"]


@transform("v1")
def keep_negotiate_scheme(spec: Spec) -> None:
    """Keep the Kerberos (``http`` / ``negotiate``) scheme declared and required.

    openapi-generator ignores HTTP schemes other than basic and bearer (it warns and emits
    no auth setting), which tempts one to delete the scheme. We keep it: it documents that
    Airflow 2 accepts SPNEGO, and ``airflow_client_ext`` answers the Negotiate challenge in
    its transport. This transform restores the declaration if a spec bump drops it.
    """
    schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {})
    name = next(
        (
            n
            for n, s in schemes.items()
            if s.get("type") == "http" and s.get("scheme") == "negotiate"
        ),
        None,
    )
    if name is None:
        name = "Kerberos"
        schemes[name] = {"type": "http", "scheme": "negotiate"}
    security = spec.setdefault("security", [])
    if {name: []} not in security:
        security.append({name: []})
