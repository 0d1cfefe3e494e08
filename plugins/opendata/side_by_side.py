"""SQLite exports read side by side: a whole dataset's CSV, NDJSON or JSON (rows in the order
of its key alone) read by several readers at once, range of keys after range of keys, on one
snapshot, the ranges sent in the key's order.

Python's ``sqlite3`` lets go of the GIL only while SQLite works on a row; building each row's
objects and the lines holds it, about half the time. Readers in threads of one process would
mostly wait for each other, so the readers beyond the first are **processes** of their own
(:class:`_Process`, started once and kept: :func:`_checkout`), each reading
with its own connection and sending its ranges' bytes through a pipe. The first reader is a
worker thread of the server. When no process is free (another export holds them), fewer
readers read.

Two SQLite connections cannot share a snapshot. While the readers open theirs, a guard
connection holds the write lock (``BEGIN IMMEDIATE``: no write can commit), so they all read
the last commit; writers wait those few milliseconds (:func:`_opened`). When a write holds
the lock longer than :data:`SQLITE_GUARD_SECONDS`, the first reader reads alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sqlite3
import subprocess
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol
from urllib.parse import quote

import anyio

from bocage.plugins.opendata.export_sql import BATCH, SqliteUnavailable, sqlite_reader

logger = logging.getLogger("bocage.opendata")

#: The parameters of :class:`Segments`' statements (``sqlite3``'s named style).
_AFTER, _UPTO = "bocage_after", "bocage_upto"
#: Seconds an export waits to hold writers back while its readers open their snapshot
#: (:func:`_opened`); a write under way for longer: one reader.
SQLITE_GUARD_SECONDS = 0.25

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


def serve(inbox: int, outbox: int) -> None:
    """A reader process's loop (:class:`_Process`): each message of the server, read from the
    file descriptor ``inbox``, is a method of :class:`_Thread` and its arguments; each
    answer, written to ``outbox``, ``(True, result)`` or ``(False, error text)``. Ends when
    the server closes its end."""
    reader = _Thread()
    with os.fdopen(inbox, "rb") as messages, os.fdopen(outbox, "wb") as answers:
        pickle.dump((True, None), answers)  # ready: its modules are imported
        answers.flush()
        while True:
            try:
                name, arguments = pickle.load(messages)
            except EOFError:
                reader.finish()
                return
            except Exception as error:  # a message it cannot read: said, and the next one
                answer: tuple[bool, Any] = (False, f"{type(error).__name__}: {error}")
            else:
                try:
                    answer = (True, getattr(reader, name)(*arguments))
                except Exception as error:  # raised in the server as sqlite3's error
                    answer = (False, f"{type(error).__name__}: {error}")
            pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()


#: The command of a reader process: the interpreter running the server, the same modules.
_COMMAND = "import sys; from {module} import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"


class _Process:
    """A reader in a process of its own (:func:`serve`), kept between exports. Started as a
    new interpreter (``subprocess``), not by ``multiprocessing``, whose ``spawn`` would run
    the server's main script again and whose ``fork`` would copy its threads."""

    def __init__(self) -> None:
        theirs_in, mine_out = os.pipe()
        mine_in, theirs_out = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _COMMAND.format(module=__name__),
                    str(theirs_in),
                    str(theirs_out),
                ],
                pass_fds=(theirs_in, theirs_out),
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # a server's Ctrl-C is the server's to handle
            )
        except BaseException:
            for fd in (mine_in, mine_out):
                os.close(fd)
            raise
        finally:
            os.close(theirs_in)
            os.close(theirs_out)
        self.messages = os.fdopen(mine_out, "wb")
        self.answers = os.fdopen(mine_in, "rb")
        self.broken = False
        try:  # waited for here, never while an export holds writers back (:func:`_opened`)
            self._answer()
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        return not self.broken and self.process.poll() is None

    def _call(self, name: str, *arguments: Any) -> Any:
        try:
            pickle.dump((name, arguments), self.messages, protocol=pickle.HIGHEST_PROTOCOL)
            self.messages.flush()
        except OSError as error:
            self.broken = True
            message = f"the export's reader process ended: {error}"
            raise sqlite3.OperationalError(message) from error
        return self._answer()

    def _answer(self) -> Any:
        try:
            done, result = pickle.load(self.answers)
        except (EOFError, OSError, pickle.UnpicklingError) as error:
            self.broken = True
            message = f"the export's reader process ended: {error!r}"
            raise sqlite3.OperationalError(message) from error
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

    def close(self) -> None:
        """Ends the process: its messages end, so it returns; killed if it does not."""
        with contextlib.suppress(OSError):
            self.messages.close()
        with contextlib.suppress(OSError):
            self.answers.close()
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


