"""SQLite exports read side by side: a whole dataset's CSV, NDJSON or JSON (rows in the order
of its key alone) read by several readers at once, range of keys after range of keys, on one
snapshot, the ranges sent in the key's order.

Python's ``sqlite3`` lets go of the GIL only while SQLite works on a row; building each row's
objects and the lines holds it, about half the time. Readers in threads of one process would
mostly wait for each other, so the readers beyond the first are **processes** of their own
(:class:`_Process`, :mod:`.processes`, started once and kept: :func:`_checkout`), each reading
with its own connection and sending its ranges' bytes through a pipe. The first reader is a
worker thread of the server. When no process is free (another export holds them), fewer
readers read.

Two SQLite connections cannot share a snapshot. While the readers open theirs, a guard
connection holds the write lock (``BEGIN IMMEDIATE``: no write can commit), so they all read
the last commit; writers wait those few milliseconds (:func:`_opened`). When a write holds
the lock longer than :data:`export_sql.SQLITE_GUARD_SECONDS`, the first reader reads alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol

import anyio

from bocage.plugins.opendata import export_sql
from bocage.plugins.opendata.export_sql import BATCH, sqlite_reader
from bocage.plugins.opendata.processes import HELLO, Child, Pool, SqliteUnavailable, connect

logger = logging.getLogger("bocage.opendata")

#: The parameters of :class:`Segments`' statements (``sqlite3``'s named style).
_AFTER, _UPTO = "bocage_after", "bocage_upto"

Convert = Callable[[Sequence[Sequence[Any]]], bytes]


#: No key: before the first range, after the last.
class _Start:
    def __repr__(self) -> str:
        return "START"

    def __reduce__(self) -> str:
        return "START"  # the same object in every process


START: Any = _Start()


class Segments:
    """A statement whose rows come in the order of a key alone, as consecutive ranges of
    that key (:meth:`export_sql.Plan.segments`): ``texts["first"]`` and ``texts["next"]``
    give the key that ends a range (the ``size``-th after the last range's end,
    ``:bocage_after``), and ``texts[after, upto]`` the rows of a range, with or without
    either end."""

    def __init__(self, texts: dict[Any, str]) -> None:
        self.texts = texts

    def end(self, connection: sqlite3.Connection, after: Any) -> Any:
        """The key that ends the range after ``after`` (:data:`START`: the first range);
        :data:`START` when that range is the last (no key ends it)."""
        if after is START:
            row = connection.execute(self.texts["first"]).fetchone()
        else:
            row = connection.execute(self.texts["next"], {_AFTER: after}).fetchone()
        return START if row is None else row[0]

    def rows(self, after: Any, upto: Any) -> tuple[str, dict[str, Any]]:
        """The statement of the rows after ``after`` up to ``upto`` (:data:`START`: no
        such end), and its parameters."""
        params = {}
        if after is not START:
            params[_AFTER] = after
        if upto is not START:
            params[_UPTO] = upto
        return self.texts[after is not START, upto is not START], params


def _begin(connection: sqlite3.Connection) -> None:
    """A read transaction whose snapshot is taken now (in WAL mode, at a first read)."""
    connection.execute("BEGIN")
    connection.execute("SELECT count(*) FROM sqlite_schema").fetchall()


def range_bytes(
    connection: sqlite3.Connection, sql: str, params: dict[str, Any], convert: Convert
) -> bytes:
    """The bytes ``convert`` makes of the rows of one range, batch by batch."""
    cursor = connection.execute(sql, params)
    try:
        out = []
        while rows := cursor.fetchmany(BATCH):
            out.append(convert(rows))
    finally:
        cursor.close()
    return b"".join(out)


class Reader(Protocol):
    """One reader of an export (:class:`_Thread`, :class:`_Process`), used by one worker
    thread at a time; its methods block."""

    def begin(self, path: str, segments: Segments, convert: Convert) -> None: ...

    def end_of(self, after: Any) -> Any: ...

    def read(self, after: Any, upto: Any) -> bytes: ...

    def finish(self) -> None: ...


class _Thread:
    """The reader in the server's process: a connection of its own in worker threads."""

    def __init__(self) -> None:
        self.connection: sqlite3.Connection | None = None

    def begin(self, path: str, segments: Segments, convert: Convert) -> None:
        self.segments, self.convert = segments, convert
        self.connection = sqlite_reader(path)
        try:
            _begin(self.connection)
        except BaseException:
            self.finish()
            raise

    def _open(self) -> sqlite3.Connection:
        if self.connection is None:
            raise sqlite3.OperationalError("the reader has no snapshot open")
        return self.connection

    def end_of(self, after: Any) -> Any:
        return self.segments.end(self._open(), after)

    def read(self, after: Any, upto: Any) -> bytes:
        sql, params = self.segments.rows(after, upto)
        return range_bytes(self._open(), sql, params, self.convert)

    def finish(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def serve() -> None:
    """A reader process's life (:mod:`.processes`): each message of the server is a method of
    :class:`_Thread` and its arguments (pickled), each answer ``(True, result)`` or
    ``(False, error text)``; ends when the server's end of the socket closes."""
    connection = connect()
    reader = _Thread()
    try:
        connection.send_bytes(HELLO)
        while True:
            message = connection.recv_bytes()
            try:
                name, arguments = pickle.loads(message)
                answer: tuple[bool, Any] = (True, getattr(reader, name)(*arguments))
            except Exception as error:  # raised in the server as sqlite3's error
                answer = (False, f"{type(error).__name__}: {error}")
            connection.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, ConnectionError, KeyboardInterrupt):
        return
    finally:
        reader.finish()


#: The reader processes of this server process (:func:`serve`).
READERS = Pool(f"from {__name__} import serve; serve()")


