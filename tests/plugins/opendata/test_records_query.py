"""The records API as a query language: accent-insensitive text, full-text search, OR groups,
nulls, several sort keys, groups with aggregates and facets; each answer checked against the
whole dataset filtered in Python, each paged by cursor."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .test_records import RECORDS, walk


def folded(text: str | None) -> str:
    """Lower-case, without accents: the test's own reading of "accent-insensitive"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")


@pytest.fixture
async def projects(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/opendata/datasets/projects/export.json")
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()
    assert len(rows) > 20
    return rows


TEXT = ("title_fr", "title_nl", "title_de", "title_en", "status", "focus", "communes")
TEXT += ("pst_actions",)


def _found(row: dict[str, Any], word: str) -> bool:
    return any(folded(word) in folded(row[name]) for name in TEXT)


CASES: list[tuple[dict[str, str], Callable[[dict[str, Any]], bool]]] = [
    ({"title_fr__contains": "ecole"}, lambda r: "ecole" in folded(r["title_fr"])),
    ({"title_fr__contains": "ÉCOLE"}, lambda r: "ecole" in folded(r["title_fr"])),
    (
        {"title_fr__startswith": "RESERVATION"},
        lambda r: folded(r["title_fr"]).startswith("reservation"),
    ),
    ({"title_fr__endswith": "ANDENNE"}, lambda r: folded(r["title_fr"]).endswith("andenne")),
    ({"status__iexact": "DONE"}, lambda r: r["status"] == "done"),
    ({"budget__isnull": "true"}, lambda r: r["budget"] is None),
    ({"budget__isnull": "false"}, lambda r: r["budget"] is not None),
    ({"q": "ecole"}, lambda r: _found(r, "école")),
    ({"q": "Ecole numerique"}, lambda r: _found(r, "école") and _found(r, "numérique")),
    ({"q": '"de la"'}, lambda r: _found(r, "de la")),
    (
        {"or.a.status": "done", "or.a.budget__gt": "50000"},
        lambda r: r["status"] == "done" or (r["budget"] or 0) > 50000,
    ),
    (
        {"or.a.status": "done", "or.a.budget__gt": "50000", "or.b.focus": "digital"},
        lambda r: (r["status"] == "done" or (r["budget"] or 0) > 50000) and r["focus"] == "digital",
    ),
    (
        {"or.end_date__isnull": "true", "or.budget__lt": "20000", "focus": "digital"},
        lambda r: (
            (r["end_date"] is None or (r["budget"] is not None and r["budget"] < 20000))
            and r["focus"] == "digital"
        ),
    ),
    (
        {"q": "smart", "status__in": "planned,in_progress"},
        lambda r: _found(r, "smart") and r["status"] in ("planned", "in_progress"),
    ),
]


@pytest.mark.parametrize(
    ("params", "keep"), CASES, ids=lambda v: str(v) if isinstance(v, dict) else ""
)
async def test_filters_and_search(
    client: httpx.AsyncClient, projects: list[dict[str, Any]], params: dict[str, str], keep: Any
) -> None:
    expected = [r["id"] for r in projects if keep(r)]
    assert expected, "the demo data should match every case"
    assert len(expected) < len(projects), "and leave some rows out"
    found = await walk(client, "projects", limit=4, **params)
    assert [r["id"] for r in found] == expected
    counted = await client.get(RECORDS.format("projects"), params={**params, "count": "true"})
    assert counted.json()["count"] == len(expected)


async def test_accents_in_the_data_and_the_query_are_both_ignored(
    client: httpx.AsyncClient,
) -> None:
    """The issue's case: `ecole` found nothing while `école` found 9."""
    plain = await walk(client, "projects", title_fr__contains="ecole")
    accented = await walk(client, "projects", title_fr__contains="école")
    assert plain and plain == accented
    assert all("école" in r["title_fr"].lower() for r in plain)


def _sort_key(order: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Python's reading of `order`: nulls last either way, ties by id."""

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for item in [*order, "id"]:
            name = item.lstrip("-")
            value = row[name]
            parts.append(value is None)
            if value is None:
                parts.append(0)
            elif item.startswith("-"):
                parts.append(_Reversed(value))
            else:
                parts.append(value)
        return tuple(parts)

    return key


class _Reversed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


@pytest.mark.parametrize(
    "order",
    [
        ["status", "-budget"],
        ["-focus", "end_date", "-title_fr"],
        ["-end_date", "status"],
        ["focus", "-id"],
    ],
)
async def test_several_sort_keys_walk_every_row_once_in_order(
    client: httpx.AsyncClient, projects: list[dict[str, Any]], order: list[str]
) -> None:
    found = await walk(client, "projects", limit=3, order=",".join(order))
    expected = sorted(projects, key=_sort_key(order))
    assert [r["id"] for r in found] == [r["id"] for r in expected]


async def test_groups_with_aggregates(
    client: httpx.AsyncClient, projects: list[dict[str, Any]]
) -> None:
    params = {
        "group_by": "status",
        "aggregate": "sum:budget,avg:budget,min:start_date,max:end_date,count",
        "count": "true",
    }
    groups = await walk(client, "projects", limit=2, **params)
    statuses = sorted({r["status"] for r in projects})
    assert [g["status"] for g in groups] == statuses
    for group in groups:
        rows = [r for r in projects if r["status"] == group["status"]]
        budgets = [Decimal(str(r["budget"])) for r in rows if r["budget"] is not None]
        starts = [r["start_date"] for r in rows if r["start_date"] is not None]
        ends = [r["end_date"] for r in rows if r["end_date"] is not None]
        assert group["count"] == len(rows)
        assert group["sum:budget"] == (pytest.approx(float(sum(budgets))) if budgets else None)
        if budgets:
            assert group["avg:budget"] == pytest.approx(float(sum(budgets) / len(budgets)))
        assert group["min:start_date"] == (min(starts) if starts else None)
        assert group["max:end_date"] == (max(ends) if ends else None)
    first = await client.get(RECORDS.format("projects"), params={**params, "limit": 1})
    assert first.json()["count"] == len(statuses)


@pytest.mark.parametrize(
    "order", ["-count", "-avg:budget,status", "max:end_date", "-focus", "-max:updated_at"]
)
async def test_groups_page_by_cursor_in_any_order(
    client: httpx.AsyncClient, projects: list[dict[str, Any]], order: str
) -> None:
    aggregates = "avg:budget,max:end_date,max:updated_at,sum:id"
    params = {"group_by": "focus,status", "aggregate": aggregates, "order": order}
    everything = (await client.get(RECORDS.format("projects"), params=params)).json()["items"]
    paged = await walk(client, "projects", limit=2, **params)
    assert paged == everything
    pairs = [(g["focus"], g["status"]) for g in paged]
    assert sorted(pairs) == sorted({(r["focus"], r["status"]) for r in projects})
    name = order.split(",")[0].lstrip("-")
    values = [g[name] for g in paged if g[name] is not None]
    assert values == sorted(values, reverse=order.startswith("-"))
    assert [g[name] for g in paged if g[name] is None] == [g[name] for g in paged][len(values) :]


async def test_aggregates_without_groups_are_totals(
    client: httpx.AsyncClient, projects: list[dict[str, Any]]
) -> None:
    response = await client.get(
        RECORDS.format("projects"),
        params={"aggregate": "sum:budget,min:id,max:id", "focus": "digital"},
    )
    assert response.status_code == 200, response.text
    digital = [r for r in projects if r["focus"] == "digital"]
    (total,) = response.json()["items"]
    assert total["count"] == len(digital)
    assert total["min:id"] == min(r["id"] for r in digital)
    assert total["sum:budget"] == pytest.approx(sum(r["budget"] or 0 for r in digital))
    assert response.json()["next"] is None


async def test_facets_count_values_among_the_matching_records(
    client: httpx.AsyncClient, projects: list[dict[str, Any]]
) -> None:
    params = {"facet": "status", "focus": "digital", "limit": 1}
    body = (
        await client.get(RECORDS.format("projects"), params={**params, "facet": "status,focus"})
    ).json()
    digital = [r for r in projects if r["focus"] == "digital"]
    statuses = Counter(r["status"] for r in digital)
    expected = sorted(statuses.items(), key=lambda item: (-item[1], item[0]))
    assert body["facets"]["status"] == {
        "values": [{"value": v, "count": n} for v, n in expected],
        "more": False,
    }
    assert body["facets"]["focus"]["values"] == [{"value": "digital", "count": len(digital)}]
    assert len(body["items"]) == 1, "facets do not change the page"
    small = (
        await client.get(RECORDS.format("projects"), params={"facet": "id", "facet_size": "3"})
    ).json()["facets"]["id"]
    assert len(small["values"]) == 3 and small["more"] is True
    assert all(item["count"] == 1 for item in small["values"])


async def test_facets_count_nulls_as_a_value(
    client: httpx.AsyncClient, projects: list[dict[str, Any]]
) -> None:
    body = (
        await client.get(
            RECORDS.format("projects"), params={"facet": "end_date", "facet_size": "100"}
        )
    ).json()["facets"]["end_date"]
    counts = {item["value"]: item["count"] for item in body["values"]}
    assert counts.get(None) == sum(1 for r in projects if r["end_date"] is None)


async def test_the_openapi_document_describes_every_parameter_and_the_answers(
    client: httpx.AsyncClient,
) -> None:
    from jsonschema import Draft202012Validator

    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/api/opendata/datasets/{identifier}/records"]["get"]
    described = {p["name"]: p for p in operation["parameters"]}
    for name in ("q", "order", "fields", "group_by", "aggregate", "facet", "facet_size"):
        assert described[name]["description"], name
    for name in ("bbox", "near", "limit", "cursor", "count"):
        assert described[name]["description"], name
    assert "or.<group>." in described["filters"]["description"]
    assert "__isnull" in described["filters"]["description"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(schema)
    for params in (
        {"facet": "status,focus", "limit": "2"},
        {"group_by": "status", "aggregate": "avg:budget", "facet": "focus", "count": "true"},
    ):
        body = (await client.get(RECORDS.format("projects"), params=params)).json()
        validator.validate(body)
        assert body["facets"]


async def test_both_engines_fold_every_letter_alike(app: Any) -> None:
    """PostgreSQL's unaccent and the SQLite function (the plugin's table) give each letter of
    Latin-1 and Latin Extended-A, and decomposed accents, the same folded text as the query
    values get in Python."""
    from sqlalchemy import literal, select

    from bocage.plugins.opendata.folding import DOUBLE, SINGLE, fold, fold_text, prepare

    letters = [*SINGLE, *DOUBLE, "e\u0301", "ÉCOLE", "Straße", "Œuvre", "Ærøskøbing", "Łódź"]
    async with app.state.sessionmaker() as session:
        await prepare(session)
        statement = select(*(fold(literal(text)) for text in letters))
        folded_by_database = list((await session.execute(statement)).one())
    assert folded_by_database == [fold_text(text) for text in letters]
    assert fold_text("Ærøskøbing Łódź ÉCOLE Straße") == "aeroskobing lodz ecole strasse"
