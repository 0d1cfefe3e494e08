"""The records API's bounds (each a setting: just under passes, just over is a 400 naming the
parameter, the bound and its setting) and hostile parameters: always a 400 that says what to
fix, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from .test_records import RECORDS

PROJECTS = RECORDS.format("projects")

#: (setting, value, parameters at the bound, parameters one over it, the parameter named)
BOUNDS = [
    (
        "MAX_FILTERS",
        3,
        {"status": "done", "or.a.focus": "digital", "or.a.budget__gt": "1"},
        {"status": "done", "or.a.focus": "digital", "or.a.budget__gt": "1", "or.b.id__gt": "1"},
        "or.b.id__gt",
    ),
    (
        "MAX_FILTER_VALUES",
        3,
        {"status__in": "idea,planned,done"},
        {"status__in": "idea,planned,done,abandoned"},
        "status__in",
    ),
    ("MAX_ORDER_KEYS", 2, {"order": "status,-budget"}, {"order": "status,-budget,id"}, "order"),
    ("MAX_SEARCH_CHARS", 10, {"q": "numérique!"}, {"q": "numériques!"}, "q"),
    (
        "MAX_SEARCH_CHARS",
        10,
        {"title_fr__contains": "numérique!"},
        {"title_fr__contains": "numériques!"},
        "title_fr__contains",
    ),
    ("MAX_SEARCH_TERMS", 2, {"q": 'école "de la"'}, {"q": 'école "de la" a'}, "q"),
    ("MAX_GROUP_BY", 1, {"group_by": "status"}, {"group_by": "status,focus"}, "group_by"),
    (
        "MAX_AGGREGATES",
        2,
        {"aggregate": "sum:budget,avg:budget"},
        {"aggregate": "sum:budget,avg:budget,min:budget"},
        "aggregate",
    ),
    ("MAX_FACETS", 2, {"facet": "status,focus"}, {"facet": ["status", "focus", "id"]}, "facet"),
    (
        "MAX_FACET_VALUES",
        5,
        {"facet": "id", "facet_size": "5"},
        {"facet": "id", "facet_size": "6"},
        "facet_size",
    ),
]


@pytest.mark.parametrize(
    ("setting", "value", "under", "over", "parameter"),
    BOUNDS,
    ids=[f"{b[0]}-{next(iter(b[2]))}" for b in BOUNDS],
)
async def test_each_bound_is_a_setting(
    serve_demo: Any,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: int,
    under: dict[str, Any],
    over: dict[str, Any],
    parameter: str,
) -> None:
    monkeypatch.setenv(f"BOCAGE_OPENDATA_{setting}", str(value))
    async with serve_demo() as client:
        accepted = await client.get(PROJECTS, params=under)
        assert accepted.status_code == 200, accepted.text
        refused = await client.get(PROJECTS, params=over)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "bad_query"
    assert error["message"].startswith(f"{parameter}: at most {value} ")
    assert error["limit"] == value and error["setting"] == f"BOCAGE_OPENDATA_{setting}"


async def test_the_default_bounds(client: httpx.AsyncClient) -> None:
    """The defaults, as docs/limits.md gives them."""
    cases = [
        ({"order": "status,focus,-budget"}, {"order": "status,focus,-budget,title_fr"}),
        ({"q": "é" * 200}, {"q": "é" * 201}),
        ({"q": " ".join("abcdefghij")}, {"q": " ".join("abcdefghijk")}),
        (
            {"facet": "status,focus,id,budget,end_date"},
            {"facet": "status,focus,id,budget,end_date,communes"},
        ),
        ({"facet": "id", "facet_size": "100"}, {"facet": "id", "facet_size": "101"}),
        ({"group_by": "status,focus,end_date"}, {"group_by": "status,focus,end_date,start_date"}),
        ({"status__in": ",".join(["done"] * 100)}, {"status__in": ",".join(["done"] * 101)}),
    ]
    for under, over in cases:
        assert (await client.get(PROJECTS, params=under)).status_code == 200, under
        refused = await client.get(PROJECTS, params=over)
        assert refused.status_code == 400, over
        assert "setting" in refused.json()["error"], over


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


HOSTILE = [
    ({"or.a.colour": "red"}, "or.a.colour: no field 'colour'"),
    ({"or.budget__gte": "lots"}, "budget: 'lots' is not a valid number"),
    ({"or.a.budget__near": "1"}, "unknown operator"),
    ({"or.": "1"}, "no field ''"),
    ({"budget__isnull": "maybe"}, "budget__isnull: true (no value) or false"),
    ({"budget__startswith": "1"}, "text fields only"),
    ({"order": ""}, "order: a field"),
    ({"order": "budget,-budget"}, "order: 'budget' is given twice"),
    ({"order": "-count"}, "order: no field 'count'"),
    ({"fields": ["id", "status"]}, "fields: given twice"),
    ({"limit": "1001"}, "limit: an integer from 1 to 1000"),
    ({"limit": "ten"}, "limit: an integer from 1 to 1000"),
    ({"q": "x" * 20_000}, "q: at most 200 characters"),
    ({"title_fr__contains": "x" * 20_000}, "title_fr__contains: at most 200 characters"),
    ({"q": "x " * 5000}, "q: at most 200 characters"),
    ({"group_by": "colour"}, "group_by: no field 'colour'"),
    ({"group_by": "status", "fields": "id"}, "fields: not with group_by"),
    ({"group_by": "status", "order": "-sum:budget"}, "order: no field 'sum:budget'"),
    ({"group_by": "status", "order": "budget"}, "order: no field 'budget'"),
    ({"aggregate": "median:budget"}, "aggregate: 'median:budget' is not count"),
    ({"aggregate": "sum"}, "aggregate: 'sum' is not count"),
    ({"aggregate": "count:id"}, "aggregate: 'count:id' is not count"),
    ({"aggregate": "sum:title_fr"}, "aggregate: sum applies to number fields"),
    ({"aggregate": "max:colour"}, "aggregate: no field 'colour'"),
    ({"facet": "colour"}, "facet: no field 'colour'"),
    ({"facet": "status", "facet_size": "0"}, "facet_size: an integer from 1"),
    ({"facet": "status", "facet_size": "x"}, "facet_size: an integer from 1"),
    ({"facet": "status", "facet_size": "9" * 30}, "facet_size: an integer from 1 to 100"),
    ({"facet": "status", "facet_size": "999"}, "facet_size: at most 100 values per facet"),
    # cursors of groups: the shape of the ordering, values of the keys' types
    ({"group_by": "status", "cursor": _cursor(["done", 1])}, "cursor: it belongs to another"),
    ({"group_by": "status", "cursor": _cursor(["zzz"])}, "cursor: not a cursor"),
    ({"group_by": "status", "cursor": _cursor([[1]])}, "cursor: not a cursor"),
    ({"group_by": "status", "order": "-count", "cursor": _cursor(["a", "done"])}, "cursor: not a"),
    (
        {"group_by": "status", "order": "-count", "cursor": _cursor([2**70, "done"])},
        "cursor: not a",
    ),
    (
        {"group_by": "status", "aggregate": "avg:budget", "order": "avg:budget"},
        None,
    ),
    (
        {
            "group_by": "status",
            "aggregate": "avg:budget",
            "order": "avg:budget",
            "cursor": base64.urlsafe_b64encode(b'[1e999,"done"]').decode(),
        },
        "cursor: not a",
    ),
    (
        {
            "group_by": "status",
            "aggregate": "avg:budget",
            "order": "avg:budget",
            "cursor": base64.urlsafe_b64encode(b'[NaN,"done"]').decode(),
        },
        "cursor: not a",
    ),
    ({"order": "status,-budget", "cursor": _cursor(["done", "x", 1])}, "cursor: not a"),
    ({"order": "status,-budget", "cursor": _cursor(["done", 1])}, "cursor: it belongs to"),
    ({"order": "title_fr", "cursor": _cursor(["a\x00", 1])}, "cursor: not a"),
    ({"group_by": "communes", "cursor": _cursor(["a\x00"])}, "cursor: not a"),
]


@pytest.mark.parametrize(("params", "fragment"), HOSTILE, ids=lambda v: str(v)[:60])
async def test_hostile_parameters_are_named(
    client: httpx.AsyncClient, params: dict[str, Any], fragment: str | None
) -> None:
    response = await client.get(PROJECTS, params=params)
    if fragment is None:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_query"
    assert fragment in response.json()["error"]["message"]


@pytest.mark.parametrize("name", ["group_by", "aggregate", "facet", "facet_size"])
async def test_exports_stream_rows_not_groups(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(
        "/api/opendata/datasets/projects/export.csv", params={name: "status"}
    )
    assert response.status_code == 400
    assert f"{name}: applies to records pages" in response.json()["error"]["message"]


async def test_search_takes_wildcards_literally(client: httpx.AsyncClient) -> None:
    for text in ("%", "_", "\\", '"', "%%", "_%"):
        like = await client.get(PROJECTS, params={"title_fr__contains": text, "count": "true"})
        assert like.status_code == 200
        assert like.json()["count"] == 0, text
        if "_" not in text:  # a status is in_progress
            response = await client.get(PROJECTS, params={"q": text, "count": "true"})
            assert response.json()["count"] == 0, text


async def test_exports_take_the_new_filters(client: httpx.AsyncClient) -> None:
    page = await client.get(
        PROJECTS, params={"q": "ecole", "order": "-focus,title_fr", "limit": "1000"}
    )
    export = await client.get(
        "/api/opendata/datasets/projects/export.json",
        params={"q": "ecole", "order": "-focus,title_fr"},
    )
    assert export.status_code == 200
    assert export.json() == page.json()["items"] and export.json()
