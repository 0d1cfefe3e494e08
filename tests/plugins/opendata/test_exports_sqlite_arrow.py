"""SQLite's Parquet read by ADBC's driver in child processes (:mod:`.sqlite_arrow`): the same
table as the rows the server reads, whatever the batches hold (nulls first, unicode, filters,
a client's order), two children on one snapshot, no child left behind by a client that
leaves, and ``BOCAGE_OPENDATA_EXPORT_PROCESSES`` as the bound."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from bocage.core.api import Dataset, DatasetField, FieldType, Theme, hookimpl
from bocage.core.testing import settings_for
from bocage.plugins.opendata import exports, sqlite_arrow
from bocage.plugins.opendata.records import RecordQuery

from .conftest import As, serve
from .test_exports_fast import ADMIN, EXPORT, METADATA, ROWS, _upload

#: A dataset whose first rows are null in every column but the key: ADBC would type those
#: columns as integers from a first batch of them.
EMPTY_FIRST = {
    **METADATA,
    "title": {"fr": "Vides d'abord"},
    "schema": {"fields": [{"name": "ligne", "type": "string"}, *METADATA["schema"]["fields"]]},
}
EMPTY_ROWS = [
    [f"ligne {i}", *row]
    for i, row in enumerate([["", "", "", "", "", ""]] * 5 + ROWS + [["", "", "", "", "", ""]])
]
CASES = [
    ("types", {}),
    ("types", {"order": "-n", "fields": "texte,n,t"}),  # a client's order: one statement
    ("types", {"b": "true", "d__gte": "2024-01-02"}),  # filters: key ranges still
    ("vides", {}),
    ("vides", {"order": "-i"}),
    ("vides", {"fields": "t,d", "i__gte": "1"}),
    ("types", {"i__gte": "1000"}),  # no row: the schema alone
    ("communes", {}),
    ("projects", {"order": "-budget"}),
]
metadata = MetaData()
counters = Table(
    "arrow_counters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("v", Integer, nullable=False),
    Column("label", String(20)),
)
COUNTERS = Dataset(
    identifier="arrow-counters",
    title={"fr": "Compteurs"},
    description={"fr": "Des compteurs qu'un écrivain augmente tous à la fois."},
    theme=Theme.TECH,
    fields=(
        DatasetField("id", FieldType.INTEGER),
        DatasetField("v", FieldType.INTEGER),
        DatasetField("label", FieldType.STRING),
    ),
    query=select(counters),
)


class Counters:
    BOCAGE_REQUIRES = ">=1.1,<2"

    @hookimpl(optionalhook=True)
    def bocage_datasets(self) -> list[Dataset]:
        return [COUNTERS]


@pytest.fixture(scope="module")
async def client(writable_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings_for(writable_url), ("counters", Counters())) as client:
        client.app.state.authenticator = As(ADMIN)  # type: ignore[attr-defined]
        if (await client.get("/api/opendata/uploads/types")).status_code == 404:
            await _upload(client, "types", METADATA, ROWS)
            await _upload(client, "vides", EMPTY_FIRST, EMPTY_ROWS)
            async with client.app.state.engine.begin() as connection:  # type: ignore[attr-defined]
                await connection.run_sync(metadata.create_all)
                rows = [{"id": i, "v": 0, "label": f"n° {i}"} for i in range(1, 1001)]
                await connection.execute(counters.insert(), rows)
        yield client


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Batches of two rows: the tests' datasets are read in many batches and ranges."""
    monkeypatch.setattr(sqlite_arrow, "SEGMENT_ROWS", 2)
    yield
    sqlite_arrow.POOL.close()


def _sqlite(client: httpx.AsyncClient) -> bool:
    return str(client.app.state.settings.database_url).startswith("sqlite")  # type: ignore[attr-defined]


