"""SQLite exports read by several readers side by side (``BOCAGE_OPENDATA_EXPORT_READERS``: a
worker thread and reader processes): the same bytes as one reader, in the key's order, from
one snapshot whatever is written meanwhile, and one reader when writers cannot be held
back."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.plugins.opendata import export_sql, side_by_side, sqlite_arrow
from bocage.plugins.opendata.export_sql import LineWriter
from bocage.plugins.opendata.side_by_side import Segments, sqlite_segment_chunks

from .test_exports_fast import CASES, EXPORT, _generic, client  # noqa: F401 (the fixture)

ROWS = 23


def _table(tmp_path: Path) -> str:
    path = str(tmp_path / "rows.db")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.executemany(
            "INSERT INTO t VALUES (?, ?)", [(i * 10, f"v{i}") for i in range(1, ROWS + 1)]
        )
    return path


def _segments(size: int) -> Segments:
    keys = f"SELECT id FROM t{{}} ORDER BY id LIMIT 1 OFFSET {size - 1}"
    rows = "SELECT CAST(id || ',' || v || char(10) AS BLOB) FROM t{} ORDER BY id"
    return Segments(
        {
            "first": keys.format(""),
            "next": keys.format(" WHERE id > :bocage_after"),
            (False, False): rows.format(""),
            (False, True): rows.format(" WHERE id <= :bocage_upto"),
            (True, False): rows.format(" WHERE id > :bocage_after"),
            (True, True): rows.format(" WHERE id > :bocage_after AND id <= :bocage_upto"),
        }
    )


#: Each row is its line (bytes), joined: what reader processes can unpickle.
_lines = LineWriter([])


def _expected(path: str) -> bytes:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id, v FROM t ORDER BY id").fetchall()
    return b"".join(f"{key},{value}\n".encode() for key, value in rows)


@pytest.mark.parametrize("readers", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 4, ROWS - 1, ROWS, ROWS + 1])
async def test_ranges_in_the_key_order(tmp_path: Path, readers: int, size: int) -> None:
    path = _table(tmp_path)
    chunks = [c async for c in sqlite_segment_chunks(path, _segments(size), _lines, readers)]
    assert b"".join(chunks) == _expected(path)
    assert len(chunks) == -(-ROWS // size)  # one chunk a range: none empty, none merged


async def test_one_snapshot_whatever_is_written_meanwhile(tmp_path: Path) -> None:
    """Writes committed after the first range is sent (a row added to a later range, one
    removed from it, one changed) are not in the export: every reader keeps the snapshot
    the export began with."""
    path = _table(tmp_path)
    before = _expected(path)
    chunks = sqlite_segment_chunks(path, _segments(3), _lines, 2)
    first = await anext(chunks)
    with sqlite3.connect(path, timeout=5) as writer:
        writer.execute("INSERT INTO t VALUES (195, 'new')")
        writer.execute("DELETE FROM t WHERE id = 180")
        writer.execute("UPDATE t SET v = 'changed' WHERE id = 220")
    rest = [chunk async for chunk in chunks]
    assert first + b"".join(rest) == before
    after = _expected(path)
    assert b"195,new" in after and b"220,changed" in after and b"180," not in after


def test_writers_wait_while_the_readers_open_their_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the readers begin, a writer cannot commit (the guard holds the write lock), so
    they all take the same snapshot; once they have, writers go on."""
    path = _table(tmp_path)
    opened = side_by_side.sqlite_reader
    refused: list[str] = []

    def reader_then_write(where: str) -> sqlite3.Connection:
        connection = opened(where)
        writer = sqlite3.connect(path, timeout=0)
        try:
            writer.execute("INSERT INTO t VALUES (NULL, 'sneaked in')")
            writer.commit()
        except sqlite3.OperationalError as error:
            refused.append(str(error))
        finally:
            writer.close()
        return connection

    monkeypatch.setattr(side_by_side, "sqlite_reader", reader_then_write)
    readers = [side_by_side._Thread() for _ in range(3)]
    assert side_by_side._opened(path, readers, _segments(5), _lines) == 3
    try:
        assert refused == ["database is locked"] * 3  # under the guard, each of them
        with sqlite3.connect(path, timeout=0) as writer:
            writer.execute("INSERT INTO t VALUES (NULL, 'after')")
        counts = {
            r.connection.execute("SELECT count(*) FROM t").fetchone()[0]  # type: ignore[union-attr]
            for r in readers
        }
        assert counts == {ROWS}
    finally:
        for reader in readers:
            reader.finish()


