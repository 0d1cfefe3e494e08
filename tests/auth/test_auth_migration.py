"""The 0003_auth revision goes up and down on both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from bocage.core import migrate
from bocage.core.db import create_engine
from bocage.core.host import PluginHost

TABLES = {"signing_key", "oauth_client"}


async def _tables(engine: Any) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: set(inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_database_url: str, make_settings: Any) -> None:
    settings = make_settings(empty_database_url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, host)
        assert TABLES <= await _tables(engine)
        await migrate.downgrade(engine, host, "0002_write_api")
        assert not TABLES & await _tables(engine)
        await migrate.upgrade(engine, host)
        assert TABLES <= await _tables(engine)
    finally:
        await engine.dispose()
