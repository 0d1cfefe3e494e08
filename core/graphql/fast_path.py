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
for a statement that cannot be rendered so.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from bocage.core.graphql.compiler.execute import CompiledRoots
from bocage.core.observability import tracing

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.requests import Request

    from bocage.core.graphql.context import Context
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.graphql")

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RawStatement:
    """A statement rendered for asyncpg: its SQL text (``$1``...) and its parameters."""

    sql: str
    parameters: tuple[Any, ...]


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
        if tracing.configure(settings) is not None or settings.sql_echo:
            return None  # SQLAlchemy's engine traces or logs its statements: keep it
        return cls(engine, settings.db_pool_size)

    def render(self, statement: Any) -> RawStatement | None:
        """``statement`` as asyncpg runs it; None when it cannot be rendered so."""
        try:
            compiled = statement.compile(
                dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True}
            )
            values = compiled.construct_params()
            processors = compiled._bind_processors
            names = compiled.positiontup or ()
            parameters = tuple(
                processors[name](values[name]) if name in processors else values[name]
                for name in names
            )
            if len(names) != len(values) or not isinstance(compiled.string, str):
                return None
        except Exception:  # noqa: BLE001 - SQLAlchemy's engine runs it instead
            logger.debug("fast path: statement not rendered for asyncpg", exc_info=True)
            return None
        return RawStatement(compiled.string, parameters)

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
