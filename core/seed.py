"""Demo data: the core's, then each plugin's, through the ``bocage_seed`` hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bocage.core.db import sessionmaker
from bocage.core.hookspecs import SeedOptions
from bocage.core.host import CORE_PLUGIN

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

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
    seeders = sorted(host.collect("bocage_seed"), key=lambda item: item[0] != CORE_PLUGIN)
    factory = sessionmaker(engine)
    for _plugin, seeder in seeders:
        if seeder is None:
            continue
        async with factory() as session, session.begin():
            await seeder(session, options)


async def seed_if_empty(
    engine: AsyncEngine,
    host: PluginHost,
    *,
    progress: Callable[[str, int, int], None] = _noop,
) -> bool:
    """Seed the demo data unless the database already holds a territory or a project."""
    from bocage.core.demo import database_is_empty

    async with sessionmaker(engine)() as session:
        if not await database_is_empty(session):
            return False
    await seed_all(engine, host, progress=progress)
    return True
