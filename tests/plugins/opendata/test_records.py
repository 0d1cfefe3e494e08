"""The records API: filters, field selection, ordering, cursors and counts."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import pytest

from bocage.core.models import Stakeholder, StakeholderKind

from .conftest import serve

RECORDS = "/api/opendata/datasets/{}/records"


async def walk(client: httpx.AsyncClient, dataset: str, **params: Any) -> list[dict[str, Any]]:
    """Every record, following ``next`` cursors."""
    records: list[dict[str, Any]] = []
    response = await client.get(RECORDS.format(dataset), params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["items"]
        if body["next"] is None:
            return records
        response = await client.get(body["next"])


@pytest.fixture
async def projects(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/opendata/datasets/projects/export.json")
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()
    assert len(rows) > 20
    return rows


CASES = [
    ({"status": "planned"}, lambda r: r["status"] == "planned"),
    ({"status__ne": "done"}, lambda r: r["status"] != "done"),
    ({"status__in": "planned,done"}, lambda r: r["status"] in ("planned", "done")),
    (
        {"budget__gte": "10000", "budget__lt": "60000"},
        lambda r: r["budget"] is not None and 10000 <= r["budget"] < 60000,
    ),
    (
        {"start_date__gte": "2026-01-01", "start_date__lte": "2026-12-31"},
        lambda r: r["start_date"] is not None and "2026-01-01" <= r["start_date"] <= "2026-12-31",
    ),
    ({"title_fr__contains": "FERNELMONT"}, lambda r: "fernelmont" in (r["title_fr"] or "").lower()),
    (
        {"focus": "digital", "status__in": "idea,planned"},
        lambda r: r["focus"] == "digital" and r["status"] in ("idea", "planned"),
    ),
]


@pytest.mark.parametrize(
    ("params", "keep"), CASES, ids=lambda v: str(v) if isinstance(v, dict) else ""
)
async def test_filters(
    client: httpx.AsyncClient, projects: list[dict[str, Any]], params: dict[str, str], keep: Any
) -> None:
    expected = [r["id"] for r in projects if keep(r)]
    assert expected, "the demo data should match every case"
    found = await walk(client, "projects", limit=7, **params)
    assert [r["id"] for r in found] == expected
    counted = await client.get(RECORDS.format("projects"), params={**params, "count": "true"})
    assert counted.json()["count"] == len(expected)


async def test_field_selection(client: httpx.AsyncClient) -> None:
    body = (
        await client.get(RECORDS.format("communes"), params={"fields": "nis_code,name_fr"})
    ).json()
    assert body["items"] and all(set(r) == {"nis_code", "name_fr"} for r in body["items"])
    assert {"nis_code": "64034", "name_fr": "Hannut"} in body["items"]


@pytest.mark.parametrize("order", ["-budget", "budget", "start_date", "-title_fr", "-id"])
async def test_ordering_walks_every_row_once(
    client: httpx.AsyncClient, projects: list[dict[str, Any]], order: str
) -> None:
    field = order.lstrip("-")
    found = await walk(client, "projects", limit=6, order=order)
    assert sorted(r["id"] for r in found) == sorted(r["id"] for r in projects)
    values = [r[field] for r in found]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), "nulls come last"
    assert present == sorted(present, reverse=order.startswith("-"))


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"colour": "red"}, "no field 'colour'"),
        ({"budget__gte": "lots"}, "budget: 'lots' is not a valid number"),
        ({"budget__near": "1"}, "unknown operator"),
        ({"budget__contains": "1"}, "text fields only"),
        ({"fields": "id,secret"}, "fields: unknown secret"),
        ({"order": "-secret"}, "order: no field 'secret'"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"start_date": "yesterday"}, "not a valid date"),
    ],
)
async def test_mistakes_are_named(
    client: httpx.AsyncClient, params: dict[str, str], fragment: str
) -> None:
    response = await client.get(RECORDS.format("projects"), params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_query"
    assert fragment in response.json()["error"]["message"]


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("dataset", "params", "fragment"),
    [
        # values the column cannot hold: refused, not sent to the database (a 500 on
        # PostgreSQL, some on SQLite too)
        ("projects", {"status": "zzz"}, "status: 'zzz' is not one of idea, planned"),
        ("projects", {"status__in": "idea,zzz"}, "status: 'zzz' is not one of"),
        ("projects", {"status__gt": "zzz"}, "status: 'zzz' is not one of"),
        ("projects", {"id": "2147483648"}, "id: 2147483648 is out of range"),
        ("projects", {"id": "-9223372036854775809"}, "out of range"),
        ("projects", {"id__in": "1,99999999999999999999"}, "out of range"),
        ("communes", {"population__gt": "99999999999999999999"}, "out of range"),
        ("projects", {"budget": "1000000000000"}, "budget: 1000000000000 is out of range"),
        ("projects", {"budget__gt": "1e400"}, "out of range"),
        ("projects", {"budget": "Infinity"}, "budget: 'Infinity' is not a finite number"),
        ("projects", {"budget": "NaN"}, "not a finite number"),
        ("indicator-values", {"value": "1e999"}, "value: 1E+999 is out of range"),
        ("projects", {"updated_at__gt": "0001-01-01T00:00:00+14:00"}, "out of range"),
        ("projects", {"updated_at__lt": "9999-12-31T23:59:59-14:00"}, "out of range"),
        # cursors are the API's own, but a client can send anything
        ("projects", {"cursor": _cursor([99999999999999999999])}, "cursor: not a cursor"),
        ("projects", {"cursor": _cursor([None])}, "cursor: not a cursor"),
        ("projects", {"cursor": _cursor([{}])}, "cursor: not a cursor"),
        ("projects", {"cursor": _cursor([[]])}, "cursor: not a cursor"),
        ("projects", {"order": "status", "cursor": _cursor(["zzz", 1])}, "cursor: not a"),
        ("projects", {"order": "budget", "cursor": _cursor([True, 1])}, "cursor: not a"),
    ],
)
async def test_values_out_of_a_fields_range_are_named(
    client: httpx.AsyncClient, dataset: str, params: dict[str, str], fragment: str
) -> None:
    for path in (RECORDS.format(dataset), f"/api/opendata/datasets/{dataset}/export.csv"):
        if "cursor" in params and "export" in path:
            continue  # exports take no cursor
        response = await client.get(path, params=params)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "bad_query"
        assert fragment in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"id": "2147483647"},
        {"id__lt": "-2147483648"},
        {"budget": "999999999999.99"},
        {"budget__gt": "-999999999999.99"},
        {"status__in": "idea,abandoned"},
        {"updated_at__gt": "0001-01-01T00:00:00+00:00"},
        {"updated_at__lt": "9999-12-31T23:59:59+00:00"},
    ],
)
async def test_values_at_the_edge_of_a_fields_range_are_accepted(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(RECORDS.format("projects"), params=params)
    assert response.status_code == 200, response.text


async def test_unknown_dataset(client: httpx.AsyncClient) -> None:
    response = await client.get(RECORDS.format("nope"))
    assert response.status_code == 404
    assert "projects" in response.json()["error"]["message"]


async def test_cursor_pagination_while_rows_are_inserted(
    writable_url: str, make_settings: Any
) -> None:
    """Every row present at the start comes exactly once, whatever is added meanwhile."""
    async with serve(make_settings(writable_url)) as client:
        before = await walk(client, "stakeholders", limit=1000, fields="id")
        sessionmaker = client.app.state.sessionmaker  # type: ignore[attr-defined]
        seen: list[int] = []
        response = await client.get(RECORDS.format("stakeholders"), params={"limit": 5})
        added = 0
        while True:
            body = response.json()
            seen += [r["id"] for r in body["items"]]
            async with sessionmaker() as session:
                session.add(
                    Stakeholder(
                        kind=StakeholderKind.ASSOCIATION,
                        name=f"Association ajoutée {added} {dt.datetime.now(dt.UTC)}",
                    )
                )
                await session.commit()
            added += 1
            if body["next"] is None or added > 200:
                break
            response = await client.get(body["next"])
        assert len(seen) == len(set(seen)), "no row twice"
        assert {r["id"] for r in before} <= set(seen), "no row missed"


# -- browsers of other origins (CORS) ---------------------------------------------------------

PORTAL = "https://portail.hannut.be"


async def test_a_browser_of_another_origin_may_revalidate_and_page(
    client: httpx.AsyncClient,
) -> None:
    """A portal's script sends If-None-Match (preflighted) and reads ETag, Last-Modified, Link
    and a download's Content-Disposition."""
    path = RECORDS.format("projects")
    preflight = await client.options(
        path,
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match, if-modified-since",
        },
    )
    assert preflight.status_code == 200, preflight.text
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "if-none-match" in allowed and "if-modified-since" in allowed

    page = await client.get(path, params={"limit": 2}, headers={"Origin": PORTAL})
    assert page.status_code == 200
    assert page.headers["access-control-allow-origin"] in ("*", PORTAL)
    exposed = {h.strip().lower() for h in page.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "last-modified", "link", "content-disposition"} <= exposed
    assert page.headers["link"] == f'<{page.json()["next"]}>; rel="next"'
    assert page.headers["etag"] and page.headers["last-modified"]
    again = await client.get(
        path,
        params={"limit": 2},
        headers={"Origin": PORTAL, "If-None-Match": page.headers["etag"]},
    )
    assert again.status_code == 304
    assert "etag" in again.headers["access-control-expose-headers"].lower()

    export = await client.get(
        "/api/opendata/datasets/communes/export.csv", headers={"Origin": PORTAL}
    )
    assert export.status_code == 200
    assert "content-disposition" in export.headers["access-control-expose-headers"].lower()
    assert export.headers["content-disposition"].startswith("attachment;")
