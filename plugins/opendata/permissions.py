"""The open-data plugin's permission, next to what it protects."""

from __future__ import annotations

from bocage.core.api import Permission, Principal, Role, can, commune_scope, holds_territories

#: Describe, upload, publish and unpublish datasets. Commune editors hold it for the datasets
#: of their own communes; a principal limited to communes (editor or integrator) can only
#: touch the datasets of those communes, never the GAL's own.
OPENDATA_PUBLISH = Permission(
    "opendata:publish",
    "Describe, upload, publish and unpublish open datasets (commune editors: their communes').",
)


def may_publish(
    principal: Principal, commune_nis: str | None, territory_id: int | None = None
) -> bool:
    """Whether ``principal`` may manage a dataset of ``commune_nis`` (``None``: the GAL's of
    ``territory_id``). Once the installation holds several GALs, a principal confined to some
    (docs/tenancy.md) manages their communes' datasets and the GAL datasets of its territories
    (administrators, publishers restricted to no commune), never another GAL's."""
    if not (can(principal, OPENDATA_PUBLISH.code) or Role.COMMUNE_EDITOR in principal.roles):
        return False
    scope = commune_scope(principal)
    if commune_nis is not None:
        return scope is None or commune_nis in scope
    if scope is None:
        return True
    return territory_id in (holds_territories(principal, OPENDATA_PUBLISH.code) or ())
