"""The datasets list's place filters (docs/places.md): ``opendataDatasets(within:, near:)`` and
``opendataCatalog(filter: {within, near})`` keep the datasets whose place (an upload's
``location``, a plugin's ``Dataset.geometry``) meets the box or is within the distance, the
core's filters on both read paths; datasets without a place never match; a bad box or a
radius over ``BOCAGE_PLACES_MAX_DISTANCE_METRES`` is the inputs' typed error."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import Date, cast, func, literal, null, select

from bocage.core.api import Dataset, DatasetField, FieldType, Project, Theme
from bocage.core.testing import StatementCounter

from .conftest import serve
from .test_compiled_datasets import catalogue_url  # noqa: F401  # the fixture
from .test_hook import Publishes

#: A plugin's dataset of an area (its box: 5.2, 50.4 - 5.3, 50.45), dated in the declaration.
AREA_DATASET = Dataset(
    identifier="parcs-a-conteneurs",
    title={"fr": "Parcs à conteneurs", "nl": "Containerparken"},
    description={"fr": "Les parcs à conteneurs de la zone."},
    theme=Theme.ENVI,
    fields=(DatasetField("id", FieldType.INTEGER, {"fr": "Numéro"}),),
    query=select(literal(1).label("id")),
    issued=dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC),
    temporal=(dt.date(2020, 1, 1), None),
    coverage=select(cast(null(), Date), cast(null(), Date)),
    geometry={
        "type": "Polygon",
        "coordinates": [[[5.2, 50.4], [5.3, 50.4], [5.3, 50.45], [5.2, 50.45], [5.2, 50.4]]],
    },
)
#: A plugin's dataset without a place, first issued on a date its query reads (midnight UTC).
UNPLACED = Dataset(
    identifier="sans-lieu",
    title={"fr": "Sans lieu"},
    description={"fr": "Nulle part."},
    theme=Theme.ENVI,
    fields=(DatasetField("id", FieldType.INTEGER),),
    query=select(literal(1).label("id")),
    issued_query=select(func.min(Project.start_date)),
)
LIMIT = 5_000.0

Post = Callable[..., Awaitable[tuple[bytes, bytes, int]]]


@pytest.fixture
async def post(
    catalogue_url: str,  # noqa: F811  # the fixture imported above
    make_settings: Any,
) -> AsyncIterator[Post]:
    """``await post(document)``: its answers by the read compiler and by the resolvers (apps
    whose host also has a plugin publishing two datasets), and the compiled one's
    statements."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for compiled in (True, False):
            settings = make_settings(
                catalogue_url,
                graphql_compile=compiled,
                graphql_compile_check=False,
                places_max_distance_metres=LIMIT,
            )
            extra = ("places-test", Publishes(AREA_DATASET, UNPLACED))
            clients[compiled] = await stack.enter_async_context(serve(settings, extra))

        async def send(document: str) -> tuple[bytes, bytes, int]:
            bodies = {}
            for compiled, client in clients.items():
                with StatementCounter.of(client.app) as counter:  # type: ignore[attr-defined]
                    response = await client.post("/graphql", json={"query": document})
                assert response.status_code == 200, response.text
                bodies[compiled] = response.content
                if compiled:
                    count = counter.count
            return bodies[True], bodies[False], count

        yield send


def _found(body: bytes) -> list[str]:
    answer = orjson.loads(body)
    assert "errors" not in answer, answer
    return [d["identifier"] for d in answer["data"]["opendataDatasets"]]


async def _listed(post: Post, arguments: str) -> list[str]:
    document = "{ opendataDatasets(" + arguments + ") { identifier title issued temporalStart } }"
    compiled, resolved, statements = await post(document)
    assert compiled == resolved, (compiled, resolved)
    assert statements == 1
    return _found(compiled)


