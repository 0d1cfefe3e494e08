"""Serves the GraphQL schema over HTTP and WebSocket: strawberry's ASGI view with a per-request
context, limits on time and on the size of answers, and the GraphQL-over-HTTP spec: the
``application/graphql-response+json`` media type for clients that ask for it (request errors
are then 400s without ``data``), ``application/json`` for the others, and every refusal in
the GraphQL error shape with a code (docs/errors.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import orjson
import strawberry
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.responses import Response
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from bocage.core.auth.tokens import (
    PRINCIPAL_STATE,
    AuthenticationError,
    Credential,
    TokenEnded,
    request_principal,
)
from bocage.core.graphql.compiler.execute import CompiledRoots, compiled_fragment
from bocage.core.graphql.context import Context
from bocage.core.graphql.fast_path import (
    FastPath,
    Plan,
    RawReads,
    SqliteReads,
    StatementTimeout,
    candidate,
)
from bocage.core.graphql.graphiql import graphiql_page
from bocage.core.graphql.limits import bounded_json, run_with_timeout
from bocage.core.graphql.messages import explain
from bocage.core.graphql.persisted import DOCUMENTS, DocumentStore, http_status, sha256
from bocage.core.graphql.response_cache import (
    RESULT,
    ResponseCache,
    negotiated,
    preferred_language,
)
from bocage.core.middleware import RequestCounts
from bocage.core.rest_errors import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    graphql_error_response,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from bocage.core.host import PluginHost

logger = logging.getLogger("bocage.graphql")

_VARY_ACCEPT = (b"vary", b"Accept")


def _query_parts(request: Request) -> list[bytes]:
    """The raw ``name=value`` parts of a request's query string (as ``parse_qsl`` splits)."""
    return bytes(request.scope.get("query_string", b"")).split(b"&")


#: Where the view notes the fast path's key of a request the normal path answers, so that
#: :meth:`GraphQLView.process_result` learns its plan.
FAST_PATH_KEY = "bocage_fast_path_key"

