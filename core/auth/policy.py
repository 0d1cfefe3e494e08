"""Who may do what: the grants of each role, and the row-level rules (which communes, which
organisations). Every mutation asks here; nothing else decides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bocage.core.auth.principal import Principal, Role

#: Permission codes each role holds whatever the configuration. Administrators hold every
#: permission; integrator clients hold exactly the scopes of their token; the operator grants
#: further permissions to roles (``Principal.grants``, see :mod:`bocage.core.auth.grants`).
ROLE_GRANTS: dict[Role, frozenset[str]] = {
    Role.COMMUNE_EDITOR: frozenset(
        {"projects:write", "stakeholders:write", "contacts:read", "contacts:write", "pst:write"}
    ),
    Role.STAKEHOLDER_MEMBER: frozenset({"stakeholders:write", "contacts:read", "contacts:write"}),
}


def _wholly(principal: Principal, permission: str) -> bool:
    """Whether ``principal`` holds ``permission`` wherever its roles reach: as an
    administrator, by its scopes, by its role, or by a grant that names no commune."""
    return (
        principal.is_admin
        or (Role.INTEGRATOR in principal.roles and principal.has_scope(permission))
        or any(permission in ROLE_GRANTS.get(role, frozenset()) for role in principal.roles)
        or (permission, None) in principal.grants
    )


def _granted_communes(principal: Principal, permission: str) -> frozenset[str]:
    """The communes (NIS codes) of ``principal`` where a per-commune grant gives it
    ``permission``: a grant for a commune that is not the principal's gives nothing."""
    return frozenset(
        nis
        for code, nis in principal.grants
        if code == permission and nis is not None and nis in principal.communes
    )


def can(principal: Principal, permission: str) -> bool:
    """Whether ``principal`` holds ``permission`` at all: everywhere, or in at least one of
    its communes (rows are checked separately, with :func:`may_touch_communes`)."""
    return _wholly(principal, permission) or bool(_granted_communes(principal, permission))


def commune_scope(principal: Principal, permission: str | None = None) -> frozenset[str] | None:
    """NIS codes the principal is limited to, or ``None`` for every commune.

    With a ``permission``: the communes where it holds that permission; a commune editor
    granted it for some communes only is limited to those (none if it does not hold it)."""
    if permission is not None and not _wholly(principal, permission):
        return _confined(principal, _granted_communes(principal, permission))
    if principal.is_admin or (Role.INTEGRATOR in principal.roles and not principal.communes):
        # Everywhere: every commune, or those of its territories when it is confined.
        return None if principal.tenancy is None else principal.tenant_communes
    return _confined(principal, principal.communes)


def _confined(principal: Principal, communes: frozenset[str]) -> frozenset[str]:
    """``communes`` within the principal's territories (all of them when not confined)."""
    return communes if principal.tenancy is None else communes & principal.tenant_communes


def may_touch_territory(principal: Principal, territory_id: int | None) -> bool:
    """A row of a territory that belongs to no commune (a territory's own event, survey,
    dataset...) is within reach: always for a principal that is not confined (see
    :mod:`bocage.core.auth.tenancy`), else when it is one of its territories' (a row of no
    territory then belongs to the operators). Whether its role may change such rows at all is
    the permission's question (:func:`can`)."""
    if principal.tenancy is None:
        return True
    return territory_id is not None and territory_id in principal.tenancy


def territory_scope(principal: Principal) -> frozenset[int] | None:
    """The territories (keys) whose rows ``principal`` may read, or ``None`` for all."""
    return principal.tenancy


def may_touch_communes(
    principal: Principal, nis_codes: Iterable[str], permission: str | None = None
) -> bool:
    """An object in these communes may be changed: all of them must be within the principal's
    communes (a Hannut editor cannot touch a project Hannut shares with Andenne), and, with a
    ``permission``, within the communes where it holds that permission."""
    codes = set(nis_codes)
    scope = commune_scope(principal, permission)
    if scope is None:
        return True
    return bool(codes) and codes <= scope


