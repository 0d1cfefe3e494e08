"""SQLite's Parquet at Arrow's speed: the rows read into Arrow record batches by ADBC's SQLite
driver (C, no Python object per value) in child processes, two reading at once.

ADBC's driver links its own copy of SQLite. Two copies of SQLite in one process on one file
break SQLite's POSIX-lock bookkeeping (a ``close()`` by one drops the other's locks; a
checkpoint by one ignores the other's WAL read marks: sqlite.org, "How To Corrupt An SQLite
Database File", 2.3). So the driver is only ever loaded by the processes of :class:`Pool`
(:mod:`.arrow_child`): fresh interpreters (never a fork of the server), started on the first
export that wants them and kept for the next ones, at most
``BOCAGE_OPENDATA_EXPORT_PROCESSES``; each ends when the server does (its end of the socket
closes), and the server kills those of an export its client left.

ADBC types each column from the first batch it reads: a column null in every row of that
batch becomes integers, and a later text is an error. So each statement's type cannot depend
on where its nulls are:

- an export in the order of the dataset's integer key (no client order, no grouping; filters
  allowed) is read in key ranges, each range by statements of at most :data:`SEGMENT_ROWS`
  rows after the last key read (``LIMIT``): each statement is one batch, typed by itself,
  whose all-null columns the child types as the schema says;
- any other export is read by one statement in order, each nullable column read with a
  stand-in value and a bit of a flag column that says it is null.

Every column is cast in SQL to its storage class (integer, real, text); values are read as
stored (times as ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC, dates as ISO text, booleans as 0 and 1)
and converted by Arrow in the children (dates, times, booleans). Two children read one snapshot:
while a guard connection of the server holds ``BEGIN IMMEDIATE`` (no writer can commit),
each opens its read transaction; then the guard lets go. The ranges alternate between the
children, which the server reads in key order: each child is at most one batch ahead.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import sqlite3
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import BigInteger, Float, Integer, Text, cast, func, literal, literal_column
from sqlalchemy import type_coerce as coerce
from sqlalchemy.types import NullType

from bocage.core.api import FieldType
from bocage.plugins.opendata import arrow_child, folding
from bocage.plugins.opendata.export_sql import (
    SQLITE_BUSY_SECONDS,
    Kind,
    Plan,
    SqliteUnavailable,
    hold_writers,
    kind_of,
    sqlite_path,
    sqlite_sql,
)
from bocage.plugins.opendata.processes import Child, Pool

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

#: Rows of one statement of a range, one batch (and one Parquet row group).
SEGMENT_ROWS = 32_768
#: Children one export reads with (two: the server's Parquet writer is the third process).
PARALLEL = 2
#: Ranges an export's keys are cut into, at most (each at least SEGMENT_ROWS keys wide).
MAX_RANGES = 256
#: The storage class each kind is read as.
_STORAGE = {
    Kind.INTEGER: "i",
    Kind.BOOLEAN: "i",
    Kind.FLOAT: "f",
    Kind.DECIMAL: "f",
    Kind.TEXT: "t",
    Kind.DATE: "t",
    Kind.DATETIME: "t",
}
_SQL_TYPE: dict[str, Any] = {"i": BigInteger, "f": Float, "t": Text}
_STAND_IN: dict[str, Any] = {"f": 0.0, "t": ""}
#: Flag bits of one flag column (a SQLite integer is signed 64 bits).
_FLAG_BITS = 62


# -- the child processes -------------------------------------------------------------------


POOL = Pool(f"from {arrow_child.__name__} import serve; serve()")


# -- the statements ------------------------------------------------------------------------


class Job:
    """What the children read: the SQL (:mod:`.arrow_child`'s job), each field's storage
    class, the key ranges (``None``: the statement at once, with flag columns), and whether
    they send NDJSON lines rather than record batches."""

    def __init__(self, plan: Plan, *, ranged: bool, lines: bool = False) -> None:
        self.ranged = ranged
        self.lines = lines
        #: The column of the key in a ranged statement's rows (the last: not a field).
        self.key = -1
        kinds = plan.known_kinds()
        self.storage = [_STORAGE[kind] for kind in kinds]
        self.flags: list[list[int]] = []
        cells = [cast(c, _SQL_TYPE[s]) for c, s in zip(plan.columns, self.storage, strict=True)]
        if ranged:
            key = plan.key
            assert key is not None, "a ranged job is in the key's order (ranged)"
            named = [coerce(c, NullType()).label(f"c{i}") for i, c in enumerate(cells)]
            name = plan.query.dataset.key
            if name in plan.query.fields:  # the key's column is read once
                self.key = plan.query.fields.index(name)
            else:
                self.key = len(named)
                named.append(coerce(key, NullType()).label("k"))
            statement = plan.statement(named)
            statement = statement.where(key > literal_column("?1"), key <= literal_column("?2"))
            statement = statement.limit(SEGMENT_ROWS)
        else:
            statement = plan.statement(self._flagged(cells))
        self.sql = sqlite_sql(statement)

    def _flagged(self, cells: list[Any]) -> list[Any]:
        """Each column that may be null and is not read as integers (a column ADBC types
        from its first value) as its value or a stand-in, and flag columns of their nulls."""
        out: list[Any] = []
        flags: list[Any] = []
        for i, (cell, storage) in enumerate(zip(cells, self.storage, strict=True)):
            if storage == "i":
                self.flags.append([-1, 0])
                out.append(coerce(cell, NullType()).label(f"c{i}"))
                continue
            flag, bit = divmod(len(self.flags) - self.flags.count([-1, 0]), _FLAG_BITS)
            self.flags.append([flag, bit])
            stand_in = literal(_STAND_IN[storage], _SQL_TYPE[storage])
            out.append(coerce(func.ifnull(cell, stand_in), NullType()).label(f"c{i}"))
            term = coerce(cell.is_(None), Integer) * (1 << bit)
            if bit == 0:
                flags.append(term)
            else:
                flags[-1] = flags[-1] + term
        return out + [coerce(f, NullType()).label(f"n{i}") for i, f in enumerate(flags)]

    def message(
        self, path: str, ranges: list[tuple[int | None, int | None]] | None, schema: Any
    ) -> bytes:
        """The job of one child: ``schema`` is the export's (the types the child sends)."""
        return json.dumps(
            {
                "path": path,
                "schema": base64.b64encode(schema.serialize().to_pybytes()).decode(),
                "sql": self.sql,
                "storage": self.storage,
                "flags": self.flags,
                "rows": SEGMENT_ROWS,
                "ranges": ranges,
                "key": self.key,
                "busy_ms": int(SQLITE_BUSY_SECONDS * 1000),
                "lines": self.lines,
            }
        ).encode()


def ranged(plan: Plan) -> bool:
    """Whether the export is in the order of the dataset's key alone, an integer."""
    key = plan.key  # set when the rows come in the key's order alone (Plan)
    return key is not None and kind_of(key.type, FieldType.INTEGER) is Kind.INTEGER


def cut(first: int, last: int) -> list[tuple[int | None, int | None]]:
    """``(low, high]`` key ranges from ``first`` to ``last``, each at least
    :data:`SEGMENT_ROWS` keys wide, at most :data:`MAX_RANGES`; the first and the last open
    (no key is left out, whatever a writer added)."""
    span = last - first + 1
    width = max(SEGMENT_ROWS, -(-span // MAX_RANGES))
    inner = list(range(first - 1 + width, last, width))
    edges: list[int | None] = [None, *inner, None]
    return list(zip(edges, edges[1:], strict=False))


# -- the guard: one snapshot for two children -----------------------------------------------


class Guard:
    """The server's ``sqlite3`` connection (its own copy of SQLite) holding the write lock
    while the children open their read transactions: they all read the last commit."""

    def __init__(self, path: str) -> None:
        self.connection = hold_writers(path)

    def keys(self, plan: Plan) -> tuple[int, int] | None:
        """The first and the last key of the export's rows (``None``: none)."""
        key = plan.key
        if key is None:
            return None
        first = sqlite_sql(plan.statement([key]).limit(1))
        last = sqlite_sql(plan.statement([key]).order_by(None).order_by(key.desc()).limit(1))
        if first is None or last is None:
            return None
        try:
            low = self.connection.execute(first).fetchone()
            high = self.connection.execute(last).fetchone()
        except sqlite3.Error:  # a function the server's connections alone know: one child
            return None
        if low is None or high is None or not isinstance(low[0], int):
            return None
        return low[0], high[0]

    def release(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.connection.execute("ROLLBACK")
        self.connection.close()


def _start(
    path: str, job: Job, plan: Plan, children: list[Child], schema: Any
) -> tuple[list[Child], int]:
    """Send the job (in a worker thread) to two children on one snapshot when the guard gets
    the write lock at once, else to one; the children sent a job, and the number of ranges
    (range ``i`` is read by child ``i % len(children)``)."""
    for child in children:
        child.greet()
    guard = None
    if job.ranged and len(children) > 1:
        with contextlib.suppress(sqlite3.Error):
            guard = Guard(path)
    try:
        keys = guard.keys(plan) if guard is not None else None
        every: list[tuple[int | None, int | None]] = [(None, None)]
        if keys is not None:
            every = cut(*keys)
        working = children if len(every) > 1 else children[:1]
        for i, child in enumerate(working):
            part = every[i :: len(working)] if job.ranged else None
            child.send(job.message(path, part, schema))
        for child in working:
            _expect(child, arrow_child.READY)
    finally:
        if guard is not None:
            guard.release()
    return working, len(every)


def _expect(child: Child, wanted: bytes) -> None:
    data = child.receive()
    if data != wanted:
        raise SqliteUnavailable(_reason(data))


def _reason(data: bytes) -> str:
    if data[:1] == arrow_child.ERROR:
        return data[1:].decode(errors="replace")
    return f"the export process answered {data[:20]!r}"


# -- the batches ---------------------------------------------------------------------------


def available(sessionmaker: async_sessionmaker[AsyncSession], processes: int) -> str | None:
    """The SQLite file the children may read, or ``None`` (off, another engine, a database
    in memory, ADBC's SQLite driver not installed)."""
    if processes < 1 or importlib.util.find_spec("adbc_driver_sqlite") is None:
        return None
    return sqlite_path(sessionmaker)


async def arrow_batches(
    path: str, plan: Plan, schema: Any, processes: int, *, lines: bool = False
) -> AsyncIterator[Any]:
    """The export's rows as record batches of ``schema``, in order, read by children of
    :data:`POOL` (at most ``processes`` in all); :class:`SqliteUnavailable` before the first
    when they cannot (none free, a statement they cannot run: a function only the server's
    connections know). ``lines``: each batch as its NDJSON lines instead, written by the
    child that read it (:func:`arrow_lines.ndjson`: two children write at once)."""
    import pyarrow as pa

    in_ranges = ranged(plan)
    job = Job(plan, ranged=in_ranges, lines=lines)
    if job.sql is None or folding.SQLITE_FUNCTION in job.sql:
        raise SqliteUnavailable("the statement needs the server's SQL functions")
    children = POOL.take(processes, PARALLEL if in_ranges else 1)
    if not children:
        raise SqliteUnavailable("every export process is busy")
    kept: list[Child] = []
    finished = False
    try:
        working, count = await anyio.to_thread.run_sync(_start, path, job, plan, children, schema)
        kept = [c for c in children if c not in working]
        POOL.give_back(kept)

        def receive(child: Child) -> Any:
            data = child.receive()
            if data == arrow_child.END:
                return None
            if len(data) < 2 or data[:1] == arrow_child.ERROR:
                raise SqliteUnavailable(_reason(data))
            return data if lines else pa.ipc.read_record_batch(pa.py_buffer(data), schema)

        for turn in range(count):
            child = working[turn % len(working)]
            while (batch := await anyio.to_thread.run_sync(receive, child)) is not None:
                yield batch
        for child in working:
            await anyio.to_thread.run_sync(_expect, child, arrow_child.DONE)
        finished = True
    finally:
        rest = [c for c in children if c not in kept]
        if finished:
            POOL.give_back(rest)
        else:  # mid-read (a client that left, an error): their work ends with them
            POOL.discard(rest)
