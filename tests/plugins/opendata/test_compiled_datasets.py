"""The open-data datasets list through the read compiler (issue 12): the compiled answer is the
resolvers' answer, byte for byte, for the public and for the GAL's staff, in every language,
with one statement per root field; contributed datasets and published uploads alike (their
versions, their fields, their publisher); a search text is left to the resolvers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode, parse
from sqlalchemy import select, update

from bocage.core.api import Commune, Stakeholder, stakeholder_commune
from bocage.core.auth.principal import Role

from .conftest import As, serve
from .test_uploads import ADMIN, GOOD, HANNUT, METADATA, UPLOADS, csv_body

CALLERS: dict[str, dict[str, Any]] = {
    "anonymous": {},
    "admin": {"roles": [Role.TERRITORY_ADMIN]},
}
AREA = {
    "type": "Polygon",
    "coordinates": [[[5.06, 50.66], [5.09, 50.66], [5.09, 50.68], [5.06, 50.68], [5.06, 50.66]]],
}
EVERY_FIELD = """__typename identifier theme licence accessRights frequency
  publisherEnterpriseNumber keywords formats
  fields { __typename name type description }
  temporalStart temporalEnd
  versions { __typename version format path sha256 byteSize issued }
  recordsPath schemaPath qualityPath iri recordsUrl schemaUrl
  downloads { __typename format mediaType url }
  title en: title(lang: EN) titleTranslations { fr nl de en }
  description nl: description(lang: NL) descriptionTranslations { fr de }
  issued"""

DOCUMENTS = {
    "every field": "{ opendataDatasets { " + EVERY_FIELD + " } }",
    "list in Dutch": """{ opendataDatasets(lang: NL) { identifier title description
        fr: title(lang: FR) } }""",
    "themes": """query($theme: String) {
        a: opendataDatasets(theme: $theme) { identifier theme }
        b: opendataDatasets(theme: "REGI") { identifier title }
        c: opendataDatasets(theme: "") { identifier }
        d: opendataDatasets(theme: "NONE") { identifier } }""",
    "fragments": """query { opendataDatasets { ...d } }
        fragment d on OpendataDataset { id: identifier v: versions { n: version }
          f: fields { name } ... on OpendataDataset { downloads { url } } }""",
    "places": """{
        box: opendataDatasets(within: {west: 5.0, south: 50.6, east: 5.2, north: 50.7}) {
          identifier }
        near: opendataDatasets(near: {longitude: 4.9, latitude: 50.5, metres: 1000}) {
          identifier }
        none: opendataDatasets(within: {west: -1, south: -1, east: 1, north: 1}) {
          identifier } }""",
}


def _diff(compiled: bytes, resolved: bytes) -> tuple[bytes, bytes]:
    """Where two answers part, and what follows in each."""
    at = next((i for i, (a, b) in enumerate(zip(compiled, resolved, strict=False)) if a != b), 0)
    return compiled[max(at - 200, 0) : at + 100], resolved[max(at - 200, 0) : at + 100]


def projects_publisher(found: dict[str, Any]) -> str:
    """The catalogue's publisher: the core's datasets are the GAL's."""
    return str(found["projects"]["publisherEnterpriseNumber"])


def _roots(document: str) -> int:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    return len(operation.selection_set.selections)


async def _upload(client: Any, identifier: str, metadata: dict[str, Any], *bodies: str) -> None:
    path = UPLOADS.format(identifier)
    created = await client.put(path, json=metadata)
    assert created.status_code in (200, 201), created.text
    for body in bodies:
        sent = await client.post(f"{path}/versions", **csv_body(body))
        assert sent.status_code in (200, 201), sent.text


@pytest.fixture
async def catalogue_url(databases: Any, small_demo_url: str, make_settings: Any) -> str:
    """A copy of the small demo GAL with uploads: a commune's area with two versions, the
    GAL's point without coordinates, and a draft that is not published."""
    url = str(await databases.clone(small_demo_url))
    async with serve(make_settings(url)) as client:
        # Hannut's administration publishes its uploads under its enterprise number.
        async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
            hannut = (
                select(stakeholder_commune.c.stakeholder_id)
                .join(Commune, Commune.id == stakeholder_commune.c.commune_id)
                .where(Commune.nis_code == "64034")
            )
            await session.execute(
                update(Stakeholder)
                .where(Stakeholder.id.in_(hannut), Stakeholder.kind == "commune_administration")
                .values(enterprise_number="0207.376.085")
            )
        who = As(HANNUT)
        client.app.state.authenticator = who  # type: ignore[attr-defined]
        await _upload(
            client,
            "bornes",
            {**METADATA, "location": AREA},
            GOOD,
            GOOD + "Stade,22,2025-02-01,5.07,50.67\r\n",
        )
        assert (await client.post(UPLOADS.format("bornes") + "/publish")).status_code == 200
        who.principal = ADMIN
        gal = {
            "title": {"fr": "Zones du GAL", "de": "Zonen", "nl": " "},
            "description": {"fr": "Les zones du GAL.", "nl": ""},
            "theme": "REGI",
            "keywords": {"nl": ["zone", "gebied"], "fr": ["zone"], "de": []},
            "licence": "CC0",
            "location": {"type": "Point", "coordinates": [4.9, 50.5]},
        }
        schema = {
            "fields": [
                {"name": "nom", "type": "string", "description": "Le nom de l'endroit"},
                {"name": "puissance_kw", "type": "integer", "description": ""},
                {"name": "mise_en_service", "type": "date"},
                {"name": "lon", "type": "number"},
                {"name": "lat", "type": "number"},
            ]
        }
        await _upload(client, "zones-du-gal", {**gal, "schema": schema}, GOOD)
        published = await client.post(UPLOADS.format("zones-du-gal") + "/publish")
        assert published.status_code == 200, published.text
        await _upload(client, "brouillon", {**METADATA, "commune": None}, GOOD)
    return url


