"""``viewer``: who the caller is and what it reaches, for a front-end to shape itself (which
GAL's pages to show, whether to offer editing) without decoding its token."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.graphql.limits import cost
from bocage.core.graphql.types import Territory


@strawberry.type(description="The caller, as its token says and the installation confines it.")
class Viewer:
    subject: str | None = strawberry.field(description="The token's `sub`.")
    client_id: str | None = strawberry.field(description="Its OAuth2 client, for a machine.")
    roles: list[str] = strawberry.field(
        description="Its roles: operator, territory_admin, commune_editor, "
        "stakeholder_member, integrator."
    )
    confined: bool = strawberry.field(
        description="Whether it reaches the rows of its `territories` only (an installation of "
        "several GALs: docs/tenancy.md)."
    )
    commune_nis_codes: list[str] | None = strawberry.field(
        description="NIS codes of the communes whose rows it may change; null: every commune."
    )
    territory_keys: strawberry.Private[frozenset[int] | None]

    @strawberry.field(
        description="The GALs it acts for: those it is confined to; every GAL when it is not.",
        metadata=cost(1, items=20),
    )
    async def territories(self, info: Info) -> list[Territory]:
        statement: Any = select(m.Territory).where(m.Territory.deleted_at.is_(None))
        if self.territory_keys is not None:
            statement = statement.where(m.Territory.id.in_(sorted(self.territory_keys)))
        async with info.context.sessionmaker() as session:
            rows = (await session.scalars(statement.order_by(m.Territory.slug))).all()
        return [Territory.from_row(row) for row in rows]


@strawberry.type
class ViewerQuery:
    @strawberry.field(
        description="The caller (null for the anonymous public): its roles, the territories "
        "it acts for and the communes it may change.",
        metadata=cost(1),
    )
    def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.principal
        if principal.is_anonymous:
            return None
        scope = policy.commune_scope(principal)
        return Viewer(
            subject=principal.subject,
            client_id=principal.client_id,
            roles=sorted(role.value for role in principal.roles),
            confined=principal.confined,
            commune_nis_codes=None if scope is None else sorted(scope),
            territory_keys=principal.tenancy,
        )
