"""DCAT-AP documents: content negotiation, Hydra paging, ``modified_since``, and conformance
to every DCAT-AP shape file the plugin ships (zero ``sh:Violation``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

from .shacl import HYDRA_NEXT, results, shape_files

CATALOG = "/api/opendata/catalog"
#: The base of IRIs when BOCAGE_OPENDATA_BASE_URL is not set (never the request's Host).
BASE = "http://localhost:8000"
# A plain Namespace: pytest probes module attributes, which rdflib's closed DCAT warns about.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DATASETS = ["communes", "projects", "stakeholders", "indicator-values"]
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
#: The only warnings of the recommended shapes (``(focus node, property)``): an
#: enterprise-number publisher is not in the EU corporate-bodies list (expected for a GAL or a
#: commune); every dataset, the surveys' results included, has its period and issue date.
PUBLISHER_WARNING = str(DCTERMS.publisher)
EXPECTED_WARNINGS: set[tuple[str, str]] = set()


async def fetch(client: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response


def parse(response: httpx.Response, rdflib_format: str) -> Graph:
    return Graph().parse(data=response.content, format=rdflib_format)


@pytest.fixture(scope="module")
def shape_paths() -> list[Path]:
    found = shape_files()
    assert len(found) == 5, f"the DCAT-AP shapes are missing from the plugin: {found}"
    return found


@pytest.fixture(scope="module")
def report() -> dict[str, list[tuple[str, str, str, str]]]:
    """Validation results by document, filled once per module."""
    return {}


async def test_catalog_is_the_same_graph_in_every_serialisation(client: httpx.AsyncClient) -> None:
    """Same URL, three media types (the Hydra page IRIs name the URL)."""
    media = {
        "turtle": "text/turtle",
        "xml": "application/rdf+xml",
        "json-ld": "application/ld+json",
    }
    graphs = [parse(await fetch(client, CATALOG, accept=m), fmt) for fmt, m in media.items()]
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


async def test_the_catalogue_conforms_to_every_shape(
    client: httpx.AsyncClient, shape_paths: list[Path]
) -> None:
    graph = parse(await fetch(client, f"{CATALOG}.ttl"), "turtle")
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) and set(
        graph.subjects(RDF.type, DCAT.DataService)
    )
    warnings: Counter[tuple[str, str]] = Counter()
    for path in shape_paths:
        found = results(graph, path)
        violations = [r for r in found if r[0] == "Violation"]
        assert not violations, f"{path.name}: {violations[:5]}"
        warnings.update((r[1], r[2]) for r in found if r[0] == "Warning")
    print(f"catalogue: {sum(warnings.values())} warnings: {dict(warnings)}")
    # the catalogue and every dataset have dct:issued and dct:temporal
    assert {w for w in warnings if w[1] != PUBLISHER_WARNING} == EXPECTED_WARNINGS
    assert len(warnings) - len(EXPECTED_WARNINGS) == len(
        set(graph.subjects(DCTERMS.publisher, None))
    )


@pytest.mark.parametrize("identifier", DATASETS)
async def test_each_dataset_conforms_to_every_shape(
    client: httpx.AsyncClient, shape_paths: list[Path], identifier: str
) -> None:
    turtle = await fetch(client, f"/api/opendata/datasets/{identifier}/dcat.ttl")
    graph = parse(turtle, "turtle")
    for ext, fmt in FORMATS.items():
        other = await fetch(client, f"/api/opendata/datasets/{identifier}/dcat.{ext}")
        assert isomorphic(graph, parse(other, fmt)), ext
    for path in shape_paths:
        violations = [r for r in results(graph, path) if r[0] == "Violation"]
        assert not violations, f"{identifier}, {path.name}: {violations[:5]}"


async def test_texts_are_language_tagged(client: httpx.AsyncClient) -> None:
    graph = parse(await fetch(client, "/api/opendata/datasets/projects/dcat.ttl"), "turtle")
    dataset = URIRef(f"{BASE}/api/opendata/datasets/projects")
    titles = {t.language: str(t) for t in graph.objects(dataset, DCTERMS.title)}
    assert titles == {
        "fr": "Projets du territoire",
        "nl": "Projecten van het grondgebied",
        "de": "Projekte des Gebiets",
        "en": "Projects of the territory",
    }
    for predicate in (DCTERMS.title, DCTERMS.description, DCAT.keyword):
        for literal in graph.objects(None, predicate):
            assert isinstance(literal, Literal) and literal.language, (predicate, literal)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("text/html;q=0.9, application/ld+json", "application/ld+json"),
        ("application/rdf+xml;q=0.5, text/turtle;q=0.8", "text/turtle"),
        ("*/*", "text/turtle"),
    ],
)
async def test_content_negotiation(client: httpx.AsyncClient, accept: str, media_type: str) -> None:
    for path in (CATALOG, "/api/opendata/datasets/communes/dcat"):
        response = await fetch(client, path, accept=accept)
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["vary"].lower().count("accept")


async def test_unacceptable_and_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get(CATALOG, headers={"accept": "text/html"})
    assert response.status_code == 406
    assert (await client.get(f"{CATALOG}.n3")).status_code == 404
    assert (await client.get("/api/opendata/datasets/nope/dcat.ttl")).status_code == 404


async def test_hydra_paging_and_modified_since(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOCAGE_OPENDATA_CATALOG_PAGE_SIZE", "3")
    async with serve_demo() as client:
        total = len((await client.get("/api/opendata/datasets")).json()["items"])
        assert 3 < total <= 6  # two pages
        first = parse(await fetch(client, f"{CATALOG}.ttl"), "turtle")
        assert len(set(first.objects(None, DCAT.dataset))) == 3
        next_page = str(next(first.objects(None, HYDRA_NEXT)))
        last = sorted(set(first.objects(None, DCAT.dataset)))[-1].rsplit("/", 1)[-1]
        assert next_page == f"{BASE}/api/opendata/catalog.ttl?after={last}"
        second = parse(await fetch(client, next_page), "turtle")
        assert len(set(second.objects(None, DCAT.dataset))) == total - 3
        assert not set(second.objects(None, HYDRA_NEXT))
        future = parse(
            await fetch(client, f"{CATALOG}.ttl?modified_since=2999-01-01T00:00:00Z"), "turtle"
        )
        assert not set(future.objects(None, DCAT.dataset))
        past = parse(await fetch(client, f"{CATALOG}.ttl?modified_since=2000-01-01"), "turtle")
        assert len(set(past.objects(None, DCAT.dataset))) == 3
        assert str(next(past.objects(None, HYDRA_NEXT))).startswith(
            f"{BASE}/api/opendata/catalog.ttl?modified_since=2000-01-01&after="
        )
        # old links by position still answer
        by_position = parse(await fetch(client, f"{CATALOG}.ttl?page=2"), "turtle")
        assert set(by_position.objects(None, DCAT.dataset)) == set(
            second.objects(None, DCAT.dataset)
        )
        bad = await client.get(f"{CATALOG}.ttl?modified_since=soon")
        assert bad.status_code == 400


async def test_temporal_coverage_follows_the_data(client: httpx.AsyncClient) -> None:
    rows = (
        await client.get(
            "/api/opendata/datasets/indicator-values/export.json", params={"fields": "measured_on"}
        )
    ).json()
    days = sorted(r["measured_on"] for r in rows if r["measured_on"])
    graph = parse(await fetch(client, "/api/opendata/datasets/indicator-values/dcat.ttl"), "turtle")
    dataset = URIRef(f"{BASE}/api/opendata/datasets/indicator-values")
    period = graph.value(dataset, DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)) == days[0]
    assert str(graph.value(period, DCAT.endDate)) == days[-1]
    quality = (await client.get("/api/opendata/datasets/indicator-values/quality")).json()
    assert quality["missingRecommended"] == []
