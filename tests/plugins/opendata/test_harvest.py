"""The catalogue as a harvester walks it (ckanext-dcat's RDF harvester: follow
``hydra:nextPage`` until there is none) while communes publish and withdraw datasets, and the
publication lifecycle seen from DCAT: first issue date kept, the commune as ``dct:spatial``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from bocage.core.api import Principal, PrincipalKind, Role

from .conftest import As, serve
from .shacl import results, shape_files

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://localhost:8000"
ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
CSV = "nom,valeur\r\nun,1\r\ndeux,2\r\n"


def metadata(identifier: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"fr": f"Jeu {identifier}", "en": f"Dataset {identifier}"},
        "description": {"fr": f"Le jeu de données {identifier}."},
        "theme": "GOVE",
        "keywords": {"fr": ["essai"]},
        "frequency": "ANNUAL",
        "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
        **extra,
    }


@pytest.fixture
async def harvest(
    databases: Any, small_demo_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, As]]:
    """A client on a fresh copy of the demo GAL, three datasets per catalogue page."""
    monkeypatch.setenv("BOCAGE_OPENDATA_CATALOG_PAGE_SIZE", "3")
    monkeypatch.delenv("BOCAGE_OPENDATA_BASE_URL", raising=False)
    url = str(await databases.clone(small_demo_url))
    async with serve(make_settings(url)) as client:
        who = As()
        client.app.state.authenticator = who  # type: ignore[attr-defined]
        yield client, who


async def publish(client: httpx.AsyncClient, identifier: str, **extra: Any) -> None:
    path = f"/api/opendata/uploads/{identifier}"
    assert (await client.put(path, json=metadata(identifier, **extra))).status_code in (200, 201)
    body = {"content": CSV.encode(), "headers": {"Content-Type": "text/csv"}}
    version = await client.post(f"{path}/versions", **body)
    assert version.status_code == 201, version.text
    published = await client.post(f"{path}/publish")
    assert published.status_code == 200, published.text


async def withdraw(client: httpx.AsyncClient, identifier: str) -> None:
    done = await client.post(f"/api/opendata/uploads/{identifier}/unpublish")
    assert done.status_code == 200 and done.json()["published"] is False, done.text


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def next_page(graph: Graph) -> str | None:
    """ckanext-dcat's ``RDFParser.next_page``: ``hydra:nextPage`` of the paged collection."""
    for view in graph.subjects(RDF.type, HYDRA.PagedCollection):
        for link in graph.objects(view, HYDRA.nextPage):
            return str(link)
    return None


def identifiers(graph: Graph) -> list[str]:
    return [str(d).rsplit("/", 1)[-1] for d in graph.subjects(RDF.type, DCAT.Dataset)]


async def test_a_harvest_takes_every_dataset_once_while_others_come_and_go(
    harvest: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = harvest
    who.principal = ADMIN
    # spread over the alphabet, around the contributed datasets (communes, projects...)
    for identifier in ("aa-early", "ab-gone-first", "ma-middle", "zy-gone-later", "zz-last"):
        await publish(client, identifier)
    listed = (await client.get("/api/opendata/datasets")).json()["items"]
    at_start = {d["identifier"] for d in listed}
    assert len(at_start) > 3 * 3  # more than three pages

    # After the first page, withdraw one already harvested (an offset would then skip the
    # next one); after the second, publish one behind the cursor (an offset would repeat
    # one), withdraw one not yet harvested and publish one ahead.
    changes = [
        [lambda: withdraw(client, "ab-gone-first")],
        [
            lambda: publish(client, "aa-added-behind"),
            lambda: withdraw(client, "zy-gone-later"),
            lambda: publish(client, "zx-added-ahead"),
        ],
    ]
    harvested = Graph()
    seen: list[str] = []
    url: str | None = f"{BASE}/api/opendata/catalog.ttl"
    pages = 0
    while url is not None:
        who.principal = None  # the harvester is anonymous
        response = await client.get(url.removeprefix(BASE))
        assert response.status_code == 200, response.text
        page = Graph().parse(data=response.content, format="turtle")
        seen += identifiers(page)
        harvested += page
        url = next_page(page)
        pages += 1
        assert pages < 20, "the next pages never end"
        if changes:
            who.principal = ADMIN
            for change in changes.pop(0):
                await change()
    assert not changes, "the harvest ended before every change was made"

    counts = Counter(seen)
    assert [i for i, n in counts.items() if n > 1] == []
    throughout = at_start - {"ab-gone-first", "zy-gone-later"}
    assert throughout - set(counts) == set()
    assert "zx-added-ahead" in counts  # published ahead of the cursor: seen too
    assert "zy-gone-later" not in counts  # withdrawn before its page was read

    for path in shape_files():
        violations = [r for r in results(harvested, path) if r[0] == "Violation"]
        assert violations == [], f"{path.name}: {violations[:5]}"


async def test_republishing_keeps_the_first_issue_date(
    harvest: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = harvest
    who.principal = ADMIN
    await publish(client, "republie")
    dataset = "/api/opendata/datasets/republie"
    first = (await client.get(dataset)).json()
    await withdraw(client, "republie")
    assert (await client.get(dataset)).status_code == 404
    again = await client.post("/api/opendata/uploads/republie/publish")
    assert again.status_code == 200
    assert when(again.json()["issued"]) == when(first["issued"])
    who.principal = None
    second = (await client.get(dataset)).json()
    assert second["issued"] == first["issued"]
    assert when(second["modified"]) > when(first["modified"])
    graph = Graph().parse(data=(await client.get(f"{dataset}/dcat.ttl")).text, format="turtle")
    iri = URIRef(f"{BASE}{dataset}")
    issued = graph.value(iri, DCTERMS.issued)
    assert issued is not None
    assert issued.toPython() == when(first["issued"]).replace(microsecond=0)


async def test_a_communes_dataset_names_its_commune(
    harvest: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = harvest
    who.principal = ADMIN
    await publish(client, "bornes-hannut", commune="64034")
    await publish(client, "sentiers-gal")  # the GAL's own: the whole territory
    await publish(client, "ravel-est", spatial=["64034", "92003", "64034"])  # declared
    refused = await client.put(
        "/api/opendata/uploads/ravel-est", json=metadata("ravel-est", spatial=["99999"])
    )
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "spatial"
    who.principal = None
    andenne = URIRef("http://vocab.belgif.be/auth/refnis2025/92003")
    hannut = URIRef("http://vocab.belgif.be/auth/refnis2025/64034")
    wallonia = URIRef("https://sws.geonames.org/3337387/")
    for identifier, places in (
        ("bornes-hannut", [hannut]),
        ("sentiers-gal", [wallonia]),
        ("ravel-est", [hannut, andenne]),
    ):
        path = f"/api/opendata/datasets/{identifier}"
        graph = Graph().parse(data=(await client.get(f"{path}/dcat.ttl")).text, format="turtle")
        assert set(graph.objects(URIRef(f"{BASE}{path}"), DCTERMS.spatial)) == set(places)
        assert all((place, RDF.type, DCTERMS.Location) in graph for place in places)
        assert (await client.get(path)).json()["spatial"] == [str(p) for p in places]
    graph = Graph().parse(
        data=(await client.get("/api/opendata/datasets/bornes-hannut/dcat.ttl")).text,
        format="turtle",
    )
    assert {str(label) for label in graph.objects(hannut, RDFS.label)} >= {"Hannut", "Hannuit"}
    for path in shape_files():
        assert [r for r in results(graph, path) if r[0] == "Violation"] == [], path.name
