"""The observability of one app: its middleware, its ``/metrics`` route and what runs
beside it while it serves (:class:`Observability`)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.observability import metrics as metrics_module
from bocage.core.observability import tracing
from bocage.core.observability.metrics import Gauges, Metrics, multiprocess_dir
from bocage.core.observability.middleware import RequestObserver
from bocage.core.rest_errors import error_response

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
    from starlette.requests import Request

    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.observability")

METRICS_PATH = "/metrics"
#: Seconds between two readings of the database gauges when the metrics have a port of their
#: own (on the API's port they are read at each scrape).
REFRESH_SECONDS = 15.0


def tracing_middleware(settings: Settings) -> list[Middleware]:
    """OpenTelemetry's ASGI middleware (a server span per request, no span for each message
    sent or received), or nothing with tracing off."""
    provider = tracing.provider()
    if provider is None:
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    def private(span: Any, scope: dict[str, Any]) -> None:
        """Blank what may be personal: the caller's address and the query string (a GET's
        GraphQL variables), unless ``BOCAGE_LOG_PERSONAL_DATA``."""
        if not span.is_recording() or settings.log_personal_data:
            return
        recorded = getattr(span, "attributes", None) or {}
        for name in tracing.ADDRESS_ATTRIBUTES:
            if name in recorded:
                span.set_attribute(name, "")
        for name in tracing.URL_ATTRIBUTES:
            if isinstance(recorded.get(name), str) and "?" in recorded[name]:
                span.set_attribute(name, recorded[name].split("?", 1)[0])
        if "url.query" in recorded:
            span.set_attribute("url.query", "")

    def method_only(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The span's first name; :func:`tracing.annotate_request` adds the route template (a raw
        path could hold an id or a token and makes names without bound)."""
        return str(scope.get("method") or scope["type"]), {}

    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=provider,
            exclude_spans=["receive", "send"],
            server_request_hook=private,
            default_span_details=method_only,
        )
    ]


class Observability:
    """The metrics, tracing and request logging of one app (``create_app``)."""

    def __init__(
        self,
        settings: Settings,
        engines: dict[str, AsyncEngine | None],
        sessionmaker: async_sessionmaker[AsyncSession],
        gauges: Gauges | None = None,
    ) -> None:
        """``gauges``: reads the database's gauges (the job queue's), at each scrape."""
        self.settings = settings
        tracing.configure(settings)
        for engine in engines.values():
            tracing.instrument_engine(engine)
        self.metrics: Metrics | None = None
        if settings.metrics_enabled:
            used = {name: engine for name, engine in engines.items() if engine is not None}
            self.metrics = Metrics(settings, used, sessionmaker, gauges)
        metrics_module.install(self.metrics)

    def middleware(self) -> list[Middleware]:
        """Outermost first: the trace's server span, then the request id, metrics and log."""
        return [
            *tracing_middleware(self.settings),
            Middleware(RequestObserver, settings=self.settings, metrics=self.metrics),
        ]

    def routes(self) -> list[Route]:
        """``GET /metrics`` when a token protects it."""
        if self.metrics is None or self.settings.metrics_token is None:
            return []
        return [Route(METRICS_PATH, self.scrape, methods=["GET"], name="metrics")]

    async def scrape(self, request: Request) -> Response:
        assert self.metrics is not None and self.settings.metrics_token is not None
        expected = self.settings.metrics_token.get_secret_value().encode()
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), expected):
            return error_response(
                401,
                "invalid_token",
                "GET /metrics needs the header 'Authorization: Bearer <BOCAGE_METRICS_TOKEN>'.",
                **{"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        await self.metrics.refresh()
        body, content_type = self.metrics.exposition()
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the app serves: the metrics' own port, if any; then flush the traces."""
        server = refresher = None
        if self.metrics is not None and self.settings.metrics_port is not None:
            server = self._serve_port(self.metrics)
            if server is not None:
                refresher = asyncio.create_task(self._refresh_forever(self.metrics))
        try:
            yield
        finally:
            if refresher is not None:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
            if server is not None:
                server.shutdown()
                server.server_close()
            if multiprocess_dir() is not None and self.metrics is not None:
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(os.getpid())
            tracing.shutdown()

    def _serve_port(self, metrics: Metrics) -> Any:
        from prometheus_client import CollectorRegistry, start_http_server

        registry = metrics.registry
        if multiprocess_dir() is not None:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=multiprocess_dir())
        port, host = self.settings.metrics_port, self.settings.metrics_host
        try:
            server, _ = start_http_server(port, addr=host, registry=registry)  # type: ignore[arg-type]
        except OSError as error:  # another worker of this server serves it already
            logger.info("metrics port %s:%s not opened by this worker: %s", host, port, error)
            return None
        logger.info("metrics on http://%s:%s/metrics", host, port)
        return server

    async def _refresh_forever(self, metrics: Metrics) -> None:
        while True:
            await metrics.refresh()
            await asyncio.sleep(REFRESH_SECONDS)


__all__ = ["METRICS_PATH", "Observability"]
