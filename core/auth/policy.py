"""Who may do what: the grants of each role, and the row-level rules (which communes, which
organisations). Every mutation asks here; nothing else decides."""

from __future__ import annotations

from collections.abc import Iterable

from bocage.core.auth.principal import Principal, Role

#: Permission codes each role holds. Administrators hold every permission; integrator clients
#: hold exactly the scopes of their token.
ROLE_GRANTS: dict[Role, frozenset[str]] = {
    Role.COMMUNE_EDITOR: frozenset(
        {"projects:write", "stakeholders:write", "contacts:read", "contacts:write", "pst:write"}
    ),
    Role.STAKEHOLDER_MEMBER: frozenset({"stakeholders:write", "contacts:read", "contacts:write"}),
}


def can(principal: Principal, permission: str) -> bool:
    """Whether ``principal`` holds ``permission`` at all (rows are checked separately)."""
    if principal.is_admin:
        return True
    if Role.INTEGRATOR in principal.roles and principal.has_scope(permission):
        return True
    return any(permission in ROLE_GRANTS.get(role, frozenset()) for role in principal.roles)


def commune_scope(principal: Principal) -> frozenset[str] | None:
    """NIS codes the principal is limited to, or ``None`` for every commune."""
    if principal.is_admin:
        return None
    if Role.INTEGRATOR in principal.roles and not principal.communes:
        return None
    return principal.communes


def may_touch_communes(principal: Principal, nis_codes: Iterable[str]) -> bool:
    """An object in these communes may be changed: all of them must be within the principal's
    communes (a Hannut editor cannot touch a project Hannut shares with Andenne)."""
    codes = set(nis_codes)
    scope = commune_scope(principal)
    if scope is None:
        return True
    return bool(codes) and codes <= scope


def may_touch_stakeholder(
    principal: Principal, stakeholder_id: int | None, nis_codes: Iterable[str]
) -> bool:
    """A stakeholder may be changed by its own members, or within the principal's communes."""
    if principal.is_admin:
        return True
    if stakeholder_id is not None and stakeholder_id in principal.stakeholders:
        return True
    if Role.COMMUNE_EDITOR in principal.roles or Role.INTEGRATOR in principal.roles:
        return may_touch_communes(principal, nis_codes)
    return False