class Started:
    """Records the children each export read with (``sqlite_arrow._start``), and the exports
    the server wrote from rows instead (``fallbacks``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.working: list[list[sqlite_arrow.Child]] = []
        self.fallbacks = 0
        start = sqlite_arrow._start
        from_rows = exports.rows_to_parquet

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.fallbacks += 1
            return from_rows(*args, **kwargs)

        monkeypatch.setattr(exports, "rows_to_parquet", counted)

        def recorded(*args: Any) -> Any:
            working, count = start(*args)
            self.working.append(list(working))
            return working, count

        monkeypatch.setattr(sqlite_arrow, "_start", recorded)


async def _table(client: httpx.AsyncClient, identifier: str, params: dict[str, str]) -> Any:
    import pyarrow.parquet as pq

    response = await client.get(EXPORT.format(identifier, "parquet"), params=params)
    assert response.status_code == 200, response.text
    return pq.read_table(io.BytesIO(response.content))


async def _from_rows(
    client: httpx.AsyncClient, identifier: str, params: dict[str, str], monkeypatch: Any
) -> Any:
    """The table of the rows the server reads (no child process)."""
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_arrow, "available", lambda sessionmaker, processes: None)
        return await _table(client, identifier, params)


@pytest.mark.parametrize(("identifier", "params"), CASES)
async def test_parquet_as_from_rows(
    client: httpx.AsyncClient,
    identifier: str,
    params: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = Started(monkeypatch)
    table = await _table(client, identifier, params)
    assert len(started.working) == (1 if _sqlite(client) else 0)
    assert started.fallbacks == 0
    expected = await _from_rows(client, identifier, params, monkeypatch)
    assert table.num_rows == expected.num_rows
    assert (table.num_rows == 0) == (params.get("i__gte") == "1000")
    assert table.schema == expected.schema
    assert table.to_pylist() == expected.to_pylist()


@pytest.mark.parametrize("params", [{}, {"order": "_row"}])
async def test_nulls_first_are_typed(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    """A column null in the first batches, then a text, a date, a time, a float: the
    declared types, and the values (ADBC alone would type those columns as integers), in
    key ranges and in one statement."""
    import datetime as dt

    started = Started(monkeypatch)
    table = await _table(client, "vides", params)
    assert started.fallbacks == 0
    assert [str(t) for t in table.schema.types] == [
        "int64",
        "string",
        "string",
        "double",
        "int64",
        "bool",
        "date32[day]",
        "timestamp[us, tz=UTC]",
    ]
    rows = table.to_pylist()
    assert rows[0] == dict.fromkeys(["texte", "n", "i", "b", "d", "t"]) | {
        "_row": 2,
        "ligne": "ligne 0",
    }
    assert rows[5]["texte"] == "simple"
    assert rows[6]["t"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
    assert rows[14]["texte"] == "école"
    assert rows[-1]["texte"] is None


async def test_two_children_as_one(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two children read alternate key ranges: the same table as one child reading all."""
    if not _sqlite(client):
        pytest.skip("SQLite's path")
    started = Started(monkeypatch)
    both = await _table(client, "vides", {})
    assert len(started.working[-1]) == 2
    monkeypatch.setattr(sqlite_arrow, "PARALLEL", 1)
    one = await _table(client, "vides", {})
    assert len(started.working[-1]) == 1
    assert started.fallbacks == 0
    assert both.to_pylist() == one.to_pylist()
    assert both.num_rows == len(EMPTY_ROWS)


