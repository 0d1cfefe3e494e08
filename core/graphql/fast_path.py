"""The fast path of compiled reads: an HTTP query whose every root field the read compiler
answered is answered the next time by its statements alone, without strawberry and
graphql-core (no parsing, validation, limits, execution).

What an answer depends on is the request's *key*: the document, the operation name, the
variables, the language and the caller (who is authenticated on every request), the very key
of the compiler's statements (``compiler/execute.py``). The first request of a key goes through
the normal path; when every root field of its operation was answered by a compiled statement,
and the answer holds no error and no extension, the statements are kept as the key's
:class:`Plan`. Then a request of that key runs them and writes ``{"data":{...}}``: the same
bytes the normal path writes, since the rest of the normal path (parse, limits, validation)
gives the same result for the same key. The view keeps everything around it the same: the
headers, the response cache, the rate limit (a middleware), the timeout, the bound on the
answer's size, its error shape.

Not taken: a request with ``extensions`` (persisted queries), a batch, a stream transport
(``Accept`` of multipart or event streams), a body that is not a JSON object, a document that
trusted documents restrict and the document store no longer trusts. A statement that fails
drops the plan, and the normal path answers the request. Under
``BOCAGE_GRAPHQL_COMPILE_CHECK`` the normal path answers each fast-path request as well, and
the two answers must be the same bytes.

On PostgreSQL a plan's statements run on asyncpg directly (:class:`RawReads`): each is
rendered once into its SQL text and parameters, which asyncpg prepares once per connection,
so a request costs neither SQLAlchemy's cache key of the statement (a walk of its whole
tree) nor its execution context. SQLAlchemy's engine (``create_read_engine``) still runs
them when its statements are observed (``BOCAGE_TRACING_ENABLED``, ``BOCAGE_SQL_ECHO``) and
for a statement that cannot be rendered so. On SQLite they run, rendered the same way, on a
read-only ``sqlite3`` connection in the event loop's thread (:class:`SqliteReads`), a long one
on worker threads, each stopped at the request's deadline.

Routing a SQLite statement (:class:`Route`): each plan's statement learns the CPU time its
runs take (a moving average). While that fits the event loop's share
(``BOCAGE_GRAPHQL_FAST_PATH_LOOP_MS``), it runs in the loop's thread; otherwise it starts
on a worker thread, with no first attempt in the loop that would be stopped and thrown away
(before, two overruns in a server's life sent a statement to the threads for good: under load,
the bench's ``projects`` one, about half the share). The share remains a hard bound: SQLite's
progress handler stops a run in the loop's thread that outlasts it, which then runs again on a
worker thread and moves the statement to the threads; measured there, it comes back to the
loop once its runs are short again. Tested in ``tests/graphql/test_fast_path_routing.py``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic, thread_time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from bocage.core.graphql.compiler.execute import CompiledRoots
from bocage.core.observability import tracing
from bocage.core.sqlite_functions import register_sqlite_functions

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.requests import Request

    from bocage.core.graphql.context import Context
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.graphql")

Key = tuple[Any, ...]


class Route:
    """Where :class:`SqliteReads` runs a statement: in the event loop's thread while its
    *cost* fits the loop's share, else on a worker thread.

    The cost is an exponentially weighted moving average (``COST_WEIGHT``) of the CPU time
    its runs took (``thread_time`` of the thread that ran it, in the loop's thread or on a
    worker: SQLite's work, not the time spent waiting for the CPU or the GIL), each run
    counted at most ``SLOW_SHARES`` shares (past that a statement is slow, by how much does
    not matter, and the average comes back down in a few runs once it is fast). A statement
    runs in the loop's thread while its cost is under ``LOOP_FIT`` of the share; unknown
    (its first run), it is tried there. One stopped there for outlasting the share
    (:meth:`overran`) is counted to cost at least the share: its next runs start on a worker
    thread, where they are measured too, and it comes back to the loop once its average is
    under ``LOOP_FIT`` of the share again."""

    __slots__ = ("cost", "known", "overruns")

    def __init__(self) -> None:
        self.cost = 0.0
        self.known = False
        #: Runs stopped in the loop's thread for outlasting the share.
        self.overruns = 0

    def in_loop(self, share: float) -> bool:
        """Whether the next run starts in the event loop's thread."""
        return share > 0 and (not self.known or self.cost < share * LOOP_FIT)

    def ran(self, seconds: float, share: float) -> None:
        """A run took ``seconds`` of CPU time."""
        sample = min(seconds, share * SLOW_SHARES)
        if self.known:
            self.cost += (sample - self.cost) * COST_WEIGHT
        else:
            self.cost, self.known = sample, True

    def overran(self, share: float) -> None:
        """A run was stopped in the loop's thread at the share."""
        self.overruns += 1
        self.cost = max(self.cost, share) if self.known else share
        self.known = True


@dataclass(frozen=True, slots=True, eq=False)
class RawStatement:
    """A statement rendered for a driver: its SQL text (``$1``... for asyncpg, ``?`` for
    ``sqlite3``) and its parameters; on SQLite, where it runs (kept with the plan)."""

    sql: str
    parameters: tuple[Any, ...]
    route: Route = field(default_factory=Route, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """The statements answering an operation, by response key, in the answer's order."""

    roots: tuple[tuple[str, Any], ...]
    #: The statements rendered for :class:`RawReads` (None: not rendered yet, or not
    #: renderable), filled on first use.
    raw: list[RawStatement | None] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A request the fast path may answer: its document, operation and variables."""

    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    #: The variables as sorted JSON, for the key.
    values: bytes


async def candidate(request: Request) -> Candidate | None:
    """What ``request`` asks, when the fast path may answer it; None otherwise (the normal
    path then reads it again, and refuses it when it must)."""
    method = request.scope["method"]
    try:
        if method == "GET":
            params = request.query_params
            if "extensions" in params:
                return None
            query = params.get("query")
            name = params.get("operationName")
            variables = None
            if "variables" in params:  # present, it must be a JSON object
                variables = orjson.loads(params["variables"])
                if not isinstance(variables, dict):
                    return None
        elif method == "POST":
            # Exactly JSON (the content type middleware refused any other media type);
            # anything unusual is left to the normal path.
            content_type = request.headers.get("content-type", "")
            if content_type.partition(";")[0].strip().lower() != "application/json":
                return None
            data = orjson.loads(await request.body())
            if not isinstance(data, dict) or data.get("extensions") not in (None, {}):
                return None
            query, name, variables = (
                data.get("query"),
                data.get("operationName"),
                data.get("variables"),
            )
        else:
            return None
        if not isinstance(query, str) or not isinstance(name, str | None):
            return None
        if not isinstance(variables, dict | None):
            return None
        values = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, TypeError):
        return None
    return Candidate(query, name, variables, values)


class FastPath:
    """One worker's plans, least recently used first out beyond ``size`` (0 keeps none)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.plans: OrderedDict[Key, Plan] = OrderedDict()

    def key(self, found: Candidate, context: Context) -> Key:
        return (
            found.query,
            found.operation_name,
            found.values,
            context.language,
            context.principal,
        )

    def plan(self, key: Key) -> Plan | None:
        plan = self.plans.get(key)
        if plan is not None:
            self.plans.move_to_end(key)
        return plan

    def learn(self, key: Key, roots: CompiledRoots, result: Any) -> None:
        """Keep the plan of ``key`` when its normal answer ``result`` (strawberry's
        ``ExecutionResult``) was entirely compiled, with neither error nor extension."""
        data = getattr(result, "data", None)
        if (
            self.size == 0
            or not roots.complete
            or result.errors
            or getattr(result, "extensions", None)
            or not isinstance(data, dict)
            or data.keys() != roots.statements.keys()
        ):
            return
        self.plans[key] = Plan(tuple((name, roots.statements[name]) for name in data))
        while len(self.plans) > self.size:
            self.plans.popitem(last=False)

    def forget(self, key: Key) -> None:
        self.plans.pop(key, None)


def render(statement: Any, dialect: Any) -> RawStatement | None:
    """``statement`` as a positional-parameter driver (asyncpg, sqlite3) runs it, through
    SQLAlchemy's public API: the text and parameters of
    :meth:`~sqlalchemy.sql.compiler.SQLCompiler.construct_expanded_state` (the dialect's
    casts, expanded ``IN`` lists), each parameter through its type's bind processor
    (``TypeEngine.bind_processor`` of its ``dialect_impl``; the expanded ones' are the
    state's). None when it cannot be rendered so."""
    try:
        compiled = statement.compile(dialect=dialect)
        state = compiled.construct_expanded_state()
        names = state.positiontup or ()
        values = state.parameters
        # (``?`` repeats a name used twice, ``$1`` does not.)
        if set(names) != values.keys() or not isinstance(state.statement, str):
            return None
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        processors = dict(state.processors)
        expanded = {name for group in state.parameter_expansion.values() for name in group}
        for name in values.keys() - expanded:
            bind = binds[name]  # KeyError (an escaped name): SQLAlchemy's engine runs it
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        parameters = tuple(
            processors[name](values[name]) if name in processors else values[name] for name in names
        )
    except Exception:  # noqa: BLE001 - SQLAlchemy's engine runs it instead
        logger.debug("fast path: statement not rendered for the driver", exc_info=True)
        return None
    return RawStatement(state.statement, parameters)


def _observed(settings: Settings) -> bool:
    """Whether SQLAlchemy's engine traces or logs its statements: the fast path keeps it
    then, rather than run its statements on the driver directly."""
    return tracing.configure(settings) is not None or settings.sql_echo


#: What :func:`asyncpg.connect` takes (SQLAlchemy's connect arguments may hold others).
_ASYNCPG_ARGUMENTS = frozenset(
    {
        *("host", "port", "user", "password", "passfile", "database", "service"),
        *("servicefile", "ssl", "direct_tls", "server_settings", "target_session_attrs"),
        *("timeout", "command_timeout", "krbsrvname", "gsslib"),
    }
)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """A connection back in :class:`RawReads`' pool needs no reset: its statements change no
    session state (no ``SET``, ``LISTEN``, lock or cursor; autocommit). asyncpg's default
    (``RESET ALL``, ``UNLISTEN *``...) would be one more round trip per request. An open
    transaction is still rolled back by asyncpg first."""


class RawReads:
    """PostgreSQL: the fast path's statements on a pool of asyncpg connections of their own
    (at most ``BOCAGE_DB_POOL_SIZE``, opened when first needed, in autocommit as asyncpg's
    are: one statement on the wire per root field, as ``create_read_engine``'s).

    A statement is rendered once by SQLAlchemy (:meth:`render`: its text with the dialect's
    casts, its parameters through their types' bind processors), then asyncpg prepares it
    once per connection, and a connection returns to the pool without a reset
    (:func:`_keep_session`). A connection the database dropped fails its statement (the normal
    path then answers) and the pool replaces it."""

    def __init__(self, engine: AsyncEngine, size: int) -> None:
        self.engine = engine
        self.max_size = size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        #: Called with each statement's SQL before it is sent (tests count statements).
        self.listeners: list[Callable[[str], None]] = []

    @classmethod
    def of(cls, settings: Settings, engine: AsyncEngine | None) -> RawReads | None:
        """For a PostgreSQL read engine whose statements nobody observes; None otherwise."""
        if engine is None or engine.dialect.driver != "asyncpg":
            return None
        if _observed(settings):
            return None
        return cls(engine, settings.db_pool_size)

    def render(self, statement: Any) -> RawStatement | None:
        """``statement`` as asyncpg runs it; None when it cannot be rendered so."""
        return render(statement, self.engine.dialect)

    async def _open(self) -> asyncpg.Pool:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                import asyncpg  # type: ignore[import-untyped]

                _, options = self.engine.dialect.create_connect_args(self.engine.url)
                options = {k: v for k, v in options.items() if k in _ASYNCPG_ARGUMENTS}
                self._pool = await asyncpg.create_pool(
                    min_size=0, max_size=self.max_size, reset=_keep_session, **options
                )
            return self._pool

    async def text(self, statement: RawStatement) -> Any:
        """The statement's one value (the root field's JSON text)."""
        pool = self._pool or await self._open()
        for listener in self.listeners:
            listener(statement.sql)
        async with pool.acquire() as connection:
            return await connection.fetchval(statement.sql, *statement.parameters)

    async def next_server_pid(self) -> int:
        """The backend of the connection the next statement takes (the pool hands out the
        last one released first): tests drop it."""
        pool = self._pool or await self._open()
        async with pool.acquire() as connection:
            return int(connection.get_server_pid())

    # What the metrics read of an engine's pool (SQLAlchemy's names): ``bocage_db_pool_*``
    # of the ``read`` engine are this pool's.

    @property
    def pool(self) -> RawReads:
        return self

    def checkedout(self) -> int:
        """Connections running a statement."""
        pool = self._pool
        return 0 if pool is None else pool.get_size() - pool.get_idle_size()

    def size(self) -> int:
        return self.max_size

    def overflow(self) -> int:
        """Connections open beyond the size: never positive (negative: unused room)."""
        return (0 if self._pool is None else self._pool.get_size()) - self.max_size

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


class StatementTimeout(TimeoutError):
    """A statement :class:`SqliteReads` stopped at the request's deadline: the view answers
    ``TIMEOUT``, as when the normal path runs out of time."""


#: Virtual machine steps between two calls of a reader's progress handler (each call reads
#: the clock: well under a microsecond per 1,000 steps).
PROGRESS_STEPS = 10_000

#: Weight of a statement's last run in its cost (:class:`Route`): after an overrun, a
#: statement of half the share is back in the loop's thread after its third run on a worker.
COST_WEIGHT = 0.25

#: A statement runs in the event loop's thread while its cost is under this part of the
#: loop's share (:class:`Route`): one that nearly fills it would be stopped too often.
LOOP_FIT = 0.9

#: Most shares one run counts for in a statement's cost (:class:`Route`).
SLOW_SHARES = 4.0

#: Seconds a worker thread's reader waits for a lock (a recovery, a checkpoint's restart), as
#: the main engine's connections do; the event loop's waits for none.
SQLITE_BUSY_SECONDS = 30.0


class _Reader:
    """One thread's read-only ``sqlite3`` connection, whose progress handler stops a
    statement (``interrupted``) once ``deadline`` (``monotonic()``) has passed and, in the
    event loop's thread (``loop``), once the thread's CPU time (``thread_time()``) has
    passed ``share``: the time the statement holds the loop, whatever else the machine
    runs meanwhile."""

    __slots__ = ("connection", "deadline", "share")

    def __init__(self, database: str, *, loop: bool) -> None:
        self.deadline = self.share = 0.0
        # mode=rw: never create the file (the main engine made it); query_only: never write.
        # No busy timeout in the event loop's thread: a lock to wait for (in WAL mode, only
        # a recovery's) sends the statement to a worker thread, which waits as the main
        # engine's connections do.
        self.connection = sqlite3.connect(
            f"file:{quote(database)}?mode=rw",
            uri=True,
            timeout=0 if loop else SQLITE_BUSY_SECONDS,
            isolation_level=None,  # autocommit: each statement reads the last commit
            check_same_thread=False,  # closed by whichever thread closes SqliteReads
            cached_statements=256,
        )
        register_sqlite_functions(self.connection)
        self.connection.execute("PRAGMA query_only=ON")
        self.connection.set_progress_handler(
            self._stop_in_loop if loop else self._stop, PROGRESS_STEPS
        )

    def _stop(self) -> bool:
        return monotonic() > self.deadline

    def _stop_in_loop(self) -> bool:
        return monotonic() > self.deadline or thread_time() > self.share

    def fetch(self, statement: RawStatement, deadline: float, share: float = 0.0) -> Any:
        """The statement's one value; ``sqlite3.OperationalError`` (``interrupted``) past
        ``deadline`` (or ``share``). The rows are read to the end: no read transaction stays
        open."""
        self.deadline, self.share = deadline, share
        rows = self.connection.execute(statement.sql, statement.parameters).fetchall()
        return rows[0][0]


class SqliteReads:
    """SQLite: the fast path's statements on plain ``sqlite3`` connections of their own,
    read-only (``PRAGMA query_only``), in autocommit, in WAL mode as the main engine's (a
    writer blocks no reader, and each statement reads the last committed write).

    A statement runs in the event loop's thread, as a hand-written server would run it: no
    hand-off to aiosqlite's thread and back (several per statement, each a wake-up and a
    fight for the GIL), no SQLAlchemy execution context. What would hold the event loop too
    long goes to worker threads (at most ``BOCAGE_DB_POOL_SIZE``), routed by the statement's
    measured cost (:class:`Route`, kept with its plan): one that fits the loop's share
    (``BOCAGE_GRAPHQL_FAST_PATH_LOOP_MS`` milliseconds of the loop thread's CPU time) runs in
    the loop's thread; one that does not starts on a worker thread, without a first attempt
    in the loop. The share stays a bound whatever the measures say: a statement still running
    in the loop's thread after it (or finding the database locked) is stopped by its reader's
    progress handler and runs again on a worker thread, and its later runs start there until
    their measures bring its cost back under the share. On either side, a statement is
    stopped at the request's deadline (``BOCAGE_GRAPHQL_TIMEOUT_SECONDS``) and the request
    answered ``TIMEOUT`` (:class:`StatementTimeout`), where aiosqlite's cancelled statement
    would run to its end.

    None for an in-memory database (another connection would see another database), a URL
    with options, and observed statements (``BOCAGE_TRACING_ENABLED``, ``BOCAGE_SQL_ECHO``):
    SQLAlchemy's engine runs them then."""

    def __init__(self, dialect: Any, database: str, loop_seconds: float, threads: int) -> None:
        self.dialect = dialect
        self.database = database
        self.loop_seconds = loop_seconds
        self.max_size = threads
        #: Every thread's reader (closed with this), the calling thread's in ``_local``.
        self._readers: list[_Reader] = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._running = 0
        #: Called with each statement's SQL before it runs (tests count statements).
        self.listeners: list[Callable[[str], None]] = []

    @classmethod
    def of(cls, settings: Settings, engine: AsyncEngine | None) -> SqliteReads | None:
        """For a SQLite file database whose statements nobody observes; None otherwise."""
        if engine is None or engine.dialect.name != "sqlite" or _observed(settings):
            return None
        url = engine.url
        database = url.database
        if url.query or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(
            engine.dialect,
            str(Path(database).resolve()),
            settings.graphql_fast_path_loop_ms / 1000,
            settings.db_pool_size,
        )

    def render(self, statement: Any) -> RawStatement | None:
        """``statement`` as ``sqlite3`` runs it; None when it cannot be rendered so."""
        return render(statement, self.dialect)

    def _reader(self, *, loop: bool) -> _Reader:
        """The calling thread's reader, opened on first use."""
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = _Reader(self.database, loop=loop)
            with self._lock:
                self._readers.append(reader)
        return reader

    async def text(self, statement: RawStatement, deadline: float) -> Any:
        """The statement's one value (the root field's JSON text), read in the event loop's
        thread unless it is too long for it; :class:`StatementTimeout` past ``deadline``
        (``monotonic()``)."""
        for listener in self.listeners:
            listener(statement.sql)
        route, share = statement.route, self.loop_seconds
        if route.in_loop(share):
            reader = self._reader(loop=True)
            started = thread_time()
            try:
                value = reader.fetch(statement, deadline, started + share)
            except sqlite3.OperationalError as error:
                if monotonic() > deadline:
                    raise StatementTimeout from None
                if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
                    route.overran(share)
                    logger.debug("fast path: a statement outlasted the event loop's share")
                else:  # a lock to wait for: on a worker thread, this time
                    logger.debug("fast path: statement moved to a worker thread (%s)", error)
            else:
                route.ran(thread_time() - started, share)
                return value
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_size, "bocage-fast-path")
        self._running += 1
        try:
            value, seconds = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._fetch_in_thread, statement, deadline
            )
        finally:
            self._running -= 1
        route.ran(seconds, share)
        return value

    def _fetch_in_thread(self, statement: RawStatement, deadline: float) -> tuple[Any, float]:
        """The statement's value and the CPU time it took, on a worker thread."""
        started = thread_time()
        try:
            value = self._reader(loop=False).fetch(statement, deadline)
        except sqlite3.OperationalError:
            if monotonic() > deadline:
                raise StatementTimeout from None
            raise
        return value, thread_time() - started

    # What the metrics read of an engine's pool (SQLAlchemy's names): ``bocage_db_pool_*``
    # of the ``read`` engine are this one's worker threads.

    @property
    def pool(self) -> SqliteReads:
        return self

    def checkedout(self) -> int:
        """Worker threads running a statement (the event loop's end before any scrape)."""
        return self._running

    def size(self) -> int:
        return self.max_size

    def overflow(self) -> int:
        """Never positive (negative: unused room)."""
        return self._running - self.max_size

    async def close(self) -> None:
        with self._lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.connection.interrupt()
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)
        for reader in readers:
            reader.connection.close()
        self._local = threading.local()
