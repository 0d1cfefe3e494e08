"""``create_app(settings)``: the one ASGI application, assembled from the plugins' data."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute

from bocage.core import http, migrate
from bocage.core.auth.grants import check_setting
from bocage.core.auth.keys import KeyStore
from bocage.core.auth.server import TokenEndpoint, jwks_endpoint
from bocage.core.auth.throttle import FailureThrottle
from bocage.core.auth.tokens import (
    AuthenticationError,
    Authenticator,
    TokenIssuer,
    authentication_error,
)
from bocage.core.cache_control import HttpCaching, public_caching
from bocage.core.db import create_engine, create_read_engine, sessionmaker
from bocage.core.errors import PluginError, SettingsError
from bocage.core.graphql.graphiql import graphiql_asset
from bocage.core.graphql.schema import build_schema
from bocage.core.graphql.view import GraphQLView
from bocage.core.hookspecs import RestRoute
from bocage.core.host import PluginHost
from bocage.core.imports.rest import import_route
from bocage.core.jobs import job_kinds
from bocage.core.jobs.gauges import read as queue_gauges
from bocage.core.middleware import limits_storage, protective_middleware, request_counts
from bocage.core.observability.logging import configure_logging
from bocage.core.observability.setup import METRICS_PATH, Observability
from bocage.core.openapi import openapi_document
from bocage.core.settings import Settings, load_settings
from bocage.core.webhooks import event_types

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("bocage")

#: Response headers a browser script of another origin may read (CORS).
EXPOSED_HEADERS = [
    "ETag",
    "Last-Modified",
    "Link",
    "Content-Disposition",
    "Retry-After",
    "X-Request-ID",
]

RESERVED_PATHS = {
    "/graphql",
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/graphiql/{name}",
    "/oauth/token",
    "/.well-known/jwks.json",
    "/api/import/{kind}",
    METRICS_PATH,
}


def _plugin_routes(host: PluginHost) -> list[RestRoute]:
    routes: list[RestRoute] = []
    names: dict[str, str] = {}
    paths: dict[str, str] = {path: "core" for path in RESERVED_PATHS}
    for plugin, spec in host.routes():
        if spec.name in names:
            raise PluginError(
                f"route name {spec.name!r} is used by both {names[spec.name]!r} and {plugin!r}"
            )
        names[spec.name] = plugin
        path = getattr(spec.route, "path", None)
        if path is not None:
            if path in paths:
                raise PluginError(
                    f"route path {path} is served by both {paths[path]!r} and {plugin!r}"
                )
            paths[path] = plugin
        routes.append(spec)
    return routes


def create_app(
    settings: Settings | None = None,
    *,
    host: PluginHost | None = None,
    engine: AsyncEngine | None = None,
    run_worker: bool = False,
) -> Starlette:
    """Build the app; every plugin problem surfaces here, before the first request.

    ``run_worker``: run the background-job worker in the server's event loop (``bocage serve``
    does on SQLite, see ``BOCAGE_JOBS_IN_PROCESS``)."""
    settings = settings or load_settings()
    host = host or PluginHost(settings)
    engine = engine or create_engine(settings)
    schema = build_schema(host)
    openapi = openapi_document(host)
    job_kinds(host)  # a job kind or webhook event type declared twice stops startup here
    event_types(host)
    try:  # permissions granted by configuration must exist once the plugins are loaded
        check_setting(settings, host.permissions())
    except ValueError as error:
        raise SettingsError(str(error)) from None
    session_factory = sessionmaker(engine)
    host.bind(session_factory)
    keys = KeyStore(session_factory, settings)
    authenticator = Authenticator(settings, keys)
    # Request counts and failed client authentications, in one storage (Redis: shared).
    counted = [
        settings.rate_limit,
        settings.auth_failure_limit,
        settings.auth_failure_address_limit,
        settings.auth_failure_client_limit,
    ]
    storage = limits_storage(settings) if any(rate != "off" for rate in counted) else None
    token_endpoint = TokenEndpoint(settings, FailureThrottle(settings, storage))
    # The rate limit counts HTTP requests and the operations WebSockets start alike.
    counts = request_counts(settings, storage)
    fast_reads = settings.graphql_compile and settings.graphql_fast_path
    read_engine = create_read_engine(settings) if fast_reads else None
    graphql = GraphQLView(
        schema,
        host=host,
        sessionmaker=session_factory,
        request_counts=counts,
        read_engine=read_engine,
    )
    # Metrics, traces (the engines' SQL statements among them) and the request log.
    # The fast path's pool: asyncpg's own where it reads on asyncpg directly.
    reads = cast("AsyncEngine | None", graphql.raw_reads) or read_engine
    observability = Observability(
        settings, {"main": engine, "read": reads}, session_factory, queue_gauges
    )

    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(openapi, headers=public_caching(request))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.auto_migrate:
            state = await migrate.state(engine, host)
            if not state.at_head:
                logger.info("applying migrations to %s", engine.url.render_as_string())
                await migrate.upgrade(engine, host)
        # Everything built so far (schema, app, plugins) lives as long as the process: keep it
        # out of the garbage collector's full passes, which otherwise cause the p99 tail.
        gc.freeze()
        worker_task = None
        if run_worker:
            from bocage.core.jobs.worker import Worker

            worker = Worker(settings, host, engine)
            worker_task = asyncio.create_task(worker.run())
        try:
            async with observability.running():
                yield
        finally:
            if worker_task is not None:
                worker.stop()
                await worker_task
            await app.state.authenticator.aclose()
            await graphql.response_cache.close()
            if graphql.raw_reads is not None:
                await graphql.raw_reads.close()
            if read_engine is not None:
                await read_engine.dispose()
            await engine.dispose()

    # Routes described by RestRoute (their OpenAPI, their own body limit): the core's, then
    # the plugins'.
    rest_routes = [import_route(settings), *_plugin_routes(host)]
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, name="graphql"),
        # Subscriptions (graphql-transport-ws) on the same path.
        WebSocketRoute("/graphql", graphql, name="graphql-ws"),
        Route("/healthz", http.healthz, methods=["GET"], name="healthz"),
        Route("/readyz", http.readyz, methods=["GET"], name="readyz"),
        Route("/openapi.json", openapi_json, methods=["GET"], name="openapi"),
        # GraphiQL's scripts and styles, so that it works without internet.
        Route("/graphiql/{name}", graphiql_asset, methods=["GET"], name="graphiql_asset"),
        Route("/oauth/token", token_endpoint.handle, methods=["POST"], name="oauth_token"),
        Route("/.well-known/jwks.json", jwks_endpoint, methods=["GET"], name="jwks"),
        *(spec.route for spec in rest_routes),
        *observability.routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost: the trace's span, the request id, metrics and log see every answer.
            *observability.middleware(),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                # BOCAGE_CORS_ALLOW_HEADERS: conditional requests (ETag, Last-Modified) and
                # tracing headers need a preflight from a browser.
                allow_headers=settings.cors_allow_headers,
                # Otherwise hidden from scripts of other origins: validators to send back,
                # paging links, a download's file name.
                expose_headers=EXPOSED_HEADERS,
                max_age=600,
            ),
            # Cache-Control, Vary, ETag and 304 of every answer; inside CORS, which adds
            # Origin to Vary, and outside the refusals, which are never kept.
            Middleware(HttpCaching),
            # Inside CORS, so that browsers can read the refusals.
            *protective_middleware(settings, rest_routes, storage, counts),
        ],
        exception_handlers={
            HTTPException: http.http_error,
            AuthenticationError: authentication_error,
            Exception: http.server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.host = host
    app.state.engine = engine
    app.state.sessionmaker = session_factory
    app.state.keys = keys
    app.state.authenticator = authenticator
    app.state.issuer = TokenIssuer(settings, keys)
    app.state.schema = schema
    app.state.openapi = openapi
    app.state.response_cache = graphql.response_cache
    app.state.fast_path = graphql.fast_path
    app.state.read_engine = graphql.read_engine
    app.state.raw_reads = graphql.raw_reads
    app.state.observability = observability
    return app


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory bocage.core.app:app_factory``."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings, run_worker=settings.jobs_run_in_process)
