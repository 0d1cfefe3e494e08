"""The projects dataset carries the SDG targets beside the goals: the same codes as GraphQL's
``sdgTargetCodes``, in the official order, in the exports, the records API and the schema."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from bocage.core.domain import sdgs

QUERY = """query($after: String) { projects(first: 100, after: $after) {
  nodes { id sdgs sdgTargetCodes } pageInfo { endCursor hasNextPage } } }"""


async def _graphql(client: httpx.AsyncClient) -> dict[int, tuple[list[int], list[str]]]:
    import base64

    found: dict[int, tuple[list[int], list[str]]] = {}
    after = None
    while True:
        body = (
            await client.post("/graphql", json={"query": QUERY, "variables": {"after": after}})
        ).json()
        page = body["data"]["projects"]
        for node in page["nodes"]:
            key = int(base64.b64decode(node["id"]).decode().rsplit(":", 1)[1])
            found[key] = (node["sdgs"], node["sdgTargetCodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def _codes(text: str | None) -> list[str]:
    return text.split(",") if text else []


async def test_the_projects_dataset_carries_the_targets(client: httpx.AsyncClient) -> None:
    expected = await _graphql(client)
    assert any(len(targets) > 1 for _, targets in expected.values())
    rows = (
        await client.get(
            "/api/opendata/datasets/projects/export.json", params={"fields": "id,sdgs,sdg_targets"}
        )
    ).json()
    exported = {
        r["id"]: ([int(g) for g in _codes(r["sdgs"])], _codes(r["sdg_targets"])) for r in rows
    }
    assert exported == expected
    for goals, targets in exported.values():
        assert targets == sdgs.project_targets(targets)
        assert {int(code.split(".")[0]) for code in targets} <= set(goals)

    text = (
        await client.get(
            "/api/opendata/datasets/projects/export.csv", params={"fields": "id,sdg_targets"}
        )
    ).content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")
    from_csv = {
        int(r["id"]): _codes(r["sdg_targets"])
        for r in csv.DictReader(io.StringIO(text), dialect=dialect)
    }
    assert from_csv == {key: targets for key, (_, targets) in expected.items()}


async def test_records_schema_and_description(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/opendata/datasets/projects/schema.json")).json()
    field: dict[str, Any] = next(f for f in schema["fields"] if f["name"] == "sdg_targets")
    assert field["type"] == "string" and "11.3" in str(field)
    records = (
        await client.get(
            "/api/opendata/datasets/projects/records", params={"fields": "id,sdg_targets"}
        )
    ).json()
    assert records["items"] and all(set(r) == {"id", "sdg_targets"} for r in records["items"])


def test_goals_and_targets_compile_apart() -> None:
    """One construct joins both lists; its column and how it orders them are part of the
    statement cache's key, so no statement is answered with another's SQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    from bocage.core.api import Project
    from bocage.plugins.opendata.core_datasets import JoinedCodes

    goals = JoinedCodes(Project.sdgs, by_number=True)
    targets = JoinedCodes(Project.sdg_targets)
    assert goals._generate_cache_key() != JoinedCodes(Project.sdgs)._generate_cache_key()
    assert (
        goals._generate_cache_key()
        == JoinedCodes(Project.sdgs, by_number=True)._generate_cache_key()
    )
    assert targets._generate_cache_key() != JoinedCodes(Project.themes)._generate_cache_key()
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert "AS INTEGER" in str(goals.compile(dialect=dialect))
        assert "AS INTEGER" not in str(targets.compile(dialect=dialect))
