"""No N+1: the statements a nested query costs do not grow with the page size."""

from __future__ import annotations

from typing import Any

NESTED = """query($first: Int!) { projects(first: $first) { edges { node {
  id title status communes { name } stakeholders { role stakeholder { name } }
  indicators { name values { value } } pstActions { code } } } } }"""

COMMUNE_PAGES = """query($first: Int!) { communes(first: 8) { edges { node { name
  projects(first: $first) { totalCount edges { node { title communes { nisCode }
    stakeholders { stakeholder { name communes { nisCode } } } } } } } } } }"""


async def _count(gql: Any, count_statements: Any, query: str, first: int) -> tuple[int, Any]:
    with count_statements() as counter:
        body = await gql(query, {"first": first})
    assert "errors" not in body, body
    return counter.count, body


async def test_project_page_costs_the_same_for_5_and_50_projects(
    gql: Any, count_statements: Any
) -> None:
    small, _ = await _count(gql, count_statements, NESTED, 5)
    large, body = await _count(gql, count_statements, NESTED, 50)
    nodes = [e["node"] for e in body["data"]["projects"]["edges"]]
    assert len(nodes) == 50
    assert any(n["stakeholders"] for n in nodes) and any(n["indicators"] for n in nodes)
    # page, communes, stakeholders, indicators, indicator values, PST actions
    assert large == small <= 6, f"{small} statements for 5 projects, {large} for 50"


async def test_nested_connections_are_batched_across_parents(
    gql: Any, count_statements: Any
) -> None:
    small, _ = await _count(gql, count_statements, COMMUNE_PAGES, 1)
    large, body = await _count(gql, count_statements, COMMUNE_PAGES, 10)
    pages = [e["node"]["projects"] for e in body["data"]["communes"]["edges"]]
    assert sum(len(p["edges"]) for p in pages) > 8
    assert large == small <= 7, f"{small} statements with 1 project per commune, {large} with 10"
