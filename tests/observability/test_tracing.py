"""OpenTelemetry traces, captured by an in-memory exporter: a GraphQL request is a server span
with its SQL statements as children; a change's webhook delivery continues the request's
trace (the job's span, the HTTP request's span) and the subscriber receives its
``traceparent``; with tracing enabled by settings the spans leave over OTLP/HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from bocage.core.app import create_app
from bocage.core.observability import tracing
from bocage.core.testing import GraphQL, serve, settings_for

from .test_metrics import CREATE_PROJECT, SUBSCRIBE, hannut

#: A trace a client (or a proxy) started: the server continues it.
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CLIENT_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def spans(bocage_world: Any) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.install(tracing.make_provider(bocage_world.settings, exporter))
    yield exporter
    tracing.install(None)


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


def sql(span: ReadableSpan) -> bool:
    return (
        span.kind is SpanKind.CLIENT
        and "db.system" in (span.attributes or {})
        or ("db.system.name" in (span.attributes or {}))
    )


async def test_a_graphql_request_is_a_server_span_with_sql_children(
    bocage_world: Any, spans: InMemorySpanExporter
) -> None:
    app = create_app(bocage_world.settings, host=bocage_world.host)
    async with serve(app) as client:
        response = await client.post(
            "/graphql",
            json={"query": "query CommuneCount { communes { totalCount } }"},
            headers={"traceparent": TRACEPARENT},
        )
        assert response.status_code == 200
        assert response.json()["data"]["communes"]["totalCount"] > 0
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}
    [server] = [span for span in finished if span.kind is SpanKind.SERVER]
    assert server.name == "POST /graphql CommuneCount"
    assert server.attributes["graphql.operation.name"] == "CommuneCount"
    assert server.attributes["http.route"] == "/graphql"
    # It continues the caller's trace.
    assert format(server.context.trace_id, "032x") == CLIENT_TRACE
    # No address of the caller (personal data) unless BOCAGE_LOG_PERSONAL_DATA.
    for name in tracing.ADDRESS_ATTRIBUTES:
        assert server.attributes.get(name) in (None, "")
    # The request's statements (start-up reads the migrations' state in traces of its own).
    statements = [s for s in finished if sql(s) and s.context.trace_id == server.context.trace_id]
    assert statements, [span.name for span in finished]
    for statement in statements:
        assert server in ancestors(statement, by_id), statement.name
    assert any("SELECT" in (s.attributes.get("db.statement") or s.name) for s in statements)


async def test_a_webhook_delivery_continues_the_trace_of_the_change(
    bocage_world: Any, spans: InMemorySpanExporter, bocage_webhooks: Any, bocage_principals: Any
) -> None:
    from bocage.core.jobs.worker import Worker

    settings = settings_for(
        bocage_world.url, webhooks_allow_private_targets=True, jobs_poll_interval=0.05
    )
    app = create_app(settings)
    admin = bocage_principals.admin
    async with serve(app) as client:
        gql = GraphQL(client, app)
        await gql(
            SUBSCRIBE,
            {"input": {"url": bocage_webhooks.url, "eventTypes": ["project.created"]}},
            principal=admin,
        )
        spans.clear()
        created = await gql(
            "mutation Create" + CREATE_PROJECT.removeprefix("mutation"),
            {
                "input": {
                    "title": {"fr": "Traces"},
                    "focus": "DIGITAL",
                    "communes": [await hannut(bocage_world)],
                }
            },
            principal=admin,
        )
        assert created["createProject"]["errors"] == []
        [request] = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
        assert request.name == "POST /graphql Create"
        await Worker(settings, app.state.host, app.state.engine).run(burst=True)
    [received] = bocage_webhooks.requests
    version, trace_id, parent_id, flags = received.headers["traceparent"].split("-")
    assert trace_id == format(request.context.trace_id, "032x")
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}
    [job] = [s for s in finished if s.name == "job webhook.deliver"]
    assert job.kind is SpanKind.CONSUMER
    assert job.context.trace_id == request.context.trace_id
    assert job.attributes["bocage.job.kind"] == "webhook.deliver"
    # The subscriber's parent is the webhook request's span, a child of the job's.
    post = by_id[int(parent_id, 16)]
    assert post.kind is SpanKind.CLIENT and post.name == "POST"
    assert job in ancestors(post, by_id)


def _otlp_round(settings: Any) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2.*")
        from starlette.testclient import TestClient

    with TestClient(create_app(settings)) as client:  # its lifespan's end sends the spans
        assert client.get("/healthz").status_code == 200


async def test_tracing_enabled_by_settings_sends_otlp(
    bocage_world: Any, bocage_webhooks: Any
) -> None:
    settings = settings_for(
        bocage_world.url,
        tracing_enabled=True,
        tracing_otlp_endpoint=bocage_webhooks.url,  # an OTLP/HTTP collector stand-in
        tracing_service_name="bocage-test",
    )
    tracing.install(None)
    try:
        await asyncio.to_thread(_otlp_round, settings)
    finally:
        tracing.install(None)
    assert bocage_webhooks.requests, "no spans were exported"
    exported = bocage_webhooks.requests[0]
    assert exported.headers["content-type"] == "application/x-protobuf"
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    decoded = ExportTraceServiceRequest.FromString(exported.body)
    resource = decoded.resource_spans[0].resource
    names = {a.key: a.value.string_value for a in resource.attributes}
    assert names["service.name"] == "bocage-test"
    span_names = [s.name for r in decoded.resource_spans for ss in r.scope_spans for s in ss.spans]
    assert "GET /healthz" in span_names


async def test_tracing_is_off_by_default(bocage_world: Any) -> None:
    tracing.install(None)
    app = create_app(bocage_world.settings, host=bocage_world.host)
    assert tracing.provider() is None
    async with serve(app) as client:
        assert "traceparent" not in (await client.get("/healthz")).headers
    assert not any("OpenTelemetry" in type(m.cls).__name__ for m in app.user_middleware)