class _Process:
    """A reader in a process of its own (:data:`READERS`): :class:`_Thread`'s methods
    called there, their errors raised here as ``sqlite3``'s."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.broken = False

    def _call(self, name: str, *arguments: Any) -> Any:
        try:
            self.child.send(pickle.dumps((name, arguments), protocol=pickle.HIGHEST_PROTOCOL))
            done, result = pickle.loads(self.child.receive())
        except BaseException:
            self.broken = True
            raise
        if not done:
            raise sqlite3.OperationalError(result)
        return result

    def begin(self, path: str, segments: Segments, convert: Convert) -> None:
        self._call("begin", path, segments, convert)

    def end_of(self, after: Any) -> Any:
        return self._call("end_of", after)

    def read(self, after: Any, upto: Any) -> bytes:
        return self._call("read", after, upto)  # type: ignore[no-any-return]

    def finish(self) -> None:
        self._call("finish")


def _checkout(count: int) -> list[_Process]:
    """Up to ``count`` reader processes for one export (at most ``count`` in all: one export
    at a time reads with all of them), each ready (a new one takes about a second, once);
    none when they cannot start, said in the log."""
    if count < 1:
        return []
    try:
        children = READERS.take(count, count)
    except SqliteUnavailable as error:
        logger.warning("an export's reader process did not start: %s", error)
        return []
    ready: list[_Process] = []
    for child in children:
        try:
            child.greet()
        except SqliteUnavailable as error:
            logger.warning("an export's reader process did not start: %s", error)
            READERS.discard([child])
        else:
            ready.append(_Process(child))
    return ready


def _checkin(processes: Sequence[_Process]) -> None:
    READERS.discard([p.child for p in processes if p.broken])
    READERS.give_back([p.child for p in processes if not p.broken])


def _opened(path: str, readers: Sequence[Reader], segments: Segments, convert: Convert) -> int:
    """Begin the ``readers`` on one snapshot (:func:`export_sql.hold_writers`); how many did:
    all, or the first alone when the write lock was not had."""
    guard = None
    if len(readers) > 1:
        with contextlib.suppress(sqlite3.Error, SqliteUnavailable):
            guard = export_sql.hold_writers(path)
    begun: list[Reader] = []
    try:
        for reader in readers if guard is not None else readers[:1]:
            reader.begin(path, segments, convert)
            begun.append(reader)
    except BaseException:
        for reader in begun:
            with contextlib.suppress(sqlite3.Error, SqliteUnavailable):
                reader.finish()
        raise
    finally:
        if guard is not None:
            guard.close()  # rolls back, and lets writers go
    return len(begun)


#: Ranges each reader may have read ahead of the one being sent, when they are several.
AHEAD = 2


async def sqlite_segment_chunks(
    path: str, segments: Segments, convert: Convert, readers: int
) -> AsyncIterator[bytes]:
    """The bytes ``convert`` makes of the rows of ``segments`` read by up to ``readers``
    readers on one snapshot (:func:`_opened`): range after range of the key, each reader
    working on ranges of its own (up to :data:`AHEAD` of them ahead of the one being sent,
    one after the other), so the bytes leave in the key's order and memory holds a few
    ranges a reader. The ranges' ends are found by a connection of their own on the same
    snapshot, so that no reader waits for another. Raises :class:`SqliteUnavailable`
    before the first bytes when the statements cannot run on a connection of their own."""
    processes = await anyio.to_thread.run_sync(_checkout, readers - 1)
    team: list[Reader] = [_Thread(), *processes]
    if processes:
        team.insert(1, _Thread())  # the ranges' ends, when there are readers side by side
    try:
        count = await anyio.to_thread.run_sync(_opened, path, team, segments, convert)
    except sqlite3.Error as error:
        _checkin(processes)
        raise SqliteUnavailable(str(error)) from error
    except BaseException:
        _checkin(processes)
        raise
    begun = team[:count]
    ends, used = (begun[1], [begun[0], *begun[2:]]) if count > 1 else (begun[0], begun)
    ahead = AHEAD if count > 1 else 1  # alone, the reader also finds the ends
    pending: deque[asyncio.Future[bytes]] = deque()
    last: dict[int, asyncio.Future[bytes]] = {}
    after: Any = START
    turn = 0

    async def start() -> None:
        """The next range, its end found, then read by the next reader in turn once that
        reader's previous range is read."""
        nonlocal after, turn
        index = turn % len(used)
        turn += 1
        lower, upto = after, await anyio.to_thread.run_sync(ends.end_of, after)
        after = upto
        previous = last.get(index)

        async def read() -> bytes:
            if previous is not None:
                await asyncio.wait([previous])
            return await anyio.to_thread.run_sync(used[index].read, lower, upto)

        last[index] = future = asyncio.ensure_future(read())
        pending.append(future)

    sent = False
    try:
        try:
            while len(pending) < ahead * len(used) and (after is not START or not turn):
                await start()
            while pending:
                chunk = await pending[0]
                pending.popleft()
                if after is not START:
                    await start()
                sent = True
                if chunk:
                    yield chunk
        except sqlite3.Error as error:
            if sent:
                raise
            raise SqliteUnavailable(str(error)) from error
    finally:
        for future in pending:
            future.cancel()  # those not yet reading; a read under way ends first
        for future in pending:
            with contextlib.suppress(BaseException):
                await future
        await anyio.to_thread.run_sync(_finish, begun, processes)


def _finish(used: Sequence[Reader], processes: Sequence[_Process]) -> None:
    for reader in used:
        with contextlib.suppress(sqlite3.Error, SqliteUnavailable):
            reader.finish()
    _checkin(processes)
