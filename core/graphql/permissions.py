"""Administrators grant the declared permissions (the core's and the plugins') to roles:
``grantPermission`` / ``revokePermission``, and the ``permissions`` and ``permissionGrants``
queries. The rules are in :mod:`bocage.core.auth.grants`; this module only adapts them."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.auth import grants as rules
from bocage.core.auth.models import PermissionGrant as GrantRow
from bocage.core.events import graphql_type_of
from bocage.core.graphql.errors import BocageError, ErrorCode
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    Code,
    Invalid,
    error_codes,
    key_of,
    load_live,
    mutate,
)
from bocage.core.graphql.types import Commune
from bocage.core.hookspecs import Permission as DeclaredPermission

#: Grant and revoke permissions. Declared by no one, so it cannot be granted: territory
#: administrators alone hold it.
PERMISSIONS_MANAGE = DeclaredPermission(
    "permissions:manage", "Grant permissions to roles and revoke them (administrators)."
)
#: Who learns of a grant or a revocation in the change feed and webhooks: the audit's readers.
GRANTS_READERS = "audit:read"


class Forbidden(BocageError):
    code = ErrorCode.FORBIDDEN


PermissionErrorCode = error_codes(
    "PermissionErrorCode", "Why a grant or a revocation of a permission failed."
)


@strawberry.type(name="Permission", description="A permission the core or a plugin declares.")
class PermissionType:
    code: str = strawberry.field(description="E.g. `workshops:organise`.")
    description: str
    per_commune: bool = strawberry.field(
        description="Whether it may be granted to commune editors for some communes only (what "
        "it protects is checked against the objects' communes)."
    )


@strawberry.enum(description="Where a grant comes from.")
class GrantSource(enum.Enum):
    SETTING = "setting"
    """The `BOCAGE_ROLE_PERMISSIONS` setting: changed there, not by `revokePermission`."""
    ADMINISTRATOR = "administrator"
    """`grantPermission`."""


@strawberry.type(description="A permission granted to a role (administrators only).")
class PermissionGrant:
    grant: strawberry.Private[rules.Grant]
    row: strawberry.Private[Any] = None

    @strawberry.field(
        metadata=cost(0),
        description="The grant's ID, for `auditTrail(object:)`; null for the setting's grants.",
    )
    def id(self) -> relay.GlobalID | None:
        if self.grant.id is None:
            return None
        return relay.GlobalID(graphql_type_of(GrantRow), str(self.grant.id))

    @strawberry.field(metadata=cost(0), description="E.g. `commune_editor`.")
    def role(self) -> str:
        return self.grant.role.value

    @strawberry.field(metadata=cost(0), description="The permission's code.")
    def permission(self) -> str:
        return self.grant.permission

    @strawberry.field(
        metadata=cost(0),
        description="NIS code of the only commune whose objects it applies to; null: wherever "
        "the role reaches.",
    )
    def commune_nis_code(self) -> str | None:
        return self.grant.commune

    @strawberry.field(metadata=cost(0), description="That commune, if it is in the database.")
    def commune(self) -> Commune | None:
        return None if self.row is None else Commune.from_row(self.row)

    @strawberry.field(metadata=cost(0))
    def source(self) -> GrantSource:
        return GrantSource(self.grant.source)

    @strawberry.field(metadata=cost(0), description="When it was granted (not for the setting).")
    def created_at(self) -> dt.datetime | None:
        return self.grant.created_at

    @strawberry.field(metadata=cost(0), description="Who granted it (their `sub`).")
    def granted_by(self) -> str | None:
        return self.grant.granted_by


@strawberry.input(description="A permission for a role, everywhere or in one commune.")
class PermissionGrantInput:
    role: str = strawberry.field(description="`commune_editor` or `stakeholder_member`.")
    permission: str = strawberry.field(description="A code the `permissions` query lists.")
    commune: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only for this commune's objects (commune editors, and permissions that "
        "are `perCommune`); none: wherever the role reaches.",
    )


@strawberry.type(description="A problem with a grant or a revocation.")
class PermissionGrantError:
    field: str | None
    code: PermissionErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="The grant made or revoked, or the errors.")
class PermissionGrantPayload:
    grant: PermissionGrant | None = None
    errors: list[PermissionGrantError] = strawberry.field(default_factory=list)


def _require_admin(info: Info[Any, Any]) -> None:
    if not info.context.principal.is_admin:
        raise Forbidden("only territory administrators see the permissions and their grants")


def _declared(info: Info[Any, Any]) -> dict[str, DeclaredPermission]:
    return {permission.code: permission for permission in info.context.host.permissions()}


async def _target(
    session: Any, info: Info[Any, Any], value: PermissionGrantInput
) -> tuple[rules.Role, Any]:
    """The role and the commune row of ``value``, checked; :class:`Invalid` otherwise."""
    commune = None
    try:
        role = rules.grantable_role(value.role.strip())
        if value.commune is not None:
            _type, key = key_of(value.commune, Commune, "commune")
            commune = await load_live(session, m.Commune, key, "commune")
        rules.check_grant(
            role,
            value.permission,
            commune.nis_code if commune is not None else None,
            _declared(info),
        )
    except rules.GrantRefused as error:
        raise Invalid(Code.INVALID, error.message, error.field) from None
    return role, commune


def _payload(outcome: Any, commune: Any = None) -> PermissionGrantPayload:
    if outcome.errors:
        return PermissionGrantPayload(
            errors=[
                PermissionGrantError(
                    field=e.field, code=PermissionErrorCode[e.code.name], message=e.message
                )
                for e in outcome.errors
            ]
        )
    row = outcome.row
    grant = rules.Grant(
        rules.Role(row.role),
        row.permission,
        commune.nis_code if commune is not None else None,
        source=GrantSource.ADMINISTRATOR.value,
        id=row.id,
        created_at=row.created_at,
        granted_by=row.granted_by,
    )
    return PermissionGrantPayload(grant=PermissionGrant(grant=grant, row=commune))


def _changes(row: GrantRow, commune: Any, side: str) -> dict[str, dict[str, Any]]:
    """The audit entry's changes of a grant made (``side`` "after") or revoked ("before")."""
    values = {
        "role": row.role,
        "permission": row.permission,
        "commune": commune.nis_code if commune is not None else None,
    }
    other = "before" if side == "after" else "after"
    return {key: {side: value, other: None} for key, value in values.items()}


