"""Per-request state: one database session, the DataLoaders, the language, the host.

Made fresh for each request by the GraphQL view (never kept in globals) and closed after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from bocage.core.auth.principal import ANONYMOUS, Principal

if TYPE_CHECKING:
    from sqlalchemy import Executable
    from sqlalchemy.engine import Result
    from sqlalchemy.ext.asyncio import (
        AsyncConnection,
        AsyncEngine,
        AsyncSession,
        async_sessionmaker,
    )
    from starlette.requests import Request

    from bocage.core.graphql.compiler.execute import CompiledRoots
    from bocage.core.host_protocol import Host
    from bocage.core.settings import Settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose futures outlive any one caller: each ``load`` hands out a shielded
    view of the (cached, shared) future. graphql-core cancels the sibling fields of a field
    that raised (a refused one); unshielded, cancelling one awaiter cancelled the future every
    other field waiting for the same key shared, and a ``CancelledError`` escaped the
    execution of fields that were never cancelled (a 500)."""

    def load(self, key: K) -> Awaitable[V]:  # type: ignore[override]
        return asyncio.shield(super().load(key))


@dataclass
class Context:
    """What every resolver gets as ``info.context``."""

    settings: Settings
    #: What plugins may ask of the application (``bocage.core.api.Host``).
    host: Host
    sessionmaker: async_sessionmaker[AsyncSession]
    language: str
    request: Request | None = None
    #: Who is calling (set from the bearer token; anonymous without one).
    principal: Principal = ANONYMOUS
    #: Answer compilable root fields of queries in SQL (the read compiler).
    compile_reads: bool = False
    #: Set by the HTTP view on a request the fast path may learn from: which root fields the
    #: read compiler answered (``fast_path.py``).
    compiled_roots: CompiledRoots | None = None
    #: A WebSocket's ``connection_init`` payload (graphql-transport-ws), set by strawberry.
    connection_params: dict[str, Any] | None = None
    #: The ``lang`` of connections, by their path in the response: the language of the
    #: multilingual fields under them (``i18n.request_language``).
    path_languages: dict[tuple[Any, ...], str] = field(default_factory=dict)
    _session: AsyncSession | None = None
    _connection: AsyncConnection | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _loaders: dict[Hashable, DataLoader[Any, Any]] = field(default_factory=dict)
    _closed: bool = False
    #: Resolvers graphql-core settles in the background when a sibling's error ends their
    #: parent early (``CompilingExecutionContext.settle_in_background``): awaited before the
    #: request ends.
    _settling: set[asyncio.Future[Any]] = field(default_factory=set)
    #: Statements running, each in its own task (``_uncancelled``).
    _running: set[asyncio.Future[Any]] = field(default_factory=set)

    @property
    def dialect(self) -> str:
        return self.sessionmaker.kw["bind"].dialect.name

    async def execute(self, statement: Executable) -> Result[*tuple[Any, ...]]:
        """Run a statement on the request's session.

        Resolvers run concurrently but a session cannot: the lock serialises them, while the
        DataLoaders keep the number of statements independent of the page size.
        """
        return await self._uncancelled(self._execute(statement))

    async def _execute(self, statement: Executable) -> Result[*tuple[Any, ...]]:
        async with self._lock:
            if self._closed:
                # A DataLoader batch that outlived its request (after a timeout): opening a
                # session now would leak it.
                raise RuntimeError("the request is over: no more statements")
            if self._session is None:
                self._session = self.sessionmaker()
            return await self._session.execute(statement)

    async def read(self, statement: Executable, engine: AsyncEngine) -> Result[*tuple[Any, ...]]:
        """Run a read-only statement on a connection of ``engine``, kept for the request,
        without the ORM session (the fast path's statements, ``fast_path.py``)."""
        return await self._uncancelled(self._read(statement, engine))

    async def _read(self, statement: Executable, engine: AsyncEngine) -> Result[*tuple[Any, ...]]:
        async with self._lock:
            if self._closed:
                raise RuntimeError("the request is over: no more statements")
            if self._connection is None:
                self._connection = await engine.connect()
            return await self._connection.execute(statement)

    def loader(
        self, key: Hashable, load: Callable[[Sequence[K]], Awaitable[Sequence[V]]]
    ) -> DataLoader[K, V]:
        """The request's DataLoader for ``key``, created on first use with ``load``."""
        existing = self._loaders.get(key)
        if existing is None:
            existing = self._loaders[key] = SharedLoader(load_fn=load)
        return existing

    async def forget_loaded(self) -> None:
        """After a mutation: drop what the DataLoaders and the read session hold."""
        self._loaders.clear()
        async with self._lock:
            await self._close_session()

    async def _uncancelled(self, statement: Awaitable[T]) -> T:
        """Await a statement that a cancelled resolver does not cut short.

        graphql-core cancels the resolvers whose answer an error made useless; a statement
        cancelled on its connection invalidates the session's transaction, and every later
        statement of the request then failed (``PendingRollbackError``). The statement runs
        to its end in its own task, which only :meth:`abort` (the request's time is up)
        cancels; a resolver that is gone no longer waits for it."""
        task = asyncio.ensure_future(statement)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    def abort(self) -> None:
        """The request's time is up: stop its statements and the work left settling."""
        for future in (*self._running, *self._settling):
            future.cancel()

    def settle(self, futures: Iterable[asyncio.Future[Any]]) -> None:
        """Work the executor goes on settling after the response no longer needs it."""
        self._settling.update(futures)

    async def close(self) -> None:
        """End the request: wait for the work it started (each resolver runs to its end, on
        a session still open: none is left unawaited when the event loop stops), then close
        the session and refuse any later statement."""
        while self._settling:
            pending, self._settling = self._settling, set()
            await asyncio.wait(pending, timeout=self.settings.graphql_timeout_seconds)
        async with self._lock:
            self._closed = True
            await self._close_session()

    async def _close_session(self) -> None:
        # Shielded: a request cancelled while it closes (a WebSocket whose client left, a
        # server shutting down) still hands its connection back to the pool, where a close
        # cut short makes SQLAlchemy terminate the connection in a task that, on SQLite, can
        # wait forever for aiosqlite's stopped thread (and hang the event loop's shutdown).
        if self._session is not None:
            session, self._session = self._session, None
            await asyncio.shield(session.close())
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await asyncio.shield(connection.close())


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # read: an error nobody awaits is not logged as never retrieved
