"""Assembles the GraphQL schema from the core's and the plugins' contributions, and serves it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
import strawberry
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, DuplicatedTypeName
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.config import StrawberryConfig
from strawberry.types.unset import UNSET

from bocage.core.auth.tokens import AuthenticationError, request_principal
from bocage.core.errors import PluginError
from bocage.core.events import graphql_type_of
from bocage.core.graphql.context import Context
from bocage.core.graphql.i18n import parse_accept_language
from bocage.core.graphql.limits import limit_extensions, log_unexpected_errors, run_with_timeout

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from bocage.core.host import PluginHost

logger = logging.getLogger("bocage.graphql")

ROOTS = {
    "Query": "bocage_graphql_query",
    "Mutation": "bocage_graphql_mutation",
    "Subscription": "bocage_graphql_subscription",
}


def _merge_root(host: PluginHost, name: str, hook: str) -> type | None:
    """One root type whose fields are every contribution's, refusing duplicate field names."""
    parts = host.contributions(hook)
    owners: dict[str, str] = {}
    for plugin, part in parts:
        definition = getattr(part, "__strawberry_definition__", None)
        if definition is None:
            raise PluginError(f"plugin {plugin!r}: {hook} returned {part!r}, not a strawberry type")
        for field in definition.fields:
            if field.name in owners:
                raise PluginError(
                    f"{name}.{field.name} is contributed by both {owners[field.name]!r} and "
                    f"{plugin!r}; rename the field in one of them"
                )
            owners[field.name] = plugin
    if not parts:
        return None
    bases = tuple(part for _, part in reversed(parts))
    return strawberry.type(type(name, bases, {}))


def _should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep validation errors and our typed errors readable."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class Schema(strawberry.Schema):
    """Logs unexpected errors only: a client's mistake is its answer, not a server incident.

    Their messages are not logged: they may quote personal values (see limits).
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors if _should_mask(e)]
        if unexpected:
            log_unexpected_errors(unexpected, execution_context)


def build_schema(host: PluginHost) -> strawberry.Schema:
    """The schema of the core and every enabled plugin. Fails with a clear message on clashes."""
    roots = {name: _merge_root(host, name, hook) for name, hook in ROOTS.items()}
    if roots["Query"] is None:  # pragma: no cover - the core always contributes queries
        raise PluginError("no query fields: the core plugin is missing")
    types = [t for _, t in host.contributions("bocage_graphql_types")]
    try:
        schema = Schema(
            query=roots["Query"],
            mutation=roots["Mutation"],
            subscription=roots["Subscription"],
            types=types,
            extensions=[
                lambda: MaskErrors(should_mask_error=_should_mask),
                # Front-ends send the same few documents again and again: parse and
                # validate each once (bounded LRU caches shared across requests).
                lambda: ParserCache(maxsize=256),
                lambda: ValidationCache(maxsize=256),
                # Depth, aliases, tokens, cost, introspection; after MaskErrors (see LimitErrors).
                *limit_extensions(host.settings),
            ],
            config=StrawberryConfig(auto_camel_case=True),
        )
    except DuplicatedTypeName as error:
        first = getattr(error.first_cls, "__module__", "?")
        second = getattr(error.second_cls, "__module__", "?")
        raise PluginError(
            f"{error.message} (in {first} and {second}); GraphQL type names must be unique "
            "across plugins: prefix yours with the plugin's name"
        ) from None
    _check_row_type_names(schema)
    return schema


def _check_row_type_names(schema: strawberry.Schema) -> None:
    """Every type that shows a model's rows (a ``RowType`` with its ``model``) is the name the
    audit trail, the events and the change feed give those rows (``graphql_type_of``):
    otherwise ``auditTrail(object:)``, ``changes`` and ``node(id:)`` would disagree."""
    for name, graphql_type in schema._schema.type_map.items():
        definition = (getattr(graphql_type, "extensions", None) or {}).get("strawberry-definition")
        model = getattr(getattr(definition, "origin", None), "model", None)
        if model is None or not hasattr(model, "__mapper__"):
            continue
        if graphql_type_of(model) != name:
            raise PluginError(
                f"GraphQL type {name} shows rows of the model {model.__module__}."
                f"{model.__name__}, which the audit trail and the events name "
                f"{graphql_type_of(model)!r}: set __graphql_type__ = {name!r} on the model"
            )


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends text frames: graphql-transport-ws clients (graphql-ws) refuse binary ones, which
    strawberry would send for the bytes ``encode_json`` returns."""

    async def send_json(self, message: Any) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLView(GraphQL):  # type: ignore[type-arg]
    """Strawberry's ASGI view with a per-request :class:`Context`, closed after the request."""

    websocket_adapter_class = TextWebSocketAdapter  # type: ignore[assignment]

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        host: PluginHost,
        sessionmaker: async_sessionmaker[AsyncSession],
        **kwargs: Any,
    ) -> None:
        settings = host.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            # Pages on these origins may open WebSockets (they authenticate with the token in
            # connection_init, never with cookies).
            allowed_origins=settings.cors_origins,
            **kwargs,
        )
        self.host = host
        self.sessionmaker = sessionmaker

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:  # type: ignore[override]
        settings = self.host.settings
        language = parse_accept_language(request.headers.get("accept-language"))
        principal = await request_principal(request)  # AuthenticationError: 401 in run()
        context = Context(
            settings=settings,
            host=self.host,
            sessionmaker=self.sessionmaker,
            language=language or settings.default_language,
            request=request,  # type: ignore[arg-type]
            principal=principal,
        )
        request.state.bocage_context = context
        return context

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
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
            principal = await request.app.state.authenticator.authorization(header)
        except AuthenticationError:
            raise ConnectionRejectionError from None
        context.principal = principal
        request.state.bocage_principal = principal
        return UNSET

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        seconds = self.host.settings.graphql_timeout_seconds
        return await run_with_timeout(super().execute_operation(*args, **kwargs), seconds)

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().run(request, *args, **kwargs)
        except AuthenticationError as error:
            # A bad token is an HTTP 401 (RFC 6750), not a GraphQL error.
            if request.scope["type"] == "websocket":
                await request.close(code=4401, reason="invalid token")
                return None
            return error.response()
        finally:
            context = getattr(request.state, "bocage_context", None)
            if context is not None:
                await context.close()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