def _forget_grants(info: Info[Any, Any]) -> None:
    """This worker applies the change from its next request on (others within the TTL)."""
    request = info.context.request
    if request is not None:
        request.app.state.authenticator.grants.forget()


@strawberry.type
class PermissionQuery:
    @strawberry.field(
        metadata=cost(1, items=20),
        description="The permissions the core and the plugins declare, which `grantPermission` "
        "grants to roles (administrators only).",
    )
    def permissions(self, info: Info[Any, Any]) -> list[PermissionType]:
        _require_admin(info)
        return [
            PermissionType(code=p.code, description=p.description, per_commune=p.per_commune)
            for p in sorted(_declared(info).values(), key=lambda p: p.code)
        ]

    @strawberry.field(
        metadata=cost(1, items=20),
        description="The permissions granted to roles, the setting's first (administrators "
        "only); roles hold others by themselves (see the documentation).",
    )
    async def permission_grants(
        self,
        info: Info[Any, Any],
        role: Annotated[str | None, strawberry.argument(description="Only this role's.")] = None,
        permission: Annotated[
            str | None, strawberry.argument(description="Only this permission's.")
        ] = None,
    ) -> list[PermissionGrant]:
        _require_admin(info)
        context = info.context
        async with context.sessionmaker() as session:
            stored = await rules.stored_grants(session)
            configured = rules.setting_grants(context.settings.role_permissions)
            principal = context.principal
            found = [
                grant
                for grant in [*configured, *stored]
                if (role is None or grant.role.value == role)
                and (permission is None or grant.permission == permission)
                # Confined to GALs: the grants everywhere, and those of its own communes.
                and (
                    not principal.confined
                    or grant.commune is None
                    or grant.commune in principal.tenant_communes
                )
            ]
            codes = {grant.commune for grant in found if grant.commune is not None}
            communes = {
                row.nis_code: row
                for row in (
                    await session.scalars(select(m.Commune).where(m.Commune.nis_code.in_(codes)))
                )
            }
        return [
            PermissionGrant(grant=grant, row=communes.get(grant.commune or "")) for grant in found
        ]


