"""Several GALs on one installation: the territory is the tenant.

In an installation that holds one territory (or none), nothing is confined: its administrators
reach every row, as they always have. Once it holds two or more live territories, or whenever a
token names ``territories``, every signed-in principal but an operator is **confined**
(``Principal.tenancy``): it reaches the rows of its territories only —

- the communes that belong to them now (``Commune.territory_id``; the history of a commune's
  GALs is ``territory_membership``), and through them the rows of those communes;
- the rows that belong to one of them and to no commune (a territory's own events, surveys,
  datasets, clients and webhook subscriptions).

A principal's territories are the slugs of its token's ``territories`` claim
(``BOCAGE_OIDC_TERRITORIES_CLAIM`` for an OpenID Connect provider; a client's
``bocage clients create --territory``), or, when the token names none, the territories of the
communes it names (a Hannut editor belongs to Hannut's GAL). A confined administrator whose
token names neither reaches nothing: fail closed. Operators (role ``operator``) are never
confined.

Each worker keeps the territories and their communes ``BOCAGE_AUTH_TENANCY_CACHE_TTL`` seconds
(one small query per period). The worker that commits a change of communes (``createCommune``,
``updateCommune``, ``archiveCommune``) calls :meth:`Tenancy.forget`, so that it applies the
change from its next request on; the other workers, within that time. They are not told: the
one channel every worker hears, the event log :mod:`bocage.core.graphql.response_cache` reads,
would cost a statement per signed-in request where this costs one per period.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import column, select, table

from bocage.core.auth.expiring import Expiring
from bocage.core.auth.principal import Principal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.settings import Settings


@dataclass(frozen=True)
class Directory:
    """The live territories by slug, and the territory each live commune belongs to now."""

    territories: Mapping[str, int]
    territory_of: Mapping[str, int]

    @property
    def several(self) -> bool:
        return len(self.territories) >= 2


#: The core's tables this floor reads (the models are a floor above).
TERRITORY = table("territory", column("id"), column("slug"), column("deleted_at"))
COMMUNE = table("commune", column("nis_code"), column("territory_id"), column("deleted_at"))


async def read_directory(session: AsyncSession) -> Directory:
    t, c = TERRITORY.c, COMMUNE.c
    territories = dict(
        (await session.execute(select(t.slug, t.id).where(t.deleted_at.is_(None)))).all()
    )
    live = set(territories.values())
    communes = (
        await session.execute(
            select(c.nis_code, c.territory_id).where(
                c.deleted_at.is_(None), c.territory_id.is_not(None)
            )
        )
    ).all()
    return Directory(territories, {nis: key for nis, key in communes if key in live})


def confine(principal: Principal, directory: Directory) -> Principal:
    """``principal`` with the territories it is confined to (unchanged when it is not)."""
    if principal.is_anonymous or principal.is_operator:
        return principal
    if not directory.several and not principal.territories:
        return principal
    if principal.territories:
        named, by_slug = principal.territories, directory.territories
        keys = {by_slug[slug] for slug in named if slug in by_slug}
    else:
        of = directory.territory_of
        keys = {of[nis] for nis in principal.communes if nis in of}
    communes = frozenset(n for n, key in directory.territory_of.items() if key in keys)
    return dataclasses.replace(principal, tenancy=frozenset(keys), tenant_communes=communes)


class Tenancy:
    """The directory of territories as this worker last read it, applied to principals."""

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
        self._directory = Expiring(self._read, lambda: self.settings.auth_tenancy_cache_ttl, clock)

    def forget(self) -> None:
        """Read the territories again at the next request (after a change committed)."""
        self._directory.forget()

    async def _read(self) -> Directory:
        assert self.sessionmaker is not None
        async with self.sessionmaker() as session:
            return await read_directory(session)

    async def directory(self) -> Directory:
        if self.sessionmaker is None:
            return Directory({}, {})
        return await self._directory.get()

    async def apply(self, principal: Principal) -> Principal:
        if principal.is_anonymous or principal.is_operator:
            return principal
        return confine(principal, await self.directory())
