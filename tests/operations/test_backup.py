"""`bocage backup` while the database is in use, `bocage restore` into a new database: every
table identical (row counts and a hash of each table's rows); a database holding rows is
refused without --force; a missing pg_dump is said so."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bocage.core.backup import filled_tables, table_digests
from bocage.core.db import create_engine
from bocage.core.testing import settings_for

BOCAGE = str(Path(sys.executable).with_name("bocage"))


def _bocage(*args: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BOCAGE, *args],
        env={**os.environ, "BOCAGE_DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_round_trip_leaves_every_table_identical(
    databases: Any, small_demo_url: str, tmp_path: Path
) -> None:
    source = await databases.clone(small_demo_url)
    before = await asyncio.to_thread(table_digests, source)
    assert before["indicator_value"][0] > 0 and before["alembic_version"][0] > 0

    # Taken while a writer holds an open transaction: the backup has the committed rows only,
    # and does not wait for the writer.
    engine = create_engine(settings_for(source))
    backup = tmp_path / "bocage.backup"
    try:
        async with engine.connect() as writer:
            await writer.execute(text("BEGIN IMMEDIATE") if "sqlite" in source else text("BEGIN"))
            await writer.execute(text("DELETE FROM indicator_value"))
            made = await asyncio.to_thread(_bocage, "backup", str(backup), url=source)
            await writer.rollback()
    finally:
        await engine.dispose()
    assert made.returncode == 0, made.stderr
    assert backup.stat().st_size > 0

    target = await databases.new()
    restored = _bocage("restore", str(backup), url=target)
    assert restored.returncode == 0, restored.stderr
    after = await asyncio.to_thread(table_digests, target)
    assert after == before


async def test_restore_refuses_a_database_with_rows(
    databases: Any, small_demo_url: str, tmp_path: Path
) -> None:
    source = await databases.clone(small_demo_url)
    backup = tmp_path / "bocage.backup"
    assert _bocage("backup", str(backup), url=source).returncode == 0
    expected = await asyncio.to_thread(table_digests, source)

    # Someone's data in the target: refused, untouched.
    target = await databases.clone(small_demo_url)
    engine = create_engine(settings_for(target))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM indicator_value"))
    finally:
        await engine.dispose()
    changed = await asyncio.to_thread(table_digests, target)
    refused = _bocage("restore", str(backup), url=target)
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert await asyncio.to_thread(table_digests, target) == changed

    forced = _bocage("restore", "--force", str(backup), url=target)
    assert forced.returncode == 0, forced.stderr
    assert await asyncio.to_thread(table_digests, target) == expected


async def test_restore_refuses_another_engines_backup(databases: Any, tmp_path: Path) -> None:
    target = await databases.new()
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(b"PK\x03\x04 not a database")
    refused = _bocage("restore", str(wrong), url=target)
    assert refused.returncode == 1 and "backup made by `bocage backup`" in refused.stderr
    assert await asyncio.to_thread(filled_tables, target) == []


async def test_backup_says_pg_dump_is_missing(databases: Any, tmp_path: Path) -> None:
    if not os.environ.get("BOCAGE_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL only: SQLite's backup needs no tool")
    url = await databases.new()
    done = _bocage("backup", str(tmp_path / "b"), url=url, PATH=str(Path(sys.executable).parent))
    assert done.returncode == 1
    assert "pg_dump is not installed" in done.stderr
    assert not (tmp_path / "b").exists()
