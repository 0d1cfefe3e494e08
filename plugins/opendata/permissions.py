"""The open-data plugin's permission, next to what it protects."""

from __future__ import annotations

from bocage.core.api import Permission, Principal, Role, can, commune_scope

#: Describe, upload, publish and unpublish datasets. Commune editors hold it for the datasets
#: of their own communes; a principal limited to communes (editor or integrator) can only
#: touch the datasets of those communes, never the GAL's own.
OPENDATA_PUBLISH = Permission(
    "opendata:publish",
    "Describe, upload, publish and unpublish open datasets (commune editors: their communes').",
)


def may_publish(principal: Principal, commune_nis: str | None) -> bool:
    """Whether ``principal`` may manage a dataset of ``commune_nis`` (``None``: the GAL)."""
    if not (can(principal, OPENDATA_PUBLISH.code) or Role.COMMUNE_EDITOR in principal.roles):
        return False
    scope = commune_scope(principal)
    if scope is None:
        return True
    return commune_nis is not None and commune_nis in scope
