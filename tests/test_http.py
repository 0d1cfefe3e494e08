"""The HTTP surface: health, readiness, CORS, GraphiQL, JSON errors, the OpenAPI document."""

from __future__ import annotations

from typing import Any


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
