"""Permissions the operator grants to roles, on top of what each role holds by itself.

Two sources, one meaning: the ``BOCAGE_ROLE_PERMISSIONS`` setting (read at startup) and the
grants administrators make with ``grantPermission`` (table ``permission_grant``). A grant
gives a declared permission (the core's or a plugin's, ``bocage_permissions``) to every
principal of a role, or, for a permission declared ``per_commune``, to commune editors for
one commune's objects only. Each token's principal carries the grants of its roles
(``Principal.grants``), so that :func:`bocage.core.auth.policy.can` decides without a query.

Administrators hold every permission already, and integrator clients hold exactly the scopes
of their client: neither role takes grants.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import column, select, table

from bocage.core.auth.expiring import Expiring
from bocage.core.auth.models import PermissionGrant
from bocage.core.auth.principal import Principal, Role

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.hookspecs import Permission
    from bocage.core.settings import Settings

#: The roles that take grants, and whether they may take one for some communes only.
GRANTABLE_ROLES: dict[Role, bool] = {Role.COMMUNE_EDITOR: True, Role.STAKEHOLDER_MEMBER: False}

SETTING = "BOCAGE_ROLE_PERMISSIONS"


class GrantRefused(ValueError):
    """A grant that cannot be made; ``field`` is what to fix (``role``, ``permission``,
    ``commune``) and the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Grant:
    """A permission granted to a role, everywhere (``commune`` None) or for one commune."""

    role: Role
    permission: str
    #: NIS code of the only commune whose objects it applies to.
    commune: str | None = None
    #: ``setting`` (``BOCAGE_ROLE_PERMISSIONS``) or ``administrator`` (``grantPermission``).
    source: str = "setting"
    #: The stored grant's key (administrators' grants only).
    id: int | None = None
    created_at: dt.datetime | None = None
    granted_by: str | None = None


# -- the rules ---------------------------------------------------------------------------------


def grantable_role(name: str) -> Role:
    """The role called ``name`` if it takes grants; :class:`GrantRefused` saying why not."""
    names = ", ".join(role.value for role in GRANTABLE_ROLES)
    try:
        role = Role(name)
    except ValueError:
        raise GrantRefused("role", f"unknown role {name!r}: grant to one of {names}") from None
    if role is Role.TERRITORY_ADMIN:
        raise GrantRefused("role", f"{role.value} holds every permission already: grant to {names}")
    if role is Role.INTEGRATOR:
        raise GrantRefused(
            "role",
            "integrator clients hold exactly the scopes of their client: give the client the "
            f"permission as a scope (bocage clients create --scope ...), or grant to {names}",
        )
    return role


def check_grant(
    role: Role, permission: str, commune: str | None, declared: Mapping[str, Permission]
) -> None:
    """:class:`GrantRefused` unless ``permission`` is declared and may be granted to ``role``
    (for ``commune`` only, if given)."""
    found = declared.get(permission)
    if found is None:
        raise GrantRefused(
            "permission",
            f"unknown permission {permission!r}: use one of {', '.join(sorted(declared))} "
            "(the permissions query lists them)",
        )
    if commune is None:
        return
    if not GRANTABLE_ROLES[role]:
        raise GrantRefused(
            "commune", f"{role.value} is not a per-commune role: grant it without a commune"
        )
    if not found.per_commune:
        raise GrantRefused(
            "commune",
            f"{permission} is not checked per commune by what it protects: grant it without "
            "a commune",
        )


# -- the setting ---------------------------------------------------------------------------------


