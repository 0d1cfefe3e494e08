"""Records filtered by place, on an uploaded dataset that declares its coordinates: a box and a
distance from a point, checked against the great-circle distance; and what an uploaded
dataset's types (booleans, accented texts, empty cells) do to the other operators."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bocage.core.api import Principal, PrincipalKind, Role
from bocage.core.testing import settings_for

from .conftest import As, serve
from .test_records import walk

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
RECORDS = "/api/opendata/datasets/lieux/records"
SCHEMA = {
    "fields": [
        {"name": "nom", "type": "string"},
        {"name": "ouvert", "type": "boolean"},
        {"name": "places", "type": "integer"},
        {"name": "lon", "type": "number"},
        {"name": "lat", "type": "number"},
    ]
}
METADATA = {
    "title": {"fr": "Lieux publics"},
    "description": {"fr": "Des lieux publics autour de Hannut."},
    "theme": "REGI",
    "coordinates": {"longitude": "lon", "latitude": "lat"},
    "schema": SCHEMA,
}
NAMES = ("École", "Église", "Crèche", "Bibliothèque", "Salle des fêtes", "Gare")
HANNUT = (5.0789, 50.6712)


def _places() -> list[dict[str, Any]]:
    places = []
    for i in range(80):
        lon = round(4.95 + (i % 10) * 0.029, 5)
        lat = round(50.58 + (i // 10) * 0.023, 5)
        places.append(
            {
                "nom": f"{NAMES[i % len(NAMES)]} {i}",
                "ouvert": i % 3 != 0,
                "places": None if i % 7 == 0 else i * 3,
                "lon": None if i == 5 else lon,
                "lat": None if i == 5 else lat,
            }
        )
    return places


def _csv(places: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f["name"] for f in SCHEMA["fields"]])
    for place in places:
        writer.writerow(
            [
                ""
                if place[f["name"]] is None
                else str(place[f["name"]]).lower()
                if isinstance(place[f["name"]], bool)
                else place[f["name"]]
                for f in SCHEMA["fields"]
            ]
        )
    return out.getvalue().encode()


@pytest.fixture(scope="module")
async def lieux_url(databases: Any, small_demo_url: str) -> str:
    """A copy of the small demo GAL with the dataset `lieux` published."""
    url = str(await databases.clone(small_demo_url))
    async with serve(settings_for(url)) as client:
        client.app.state.authenticator = As(ADMIN)  # type: ignore[attr-defined]
        path = "/api/opendata/uploads/lieux"
        assert (await client.put(path, json=METADATA)).status_code == 201
        stored = await client.post(
            f"{path}/versions", content=_csv(_places()), headers={"Content-Type": "text/csv"}
        )
        assert stored.status_code == 201, stored.text
        assert (await client.post(f"{path}/publish")).status_code == 200
    return url


@pytest.fixture
async def client(lieux_url: str, make_settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(lieux_url)) as client:
        yield client


def _metres(lon: float, lat: float, lon0: float, lat0: float) -> float:
    """Great-circle distance (haversine), metres."""
    phi, phi0 = math.radians(lat), math.radians(lat0)
    a = (
        math.sin((phi - phi0) / 2) ** 2
        + math.cos(phi) * math.cos(phi0) * math.sin(math.radians(lon - lon0) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def _numbers(found: list[dict[str, Any]]) -> list[int]:
    return sorted(int(r["nom"].rsplit(" ", 1)[1]) for r in found)


async def test_a_bounding_box(client: httpx.AsyncClient) -> None:
    west, south, east, north = 5.0, 50.6, 5.1, 50.7
    found = await walk(client, "lieux", limit=7, bbox=f"{west},{south},{east},{north}")
    expected = [
        i
        for i, p in enumerate(_places())
        if p["lon"] is not None and west <= p["lon"] <= east and south <= p["lat"] <= north
    ]
    assert expected and len(expected) < 79
    assert _numbers(found) == expected


@pytest.mark.parametrize("metres", [900, 3000, 12000, 40000])
async def test_a_distance_from_a_point(client: httpx.AsyncClient, metres: int) -> None:
    lon0, lat0 = HANNUT
    distances = {
        i: _metres(p["lon"], p["lat"], lon0, lat0)
        for i, p in enumerate(_places())
        if p["lon"] is not None
    }
    assert all(abs(d - metres) > 2 for d in distances.values()), "no point on the edge"
    expected = sorted(i for i, d in distances.items() if d <= metres)
    assert 0 < len(expected) or metres < 1000
    found = await walk(client, "lieux", limit=9, near=f"{lon0},{lat0},{metres}")
    assert _numbers(found) == expected


async def test_place_text_search_and_groups_together(client: httpx.AsyncClient) -> None:
    lon0, lat0 = HANNUT
    params = {"near": f"{lon0},{lat0},15000", "q": "ecole", "ouvert": "false"}
    found = await walk(client, "lieux", limit=2, **params)
    expected = [
        i
        for i, p in enumerate(_places())
        if p["lon"] is not None
        and _metres(p["lon"], p["lat"], lon0, lat0) <= 15000
        and p["nom"].startswith("École")
        and not p["ouvert"]
    ]
    assert expected and _numbers(found) == expected
    groups = (
        await client.get(
            RECORDS,
            params={"group_by": "ouvert", "aggregate": "sum:places,max:places", "order": "-ouvert"},
        )
    ).json()["items"]
    places = _places()
    assert [g["ouvert"] for g in groups] == [True, False]
    for group in groups:
        rows = [p for p in places if p["ouvert"] is group["ouvert"]]
        assert group["count"] == len(rows)
        assert group["sum:places"] == sum(p["places"] or 0 for p in rows)
        assert group["max:places"] == max(p["places"] or 0 for p in rows)


async def test_empty_cells_are_nulls(client: httpx.AsyncClient) -> None:
    missing = await walk(client, "lieux", lon__isnull="true")
    assert _numbers(missing) == [5]
    no_seats = await walk(client, "lieux", places__isnull="true", fields="nom")
    assert _numbers(no_seats) == [i for i, p in enumerate(_places()) if p["places"] is None]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"bbox": "5.1,50.6,5.0,50.7"}, "bbox: west,south,east,north"),
        ({"bbox": "5,50,6"}, "bbox: west,south,east,north"),
        ({"bbox": "a,b,c,d"}, "bbox: west,south,east,north"),
        ({"bbox": "nan,50,6,51"}, "bbox: west,south,east,north"),
        ({"bbox": "-200,50,6,51"}, "within -180..180"),
        ({"near": "5,50"}, "near: longitude,latitude,metres"),
        ({"near": "5,95,100"}, "near: longitude,latitude,metres"),
        ({"near": "5,50,-1"}, "near: longitude,latitude,metres"),
        ({"near": "5,50,inf"}, "near: longitude,latitude,metres"),
        ({"aggregate": "min:ouvert"}, "aggregate: min does not apply to the boolean 'ouvert'"),
        ({"aggregate": "avg:nom"}, "aggregate: avg applies to number fields"),
        ({"ouvert__contains": "tru"}, "text fields only"),
    ],
)
async def test_place_mistakes_are_named(
    client: httpx.AsyncClient, params: dict[str, str], fragment: str
) -> None:
    response = await client.get(RECORDS, params=params)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]["message"]


async def test_no_place_filter_without_coordinates(client: httpx.AsyncClient) -> None:
    for params in ({"bbox": "5,50,6,51"}, {"near": "5,50,100"}):
        response = await client.get(
            "/api/opendata/datasets/indicator-values/records", params=params
        )
        assert response.status_code == 400
        assert "has no coordinates" in response.json()["error"]["message"]


async def test_the_distance_is_bounded_by_a_setting(
    lieux_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lon0, lat0 = HANNUT
    async with serve(settings_for(lieux_url)) as client:
        default = await client.get(RECORDS, params={"near": f"{lon0},{lat0},100000"})
        assert default.status_code == 200
        too_far = await client.get(RECORDS, params={"near": f"{lon0},{lat0},100000.5"})
        assert too_far.status_code == 400
    monkeypatch.setenv("BOCAGE_OPENDATA_MAX_DISTANCE_METRES", "2000")
    async with serve(settings_for(lieux_url)) as client:
        under = await client.get(RECORDS, params={"near": f"{lon0},{lat0},2000"})
        assert under.status_code == 200, under.text
        over = await client.get(RECORDS, params={"near": f"{lon0},{lat0},2001"})
    assert over.status_code == 400
    error = over.json()["error"]
    assert error["message"].startswith("near: at most 2000 metres")
    assert error["setting"] == "BOCAGE_OPENDATA_MAX_DISTANCE_METRES" and error["limit"] == 2000
