"""Events on the map (docs/places.md): the venue given as coordinates or a GeoJSON geometry,
or placed from its address by the installation's geocoder; read back as GeoJSON, filtered by
bounding box and distance, carried by the change feed."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.api import hookimpl
from bocage.core.testing import World, runner

PLACED = """query($id: ID!) { workshopsEvent(id: $id) {
  location { geometry bbox centroid address commune { nisCode } } } }"""
NEAR = """query($within: BoundingBoxInput, $near: NearInput) {
  workshopsEvents(first: 100, within: $within, near: $near) { nodes { id } } }"""
FEED = """query { changes(first: 100, types: ["event.updated"]) {
  nodes { type objectId data } } }"""

HALL = [5.0784, 50.6713]


async def _hannut(world: World) -> str:
    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == "64034"))
        ).scalar_one()
    return base64.b64encode(f"Commune:{key}".encode()).decode()


async def test_an_event_venue_on_the_map(world: World, run: Any, ws: Any) -> None:
    hannut = await _hannut(world)
    placed = await ws.publish(
        commune=hannut, location={"longitude": HALL[0], "latitude": HALL[1]}, title={"fr": "Ici"}
    )
    elsewhere = await ws.publish(location={"longitude": 5.3, "latitude": 50.3})
    unplaced = await ws.publish()
    body = await run(PLACED, {"id": placed["id"]})
    location = body["data"]["workshopsEvent"]["location"]
    assert location["geometry"] == {"type": "Point", "coordinates": HALL}
    assert location["address"] == "Rue de la Station 1, Hannut"
    assert location["commune"] == {"nisCode": "64034"}
    assert (await run(PLACED, {"id": unplaced["id"]}))["data"]["workshopsEvent"]["location"] is None

    async def found(**filters: Any) -> set[str]:
        answer = await run(NEAR, filters)
        assert "errors" not in answer, answer
        return {n["id"] for n in answer["data"]["workshopsEvents"]["nodes"]}

    ours = {placed["id"], elsewhere["id"], unplaced["id"]}
    box = {"west": 5.0, "south": 50.6, "east": 5.2, "north": 50.7}
    assert await found(within=box) & ours == {placed["id"]}
    near = {"longitude": HALL[0], "latitude": HALL[1]}
    assert await found(near={**near, "metres": 1}) & ours == {placed["id"]}
    assert await found(near={**near, "metres": 100_000}) & ours == {placed["id"], elsewhere["id"]}
    bad = await run(NEAR, {"near": {**near, "metres": 100_001}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    # moved by an update, then taken off the map
    update = await run(
        ws.UPDATE,
        {
            "input": {
                "id": placed["id"],
                "version": placed["version"],
                "location": {"geometry": {"type": "Point", "coordinates": [5.3, 50.3]}},
            }
        },
        principal=ws.ORGANISER,
    )
    assert update["data"]["updateWorkshopsEvent"]["errors"] == []
    assert await found(within=box) & ours == set()
    version = await run(PLACED.replace("location {", "version location {"), {"id": placed["id"]})
    assert version["data"]["workshopsEvent"]["location"]["geometry"]["coordinates"] == [5.3, 50.3]
    # the change feed carries the new place
    feed = (await run(FEED, principal=ws.ORGANISER))["data"]["changes"]["nodes"]
    [moved] = [e for e in feed if e["objectId"] == placed["id"]]
    assert moved["data"]["location"] == {"type": "Point", "coordinates": [5.3, 50.3]}
    assert "location" in moved["data"]["changed"]


async def test_a_bad_venue_is_a_typed_error(world: World, run: Any, ws: Any) -> None:
    for location, field in [
        ({"longitude": 5.0}, "location"),
        ({}, "location"),
        ({"longitude": 5.0, "latitude": 95.0}, "location.geometry"),
        (
            {"geometry": {"type": "Polygon", "coordinates": [[[5, 50], [5.1, 50]]]}},
            "location.geometry",
        ),
    ]:
        body = await run(
            ws.CREATE, {"input": ws.event_input(location=location)}, principal=ws.ORGANISER
        )
        payload = body["data"]["createWorkshopsEvent"]
        assert payload["event"] is None
        assert payload["errors"][0]["field"] == field, payload


class Geocoder:
    """Knows the station's address in Hannut; notes the connections its engine has lent out
    each time it is asked (none: no transaction waits on a geocoder)."""

    def __init__(self) -> None:
        self.world: World | None = None
        self.lent: list[int] = []

    @hookimpl
    def bocage_geocoders(self) -> Any:
        async def place(address: str, nis_code: str, names: dict[str, str]) -> Any:
            if self.world is not None:
                self.lent.append(self.world.engine.pool.checkedout())
            if nis_code == "64034" and "Station" in address and names.get("fr") == "Hannut":
                return {"type": "Point", "coordinates": HALL}
            return None

        return [place]


async def test_a_new_event_is_placed_from_its_address(world: World, ws: Any) -> None:
    geocoder = Geocoder()
    geocoded = World.open(world.url, world.settings, extra=[("geocoder", geocoder)])
    geocoder.world = geocoded
    try:
        run = runner(geocoded)
        hannut = await _hannut(geocoded)
        found = await run(
            ws.CREATE, {"input": ws.event_input(commune=hannut)}, principal=ws.ORGANISER
        )
        event = found["data"]["createWorkshopsEvent"]["event"]
        body = await run(PLACED, {"id": event["id"]}, principal=ws.ORGANISER)
        assert body["data"]["workshopsEvent"]["location"]["geometry"]["coordinates"] == HALL
        # an address the geocoder cannot place: the event is created, off the map
        unknown = ws.event_input(commune=hannut, address="Chemin perdu 9")
        created = await run(ws.CREATE, {"input": unknown}, principal=ws.ORGANISER)
        payload = created["data"]["createWorkshopsEvent"]
        assert payload["errors"] == []
        body = await run(PLACED, {"id": payload["event"]["id"]}, principal=ws.ORGANISER)
        assert body["data"]["workshopsEvent"]["location"] is None
        # asked twice, each time before the mutation's transaction took a connection
        assert geocoder.lent == [0, 0]
    finally:
        await geocoded.close()
