"""Production start does not migrate; a server on an out-of-date database refuses to start,
naming `bocage db upgrade`; two upgrades at once never migrate together (the database's
migration lock): both finish, one after the other, and the schema is right."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text

from bocage.core import migrate
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.testing import settings_for

BOCAGE = str(Path(sys.executable).with_name("bocage"))


def _bocage(*args: str, url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BOCAGE, *args],
        env={**os.environ, "BOCAGE_DATABASE_URL": url, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _tables(url: str) -> set[str]:
    engine = create_engine(settings_for(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _state(url: str) -> tuple[migrate.MigrationState, list[str]]:
    settings = settings_for(url)
    engine = create_engine(settings)
    try:
        state = await migrate.state(engine, PluginHost(settings))
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        return state, sorted(row[0] for row in rows)
    finally:
        await engine.dispose()


def test_production_defaults_to_no_migration_on_start() -> None:
    assert settings_for("sqlite+aiosqlite:///x.db").auto_migrate is True
    assert settings_for("sqlite+aiosqlite:///x.db", environment="production").auto_migrate is False
    explicit = settings_for("sqlite+aiosqlite:///x.db", environment="production", auto_migrate=True)
    assert explicit.auto_migrate is True


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ((), {"BOCAGE_ENVIRONMENT": "production"}),
        (("--no-migrate",), {}),
    ],
    ids=["production", "no-migrate"],
)
def test_serve_refuses_an_out_of_date_database(
    empty_database_url: str, args: tuple[str, ...], env: dict[str, str]
) -> None:
    process = _bocage("serve", "--port", "1", *args, url=empty_database_url, **env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, out + err
    assert "not up to date" in err and "run `bocage db upgrade` first" in err
    assert asyncio.run(_tables(empty_database_url)) == set()  # nothing was migrated


async def test_production_serves_once_upgraded(
    empty_database_url: str, processes: Any, port: int
) -> None:
    upgrade = _bocage("db", "upgrade", url=empty_database_url)
    out, err = upgrade.communicate(timeout=300)
    assert upgrade.returncode == 0, out + err
    server = processes.serve(
        port, {"BOCAGE_DATABASE_URL": empty_database_url, "BOCAGE_ENVIRONMENT": "production"}
    )
    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"})
    assert answer.json() == {"data": {"__typename": "Query"}}
    processes.stop(server)


async def test_two_upgrades_at_once_both_finish(empty_database_url: str) -> None:
    """As two instances of a release starting `bocage db upgrade` together."""
    both = [_bocage("db", "upgrade", url=empty_database_url) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in both]  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0, 0], results
    state, versions = await _state(empty_database_url)
    assert state.at_head
    assert versions == sorted(state.current)  # one row per branch head, none twice


async def test_an_upgrade_waits_for_the_migration_lock(empty_database_url: str) -> None:
    """While another transaction holds the lock, upgrades wait (PostgreSQL shows them waiting
    for the advisory lock), migrate nothing, then finish one after the other."""
    if empty_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's advisory lock; SQLite's BEGIN IMMEDIATE is tested above")
    settings = settings_for(empty_database_url)
    holder, first, second = (create_engine(settings) for _ in range(3))
    host = PluginHost(settings)
    key = migrate.MIGRATION_LOCK_KEY
    try:
        async with holder.connect() as connection:
            transaction = await connection.begin()
            await migrate._lock(connection)
            upgrades = [
                asyncio.create_task(migrate.upgrade(engine, host)) for engine in (first, second)
            ]
            waiting = 0
            async with holder.connect() as observer:
                while waiting < 2:
                    assert not any(task.done() for task in upgrades), upgrades
                    await asyncio.sleep(0.05)
                    waiting = (
                        await observer.execute(
                            text(
                                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                "AND NOT granted AND classid = :high AND objid = :low"
                            ),
                            {"high": key >> 32, "low": key & 0xFFFFFFFF},
                        )
                    ).scalar_one()
            assert await _tables(empty_database_url) == set()
            await transaction.rollback()
        await asyncio.gather(*upgrades)
    finally:
        for engine in (holder, first, second):
            await engine.dispose()
    state, versions = await _state(empty_database_url)
    assert state.at_head and versions == sorted(state.current)