def parse_setting(value: Any) -> dict[str, list[str | dict[str, Any]]]:
    """The value of ``BOCAGE_ROLE_PERMISSIONS`` (JSON text or already a mapping), checked for
    its shape and roles: ``{"commune_editor": ["workshops:organise", {"permission":
    "workshops:facilitate", "communes": ["64034"]}]}``. Permission codes are checked once the
    plugins are loaded (:func:`check_setting`). ``ValueError`` saying what to fix."""
    if isinstance(value, str | bytes):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValueError(f"is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object: {"role": ["permission", ...]}')
    parsed: dict[str, list[str | dict[str, Any]]] = {}
    for name, items in value.items():
        try:
            role = grantable_role(str(name))
        except GrantRefused as error:
            raise ValueError(error.message) from None
        if not isinstance(items, list):
            raise ValueError(f"{name}: give a list of permissions")
        parsed[role.value] = [_setting_item(role, item) for item in items]
    return parsed


def _setting_item(role: Role, item: Any) -> str | dict[str, Any]:
    if isinstance(item, str) and item.strip():
        return item.strip()
    if isinstance(item, dict) and isinstance(item.get("permission"), str):
        communes = item.get("communes")
        if set(item) - {"permission", "communes"}:
            raise ValueError(f"{role.value}: an item has only 'permission' and 'communes'")
        if not isinstance(communes, list) or not communes:
            raise ValueError(f"{role.value}: 'communes' lists NIS codes, e.g. [\"64034\"]")
        if not GRANTABLE_ROLES[role]:
            raise ValueError(f"{role.value} is not a per-commune role: give no communes")
        for nis in communes:
            if not (isinstance(nis, str) and len(nis) == 5 and nis.isdigit()):
                raise ValueError(f"{role.value}: {nis!r} is not a five-digit NIS code")
        return {"permission": item["permission"].strip(), "communes": sorted(set(communes))}
    raise ValueError(
        f"{role.value}: each item is a permission code or "
        '{"permission": "...", "communes": ["NIS", ...]}'
    )


def setting_grants(setting: Mapping[str, Sequence[str | Mapping[str, Any]]]) -> list[Grant]:
    """The grants a parsed ``BOCAGE_ROLE_PERMISSIONS`` value makes."""
    grants = []
    for name, items in setting.items():
        role = Role(name)
        for item in items:
            if isinstance(item, str):
                grants.append(Grant(role, item))
            else:
                grants.extend(Grant(role, item["permission"], nis) for nis in item["communes"])
    return grants


def check_setting(settings: Settings, declared: Iterable[Permission]) -> None:
    """``ValueError`` naming the setting and the first grant that cannot be made (an
    unknown permission, a per-commune grant of a permission that is not per commune)."""
    known = {permission.code: permission for permission in declared}
    for grant in setting_grants(settings.role_permissions):
        try:
            check_grant(grant.role, grant.permission, grant.commune, known)
        except GrantRefused as error:
            raise ValueError(f"{SETTING}: {grant.role.value}: {error.message}") from None


# -- the stored grants ---------------------------------------------------------------------------

#: The domain's table of communes, as far as grants need it (its NIS codes): auth sits below the
#: domain, so it names the table its foreign key already points to instead of importing the model.
_COMMUNES = table("commune", column("id"), column("nis_code"))


async def stored_grants(session: AsyncSession) -> list[Grant]:
    """The administrators' grants, oldest first."""
    rows = await session.execute(
        select(PermissionGrant, _COMMUNES.c.nis_code)
        .outerjoin(_COMMUNES, _COMMUNES.c.id == PermissionGrant.commune_id)
        .order_by(PermissionGrant.id)
    )
    return [
        Grant(
            Role(row.role),
            row.permission,
            nis,
            source="administrator",
            id=row.id,
            created_at=row.created_at,
            granted_by=row.granted_by,
        )
        for row, nis in rows
        if row.role in {role.value for role in GRANTABLE_ROLES}
    ]


async def find_grants(
    session: AsyncSession, role: Role, permission: str, commune_id: int | None
) -> list[PermissionGrant]:
    """The stored grants of ``permission`` to ``role`` (for that commune, or everywhere)."""
    statement = select(PermissionGrant).where(
        PermissionGrant.role == role.value, PermissionGrant.permission == permission
    )
    if commune_id is None:
        statement = statement.where(PermissionGrant.commune_id.is_(None))
    else:
        statement = statement.where(PermissionGrant.commune_id == commune_id)
    return list((await session.scalars(statement.order_by(PermissionGrant.id))).all())


class RoleGrants:
    """The grants of each role, as this worker last read them, applied to principals.

    The setting's grants never change; the stored ones are read again after
    ``BOCAGE_AUTH_GRANTS_CACHE_TTL`` seconds (one small query per worker and period), so that
    a grant or a revocation reaches every worker within that time, and at once on the worker
    that made it (:meth:`forget`). Without a ``sessionmaker`` (an authenticator that has no
    database, in tests), the setting's grants only."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.configured = setting_grants(settings.role_permissions)
        self._stored = Expiring(self._read, lambda: self.settings.auth_grants_cache_ttl, clock)

    def forget(self) -> None:
        """Read the stored grants again at the next request (after a change committed)."""
        self._stored.forget()

    async def _read(self) -> list[Grant]:
        assert self.sessionmaker is not None
        async with self.sessionmaker() as session:
            return await stored_grants(session)

    async def grants(self) -> list[Grant]:
        """Every grant, the setting's first."""
        if self.sessionmaker is None:
            return self.configured
        return [*self.configured, *await self._stored.get()]

    async def apply(self, principal: Principal) -> Principal:
        """``principal`` with the grants of its roles (unchanged for roles that take none)."""
        roles = principal.roles & GRANTABLE_ROLES.keys()
        if not roles:
            return principal
        held = frozenset(
            (grant.permission, grant.commune)
            for grant in await self.grants()
            if grant.role in roles
        )
        return dataclasses.replace(principal, grants=held) if held else principal
