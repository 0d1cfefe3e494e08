"""OpenTelemetry traces (``BOCAGE_TRACING_ENABLED``): a server span per HTTP request (ASGI),
a child span per SQL statement (SQLAlchemy), a client span per webhook request (httpx), and a
span per job run. W3C ``traceparent`` crosses every boundary: it is read from incoming
requests, sent with webhooks, and kept with each job when it is enqueued, so that the job's
span continues the trace of the request (or relay) that enqueued it.

The tracer provider is the process's (``configure``, once, from the settings; tests install
one with an in-memory exporter through :func:`install`). With tracing off every function here
is a no-op.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace

if TYPE_CHECKING:
    import httpx
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.observability")

#: Span attributes of the caller's address the ASGI instrumentation records: blanked unless
#: ``BOCAGE_LOG_PERSONAL_DATA`` (an IP address is personal data).
ADDRESS_ATTRIBUTES = ("client.address", "client.port", "net.peer.ip", "net.peer.port")
#: Span attributes that hold the URL with its query string: the query is cut off likewise.
URL_ATTRIBUTES = ("http.target", "http.url", "url.full")

_provider: TracerProvider | None = None
_engines: weakref.WeakSet[Any] = weakref.WeakSet()


def provider() -> TracerProvider | None:
    """The tracer provider, when tracing is on."""
    return _provider


def install(tracer_provider: TracerProvider | None) -> None:
    """Use ``tracer_provider`` (None: tracing off) for what is built from now on."""
    global _provider
    _provider = tracer_provider
    _engines.clear()


def make_provider(settings: Settings, exporter: SpanExporter | None = None) -> TracerProvider:
    """A provider of ``settings``' service name and sampling, exporting to ``exporter``
    (default: OTLP over HTTP, in batches)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    made = TracerProvider(
        resource=Resource.create({"service.name": settings.tracing_service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.tracing_sample_ratio)),
    )
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        made.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.tracing_otlp_endpoint))
        )
    else:
        made.add_span_processor(SimpleSpanProcessor(exporter))
    return made


def configure(settings: Settings) -> TracerProvider | None:
    """The process's provider: made from ``settings`` the first time tracing is enabled."""
    if _provider is None and settings.tracing_enabled:
        install(make_provider(settings))
    return _provider


def shutdown() -> None:
    """Send the spans still buffered (the server or worker stops)."""
    if _provider is not None:
        _provider.force_flush()


# -- instrumentation ----------------------------------------------------------------------------


def instrument_engine(engine: AsyncEngine | None) -> None:
    """A span for each SQL statement ``engine`` runs (once per engine)."""
    if _provider is None or engine is None or engine.sync_engine in _engines:
        return
    from opentelemetry.instrumentation.sqlalchemy import __version__
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__, _provider)
    usage = NoOpMeterProvider().get_meter("bocage").create_up_down_counter("unused")
    EngineTracer(tracer, engine.sync_engine, usage)
    _engines.add(engine.sync_engine)


def instrument_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client span for each request ``client`` sends, with ``traceparent`` in its headers."""
    if _provider is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=_provider)
    return client


def annotate_request(method: str, route: str, operation: str | None) -> None:
    """Name the current server span after the route template and the GraphQL operation."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attribute("http.route", route)
    name = f"{method} {route}"
    if operation is not None:
        span.set_attribute("graphql.operation.name", operation)
        name = f"{name} {operation}"
    span.update_name(name)


# -- across the job queue -----------------------------------------------------------------------


def carrier() -> dict[str, str] | None:
    """The current trace context as W3C headers (``traceparent``...), to keep with a job;
    None outside a recorded trace."""
    if _provider is None or not trace.get_current_span().get_span_context().is_valid:
        return None
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers or None


@contextlib.contextmanager
def job_span(kind: str, job_id: Any, attempt: int, kept: dict[str, str] | None) -> Iterator[None]:
    """Run a job attempt in a span continuing the trace ``kept`` when it was enqueued."""
    if _provider is None:
        yield
        return
    parent = propagate.extract(kept) if kept else None
    tracer = trace.get_tracer("bocage.jobs", tracer_provider=_provider)
    with tracer.start_as_current_span(
        f"job {kind}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={
            "bocage.job.kind": kind,
            "bocage.job.id": str(job_id),
            "bocage.job.attempt": attempt,
        },
    ):
        yield
