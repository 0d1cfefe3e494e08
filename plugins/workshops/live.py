"""Live messages of challenge-card workshops, fanned out to every server worker.

A change stages its messages inside its transaction (:func:`stage`); they reach subscribers
only if it commits:

- on PostgreSQL, ``pg_notify`` on the ``workshops_live`` channel, which PostgreSQL delivers at
  commit to every listening connection, so every worker (one ``LISTEN`` connection each, open
  while it has subscribers) sees every message, its own included;
- on SQLite (the embedded default, one worker), an in-process broker shared by every app of the
  process on the same database, fed after the commit (:func:`deliver`).

Messages are small JSON objects (PostgreSQL caps a notification at 8000 bytes): a ``type``, the
``workshop`` key, and what changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import func, select

logger = logging.getLogger("bocage.workshops.live")

CHANNEL = "workshops_live"
QUEUE_SIZE = 1000


class Broker:
    """The subscribers of one database in this process, by workshop key.

    Subscribers may live in several event loops (several apps in one process): each message is
    put on a subscriber's queue in the subscriber's own loop.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.queues: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]]] = {}
        self._listener: Any = None  # the LISTEN connection (PostgreSQL), while subscribed
        self._lock = asyncio.Lock() if self.postgres else None

    def dispatch(self, message: dict[str, Any]) -> None:
        current = asyncio.get_running_loop()
        for loop, queue in list(self.queues.get(int(message.get("workshop", 0)), ())):
            if loop is current:
                _put(queue, message)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_put, queue, message)

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        try:
            self.dispatch(orjson.loads(payload))
        except Exception:  # pragma: no cover - a foreign payload on our channel
            logger.exception("unreadable live message")

    async def _listen(self) -> None:
        if self._lock is None:
            return
        async with self._lock:
            if self._listener is not None:
                return
            connection = await self.engine.connect()
            raw = await connection.get_raw_connection()
            await raw.driver_connection.add_listener(CHANNEL, self._notified)
            self._listener = (connection, raw.driver_connection)

    async def _unlisten(self) -> None:
        if self._lock is None:
            return
        async with self._lock:
            if self._listener is None or any(self.queues.values()):
                return
            connection, driver = self._listener
            self._listener = None
            with contextlib.suppress(Exception):
                await driver.remove_listener(CHANNEL, self._notified)
            await connection.close()

    @contextlib.asynccontextmanager
    async def subscribe(self, workshop: int) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        entry = (asyncio.get_running_loop(), queue)
        self.queues.setdefault(workshop, set()).add(entry)
        try:
            await self._listen()
            yield queue
        finally:
            self.queues[workshop].discard(entry)
            if not self.queues[workshop]:
                del self.queues[workshop]
            await self._unlisten()


def _put(queue: asyncio.Queue[Any], message: dict[str, Any]) -> None:
    try:
        queue.put_nowait(message)
    except asyncio.QueueFull:  # a stalled subscriber loses messages, not the server
        logger.warning("a live subscriber is too slow: message dropped")


_embedded: dict[str, Broker] = {}
_servers: weakref.WeakKeyDictionary[Any, Broker] = weakref.WeakKeyDictionary()


def broker(engine: Any) -> Broker:
    """The broker of ``engine``'s database in this process.

    SQLite: one per database file, shared by every app of the process. PostgreSQL: one per
    engine (its LISTEN connection comes from the engine's pool); NOTIFY joins them.
    """
    if engine.dialect.name == "postgresql":
        found = _servers.get(engine)
        if found is None:
            found = _servers[engine] = Broker(engine)
        return found
    url = engine.url.render_as_string(hide_password=True)
    if url not in _embedded:
        _embedded[url] = Broker(engine)
    return _embedded[url]


async def stage(session: Any, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Queue ``messages`` in the transaction of ``session``; returns those to :func:`deliver`
    after the commit (none on PostgreSQL, where the commit delivers them)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return messages
    for message in messages:
        payload = orjson.dumps(message).decode()
        await session.execute(select(func.pg_notify(CHANNEL, payload)))
    return []


def deliver(engine: Any, messages: list[dict[str, Any]]) -> None:
    """Hand committed messages to this process's subscribers (SQLite)."""
    target = broker(engine)
    for message in messages:
        target.dispatch(message)


def subscribers(workshop: int) -> int:
    """How many live subscriptions to ``workshop`` this process serves (all databases)."""
    brokers = [*_embedded.values(), *_servers.values()]
    return sum(len(b.queues.get(workshop, ())) for b in brokers)