@dataclass(frozen=True)
class Reach:
    """The organisations' and communes' rows a principal reaches, as data: what
    :func:`may_touch_stakeholder` decides for one row, and what the event log is filtered with
    (``bocage.core.events.visible_to``), so that both follow one rule. A webhook subscription
    keeps its subscriber's reach (``as_json``) from when it was saved."""

    #: The organisations it belongs to: their rows are reached whatever their communes.
    stakeholders: frozenset[int] = frozenset()
    #: A row is reached when all its communes (at least one) are among these NIS codes;
    #: ``None``: every row (administrators, integrators restricted to no commune).
    communes: frozenset[str] | None = frozenset()
    #: The owners (:func:`owner_key`) whose own rows it reaches, such as their webhook
    #: subscriptions: its own; ``None``: every owner's (administrators).
    owners: frozenset[str] | None = frozenset()
    #: A row of a territory and of no commune is reached when its territory is among these
    #: (confined administrators, integrators of a territory); every territory's rows are
    #: reached when ``communes`` is ``None``.
    territories: frozenset[int] = frozenset()

    def covers(
        self, stakeholder_id: int | None, nis_codes: Iterable[str], territory_id: int | None = None
    ) -> bool:
        """Whether a row of this organisation in these communes (or, in none, of this
        territory) is reached."""
        if stakeholder_id is not None and stakeholder_id in self.stakeholders:
            return True
        if self.communes is None:
            return True
        codes = set(nis_codes)
        if codes:
            return codes <= self.communes
        return territory_id is not None and territory_id in self.territories

    def as_json(self) -> dict[str, list[int] | list[str] | None]:
        return {
            "stakeholders": sorted(self.stakeholders),
            "communes": None if self.communes is None else sorted(self.communes),
            "owners": None if self.owners is None else sorted(self.owners),
            "territories": sorted(self.territories),
        }

    @classmethod
    def from_json(cls, value: object) -> Reach:
        """The reach stored by :meth:`as_json`; nothing for anything else (fail closed)."""
        if not isinstance(value, dict):
            return cls()
        communes = value.get("communes", [])
        owners = value.get("owners", [])
        return cls(
            stakeholders=frozenset(int(s) for s in value.get("stakeholders") or []),
            communes=None if communes is None else frozenset(str(c) for c in communes),
            owners=None if owners is None else frozenset(str(o) for o in owners),
            territories=frozenset(int(t) for t in value.get("territories") or []),
        )


def reach(principal: Principal) -> Reach:
    """The rows of organisations and communes ``principal`` reaches (for any permission it
    holds): its own organisations, and the communes of commune editors and integrators."""
    if principal.is_admin and principal.tenancy is None:
        return Reach(communes=None, owners=None)
    communes: frozenset[str] | None = frozenset()
    territories: frozenset[int] = frozenset()
    if principal.is_admin:
        # Confined: its territories' communes, and their rows that have no commune.
        communes, territories = principal.tenant_communes, principal.tenancy or frozenset()
    elif Role.COMMUNE_EDITOR in principal.roles or Role.INTEGRATOR in principal.roles:
        communes = commune_scope(principal)
        if Role.INTEGRATOR in principal.roles and not principal.communes:
            territories = principal.tenancy or frozenset()
    owner = owner_key(principal.client_id, principal.subject)
    return Reach(
        stakeholders=principal.stakeholders,
        communes=communes,
        owners=frozenset({owner}) if owner is not None else frozenset(),
        territories=territories,
    )


def owner_key(client_id: str | None, subject: str | None) -> str | None:
    """Who owns a row made by a caller: its client (``client:<id>``: every token of the
    client) or else the person (``subject:<sub>``); ``None`` for the anonymous."""
    if client_id:
        return f"client:{client_id}"
    if subject:
        return f"subject:{subject}"
    return None


def may_touch_stakeholder(
    principal: Principal,
    stakeholder_id: int | None,
    nis_codes: Iterable[str],
    territory_id: int | None = None,
) -> bool:
    """A stakeholder may be changed by its own members, or within the principal's communes
    (one of no commune: within its territories, ``territory_id`` being the row's)."""
    return reach(principal).covers(stakeholder_id, nis_codes, territory_id)
