"""Places on the map (docs/places.md): projects and organisations entered as coordinates, a
GeoJSON geometry or an address in a commune; read back as GeoJSON; filtered by bounding box
and distance through each engine's spatial index; carried by the change feed."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from bocage.core import models as m
from bocage.core.api import hookimpl
from bocage.core.domain import places
from bocage.core.domain.work import UnitOfWork
from bocage.core.testing import World, runner

CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version location { geometry bbox centroid address commune { nisCode } } }
  errors { field code message } } }"""
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version location { geometry bbox } } errors { field code message } } }"""
CREATE_ORG = """mutation($input: CreateStakeholderInput!) { createStakeholder(input: $input) {
  stakeholder { id location { geometry address } } errors { field code message } } }"""
PROJECTS = """query($filter: ProjectFilter) { projects(first: 100, filter: $filter) {
  nodes { id title } } }"""
ORGS = """query($filter: StakeholderFilter) { stakeholders(first: 100, filter: $filter) {
  nodes { id name } } }"""
FEED = """query { changes(first: 100, types: ["project.created", "project.updated"]) {
  nodes { type objectId data } } }"""

# Hannut's town hall, Andenne's, and a field between them (about 21 km and 9 km away).
HANNUT = (5.0784, 50.6713)
ANDENNE = (5.0940, 50.4893)
# A polygon around Hannut's centre, about 1.4 km by 1.1 km.
HANNUT_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[5.07, 50.667], [5.09, 50.667], [5.09, 50.677], [5.07, 50.677], [5.07, 50.667]]
    ],
}


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _commune(world: World, nis: str) -> str:
    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis))
        ).scalar_one()
    return gid("Commune", key)


async def _create(run: Any, world: World, principals: Any, title: str, location: Any) -> Any:
    body = await run(
        CREATE,
        {
            "input": {
                "title": {"fr": title},
                "focus": "DIGITAL",
                "communes": [await _commune(world, "64034")],
                "location": location,
            }
        },
        principal=principals["admin"],
    )
    assert "errors" not in body, body
    return body["data"]["createProject"]


async def test_a_project_entered_as_coordinates_reads_back_as_geojson(
    world: World, run: Any, principals: Any
) -> None:
    payload = await _create(
        run, world, principals, "Fibre", {"longitude": HANNUT[0], "latitude": HANNUT[1]}
    )
    assert payload["errors"] == []
    location = payload["project"]["location"]
    assert location["geometry"] == {"type": "Point", "coordinates": list(HANNUT)}
    assert location["bbox"] == [HANNUT[0], HANNUT[1], HANNUT[0], HANNUT[1]]
    assert location["centroid"] == location["geometry"]
    assert location["address"] is None


async def test_an_area_has_its_bounding_box_and_centroid(
    world: World, run: Any, principals: Any
) -> None:
    payload = await _create(run, world, principals, "Centre", {"geometry": HANNUT_AREA})
    location = payload["project"]["location"]
    assert location["bbox"] == [5.07, 50.667, 5.09, 50.677]
    assert location["centroid"] == {"type": "Point", "coordinates": [5.08, 50.672]}


@pytest.mark.parametrize(
    ("location", "field", "code"),
    [
        ({"longitude": 5.0}, "location", "REQUIRED"),
        ({}, "location", "REQUIRED"),
        (
            {"geometry": {"type": "LineString", "coordinates": [[5, 50], [5.1, 50]]}},
            "location.geometry",
            "INVALID",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[5, 50], [5.1, 50.1], [5.1, 50], [5, 50.1], [5, 50]]],
                }
            },
            "location.geometry",
            "INVALID",
        ),  # a bow tie: its ring crosses itself
        ({"geometry": {"type": "Point", "coordinates": "here"}}, "location.geometry", "INVALID"),
        ({"longitude": 50.67, "latitude": 185.0}, "location.geometry", "INVALID"),
        ({"address": "Rue de Landen 1"}, "location.commune", "REQUIRED"),
    ],
)
async def test_a_bad_place_is_a_typed_error_and_nothing_is_written(
    world: World, run: Any, principals: Any, location: Any, field: str, code: str
) -> None:
    payload = await _create(run, world, principals, "Refusé", location)
    assert payload["project"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == (field, code), error
    titles = [n["title"] for n in (await run(PROJECTS))["data"]["projects"]["nodes"]]
    assert "Refusé" not in titles


async def test_an_address_no_geocoder_can_place_is_address_not_found(
    world: World, run: Any, principals: Any
) -> None:
    hannut = await _commune(world, "64034")
    payload = await _create(
        run, world, principals, "Adresse", {"address": "Rue de Landen 1", "commune": hannut}
    )
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("location.address", "ADDRESS_NOT_FOUND")
    assert "longitude" in error["message"]
    # with coordinates, the address is kept beside them
    payload = await _create(
        run,
        world,
        principals,
        "Adresse",
        {"address": "Rue de Landen 1", "commune": hannut, "longitude": 5.08, "latitude": 50.67},
    )
    assert payload["errors"] == []
    location = payload["project"]["location"]
    assert location["address"] == "Rue de Landen 1"
    assert location["commune"] == {"nisCode": "64034"}


class Geocoder:
    """An installation's geocoder: knows one address."""

    @hookimpl
    def bocage_geocoders(self) -> Any:
        async def place(address: str, nis_code: str, names: dict[str, str]) -> Any:
            if (address, nis_code) == ("Place Henri Hallet 1", "64034"):
                return {"type": "Point", "coordinates": list(HANNUT)}
            return None

        return [place]


