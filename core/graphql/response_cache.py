"""Answers to anonymous GET /graphql queries, kept in memory by each worker until a domain event
commits on any worker, and made cacheable over HTTP (``ETag``, public ``Cache-Control``).

What is kept, by the request that determines it (its ``Host``, its whole query string: query or
persisted-query hash, operation name, variables, extensions; and the language its
``Accept-Language`` chooses): the answer's bytes and their ``ETag``, when the request is an
anonymous GET and the answer has no error but the caller's own (an invalid document or
argument: the same request gets the same refusal). Never an authenticated request, a POST, a
mutation, an answer with another error (a timeout, an answer too large, an unexpected error),
nor one larger than ``BOCAGE_GRAPHQL_RESPONSE_CACHE_ENTRY_BYTES``. The cache holds at most
``BOCAGE_GRAPHQL_RESPONSE_CACHE_ENTRIES`` answers and ``..._BYTES`` bytes, least recently used
first out, each for at most ``BOCAGE_HTTP_CACHE_MAX_AGE`` seconds.

Invalidation: every committed write records domain events in the event log, whose ids commit
in increasing order (:func:`bocage.core.events.last_event_id`). An answer is kept with the
log's last id read *before* it was computed, and served only while a read of that id made
*after* the request arrived still finds it: a write committed by any worker, before the read
was sent, is seen. The check is one indexed statement on a connection the worker keeps for
it, shared by every request that arrives while the previous check runs (:class:`EventLogMark`);
on an SQLite file, none while ``PRAGMA data_version`` says no other connection committed.
PostgreSQL's NOTIFY, which the live workshops use, would tell other workers later, not before
their next request: it cannot give this guarantee.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

from bocage.core.cache_control import (
    LOOKUP,
    RESULT,
    is_anonymous,
    public_cache_control,
    strong_etag,
)
from bocage.core.events import last_event_id
from bocage.core.graphql.i18n import parse_accept_language
from bocage.core.rest_errors import APPLICATION_JSON, negotiate_graphql

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
    from starlette.requests import Request

    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.graphql.cache")

#: ``Accept`` and ``Accept-Language`` values repeat from request to request (a client sends
#: the same ones each time): each value of up to this many characters is parsed once, and kept
#: among the last 256 (least recently used out).
MEMO_HEADER_CHARS = 200

_memo_language = functools.lru_cache(maxsize=256)(parse_accept_language)
_memo_negotiated = functools.lru_cache(maxsize=256)(negotiate_graphql)


def preferred_language(header: str | None) -> str | None:
    """:func:`~bocage.core.graphql.i18n.parse_accept_language`, memoised."""
    if header is not None and len(header) > MEMO_HEADER_CHARS:
        return parse_accept_language(header)
    return _memo_language(header)


def negotiated(accept: str | None) -> str | None:
    """:func:`~bocage.core.rest_errors.negotiate_graphql`, memoised."""
    if accept is not None and len(accept) > MEMO_HEADER_CHARS:
        return negotiate_graphql(accept)
    return _memo_negotiated(accept)


#: Errors of the caller's own making: the same request is refused the same way until the data
#: changes, so such answers are cached like data.
USER_INPUT_CODES = frozenset(
    {
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "QUERY_TOO_DEEP",
        "TOO_MANY_ALIASES",
        "QUERY_TOO_LARGE",
        "QUERY_TOO_COSTLY",
        "OPERATION_NAME_REQUIRED",
        "INTROSPECTION_DISABLED",
    }
)


def only_user_errors(body: bytes, had_errors: bool) -> bool:
    """Whether the answer ``body`` has no error but the caller's own. Without errors the body
    starts with ``{"data":{``; one replaced by ``RESPONSE_TOO_LARGE`` does not."""
    if not had_errors and body.startswith(b'{"data":{'):
        return True
    try:
        errors = orjson.loads(body).get("errors") or []
    except (orjson.JSONDecodeError, AttributeError):
        return False
    return all((e.get("extensions") or {}).get("code") in USER_INPUT_CODES for e in errors)


class SqliteCommits:
    """SQLite: whether another connection (of any process) committed to the database file
    since the last look, from ``PRAGMA data_version`` on a connection of this thread (a few
    microseconds, where a statement through aiosqlite's thread costs a hand-off each way)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def of(cls, engine: AsyncEngine) -> SqliteCommits | None:
        """For an engine on an SQLite file; None otherwise (an in-memory database is seen
        by its own connections only)."""
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        if "mode=memory" in str(url.query):
            return None
        return cls(url.database)

    def version(self) -> int | None:
        """A value that changes when another connection commits; None when unknown."""
        try:
            if self._connection is None:
                # timeout 0: never wait in the event loop; a locked file answers None.
                self._connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            self.close()
            return None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class EventLogMark:
    """The event log's last id, read after the caller asked: :meth:`read` waits for a read
    that starts after it was called. Callers that arrive while a read runs share the next one,
    so a burst of cached answers costs one statement per round trip, not one per request.

    On an SQLite file, a read first asks :class:`SqliteCommits`: when nothing was committed
    since the last statement was sent, its answer stands (no commit since, so no event) and no
    statement is sent."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._next: asyncio.Future[int] | None = None  # the round new callers join
        self._running: asyncio.Task[None] | None = None
        self._commits = SqliteCommits.of(engine)
        #: The commits' version read before the last statement, and that statement's answer.
        self._known: tuple[int, int] | None = None

    async def read(self) -> int:
        future = self._next
        if future is None:
            future = self._next = asyncio.get_running_loop().create_future()
            # Nobody awaits a round whose callers all left: its error is not "unretrieved".
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            if self._running is None:
                self._start()
        return await asyncio.shield(future)

    def _start(self) -> None:
        future, self._next = self._next, None
        assert future is not None
        self._running = asyncio.get_running_loop().create_task(self._round(future))

    async def _round(self, future: asyncio.Future[int]) -> None:
        try:
            value = await self._query()
        except asyncio.CancelledError:  # the loop is closing: so are its requests
            self._running = None
            future.cancel()
            if self._next is not None:
                self._next.cancel()
                self._next = None
            raise
        except Exception as error:
            future.set_exception(error)
        else:
            future.set_result(value)
        self._running = None
        if self._next is not None:
            self._start()

    async def _query(self) -> int:
        # Read before the statement: a commit between the two changes the next version.
        version = self._commits.version() if self._commits is not None else None
        known = self._known
        if version is not None and known is not None and known[0] == version:
            return known[1]
        value = await self._last_event_id()
        self._known = (version, value) if version is not None else None
        return value

    async def _last_event_id(self) -> int:
        if self._connection is None:
            connection = await self.engine.connect()
            # Outside a transaction: each read sees the last commit (SQLite's WAL snapshot too).
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        try:
            return await last_event_id(self._connection)
        except Exception:
            await self.close()  # a broken connection: the next round opens another
            raise

    async def close(self) -> None:
        if self._commits is not None:
            self._commits.close()
        self._known = None
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing more to release
                logger.debug("closing the event log connection failed", exc_info=True)


@dataclass(slots=True)
class Entry:
    body: bytes
    etag: str
    mark: int  # the event log's last id when it was computed
    born: float  # the cache's clock then
    size: int


class ResponseCache:
    """One worker's cache of anonymous GET answers; see the module's docstring."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.max_entries = settings.graphql_response_cache_entries
        self.max_bytes = settings.graphql_response_cache_bytes
        self.max_entry_bytes = settings.graphql_response_cache_entry_bytes
        self.max_age = settings.http_cache_max_age
        self.cache_control = public_cache_control(settings)
        self.default_language = settings.default_language
        self.enabled = self.max_entries > 0 and self.max_bytes > 0 and self.max_age > 0
        self.mark = EventLogMark(engine)
        self.entries: OrderedDict[tuple[str, bytes, str, str], Entry] = OrderedDict()
        self.size = 0
        self.seen = -1  # the last event id read: a newer one empties the cache
        self.clock: Callable[[], float] = time.monotonic

    def __len__(self) -> int:
        return len(self.entries)

    def key(self, request: Request) -> tuple[str, bytes, str, str] | None:
        """What determines the answer to an anonymous GET; ``None`` for other requests."""
        headers = request.headers
        if request.scope["method"] != "GET" or not is_anonymous(headers):
            return None
        language = preferred_language(headers.get("accept-language"))
        return (
            headers.get("host", ""),
            request.scope["query_string"],
            language or self.default_language,
            # The media type asked for: its status codes differ (GraphQL over HTTP).
            negotiated(headers.get("accept")) or APPLICATION_JSON,
        )

    async def serve(self, request: Request, run: Callable[[], Awaitable[Any]]) -> Any:
        """The answer to ``request``: from the cache, else ``run()``'s, kept when it may be."""
        key = self.key(request)
        if key is None:
            return await run()
        mark = await self._mark() if self.enabled else None
        if mark is not None:
            entry = self.entries.get(key)
            if entry is not None:
                if entry.mark == mark and self.clock() - entry.born < self.max_age:
                    self.entries.move_to_end(key)
                    setattr(request.state, LOOKUP, "hit")
                    return self._response(entry.body, entry.etag, key[3])
                self._drop(key)
            setattr(request.state, LOOKUP, "miss")
        response = await run()
        result = getattr(request.state, RESULT, None)
        if result is None or not isinstance(response, Response) or response.status_code != 200:
            return response  # GraphiQL, a refusal: not a GraphQL result
        body = bytes(response.body)
        if not only_user_errors(body, bool(result.errors)):
            return response
        etag = strong_etag(body)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = self.cache_control
        if mark is not None:
            self._keep(key, Entry(body, etag, mark, self.clock(), len(body) + len(key[1])))
        return response

    async def _mark(self) -> int | None:
        try:
            mark = await self.mark.read()
        except Exception:
            logger.warning("cannot read the event log: answering without the cache", exc_info=True)
            return None
        if mark != self.seen:  # something committed: every answer kept is out of date
            self.seen = mark
            self.entries.clear()
            self.size = 0
        return mark

    def _response(self, body: bytes, etag: str, media_type: str) -> Response:
        return Response(
            body,
            media_type=media_type,
            headers={"ETag": etag, "Cache-Control": self.cache_control, "Vary": "Accept"},
        )

    def _keep(self, key: tuple[str, bytes, str, str], entry: Entry) -> None:
        if entry.mark != self.seen or entry.size > min(self.max_entry_bytes, self.max_bytes):
            return  # computed before a write another request has seen since; or too large
        self._drop(key)
        self.entries[key] = entry
        self.size += entry.size
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple[str, bytes, str, str]) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size

    async def close(self) -> None:
        await self.mark.close()