def test_one_reader_when_a_write_is_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _table(tmp_path)
    monkeypatch.setattr(export_sql, "SQLITE_GUARD_SECONDS", 0.01)
    readers = [side_by_side._Thread() for _ in range(3)]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert side_by_side._opened(path, readers, _segments(5), _lines) == 1
        assert [r.connection is not None for r in readers] == [True, False, False]
        readers[0].finish()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert side_by_side._opened(path, readers, _segments(5), _lines) == 3
    for reader in readers:
        reader.finish()


async def test_reader_processes_are_kept_and_shared(tmp_path: Path) -> None:
    """An export takes the reader processes it may have (readers less one); another export
    at the same time reads alone; a process that ended is replaced."""
    path = _table(tmp_path)
    pool = side_by_side.READERS
    pool.close()
    first = sqlite_segment_chunks(path, _segments(2), _lines, 3)
    chunk = await anext(first)
    assert pool.idle == [] and len(pool.children) == 2
    alone = [c async for c in sqlite_segment_chunks(path, _segments(2), _lines, 3)]
    assert b"".join(alone) == _expected(path)
    rest = [c async for c in first]
    assert chunk + b"".join(rest) == _expected(path)
    assert len(pool.idle) == 2
    pool.idle[0].process.kill()
    pool.idle[0].process.wait()
    again = [c async for c in sqlite_segment_chunks(path, _segments(2), _lines, 3)]
    assert b"".join(again) == _expected(path)
    assert len(pool.children) == 2 and len(pool.idle) == 2
    assert all(c.process.poll() is None for c in pool.idle)


@pytest.mark.parametrize(("identifier", "params"), CASES)
@pytest.mark.parametrize("name", ["csv", "ndjson", "json"])
async def test_same_bytes_in_ranges_of_two_rows(
    client: httpx.AsyncClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    identifier: str,
    params: dict[str, str],
    name: str,
) -> None:
    """Every export of the fast paths' cases, read two rows a range by two readers (the
    default), gives the generic path's bytes; on SQLite, the exports in the key's order
    are read in several ranges. (NDJSON and JSON take these readers when no export
    process may read them with ADBC's driver: off here.)"""
    monkeypatch.setattr(sqlite_arrow, "available", lambda sessionmaker, processes: None)
    monkeypatch.setattr(export_sql, "SQLITE_RANGE_ROWS", 2)
    monkeypatch.setattr(export_sql, "SQLITE_CHUNK_ROWS", 2)
    ranges: list[tuple[Any, Any]] = []
    for kind in (side_by_side._Thread, side_by_side._Process):

        def counted(self: Any, after: Any, upto: Any, read: Any = kind.read) -> bytes:
            ranges.append((after, upto))
            return read(self, after, upto)  # type: ignore[no-any-return]

        monkeypatch.setattr(kind, "read", counted)
    response = await client.get(EXPORT.format(identifier, name), params=params)
    assert response.status_code == 200
    assert response.content == await _generic(client, identifier, params, name)
    sqlite = str(client.app.state.settings.database_url).startswith("sqlite")  # type: ignore[attr-defined]
    in_key_order = sqlite and "order" not in params
    assert bool(ranges) == in_key_order
    if in_key_order and not params:  # every dataset holds more than two rows
        assert len(ranges) > 1


async def test_an_export_reads_alone_when_no_reader_process_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = _table(tmp_path)
    pool = side_by_side.READERS
    pool.close()
    monkeypatch.setattr(pool, "code", "import sys; sys.exit(3)")
    chunks = [c async for c in sqlite_segment_chunks(path, _segments(4), _lines, 3)]
    assert b"".join(chunks) == _expected(path)
    assert pool.children == set() and pool.idle == []
    assert "reader process did not start" in caplog.text


def test_export_readers_setting() -> None:
    from pydantic import ValidationError

    from bocage.plugins.opendata.settings import OpendataSettings

    assert OpendataSettings().export_readers == 2
    assert OpendataSettings(export_readers=1).export_readers == 1
    assert OpendataSettings(export_readers=16).export_readers == 16
    for refused in (0, 17):
        with pytest.raises(ValidationError):
            OpendataSettings(export_readers=refused)