async def _run(
    info: Info[Any, Any],
    value: PermissionGrantInput,
    operation: str,
    act: Callable[[Any, Any, rules.Role, Any, list[GrantRow]], Awaitable[Change]],
) -> PermissionGrantPayload:
    """``await act(session, principal, role, commune, existing grants)`` in :func:`mutate`'s
    transaction, on a checked role and commune; this worker's grants are read again after."""
    target: dict[str, Any] = {}

    async def change(session: Any, principal: Any) -> Change:
        role, commune = await _target(session, info, value)
        if principal.confined and (
            commune is None or commune.nis_code not in principal.tenant_communes
        ):
            raise Invalid(
                Code.FORBIDDEN,
                "on an installation of several GALs, grant for one of your territories' "
                "communes (a grant everywhere is an operator's)",
                "commune",
            )
        target["commune"] = commune
        key = commune.id if commune is not None else None
        existing = await rules.find_grants(session, role, value.permission, key)
        return await act(session, principal, role, commune, existing)

    outcome = await mutate(
        info, permission=PERMISSIONS_MANAGE, operation=operation, change=change, model=GrantRow
    )
    if not outcome.errors:
        _forget_grants(info)
    return _payload(outcome, target.get("commune"))


@strawberry.type
class PermissionMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Grant a permission to a role, everywhere or for one commune's objects "
        "(administrators only); granting it again changes nothing.",
    )
    async def grant_permission(
        self, info: Info[Any, Any], input: PermissionGrantInput
    ) -> PermissionGrantPayload:
        async def grant(
            session: Any, principal: Any, role: rules.Role, commune: Any, existing: list[GrantRow]
        ) -> Change:
            if existing:  # an update that changes nothing: no audit entry, no event
                return Change(existing[0], "updated", {})
            row = GrantRow(
                role=role.value,
                permission=input.permission,
                commune_id=commune.id if commune is not None else None,
                granted_by=principal.subject or principal.client_id,
            )
            session.add(row)
            return Change(row, "granted", _changes(row, commune, "after"), GRANTS_READERS)

        return await _run(info, input, "grantPermission", grant)

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Revoke a permission granted with `grantPermission` (administrators "
        "only); the setting's grants are changed in `BOCAGE_ROLE_PERMISSIONS`.",
    )
    async def revoke_permission(
        self, info: Info[Any, Any], input: PermissionGrantInput
    ) -> PermissionGrantPayload:
        configured = rules.setting_grants(info.context.settings.role_permissions)

        async def revoke(
            session: Any, principal: Any, role: rules.Role, commune: Any, existing: list[GrantRow]
        ) -> Change:
            if not existing:
                nis = commune.nis_code if commune is not None else None
                where = (
                    f"is granted by {rules.SETTING}: remove it there"
                    if rules.Grant(role, input.permission, nis) in configured
                    else "was not granted (the permissionGrants query lists the grants)"
                )
                raise Invalid(Code.NOT_FOUND, f"{input.permission} {where}", "permission")
            for row in existing:  # two administrators may have granted it at once
                await session.delete(row)
            return Change(
                existing[0], "revoked", _changes(existing[0], commune, "before"), GRANTS_READERS
            )

        return await _run(info, input, "revokePermission", revoke)