#: Reader processes not in use, and how many exist (at most the readers an export may have
#: less one: one export at a time reads with all of them).
_idle: list[_Process] = []
_started = 0
_lock = threading.Lock()


def _checkout(count: int) -> list[_Process]:
    """Up to ``count`` reader processes for one export: idle ones, or new ones while fewer
    than ``count`` exist (a process takes about a second to start, once)."""
    global _started
    taken: list[_Process] = []
    ended: list[_Process] = []
    with _lock:
        while _idle and len(taken) < count:
            process = _idle.pop()
            (taken if process.alive() else ended).append(process)
        _started -= len(ended)
        new = max(0, min(count - len(taken), count - _started))
        _started += new
    for process in ended:
        process.close()
    for started in range(new):
        try:
            taken.append(_Process())
        except (OSError, sqlite3.Error) as error:  # fewer readers, said once a failure
            logger.warning("an export's reader process did not start: %s", error)
            with _lock:
                _started -= new - started
            break
    return taken


def _checkin(processes: Sequence[_Process]) -> None:
    global _started
    for process in processes:
        if not process.alive():
            process.close()
            with _lock:
                _started -= 1
        else:
            with _lock:
                _idle.append(process)


def _opened(path: str, readers: Sequence[Reader], segments: Segments, convert: Convert) -> int:
    """Begin the ``readers`` on one snapshot (:mod:`side_by_side`); how many did: all, or
    the first alone when the write lock was not had within :data:`SQLITE_GUARD_SECONDS`
    (a write under way) or cannot be (a read-only file)."""
    guard = None
    if len(readers) > 1:
        try:  # a plain connection: query_only refuses BEGIN IMMEDIATE; it never writes
            guard = sqlite3.connect(
                f"file:{quote(path)}?mode=rw",
                uri=True,
                timeout=SQLITE_GUARD_SECONDS,
                isolation_level=None,
            )
            guard.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            if guard is not None:
                guard.close()
            guard = None
    begun: list[Reader] = []
    try:
        for reader in readers if guard is not None else readers[:1]:
            reader.begin(path, segments, convert)
            begun.append(reader)
    except BaseException:
        for reader in begun:
            with contextlib.suppress(sqlite3.Error):
                reader.finish()
        raise
    finally:
        if guard is not None:
            guard.close()  # rolls back, and lets writers go
    return len(begun)


async def sqlite_segment_chunks(
    path: str, segments: Segments, convert: Convert, readers: int
) -> AsyncIterator[bytes]:
    """The bytes ``convert`` makes of the rows of ``segments`` read by up to ``readers``
    readers on one snapshot (:func:`_opened`): range after range of the key, each reader
    working on the next range of its own while the oldest range is sent, so the bytes
    leave in the key's order and memory holds one range a reader. Raises
    :class:`SqliteUnavailable` before the first bytes when the statements cannot run on a
    connection of their own."""
    processes = await anyio.to_thread.run_sync(_checkout, readers - 1)
    team: list[Reader] = [_Thread(), *processes]
    try:
        count = await anyio.to_thread.run_sync(_opened, path, team, segments, convert)
    except sqlite3.Error as error:
        _checkin(processes)
        raise SqliteUnavailable(str(error)) from error
    except BaseException:
        _checkin(processes)
        raise
    used = team[:count]
    pending: deque[asyncio.Future[bytes]] = deque()
    after: Any = START
    turn = 0

    async def start() -> None:
        """The next range, found then read by the next reader in turn."""
        nonlocal after, turn
        reader = used[turn % len(used)]
        turn += 1
        upto = await anyio.to_thread.run_sync(reader.end_of, after)
        read = anyio.to_thread.run_sync(reader.read, after, upto)
        after = upto
        pending.append(asyncio.ensure_future(read))

    sent = False
    try:
        try:
            await start()
            while len(pending) < len(used) and after is not START:
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
            with contextlib.suppress(BaseException):
                await future
        await anyio.to_thread.run_sync(_finish, used, processes)


def _finish(used: Sequence[Reader], processes: Sequence[_Process]) -> None:
    for reader in used:
        with contextlib.suppress(sqlite3.Error):
            reader.finish()
    _checkin(processes)
