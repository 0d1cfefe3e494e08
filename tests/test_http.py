"""The HTTP surface: health, readiness, CORS, GraphiQL, JSON errors, the OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bocage.core.app import create_app
from bocage.core.testing import settings_for


async def test_health_and_readiness(client: Any) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_unknown_route_is_a_json_404(client: Any) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "not_found" and "/openapi.json" in error["message"]


async def test_wrong_method_is_a_json_405(client: Any) -> None:
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_cors_preflight_from_another_communes_front_end(client: Any) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": "https://www.andenne.be",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept-language",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://www.andenne.be")
    simple = await client.post(
        "/graphql", json={"query": "{ plugins { name } }"}, headers={"Origin": "https://x.be"}
    )
    assert simple.headers["access-control-allow-origin"] == "*"


TRACE_HEADERS = "content-type, traceparent, tracestate"


async def preflight(client: httpx.AsyncClient, requested: str) -> httpx.Response:
    """A browser's CORS preflight for a POST to /graphql sending ``requested`` headers."""
    return await client.options(
        "/graphql",
        headers={
            "Origin": "https://www.hannut.be",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": requested,
        },
    )


async def test_cors_preflight_allows_trace_context_headers(client: Any) -> None:
    """A front-end instrumented with OpenTelemetry sends traceparent and tracestate; the
    preflight must allow them (it refused traceparent before BOCAGE_CORS_ALLOW_HEADERS)."""
    response = await preflight(client, TRACE_HEADERS)
    assert response.status_code == 200, response.text
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"traceparent", "tracestate", "authorization", "content-type"} <= allowed


@pytest.mark.parametrize(
    ("setting", "requested", "status"),
    [
        ("Authorization,Content-Type,baggage", "content-type, baggage", 200),
        ("Authorization,Content-Type,baggage", "content-type, traceparent", 400),
        ("Authorization,Content-Type", "content-type, authorization", 200),
        ("Authorization,Content-Type", TRACE_HEADERS, 400),
    ],
)
async def test_cors_allowed_headers_follow_the_setting(
    demo_database_url: str, setting: str, requested: str, status: int
) -> None:
    app = create_app(settings_for(demo_database_url, cors_allow_headers=setting))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client:
        response = await preflight(client, requested)
    assert response.status_code == status, response.text


def test_cors_allowed_headers_setting_is_comma_separated() -> None:
    settings = settings_for("sqlite+aiosqlite:///:memory:", cors_allow_headers=" a, b ,c")
    assert settings.cors_allow_headers == ["a", "b", "c"]
    default = settings_for("sqlite+aiosqlite:///:memory:").cors_allow_headers
    assert {"traceparent", "tracestate", "Authorization"} <= set(default)


async def test_graphiql_in_a_browser(client: Any) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphql_over_get_for_cacheable_queries(client: Any) -> None:
    response = await client.get("/graphql", params={"query": "{ plugins { name } }"})
    assert response.status_code == 200
    assert response.json()["data"]["plugins"][0]["name"] == "core"


async def test_syntax_errors_are_readable(gql: Any) -> None:
    body = await gql("{ projects(first: ) }")
    assert "Syntax Error" in body["errors"][0]["message"]
    body = await gql("{ projectz { totalCount } }")
    assert "Cannot query field 'projectz'" in body["errors"][0]["message"]


async def test_openapi_is_served(client: Any) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert {"/healthz", "/readyz", "/graphql"} <= set(document["paths"])
