"""Demo data: each plugin's, through the ``bocage_seed`` hook (the bundled ``demo`` plugin's
territory first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from bocage.core.db import sessionmaker
from bocage.core.hookspecs import SeedOptions
from bocage.core.host import CORE_PLUGIN
from bocage.core.models import Project, Territory

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from bocage.core.host import PluginHost


def _noop(description: str, done: int, total: int) -> None:
    return None


async def seed_all(
    engine: AsyncEngine,
    host: PluginHost,
    *,
    scale: float = 1.0,
    progress: Callable[[str, int, int], None] = _noop,
) -> None:
    """Run every plugin's seeder, the core's first, one transaction each."""
    options = SeedOptions(scale=scale, progress=progress, host=host)
    first = {impl.plugin_name for impl in host.pm.hook.bocage_seed.get_hookimpls() if impl.tryfirst}
    seeders = sorted(
        host.collect("bocage_seed"),
        key=lambda item: (item[0] != CORE_PLUGIN, item[0] not in first),
    )
    factory = sessionmaker(engine)
    for _plugin, seeder in seeders:
        if seeder is None:
            continue
        async with factory() as session, session.begin():
            await seeder(session, options)


async def database_is_empty(session: AsyncSession) -> bool:
    """Whether the database holds no territory and no project (archived ones included)."""
    for model in (Territory, Project):
        if await session.scalar(select(model.id).limit(1)) is not None:
            return False
    return True


async def seed_if_empty(
    engine: AsyncEngine,
    host: PluginHost,
    *,
    progress: Callable[[str, int, int], None] = _noop,
) -> bool:
    """Seed the demo data unless the database already holds a territory or a project."""
    async with sessionmaker(engine)() as session:
        if not await database_is_empty(session):
            return False
    await seed_all(engine, host, progress=progress)
    return True
