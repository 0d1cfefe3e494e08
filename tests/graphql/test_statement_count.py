"""No N+1: the statements a nested query costs do not grow with the page size. The read
compiler answers each root field with one statement; the resolver path batches every
relation (a statement per relation and level, whatever the page size)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bocage.core.app import create_app
from bocage.core.settings import Settings

NESTED = """query($first: Int!) { projects(first: $first) { edges { node {
  id title status communes { name } stakeholders { role stakeholder { name } }
  indicators { name values { value } } pstActions { code } } } } }"""

COMMUNE_PAGES = """query($first: Int!) { communes(first: 8) { edges { node { name
  projects(first: $first) { totalCount edges { node { title communes { nisCode }
    stakeholders { stakeholder { name communes { nisCode } } } } } } } } } }"""

TWO_ROOTS = """query($first: Int!) { projects(first: $first) { totalCount edges { node { title } } }
  communes(first: 8) { edges { node { name territory { slug } } } } }"""

Run = Callable[[str, int], Any]


@pytest.fixture(params=["compiled", "resolvers"])
async def run(
    request: pytest.FixtureRequest, demo_database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[str, Run]]:
    """``(path, run)``: ``run(query, first)`` answers ``(statements, body)`` on that path."""
    compiled = request.param == "compiled"
    settings = make_settings(
        demo_database_url, graphql_compile=compiled, graphql_compile_check=False
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            engine = app.state.engine.sync_engine

            async def execute(query: str, first: int) -> tuple[int, Any]:
                statements: list[str] = []

                def count(*args: Any) -> None:
                    statements.append(args[2])

                event.listen(engine, "before_cursor_execute", count)
                try:
                    response = await c.post(
                        "/graphql", json={"query": query, "variables": {"first": first}}
                    )
                finally:
                    event.remove(engine, "before_cursor_execute", count)
                body = response.json()
                assert "errors" not in body, body
                return len(statements), body

            yield request.param, execute


async def test_project_page_costs_the_same_for_5_and_50_projects(
    run: tuple[str, Run],
) -> None:
    path, execute = run
    small, _ = await execute(NESTED, 5)
    large, body = await execute(NESTED, 50)
    nodes = [e["node"] for e in body["data"]["projects"]["edges"]]
    assert len(nodes) == 50
    assert any(n["stakeholders"] for n in nodes) and any(n["indicators"] for n in nodes)
    # Resolvers: page, communes, stakeholders, indicators, indicator values, PST actions.
    assert large == small <= (1 if path == "compiled" else 6), f"{small} for 5, {large} for 50"


async def test_nested_connections_are_batched_across_parents(run: tuple[str, Run]) -> None:
    path, execute = run
    small, _ = await execute(COMMUNE_PAGES, 1)
    large, body = await execute(COMMUNE_PAGES, 10)
    pages = [e["node"]["projects"] for e in body["data"]["communes"]["edges"]]
    assert sum(len(p["edges"]) for p in pages) > 8
    bound = 1 if path == "compiled" else 7
    assert large == small <= bound, f"{small} with 1 project per commune, {large} with 10"


async def test_one_statement_per_compiled_root_field(run: tuple[str, Run]) -> None:
    path, execute = run
    count, body = await execute(TWO_ROOTS, 50)
    assert len(body["data"]["projects"]["edges"]) == 50
    if path == "compiled":
        assert count == 2