async def test_a_box_keeps_the_datasets_whose_place_meets_it(post: Post) -> None:
    # the upload "bornes" covers 5.06, 50.66 - 5.09, 50.68; "zones-du-gal" is 4.9, 50.5
    assert await _listed(post, "within: {west: 4.8, south: 50.3, east: 5.25, north: 50.7}") == [
        "bornes",
        "parcs-a-conteneurs",
        "zones-du-gal",
    ]
    touching = "within: {west: 5.09, south: 50.68, east: 5.1, north: 50.7}"
    assert await _listed(post, touching) == ["bornes"]  # the corner is in
    beside = "within: {west: 5.0900001, south: 50.68, east: 5.1, north: 50.7}"
    assert await _listed(post, beside) == []
    nowhere = "within: {west: -10, south: -10, east: -9, north: -9}"
    assert await _listed(post, nowhere) == []


async def test_a_distance_keeps_the_datasets_within_it(post: Post) -> None:
    # 0.01 degree of latitude north of "zones-du-gal": 1,111.95 m on the tangent plane
    assert await _listed(post, "near: {longitude: 4.9, latitude: 50.51, metres: 1112}") == [
        "zones-du-gal"
    ]
    assert await _listed(post, "near: {longitude: 4.9, latitude: 50.51, metres: 1111.9}") == []
    # an area: from the nearest point of its box (inside it: 0)
    inside = "near: {longitude: 5.25, latitude: 50.42, metres: 1}"
    assert await _listed(post, inside) == ["parcs-a-conteneurs"]
    both = 'near: {longitude: 4.9, latitude: 50.5, metres: 1}, theme: "REGI"'
    assert await _listed(post, both) == ["zones-du-gal"]
    assert await _listed(post, both.replace("REGI", "TRAN")) == []


async def test_the_radius_and_the_box_are_checked(post: Post) -> None:
    at_limit = f"near: {{longitude: 4.9, latitude: 50.5, metres: {LIMIT}}}"
    assert await _listed(post, at_limit) == ["zones-du-gal"]
    for arguments, words in [
        (f"near: {{longitude: 4.9, latitude: 50.5, metres: {LIMIT + 0.01}}}", "5000"),
        ("near: {longitude: 4.9, latitude: 50.5, metres: 0}", "above 0"),
        ("near: {longitude: 190, latitude: 50.5, metres: 10}", "longitude"),
        ("within: {west: 5.2, south: 50, east: 5.1, north: 51}", "west <= east"),
    ]:
        compiled, resolved, _ = await post("{ opendataDatasets(" + arguments + ") { theme } }")
        assert compiled == resolved
        [error] = orjson.loads(compiled)["errors"]
        assert words in error["message"], error
        if "metres" in arguments and "190" not in arguments:
            assert "BOCAGE_PLACES_MAX_DISTANCE_METRES" in error["message"]


async def test_a_plugins_dataset_as_compiled(post: Post) -> None:
    """The declared issue date and period, and one read by a query (a date: midnight UTC)."""
    document = """{ opendataDatasets(theme: "ENVI") { identifier issued temporalStart
        temporalEnd title(lang: NL) fields { name description } } }"""
    compiled, resolved, statements = await post(document)
    assert compiled == resolved and statements == 1
    found = {d["identifier"]: d for d in orjson.loads(compiled)["data"]["opendataDatasets"]}
    area = found["parcs-a-conteneurs"]
    assert area["issued"] == "2024-05-01T08:30:00+00:00"
    assert (area["temporalStart"], area["temporalEnd"]) == ("2020-01-01", None)
    assert area["title"] == "Containerparken"
    assert found["sans-lieu"]["issued"].endswith("T00:00:00+00:00")


async def test_the_catalogue_search_filters_by_place_too(post: Post) -> None:
    document = """{ opendataCatalog(filter: {near: {longitude: 4.9, latitude: 50.51,
        metres: 1112}}) { count datasets { identifier } } }"""
    compiled, resolved, _ = await post(document)
    assert compiled == resolved
    found = orjson.loads(compiled)["data"]["opendataCatalog"]
    assert found == {"count": 1, "datasets": [{"identifier": "zones-du-gal"}]}
