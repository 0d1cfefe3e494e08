"""The core's objects that media may be attached to: projects and organisations. Whoever may
edit the object may attach, change and remove its media (docs/permissions.md); both are
public, so are their media."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.domain import rules
from bocage.core.domain.changes import load_live
from bocage.core.domain.permissions import PROJECTS_WRITE, STAKEHOLDERS_WRITE
from bocage.core.domain.projects import current_communes
from bocage.core.hookspecs import MediaOwner

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.auth.principal import Principal

#: The field of an upload or mutation naming the object.
FIELD = "owner"


async def _authorise_project(session: AsyncSession, principal: Principal, key: int) -> None:
    await load_live(session, m.Project, key, FIELD)
    rules.authorise_project(principal, await current_communes(session, key), FIELD)


async def _authorise_stakeholder(session: AsyncSession, principal: Principal, key: int) -> None:
    await load_live(session, m.Stakeholder, key, FIELD)
    codes = set(
        (
            await session.execute(
                select(m.Commune.nis_code)
                .join(m.stakeholder_commune, m.stakeholder_commune.c.commune_id == m.Commune.id)
                .where(m.stakeholder_commune.c.stakeholder_id == key)
            )
        ).scalars()
    )
    rules.authorise_stakeholder(principal, key, codes, FIELD)


def _live(
    model: type[m.Project | m.Stakeholder],
) -> Callable[[AsyncSession, int], Awaitable[bool]]:
    """Projects and organisations are public while they are live."""

    async def is_public(session: AsyncSession, key: int) -> bool:
        row: m.Project | m.Stakeholder | None = await session.get(model, key)
        return row is not None and row.deleted_at is None

    return is_public


def core_owners() -> list[MediaOwner]:
    return [
        MediaOwner(
            "Project",
            PROJECTS_WRITE.code,
            _authorise_project,
            _live(m.Project),
        ),
        MediaOwner(
            "Stakeholder",
            STAKEHOLDERS_WRITE.code,
            _authorise_stakeholder,
            _live(m.Stakeholder),
            roles=("gallery", "document", "logo"),
        ),
    ]