@pytest.fixture
async def paths(read_paths: Any, catalogue_url: str) -> AsyncIterator[Any]:
    async with read_paths(catalogue_url) as both:
        yield both


async def test_both_paths_give_the_same_bytes_with_one_statement_per_root_field(
    paths: Any,
) -> None:
    tenancy = paths.apps["compiled"][0].state.authenticator.tenancy
    for name, document in DOCUMENTS.items():
        for caller, credentials in CALLERS.items():
            for language in ("fr", "de", "nl;q=0.9, en;q=0.8"):
                # A token's territories are read once per BOCAGE_AUTH_TENANCY_CACHE_TTL, not
                # by the compiler: read now, so that only the document's statements count.
                tenancy.forget()
                await tenancy.directory()
                compiled, resolved, statements = await paths.post(
                    document, {"theme": "TRAN"}, **{"accept-language": language}, **credentials
                )
                assert b'"errors"' not in resolved, (name, caller, resolved[:300])
                assert compiled == resolved, (name, caller, language, _diff(compiled, resolved))
                assert statements == _roots(document), (name, caller, statements)


async def test_what_the_list_shows_of_contributed_datasets_and_uploads(paths: Any) -> None:
    compiled, resolved, _ = await paths.post(
        "{ opendataDatasets { " + EVERY_FIELD + " } }", **{"accept-language": "de"}
    )
    assert compiled == resolved
    found = {d["identifier"]: d for d in orjson.loads(compiled)["data"]["opendataDatasets"]}
    identifiers = list(found)
    assert identifiers == sorted(identifiers)
    assert {"bornes", "zones-du-gal", "projects", "communes"} <= set(found)
    assert "brouillon" not in found  # not published: for the GAL's staff neither
    staff, _, _ = await paths.post(
        "{ opendataDatasets { " + EVERY_FIELD + " } }",
        **{"accept-language": "de"},
        **CALLERS["admin"],
    )
    assert staff == compiled
    bornes, zones = found["bornes"], found["zones-du-gal"]
    assert [v["version"] for v in bornes["versions"]] == [1, 2]
    assert bornes["versions"][0]["path"].startswith("/api/opendata/datasets/bornes/versions/1/")
    assert "geojson" in bornes["formats"] and "geojson" not in zones["formats"]
    assert bornes["publisherEnterpriseNumber"] == "0207376085"  # its commune's
    assert zones["publisherEnterpriseNumber"] == projects_publisher(found)  # the GAL's
    assert bornes["temporalStart"] == "2024-01-01" and bornes["title"] == "Bornes de recharge"
    assert zones["title"] == "Zonen" and zones["en"] == "Zones du GAL"
    assert zones["nl"] == zones["description"] == "Les zones du GAL."  # in French, the only one
    # language after language, in the order the stored object keeps (PostgreSQL's JSONB sorts)
    assert sorted(zones["keywords"]) == ["gebied", "zone", "zone"]
    assert zones["licence"] == "CC0" and zones["accessRights"] == "PUBLIC"
    assert [f["name"] for f in zones["fields"]][:2] == ["_row", "nom"]
    assert zones["fields"][1]["description"] == "Le nom de l'endroit"
    assert zones["fields"][2]["description"] is None
    assert zones["downloads"][0]["url"].endswith("/api/opendata/datasets/zones-du-gal/export.csv")
    projects = found["projects"]
    assert projects["versions"] == [] and projects["issued"] is not None


async def test_a_search_is_answered_by_the_resolvers(paths: Any) -> None:
    document = '{ opendataDatasets(search: "bornes recharge") { identifier title } }'
    compiled, resolved, _ = await paths.post(document)
    assert compiled == resolved
    assert orjson.loads(compiled)["data"]["opendataDatasets"] == [
        {"identifier": "bornes", "title": "Bornes de recharge"}
    ]


async def test_a_bad_place_filter_is_the_resolvers_error_on_both_paths(paths: Any) -> None:
    document = """{ opendataDatasets(near: {longitude: 5, latitude: 50, metres: 0}) {
        identifier } }"""
    compiled, resolved, _ = await paths.post(document)
    assert compiled == resolved
    assert b"BOCAGE_PLACES_MAX_DISTANCE_METRES" in compiled