#: The media type of the answer to the HTTP request being served (content negotiation).
MEDIA_TYPE: ContextVar[str] = ContextVar("bocage_graphql_media_type", default=APPLICATION_JSON)


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends text frames: graphql-transport-ws clients (graphql-ws) refuse binary ones, which
    strawberry would send for the bytes ``encode_json`` returns. A result larger than
    ``BOCAGE_GRAPHQL_MAX_RESPONSE_BYTES`` is replaced by the error, as over HTTP."""

    async def send_json(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("type") == "next":
            limit = _view_host(self.view).settings.graphql_max_response_bytes
            payload = bounded_json(message.get("payload"), limit)
            text = orjson.dumps({**message, "payload": orjson.Fragment(payload)}).decode()
        else:
            text = orjson.dumps(message).decode()
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class TransportError(Exception):
    """A request /graphql cannot take as sent: an HTTP 4xx with the GraphQL error shape
    (``{"errors": [{"message", "extensions": {"code"}}]}``, no ``data``)."""

    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def response(self) -> Response:
        return graphql_error_response(
            self.status, self.code, self.message, media_type=MEDIA_TYPE.get(), headers=self.headers
        )


#: strawberry's own refusals (``HTTPException`` with a plain-text reason), by reason: the code
#: and message of the JSON error answered instead.
_STRAWBERRY_REFUSALS = {
    "Unable to parse request body as JSON": (
        "INVALID_JSON",
        "The body is not valid JSON: send a JSON object (UTF-8, nested at most 1024 deep) "
        'such as {"query": "{ communes { totalCount } }"}.',
    ),
    "Batching is not enabled": (
        "BATCHING_NOT_SUPPORTED",
        "Send one operation per request: a JSON object, not a list.",
    ),
    "No GraphQL query found in the request": (
        "MISSING_QUERY",
        'The request has no "query": send {"query": "<GraphQL document>"}.',
    ),
    "Unsupported content type": (
        "UNSUPPORTED_MEDIA_TYPE",
        "POST /graphql takes a JSON body: send it with 'Content-Type: application/json'.",
    ),
    "GraphQL only supports GET and POST requests.": (
        "METHOD_NOT_ALLOWED",
        "/graphql takes GET (queries) and POST (queries and mutations): send the request "
        "with one of them.",
    ),
    "Not Found": (
        "NOT_FOUND",
        "GraphiQL is disabled on this server (BOCAGE_GRAPHIQL): send a query, as ?query=... "
        "or in a POST.",
    ),
    "The GraphQL operation's `query` must be a string or null, if provided.": (
        "INVALID_REQUEST",
        'The "query" member must be a string: the GraphQL document.',
    ),
    "The GraphQL operation's `variables` must be an object or null, if provided.": (
        "INVALID_REQUEST",
        'The "variables" member must be a JSON object (or null), by variable name.',
    ),
    "The GraphQL operation's `extensions` must be an object or null, if provided.": (
        "INVALID_REQUEST",
        'The "extensions" member must be a JSON object (or null).',
    ),
}


def _refusal(error: HTTPException) -> TransportError:
    code, message = _STRAWBERRY_REFUSALS.get(error.reason, ("BAD_REQUEST", error.reason))
    headers = {"Allow": "GET, POST"} if error.status_code == 405 else {}
    return TransportError(error.status_code, code, message, **headers)


def _request_error(code: str, message: str) -> ExecutionResult:
    """A GraphQL request error (nothing executed): 200 as ``application/json``, 400 as
    ``application/graphql-response+json`` (:meth:`GraphQLView.create_response`)."""
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


#: Codes of errors without a path that end an operation once it has started.
_DURING_EXECUTION = frozenset({"TIMEOUT"})


def _not_executed(result: ExecutionResult) -> bool:
    """Whether ``result`` is a request error: it has errors and execution never started
    (no data, and no error of a field, which would have a path, nor a timeout)."""
    if result.data is not None or not result.errors:
        return False
    return all(
        error.path is None and (error.extensions or {}).get("code") not in _DURING_EXECUTION
        for error in result.errors
    )


def _view_host(view: object) -> PluginHost:
    """The plugin host of the view serving a WebSocket (strawberry types it as its base)."""
    if not isinstance(view, GraphQLView):
        raise TypeError(f"a {type(view).__name__} serves /graphql: only GraphQLView has a host")
    return view.host


#: Where a WebSocket keeps the :class:`Credential` it was authenticated with (request state).
CREDENTIAL = "bocage_credential"


class CountedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose ``subscribe`` messages count against the caller's rate limit
    as HTTP requests do: one WebSocket cannot start operations without bound.

    A connection lives no longer than the token it was authenticated with (the upgrade's
    Authorization header or ``connection_init``'s payload): once the token has expired it
    closes with 4401 ("token expired"), once its OAuth client is revoked with 4403 ("client
    revoked"). The token is checked before each event is sent, before each ``subscribe``, and
    on a timer: every ``BOCAGE_GRAPHQL_WS_RECHECK_SECONDS``, or at its expiry when sooner."""

    watch: asyncio.Task[None] | None = None
    ended: TokenEnded | None = None

    async def handle_subscribe(self, message: Any) -> None:
        if await self.end_if_token_ended():
            return
        counts: RequestCounts | None = getattr(self.view, "request_counts", None)
        if counts is not None:
            refused = await counts.refusal(self.websocket.ws.scope)  # type: ignore[attr-defined]
            if refused is not None:
                await self.send_message(
                    {
                        "id": message["id"],
                        "type": "error",
                        "payload": [
                            {
                                "message": refused.message,
                                "extensions": {
                                    "code": "RATE_LIMITED",
                                    "retryAfter": refused.retry_after,
                                },
                            }
                        ],
                    }
                )
                return
        await super().handle_subscribe(message)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.watch is None and self._credential():
            self.watch = asyncio.create_task(self._watch())
            self.watch.add_done_callback(self._task_done)

    async def send_message(self, message: Any) -> None:
        if self.ended is not None:
            return  # closed: what the operations still yield goes nowhere
        if message.get("type") == "next" and await self.end_if_token_ended():
            return
        await super().send_message(message)

    async def shutdown(self) -> None:
        if self.watch is not None:
            self.watch.cancel()
            with suppress(asyncio.CancelledError):
                await self.watch
        await super().shutdown()

    def _websocket(self) -> Request:
        """The connection's WebSocket, which :meth:`GraphQLView.get_context` puts in its
        context."""
        request = self.context.request
        if request is None:
            raise RuntimeError("a WebSocket's context has no request: GraphQLView sets it")
        return request

    def _credential(self) -> Credential | None:
        """The connection's credential, when it can end (a token, not the anonymous)."""
        credential: Credential | None = getattr(self._websocket().state, CREDENTIAL, None)
        if credential is None or (credential.expires_at is None and credential.client_id is None):
            return None
        return credential

    async def end_if_token_ended(self) -> bool:
        """Close the connection (and stop its operations) if its token no longer stands."""
        if self.ended is not None:
            return True
        credential = self._credential()
        if credential is None:
            return False
        ended = await self._websocket().app.state.authenticator.ended(credential)
        if ended is None:
            return False
        self.ended = ended
        with suppress(WebSocketDisconnected, RuntimeError):  # the client may be gone already
            await self.websocket.close(code=ended.code, reason=ended.reason)
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        return True

    async def _watch(self) -> None:
        """Check the token every ``BOCAGE_GRAPHQL_WS_RECHECK_SECONDS``, and at its expiry."""
        authenticator = self._websocket().app.state.authenticator
        every = _view_host(self.view).settings.graphql_ws_recheck_seconds
        try:
            while (credential := self._credential()) is not None:
                delay = float(every)
                if credential.expires_at is not None:
                    delay = min(delay, max(credential.expires_at - authenticator.clock(), 0.0))
                await asyncio.sleep(delay + 0.01)
                if await self.end_if_token_ended():
                    return
        except Exception as error:  # noqa: BLE001 - logged like strawberry's own tasks
            await self.handle_task_exception(error)