async def test_a_function_of_the_server_falls_back(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter on folded text calls a function only the server's connections know: the
    server reads the rows; so does an export whose child fails before the first byte."""
    started = Started(monkeypatch)
    params = {"texte__contains": "E"}
    folded = await _table(client, "types", params)
    assert started.working == []
    assert started.fallbacks == (1 if _sqlite(client) else 0)
    assert (
        folded.to_pylist() == (await _from_rows(client, "types", params, monkeypatch)).to_pylist()
    )
    assert folded.num_rows == 5  # simple, avec, guillemets, ligne nouvelle, école
    if not _sqlite(client):
        return
    job = sqlite_arrow.Job.__init__

    def unknown(self: Any, *args: Any, **kwargs: Any) -> None:
        job(self, *args, **kwargs)
        self.sql = self.sql.replace("CAST(", "bocage_elsewhere(", 1)

    monkeypatch.setattr(sqlite_arrow.Job, "__init__", unknown)
    failed = await _table(client, "types", {})
    assert len(started.working) == 1
    assert started.fallbacks == 3  # the folded text's, its reference's, this one's
    assert failed.to_pylist() == (await _from_rows(client, "types", {}, monkeypatch)).to_pylist()


def _query(dataset: Dataset, **params: str) -> RecordQuery:
    return RecordQuery.parse(dataset, list(params.items()))


def _export(client: httpx.AsyncClient, processes: int = 2) -> AsyncIterator[bytes]:
    sessionmaker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    return exports.stream(
        "parquet", _query(COUNTERS), sessionmaker, title="c", export_processes=processes
    )


async def _values(chunks: AsyncIterator[bytes]) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    data = b"".join([chunk async for chunk in chunks])
    return list(pq.read_table(io.BytesIO(data)).to_pylist())


async def test_one_snapshot_while_a_writer_commits(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer adds one to every counter in each commit while exports run: the two
    children of each export read the same commit (all counters equal)."""
    if not _sqlite(client):
        pytest.skip("SQLite's path")
    monkeypatch.setattr(sqlite_arrow, "SEGMENT_ROWS", 50)
    started = Started(monkeypatch)
    path = sqlite_arrow.sqlite_path(client.app.state.sessionmaker)  # type: ignore[attr-defined]
    stop = threading.Event()

    def write() -> None:
        writer = sqlite3.connect(path, timeout=10, isolation_level=None)
        while not stop.is_set():
            writer.execute("UPDATE arrow_counters SET v = v + 1")
            time.sleep(0.002)  # room for the guard, which waits SQLITE_GUARD_SECONDS at most
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        seen = []
        for _ in range(12):
            values = await _values(_export(client))
            assert len(values) == 1000
            seen.append({row["v"] for row in values})
    finally:
        stop.set()
        thread.join()
    assert all(len(v) == 1 for v in seen), [sorted(v)[:3] for v in seen if len(v) > 1]
    assert len({min(v) for v in seen}) > 1  # the writer did commit between exports
    assert sum(len(w) == 2 for w in started.working) >= 6  # most exports in two children


async def test_a_client_that_leaves_ends_the_children(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export cancelled after its first bytes (a client that left: the server cancels
    the response's task) kills the children reading it, their work and their sockets; the
    next export starts new ones."""
    import asyncio

    if not _sqlite(client):
        pytest.skip("SQLite's path")
    started = Started(monkeypatch)
    first = asyncio.Event()

    async def read() -> None:
        async for _ in _export(client):
            first.set()

    task = asyncio.create_task(read())
    await asyncio.wait_for(first.wait(), 30)
    working = started.working[-1]
    assert len(working) == 2 and all(c.process.poll() is None for c in working)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for child in working:
        assert child.process.wait(timeout=10) is not None
        assert child.connection.closed
        assert child not in sqlite_arrow.POOL.children
    values = await _values(_export(client))
    assert [row["id"] for row in values] == list(range(1, 1001))
    assert not set(started.working[-1]) & set(working)


@pytest.mark.parametrize("processes", [1, 2])
async def test_export_processes_bound(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    """At most ``export_processes`` children in all: one export takes up to two; a second
    one at the same time, finding none free, is read by the server (the same rows)."""
    if not _sqlite(client):
        pytest.skip("SQLite's path")
    started = Started(monkeypatch)
    holding = _export(client, processes)
    first = await anext(holding)
    assert len(started.working) == 1 and len(started.working[0]) == processes
    assert len(sqlite_arrow.POOL.children) == processes
    values = await _values(_export(client, processes))
    assert len(started.working) == 1  # no child was free: the server read it
    assert len(sqlite_arrow.POOL.children) == processes
    assert [row["id"] for row in values] == list(range(1, 1001))
    held = await _values(_after(first, holding))
    assert held == values
    off = await _values(_export(client, 0))
    assert off == values and len(started.working) == 1


async def _after(first: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in chunks:
        yield chunk


def test_export_processes_setting() -> None:
    from pydantic import ValidationError

    from bocage.plugins.opendata.settings import OpendataSettings

    assert OpendataSettings(export_processes=0).export_processes == 0
    assert OpendataSettings().export_processes == 2
    with pytest.raises(ValidationError):
        OpendataSettings(export_processes=-1)


def test_ranges_cover_every_key() -> None:
    """Key ranges from the first key to the last: open at both ends, at least a segment
    wide, at most MAX_RANGES."""
    assert sqlite_arrow.cut(1, 1) == [(None, None)]
    assert sqlite_arrow.cut(1, 5) == [(None, 2), (2, 4), (4, None)]
    many = sqlite_arrow.cut(1, 10**12)
    assert len(many) <= sqlite_arrow.MAX_RANGES
    assert many[0][0] is None and many[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(many, many[1:], strict=False))


async def test_the_server_never_loads_adbc_sqlite(client: httpx.AsyncClient) -> None:
    """ADBC's SQLite driver (its own copy of SQLite) is loaded by the children only: the
    server's process (this one) holds neither its module nor its library."""
    import sys
    from pathlib import Path

    assert (await _table(client, "types", {})).num_rows == len(ROWS)
    assert "adbc_driver_sqlite" not in sys.modules
    assert "adbc_driver_sqlite" not in Path("/proc/self/maps").read_text()


async def test_a_child_that_died_is_replaced(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle children killed from outside (the OOM killer, an operator): the next export
    starts others and reads through them."""
    if not _sqlite(client):
        pytest.skip("SQLite's path")
    started = Started(monkeypatch)
    first = await _values(_export(client))
    dead = started.working[-1]
    for child in dead:
        child.process.kill()
        child.process.wait()
    again = await _values(_export(client))
    assert again == first and started.fallbacks == 0
    assert len(started.working[-1]) == 2 and not set(started.working[-1]) & set(dead)


def test_children_end_with_the_server() -> None:
    """A server killed outright (no exit handler runs): its children see their socket
    close and end."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from bocage.plugins.opendata import sqlite_arrow\n"
        "child = sqlite_arrow.POOL.take(1, 1)[0]\n"
        "child.greet()\n"
        "print(child.process.pid, flush=True)\n"
        "import time; time.sleep(60)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    pid = int(server.stdout.readline())

    def running() -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"

    assert running()
    server.kill()
    server.wait()
    deadline = time.monotonic() + 20
    while running():
        assert time.monotonic() < deadline, "the child outlived its server"
        time.sleep(0.05)