async def test_the_installation_geocoder_places_an_address(world: World, principals: Any) -> None:
    geocoded = World.open(world.url, world.settings, extra=[("geocoder", Geocoder())])
    try:
        run = runner(geocoded)
        hannut = await _commune(geocoded, "64034")
        payload = await _create(
            run,
            geocoded,
            principals,
            "Hallet",
            {"address": "Place Henri Hallet 1", "commune": hannut},
        )
        assert payload["errors"] == []
        assert payload["project"]["location"]["geometry"]["coordinates"] == list(HANNUT)
        payload = await _create(
            run, geocoded, principals, "Inconnue", {"address": "Nulle part 9", "commune": hannut}
        )
        assert payload["errors"][0]["code"] == "ADDRESS_NOT_FOUND"
    finally:
        await geocoded.close()


class Watching:
    """A geocoder that notes, each time it is asked, the connections its engine has lent out
    and the units of work open: a geocoder may call a service over the network, and no
    transaction may wait on it."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.world = world
        self.calls: list[tuple[str, int, int]] = []
        self.open = 0
        enter, leave = UnitOfWork.__aenter__, UnitOfWork.__aexit__

        async def entering(work: UnitOfWork) -> UnitOfWork:
            self.open += 1
            self.calls.append(("transaction", self.open, 0))
            return await enter(work)

        async def leaving(work: UnitOfWork, *exc: Any) -> None:
            try:
                await leave(work, *exc)
            finally:
                self.open -= 1

        monkeypatch.setattr(UnitOfWork, "__aenter__", entering)
        monkeypatch.setattr(UnitOfWork, "__aexit__", leaving)

    @hookimpl
    def bocage_geocoders(self) -> Any:
        async def place(address: str, nis_code: str, names: dict[str, str]) -> Any:
            lent = self.world.engine.pool.checkedout()
            self.calls.append(("geocode", self.open, lent))
            if address == "Place Henri Hallet 1":
                return {"type": "Point", "coordinates": list(HANNUT)}
            return None

        return [place]


async def _counts(world: World) -> tuple[int, int, int]:
    async with world.sessionmaker() as session:
        return (
            await session.scalar(select(func.count()).select_from(m.Project)),
            await session.scalar(select(func.count()).select_from(m.AuditEntry)),
            await session.scalar(select(func.count()).select_from(m.EventRecord)),
        )


async def test_the_geocoder_runs_before_the_transaction_opens(
    world: World, principals: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    watching = Watching(world, monkeypatch)
    geocoded = World.open(world.url, world.settings, extra=[("geocoder", watching)])
    watching.world = geocoded
    try:
        run = runner(geocoded)
        hannut = await _commune(geocoded, "64034")
        address = {"address": "Place Henri Hallet 1", "commune": hannut}
        payload = await _create(run, geocoded, principals, "Hallet", address)
        assert payload["errors"] == []
        # asked once, with no unit of work open and no connection lent out; then the one
        # transaction of the mutation
        assert watching.calls == [("geocode", 0, 0), ("transaction", 1, 0)]

        watching.calls.clear()
        project = payload["project"]
        moved = await run(
            UPDATE,
            {"input": {"id": project["id"], "version": project["version"], "location": address}},
            principal=principals["admin"],
        )
        assert moved["data"]["updateProject"]["errors"] == []
        assert watching.calls == [("geocode", 0, 0), ("transaction", 1, 0)]

        watching.calls.clear()
        body = await run(
            CREATE_ORG,
            {
                "input": {
                    "kind": "ENTERPRISE",
                    "name": "Hallet",
                    "communes": [hannut],
                    "location": address,
                }
            },
            principal=principals["admin"],
        )
        assert body["data"]["createStakeholder"]["errors"] == []
        assert watching.calls == [("geocode", 0, 0), ("transaction", 1, 0)]

        # coordinates given, or a caller who may not write: the geocoder is not asked
        watching.calls.clear()
        await _create(
            run, geocoded, principals, "Ici", {**address, "longitude": 5.0, "latitude": 50.6}
        )
        refused = await run(
            CREATE,
            {
                "input": {
                    "title": {"fr": "Non"},
                    "focus": "DIGITAL",
                    "communes": [hannut],
                    "location": address,
                }
            },
            principal=principals["anonymous"],
        )
        assert refused["data"]["createProject"]["errors"][0]["code"] == "UNAUTHENTICATED"
        assert [call[0] for call in watching.calls] == ["transaction"]
    finally:
        await geocoded.close()


async def test_an_address_the_geocoder_cannot_place_writes_nothing(
    world: World, principals: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    watching = Watching(world, monkeypatch)
    geocoded = World.open(world.url, world.settings, extra=[("geocoder", watching)])
    watching.world = geocoded
    try:
        run = runner(geocoded)
        hannut = await _commune(geocoded, "64034")
        before = await _counts(geocoded)
        payload = await _create(
            run, geocoded, principals, "Perdu", {"address": "Nulle part 9", "commune": hannut}
        )
        assert payload["project"] is None
        [error] = payload["errors"]
        assert (error["field"], error["code"]) == ("location.address", "ADDRESS_NOT_FOUND")
        assert [call[0] for call in watching.calls] == ["geocode", "transaction"]
        assert await _counts(geocoded) == before
    finally:
        await geocoded.close()


async def test_bounding_box_and_distance_filters(world: World, run: Any, principals: Any) -> None:
    hannut = await _create(
        run, world, principals, "À Hannut", {"longitude": HANNUT[0], "latitude": HANNUT[1]}
    )
    andenne = await _create(
        run, world, principals, "À Andenne", {"longitude": ANDENNE[0], "latitude": ANDENNE[1]}
    )
    area = await _create(run, world, principals, "Zone", {"geometry": HANNUT_AREA})

    async def found(filter: dict[str, Any]) -> set[str]:
        body = await run(PROJECTS, {"filter": filter})
        assert "errors" not in body, body
        return {n["id"] for n in body["data"]["projects"]["nodes"]}

    ids = {p["project"]["id"] for p in (hannut, andenne, area)}
    box = {"west": 5.0, "south": 50.6, "east": 5.2, "north": 50.7}
    assert await found({"within": box}) & ids == {hannut["project"]["id"], area["project"]["id"]}
    # Hannut's town hall is 20,267 m from Andenne's (great circle), the nearest corner of the
    # area 19,761 m: just over and just under each
    near = {"longitude": ANDENNE[0], "latitude": ANDENNE[1]}
    both = {andenne["project"]["id"], area["project"]["id"]}
    assert await found({"near": {**near, "metres": 20_280}}) & ids == ids
    assert await found({"near": {**near, "metres": 20_255}}) & ids == both
    assert await found({"near": {**near, "metres": 19_770}}) & ids == both
    assert await found({"near": {**near, "metres": 19_750}}) & ids == {andenne["project"]["id"]}
    # an area is reached through the nearest point of its box
    assert area["project"]["id"] in await found(
        {"near": {"longitude": 5.1, "latitude": 50.672, "metres": 800}}
    )
    assert area["project"]["id"] not in await found(
        {"near": {"longitude": 5.1, "latitude": 50.672, "metres": 600}}
    )
    # combined with the other filters
    assert await found({"within": box, "focus": "COLLABORATION"}) & ids == set()


async def test_filters_refuse_a_bad_box_or_too_far(world: World, run: Any) -> None:
    body = await run(
        PROJECTS, {"filter": {"within": {"west": 6, "south": 50, "east": 5, "north": 51}}}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    far = {"longitude": 5.0, "latitude": 50.0}
    body = await run(PROJECTS, {"filter": {"near": {**far, "metres": 100_000}}})
    assert "errors" not in body
    body = await run(PROJECTS, {"filter": {"near": {**far, "metres": 100_001}}})
    assert "BOCAGE_PLACES_MAX_DISTANCE_METRES" in body["errors"][0]["message"]


async def test_the_spatial_index_is_kept_and_used(world: World, run: Any, principals: Any) -> None:
    payload = await _create(
        run, world, principals, "Indexé", {"longitude": HANNUT[0], "latitude": HANNUT[1]}
    )
    project = payload["project"]
    key = int(base64.b64decode(project["id"]).decode().split(":")[1])
    async with world.engine.connect() as connection:
        dialect = connection.dialect.name
        rtree = "SELECT id FROM project_place_rtree WHERE id = :id"
        if dialect == "sqlite":  # the triggers keep the R*Tree
            assert (await connection.execute(text(rtree), {"id": key})).all() == [(key,)]
        # the statement the filter writes is answered through the spatial index
        box = places.Box(5.0, 50.6, 5.2, 50.7).overlaps(m.Project, dialect)
        statement = select(m.Project.id).where(box)
        sql = str(statement.compile(connection.engine, compile_kwargs={"literal_binds": True}))
        if dialect == "sqlite":
            plan = (await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))).all()
            assert "VIRTUAL TABLE INDEX" in " ".join(str(r) for r in plan)
        else:
            await connection.execute(text("SET enable_seqscan = off"))
            plan = (await connection.execute(text(f"EXPLAIN {sql}"))).all()
            assert "ix_project_place_box" in " ".join(r[0] for r in plan)
    # moved away, then removed: the index follows
    moved = await run(
        UPDATE,
        {
            "input": {
                "id": project["id"],
                "version": project["version"],
                "location": {"longitude": ANDENNE[0], "latitude": ANDENNE[1]},
            }
        },
        principal=principals["admin"],
    )
    assert moved["data"]["updateProject"]["errors"] == []
    box = {"west": 5.0, "south": 50.6, "east": 5.2, "north": 50.7}
    nodes = (await run(PROJECTS, {"filter": {"within": box}}))["data"]["projects"]["nodes"]
    assert project["id"] not in {n["id"] for n in nodes}
    version = moved["data"]["updateProject"]["project"]["version"]
    removed = await run(
        UPDATE,
        {"input": {"id": project["id"], "version": version, "location": None}},
        principal=principals["admin"],
    )
    assert removed["data"]["updateProject"]["project"]["location"] is None
    andenne = {"west": 5.0, "south": 50.4, "east": 5.2, "north": 50.5}
    nodes = (await run(PROJECTS, {"filter": {"within": andenne}}))["data"]["projects"]["nodes"]
    assert project["id"] not in {n["id"] for n in nodes}


async def test_the_change_feed_carries_the_location(
    world: World, run: Any, principals: Any
) -> None:
    payload = await _create(
        run, world, principals, "Suivi", {"longitude": HANNUT[0], "latitude": HANNUT[1]}
    )
    project = payload["project"]
    await run(
        UPDATE,
        {
            "input": {
                "id": project["id"],
                "version": project["version"],
                "location": {"geometry": HANNUT_AREA},
            }
        },
        principal=principals["admin"],
    )
    events = [
        e
        for e in (await run(FEED, principal=principals["admin"]))["data"]["changes"]["nodes"]
        if e["objectId"] == project["id"]
    ]
    assert [e["type"] for e in events] == ["project.created", "project.updated"]
    created, updated = (e["data"] for e in events)
    assert created["location"] == {"type": "Point", "coordinates": list(HANNUT)}
    assert "location" in created["changed"]
    assert updated["location"]["type"] == "Polygon"
    assert "location" in updated["changed"]


async def test_an_organisation_has_a_place_and_is_filtered(
    world: World, run: Any, principals: Any
) -> None:
    hannut = await _commune(world, "64034")
    body = await run(
        CREATE_ORG,
        {
            "input": {
                "kind": "ENTERPRISE",
                "name": "Boulangerie",
                "communes": [hannut],
                "location": {
                    "longitude": HANNUT[0],
                    "latitude": HANNUT[1],
                    "address": "Rue de Tirlemont 2",
                    "commune": hannut,
                },
            }
        },
        principal=principals["admin"],
    )
    payload = body["data"]["createStakeholder"]
    assert payload["errors"] == []
    assert payload["stakeholder"]["location"]["address"] == "Rue de Tirlemont 2"
    near = {"longitude": HANNUT[0], "latitude": HANNUT[1], "metres": 10}
    names = {
        n["name"]
        for n in (await run(ORGS, {"filter": {"near": near}}))["data"]["stakeholders"]["nodes"]
    }
    assert names == {"Boulangerie"}


# -- the map feed -------------------------------------------------------------------------------


async def test_the_projects_geojson_feed_is_map_ready(
    world: World, run: Any, principals: Any
) -> None:
    from bocage.core.app import create_app

    here = await _create(
        run, world, principals, "Sur la carte", {"longitude": HANNUT[0], "latitude": HANNUT[1]}
    )
    there = await _create(
        run, world, principals, "Là-bas", {"longitude": ANDENNE[0], "latitude": ANDENNE[1]}
    )
    await _create(run, world, principals, "Zone", {"geometry": HANNUT_AREA})
    app = create_app(world.settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client,
    ):
        answer = await client.get("/api/places/projects.geojson", params={"lang": "fr"})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/geo+json"
        assert answer.headers["cache-control"].startswith("public")
        collection = answer.json()
        assert collection["type"] == "FeatureCollection"
        by_id = {f["id"]: f for f in collection["features"]}
        feature = by_id[here["project"]["id"]]
        assert feature["geometry"] == {"type": "Point", "coordinates": list(HANNUT)}
        assert feature["properties"]["title"] == "Sur la carte"
        assert all(f["geometry"] is not None for f in collection["features"])
        # every feature is valid GeoJSON shapely reads back
        from shapely.geometry import shape

        assert all(shape(f["geometry"]).is_valid for f in collection["features"])

        near = f"{ANDENNE[0]},{ANDENNE[1]},1000"
        answer = await client.get("/api/places/projects.geojson", params={"near": near})
        assert [f["id"] for f in answer.json()["features"]] == [there["project"]["id"]]
        box = "5.0,50.6,5.2,50.7"
        answer = await client.get("/api/places/projects.geojson", params={"bbox": box})
        assert there["project"]["id"] not in {f["id"] for f in answer.json()["features"]}

        # paged by a next link
        total = len(collection["features"])
        first = (await client.get("/api/places/projects.geojson", params={"limit": 1})).json()
        assert first["numberReturned"] == 1
        seen = [first["features"][0]["id"]]
        link = first["links"][0]
        while link:
            assert link["rel"] == "next"
            page = (await client.get(link["href"])).json()
            seen += [f["id"] for f in page["features"]]
            link = page["links"][0] if page["links"] else None
        assert len(seen) == len(set(seen)) == total

        for params, word in [
            ({"bbox": "1,2,3"}, "bbox"),
            ({"bbox": "6,50,5,51"}, "bbox"),
            ({"near": "5,50,100001"}, "BOCAGE_PLACES_MAX_DISTANCE_METRES"),
            ({"limit": "5001"}, "BOCAGE_PLACES_FEED_MAX_FEATURES"),
            ({"status": "dreamt"}, "status"),
            ({"after": "x"}, "after"),
        ]:
            bad = await client.get("/api/places/projects.geojson", params=params)
            assert bad.status_code == 400, params
            assert word in bad.json()["error"]["message"]
        ok = await client.get("/api/places/projects.geojson", params={"limit": "5000"})
        assert ok.status_code == 200

        # the open-data dataset of projects carries the place: records near a point, and
        # its GeoJSON export
        records = await client.get(
            "/api/opendata/datasets/projects/records", params={"near": f"{near}"}
        )
        assert records.status_code == 200, records.text
        [record] = records.json()["items"]
        assert (record["longitude"], record["latitude"]) == ANDENNE
        export = await client.get("/api/opendata/datasets/projects/export.geojson")
        assert export.status_code == 200
        geometries = [f["geometry"] for f in export.json()["features"]]
        assert {"type": "Point", "coordinates": list(ANDENNE)} in geometries


# -- the bounds on input: each a setting, just under and just over ------------------------------


def _square(side: float, west: float = 5.0, south: float = 50.0) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [west, south],
                [west + side, south],
                [west + side, south + side],
                [west, south + side],
                [west, south],
            ]
        ],
    }


def _ring(points: int) -> dict[str, Any]:
    """A valid polygon of ``points`` positions (the closing one included)."""
    import math

    ring = [
        [
            5.0 + 0.01 * math.cos(2 * math.pi * i / (points - 1)),
            50.0 + 0.01 * math.sin(2 * math.pi * i / (points - 1)),
        ]
        for i in range(points - 1)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.fixture
def bocage_setting_overrides() -> dict[str, Any]:
    # Belgium's box, 20 vertices, 10 km, 40 characters: small bounds to go just over
    return {
        "places_bounds": "2.5,49.4,6.5,51.6",
        "places_max_vertices": 20,
        "places_max_extent_km": 10,
        "places_max_address_chars": 40,
    }


@pytest.mark.parametrize(
    ("location", "accepted", "setting"),
    [
        ({"geometry": _ring(20)}, True, "BOCAGE_PLACES_MAX_VERTICES"),
        ({"geometry": _ring(21)}, False, "BOCAGE_PLACES_MAX_VERTICES"),
        ({"longitude": 6.5, "latitude": 51.6}, True, "BOCAGE_PLACES_BOUNDS"),
        ({"longitude": 6.5001, "latitude": 51.0}, False, "BOCAGE_PLACES_BOUNDS"),
        ({"longitude": 50.67, "latitude": 5.07}, False, "BOCAGE_PLACES_BOUNDS"),  # swapped
        ({"geometry": _square(0.089)}, True, "BOCAGE_PLACES_MAX_EXTENT_KM"),  # 9.9 km
        ({"geometry": _square(0.091)}, False, "BOCAGE_PLACES_MAX_EXTENT_KM"),  # 10.1 km
        (
            {"longitude": 5.0, "latitude": 50.5, "address": "a" * 40, "commune": "HANNUT"},
            True,
            "BOCAGE_PLACES_MAX_ADDRESS_CHARS",
        ),
        (
            {"longitude": 5.0, "latitude": 50.5, "address": "a" * 41, "commune": "HANNUT"},
            False,
            "BOCAGE_PLACES_MAX_ADDRESS_CHARS",
        ),
    ],
)
async def test_each_bound_is_a_setting(
    world: World, run: Any, principals: Any, location: Any, accepted: bool, setting: str
) -> None:
    if location.get("commune") == "HANNUT":
        location = {**location, "commune": await _commune(world, "64034")}
    payload = await _create(run, world, principals, "Borné", location)
    if accepted:
        assert payload["errors"] == [], payload
    else:
        [error] = payload["errors"]
        assert error["code"] == "INVALID" and setting in error["message"], error