async def _websocket_principal(websocket: Any, header: str | None) -> Any:
    """The principal of a WebSocket's Authorization ``header``; its :class:`Credential` is
    kept on the connection (:data:`CREDENTIAL`) for :class:`CountedTransportWSHandler` to
    check again. :class:`AuthenticationError` for an invalid token."""
    authenticator = websocket.app.state.authenticator
    if not hasattr(authenticator, "credential"):  # a stand-in (tests): nothing to check again
        if header is not None and header != websocket.headers.get("authorization"):
            return await authenticator.authorization(header)
        return await request_principal(websocket)
    credential = await authenticator.credential(header)
    setattr(websocket.state, CREDENTIAL, credential)
    setattr(websocket.state, PRINCIPAL_STATE, credential.principal)
    return credential.principal


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view with a per-request :class:`Context`, closed after the request."""

    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = CountedTransportWSHandler

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        host: PluginHost,
        sessionmaker: async_sessionmaker[AsyncSession],
        request_counts: RequestCounts | None = None,
        read_engine: AsyncEngine | None = None,
        **kwargs: Any,
    ) -> None:
        settings = host.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            # Pages on these origins may open WebSockets (they authenticate with the token in
            # connection_init, never with cookies).
            allowed_origins=settings.cors_origins,
            # graphql-transport-ws only: its operations count against the rate limit.
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            **kwargs,
        )
        self.host = host
        self.sessionmaker = sessionmaker
        self.request_counts = request_counts
        self.response_cache = ResponseCache(settings, sessionmaker.kw["bind"])
        self.fast_path = (
            FastPath(settings.graphql_compile_cache_size)
            if settings.graphql_compile and settings.graphql_fast_path
            else None
        )
        #: Where the fast path runs its statements (``create_read_engine``), else the main one.
        self.read_engine = read_engine or sessionmaker.kw["bind"]
        #: PostgreSQL: the same, on asyncpg directly (``fast_path.RawReads``); SQLite: on
        #: ``sqlite3`` in the event loop's thread (``fast_path.SqliteReads``).
        self.raw_reads: RawReads | SqliteReads | None = None
        if self.fast_path:
            self.raw_reads = RawReads.of(settings, read_engine) or SqliteReads.of(
                settings, self.read_engine
            )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        settings = self.host.settings
        language = preferred_language(request.headers.get("accept-language"))
        if request.scope["type"] == "websocket":
            # The upgrade's Authorization header, kept to be checked again while it is open.
            principal = await _websocket_principal(request, request.headers.get("authorization"))
        else:
            principal = await request_principal(request)  # AuthenticationError: 401 in run()
        context = Context(
            settings=settings,
            host=self.host,
            sessionmaker=self.sessionmaker,
            language=language or settings.default_language,
            request=request,  # type: ignore[arg-type]
            principal=principal,
            compile_reads=settings.graphql_compile,
        )
        request.state.bocage_context = context
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """graphql-transport-ws ``connection_init``: browsers cannot set headers on a
        WebSocket, so the payload may carry the bearer token, as ``{"authorization": "Bearer
        <token>"}`` or ``{"token": "<token>"}``. It is checked exactly like the Authorization
        header; an invalid one closes the connection with 4403 (Forbidden)."""
        params = context.connection_params or {}
        header = params.get("authorization", params.get("Authorization"))
        token = params.get("token")
        if header is None and token is None:
            return UNSET  # the upgrade request's Authorization header, if any, stands
        if header is None:
            header = f"Bearer {token}" if isinstance(token, str) else None
        if not isinstance(header, str):
            raise ConnectionRejectionError
        request = context.request
        assert request is not None
        try:
            principal = await _websocket_principal(request, header)
        except AuthenticationError:
            raise ConnectionRejectionError from None
        context.principal = principal
        request.state.bocage_principal = principal
        return UNSET

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        seconds = self.host.settings.graphql_timeout_seconds
        context = kwargs.get("context")
        return await run_with_timeout(
            super().execute_operation(*args, **kwargs),
            seconds,
            on_timeout=context.abort if isinstance(context, Context) else None,
        )

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> Any:
        """strawberry's, without subscriptions (they are served over WebSocket; over plain
        HTTP their event stream would be executed as a query) and with JSON refusals."""
        method = request_adapter.method
        allowed = OperationType.from_http(method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            if error.operation_name is None:
                return _request_error(
                    "OPERATION_NAME_REQUIRED",
                    "The document has several operations (or none): name the one to run in "
                    '"operationName", or send a document with exactly one operation.',
                )
            return _request_error(
                "UNKNOWN_OPERATION",
                f"The document has no operation named {error.operation_name!r}: send the "
                'name of one of its operations in "operationName" (or leave it out when '
                "the document has only one).",
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise TransportError(
                    400,
                    "OPERATION_NOT_ALLOWED",
                    "Subscriptions are served over WebSocket on /graphql "
                    "(graphql-transport-ws), not over HTTP: open a WebSocket.",
                ) from None
            # The GraphQL-over-HTTP spec: a mutation over GET is 405, and Allow says what to use.
            raise TransportError(
                405,
                "OPERATION_NOT_ALLOWED",
                "Mutations are not allowed over GET (it must not change anything): send "
                "this request with POST and 'Content-Type: application/json'.",
                Allow="POST",
            ) from None
        except MissingQueryError:
            raise _refusal(HTTPException(400, "No GraphQL query found in the request")) from None

    def decode_json(self, data: str | bytes) -> object:
        """orjson: invalid UTF-8 and JSON nested over 1024 deep are ``JSONDecodeError``."""
        return orjson.loads(data)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's parameters; ``variables`` and ``extensions`` are JSON objects."""
        parsed = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                try:
                    value = orjson.loads(parsed[name])
                except orjson.JSONDecodeError:
                    value = None
                if not isinstance(value, dict):
                    raise TransportError(
                        400,
                        "INVALID_REQUEST",
                        f"The {name!r} parameter must be a JSON object (URL-encoded), "
                        f'such as {name}={{"first":10}}.',
                    )
                parsed[name] = value
        return parsed

    def parse_json(self, data: str | bytes) -> Any:
        """A POST's body: a JSON object (a list is a batch, refused with its own message)."""
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise TransportError(
                400,
                "INVALID_REQUEST",
                'The body must be a JSON object such as {"query": "{ communes { totalCount } }"}.',
            )
        if isinstance(parsed, dict) and not isinstance(parsed.get("operationName"), str | None):
            raise TransportError(
                400,
                "INVALID_REQUEST",
                'The "operationName" member must be a string (the name of an operation of the '
                "document) or null.",
            )
        return parsed

    async def process_result(self, request: Any, result: Any) -> Any:
        setattr(request.state, RESULT, result)  # for the response cache
        key = getattr(request.state, FAST_PATH_KEY, None)
        context = getattr(request.state, "bocage_context", None)
        if key is not None and self.fast_path is not None and context is not None:
            if context.compiled_roots is not None:
                self.fast_path.learn(key, context.compiled_roots, result)
        if result.errors:
            result.errors = [explain(error) for error in result.errors]
        processed = await super().process_result(request, result)
        if _not_executed(result):
            # "If an error was raised before execution begins, the data entry should not be
            # present in the result" (GraphQL spec, Response).
            processed.pop("data", None)
        return processed

    # -- the fast path (fast_path.py) ----------------------------------------------------------

    async def answer(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """An HTTP request's answer: by the fast path when it has the request's plan, else by
        the normal path (which may learn one)."""
        fast = self.fast_path
        found = None
        if fast is not None and not args and not kwargs:
            if self._get_stream_transport_from_headers(request.headers) is None:
                found = await candidate(request)
        if fast is None or found is None:
            return await super().run(request, *args, **kwargs)
        context = await self.get_context(request, None)  # type: ignore[arg-type]
        key = fast.key(found, context)
        plan = fast.plan(key)
        if plan is None or not await self._may_run(found.query, context):
            context.compiled_roots = CompiledRoots()
            setattr(request.state, FAST_PATH_KEY, key)
            return await super().run(request, context=context)
        seconds = self.host.settings.graphql_timeout_seconds
        deadline = time.monotonic() + seconds
        result = await run_with_timeout(
            self._execute(plan, context, deadline), seconds, on_timeout=context.abort
        )
        if result is None:  # a statement failed: the normal path answers, and may learn again
            fast.forget(key)
            await context.forget_loaded()
            context.compiled_roots = CompiledRoots()
            setattr(request.state, FAST_PATH_KEY, key)
            return await super().run(request, context=context)
        if result.errors or self.host.settings.graphql_compile_check:  # a timeout; checking
            response = self.create_response(
                await self.process_result(request, result), await self.get_sub_response(request)
            )
            if not self.host.settings.graphql_compile_check:
                return response
            await context.close()
            return await self._checked(request, response)
        # What process_result and create_response make of an answer without errors or
        # extensions, without their general machinery: ``{"data": ...}``, status 200, the
        # negotiated media type, ``Vary: Accept``.
        setattr(request.state, RESULT, result)
        response = Response(self.encode_json({"data": result.data}), media_type=MEDIA_TYPE.get())
        response.raw_headers.append(_VARY_ACCEPT)
        return response

    async def _may_run(self, query: str, context: Context) -> bool:
        """Whether trusted documents let the caller run ``query``, as
        :class:`~bocage.core.graphql.persisted.PersistedQueries` decides it."""
        store: DocumentStore | None = getattr(self.schema, DOCUMENTS, None)
        if store is None or store.may_send_any(context.principal):
            return True
        found = await store.lookup(context, sha256(query))
        return found is not None and found.trusted

    async def _execute(
        self, plan: Plan, context: Context, deadline: float
    ) -> ExecutionResult | None:
        """The plan's answer, as the normal path's executor makes it; None when a statement
        fails (logged as the executor logs it, without the message, which may quote values).
        A statement stopped at ``deadline`` (``time.monotonic()``) raises ``TimeoutError``,
        which :func:`run_with_timeout` answers."""
        normalise = context.dialect == "postgresql"
        raw = self.raw_reads
        if raw is not None and plan.raw is None:
            object.__setattr__(plan, "raw", [raw.render(statement) for _, statement in plan.roots])
        data = {}
        for index, (name, statement) in enumerate(plan.roots):
            try:
                rendered = plan.raw[index] if raw is not None and plan.raw is not None else None
                if rendered is None or raw is None:
                    text = (await context.read(statement, self.read_engine)).scalar_one()
                elif isinstance(raw, SqliteReads):
                    text = await raw.text(rendered, deadline)
                else:
                    text = await raw.text(rendered)
            except StatementTimeout:
                raise
            except Exception as error:
                logger.warning(
                    "fast path: the statement of %s failed (%s): answered by the normal path",
                    name,
                    type(error).__name__,
                )
                return None
            data[name] = compiled_fragment(text, normalise=normalise)
        return ExecutionResult(data=data, errors=None)

    async def _checked(self, request: Request, fast: Response) -> Response:
        """``BOCAGE_GRAPHQL_COMPILE_CHECK``: the normal path answers too, and the fast
        path's answer stands only when it is the same bytes."""
        normal = await super().run(request)
        if bytes(normal.body) == bytes(fast.body) and normal.status_code == fast.status_code:
            return fast
        logger.error(
            "the fast path's answer differs from the normal path's\nfast: %s\nnormal: %s",
            bytes(fast.body)[:2000],
            bytes(normal.body)[:2000],
        )
        mismatch = {
            "data": None,
            "errors": [
                {
                    "message": "the fast path's answer differs from the normal path's",
                    "extensions": {"code": "COMPILED_READ_MISMATCH"},
                }
            ],
        }
        return self.create_response(mismatch, await self.get_sub_response(request))

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        http = request.scope["type"] == "http"
        ide = http and self._shows_graphiql(request)
        if http:
            media_type = negotiated(request.headers.get("accept"))
            MEDIA_TYPE.set(media_type or APPLICATION_JSON)
            if media_type is None and not ide:
                return TransportError(
                    406,
                    "NOT_ACCEPTABLE",
                    f"/graphql answers {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}, which "
                    f"the Accept header ({request.headers.get('accept')!r}) refuses: accept "
                    "one of them (or send no Accept header).",
                ).response()
        try:
            if http and not ide:
                # Anonymous GET answers: from the cache, or kept in it (response_cache.py).
                return await self.response_cache.serve(
                    request, lambda: self.answer(request, *args, **kwargs)
                )
            return await super().run(request, *args, **kwargs)
        except AuthenticationError as error:
            # A bad token is an HTTP 401 (RFC 6750), not a GraphQL error.
            if request.scope["type"] == "websocket":
                await request.close(code=4401, reason="invalid token")
                return None
            challenge = error.response().headers["www-authenticate"]
            return TransportError(
                401, "INVALID_TOKEN", error.message, **{"WWW-Authenticate": challenge}
            ).response()
        except TransportError as error:
            return error.response()
        except HTTPException as error:
            return _refusal(error).response()
        finally:
            context = getattr(request.state, "bocage_context", None)
            if context is not None:
                await context.close()

    def _shows_graphiql(self, request: Request) -> bool:
        """:meth:`should_render_graphql_ide` for an HTTP request, without parsing its query
        string when it plainly names a ``query`` (a GraphQL GET: the response cache's)."""
        if request.scope["method"] != "GET":
            return False
        if any(part.partition(b"=")[0] == b"query" for part in _query_parts(request)):
            return False  # a query, even empty: never GraphiQL
        return self.should_render_graphql_ide(self.request_adapter_class(request))

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET without ``query`` is GraphiQL for a browser, unless it is a persisted query
        (``?extensions=...``: a browser's fetch accepts ``*/*`` too)."""
        return super().should_render_graphql_ide(request) and "extensions" not in (
            request.query_params
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL, its assets served by Bocage itself (or a CDN: ``BOCAGE_GRAPHIQL_CDN``)."""
        return Response(graphiql_page(self.host.settings), media_type="text/html")

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        media_type = MEDIA_TYPE.get()
        # A persisted query refused: its status (400 for a protocol error), and never cached,
        # since the same request may succeed once its document is registered.
        status = http_status(response_data) if isinstance(response_data, dict) else None
        if status is not None:
            sub_response.status_code = status
            sub_response.headers["cache-control"] = "no-store"
        if isinstance(response_data, dict) and "data" not in response_data:
            # A request error (nothing executed): application/json answers it with 200 (or
            # the persisted query's status), the spec's own media type with a 4xx
            # (GraphQL-over-HTTP, "Status Codes"; Apollo Client and urql read its body).
            if media_type == GRAPHQL_RESPONSE_JSON:
                sub_response.status_code = max(status or 400, 400)
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = media_type
        # The answer depends on Accept: a shared cache must not give one client's to another.
        response.headers.append("Vary", "Accept")
        return response

    def encode_json(self, data: object) -> bytes:
        return bounded_json(data, self.host.settings.graphql_max_response_bytes)
