"""DCAT-AP documents: content negotiation, Hydra paging, ``modified_since``, and conformance
to every DCAT-AP shape file the plugin ships (zero ``sh:Violation``)."""

from __future__ import annotations

import datetime as dt
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
DATASETS = ["communes", "projects", "stakeholders", "indicator-values", "media", "voice"]
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
    # the negotiated URL, whose first page is the catalogue's own IRI, conforms too
    negotiated = parse(await fetch(client, CATALOG, accept="text/turtle"), "turtle")
    for path in shape_paths:
        assert [r for r in results(negotiated, path) if r[0] == "Violation"] == [], path.name
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
    # the catalogue and every dataset have dct:issued and dct:temporal, but a register with
    # no row yet (the demo has no media nor comments), which covers no period
    expected = EXPECTED_WARNINGS | {
        (f"{BASE}/api/opendata/datasets/{identifier}", str(DCTERMS.temporal))
        for identifier in await _empty_datasets(client)
    }
    assert {w for w in warnings if w[1] != PUBLISHER_WARNING} == expected
    assert len(warnings) - len(expected) == len(set(graph.subjects(DCTERMS.publisher, None)))


async def _empty_datasets(client: httpx.AsyncClient) -> set[str]:
    found = set()
    for item in (await fetch(client, "/api/opendata/datasets")).json()["items"]:
        records = await fetch(client, f"/api/opendata/datasets/{item['identifier']}/records")
        if not records.json()["items"]:
            found.add(item["identifier"])
    return found


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
    monkeypatch.setenv("BOCAGE_OPENDATA_CATALOG_PAGE_SIZE", "4")
    async with serve_demo() as client:
        total = len((await client.get("/api/opendata/datasets")).json()["items"])
        assert 4 < total <= 8  # two pages
        first = parse(await fetch(client, f"{CATALOG}.ttl"), "turtle")
        assert len(set(first.objects(None, DCAT.dataset))) == 4
        next_page = str(next(first.objects(None, HYDRA_NEXT)))
        last = sorted(set(first.objects(None, DCAT.dataset)))[-1].rsplit("/", 1)[-1]
        assert next_page == f"{BASE}/api/opendata/catalog.ttl?after={last}"
        second = parse(await fetch(client, next_page), "turtle")
        assert len(set(second.objects(None, DCAT.dataset))) == total - 4
        assert not set(second.objects(None, HYDRA_NEXT))
        future = parse(
            await fetch(client, f"{CATALOG}.ttl?modified_since=2999-01-01T00:00:00Z"), "turtle"
        )
        # only a dataset with no row yet, whose last change is unknown (the demo's media)
        empty = {f"{BASE}/api/opendata/datasets/{i}" for i in await _empty_datasets(client)}
        assert {str(d) for d in future.objects(None, DCAT.dataset)} == empty
        past = parse(await fetch(client, f"{CATALOG}.ttl?modified_since=2000-01-01"), "turtle")
        assert len(set(past.objects(None, DCAT.dataset))) == 4
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


# -- issue 14: IRIs, identifiers, validators, dereferencing, dates, goals, placeholders --------

RDF_MEDIA = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


async def test_iris_do_not_follow_the_host_header(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two host names, one set of IRIs: the fixed default base, or the configured one."""
    monkeypatch.delenv("BOCAGE_OPENDATA_BASE_URL", raising=False)
    async with serve_demo() as client:
        graphs = [
            parse(await fetch(client, f"{CATALOG}.ttl", host=host), "turtle")
            for host in ("bocage.test", "opendata.other.example")
        ]
        listed = (await client.get("/api/opendata/datasets", headers={"host": "x.example"})).json()
    assert isomorphic(graphs[0], graphs[1])
    datasets = {str(d) for d in graphs[0].subjects(RDF.type, DCAT.Dataset)}
    assert f"{BASE}/api/opendata/datasets/projects" in datasets
    assert all(d.startswith(f"{BASE}/") for d in datasets)
    assert {d["iri"] for d in listed["items"]} == datasets
    monkeypatch.setenv("BOCAGE_OPENDATA_BASE_URL", "https://api.gal.example/")
    async with serve_demo() as client:
        graph = parse(await fetch(client, f"{CATALOG}.ttl", host="elsewhere.example"), "turtle")
    assert URIRef("https://api.gal.example/api/opendata/datasets/projects") in set(
        graph.subjects(RDF.type, DCAT.Dataset)
    )
    text = " ".join(str(node) for triple in graph for node in triple)
    assert "elsewhere.example" not in text and BASE not in text


def test_a_base_url_that_is_not_a_url_stops_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    from bocage.plugins.opendata.settings import OpendataSettings

    monkeypatch.setenv("BOCAGE_OPENDATA_BASE_URL", "api.gal.be")
    with pytest.raises(ValueError, match="absolute http"):
        OpendataSettings()


async def test_identifiers_are_globally_unique(client: httpx.AsyncClient) -> None:
    graph = parse(await fetch(client, f"{CATALOG}.ttl"), "turtle")
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        assert [str(i) for i in graph.objects(dataset, DCTERMS.identifier)] == [str(dataset)]


async def test_a_new_publisher_is_never_a_304(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same data, another publisher name and contact: the old validators no longer match."""

    from bocage.plugins.opendata import registry

    paths = [
        f"{CATALOG}.ttl",
        "/api/opendata/datasets/projects/dcat.ttl",
        "/api/opendata/datasets/projects",
        "/api/opendata/datasets/projects/quality",
    ]
    async with serve_demo() as client:
        before = {path: (await fetch(client, path)).headers for path in paths}
        for path, headers in before.items():  # unchanged: 304 both ways
            for header in (
                {"if-none-match": headers["etag"]},
                {"if-modified-since": headers["last-modified"]},
            ):
                assert (await client.get(path, headers=header)).status_code == 304, path
    monkeypatch.setenv("BOCAGE_OPENDATA_PUBLISHER_NAME", "GAL Condroz")
    monkeypatch.setenv("BOCAGE_OPENDATA_CONTACT_EMAIL", "opendata@gal-condroz.example")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # the restart that applies them
    monkeypatch.setattr(registry, "utcnow", lambda: later)
    async with serve_demo() as client:
        for path, headers in before.items():
            for header in (
                {"if-none-match": headers["etag"]},
                {"if-modified-since": headers["last-modified"]},
            ):
                response = await client.get(path, headers=header)
                assert response.status_code == 200, (path, header)
        graph = parse(await fetch(client, "/api/opendata/datasets/projects/dcat.ttl"), "turtle")
    names = {str(n) for n in graph.objects(None, Namespace("http://xmlns.com/foaf/0.1/").name)}
    assert "GAL Condroz" in names


async def test_dataset_iris_dereference(client: httpx.AsyncClient) -> None:
    path = "/api/opendata/datasets/projects"
    iri = URIRef(f"{BASE}{path}")
    reference = parse(await fetch(client, f"{path}/dcat.ttl"), "turtle")
    for media, rdflib_format in RDF_MEDIA.items():
        response = await fetch(client, path, accept=media)
        assert response.headers["content-type"].startswith(media)
        assert "accept" in response.headers["vary"].lower()
        assert isomorphic(parse(response, rdflib_format), reference), media
    for accept in ("", "application/json", "*/*"):
        response = await fetch(client, path, accept=accept)
        assert response.json()["identifier"] == "projects", accept
    page = await fetch(client, path, accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.headers["content-type"].startswith("text/html")
    assert "Projets du territoire" in page.text and "/export.csv" in page.text

    # every distribution IRI of the description answers
    distributions = [
        d for d in reference.objects(iri, DCAT.distribution) if "/distributions/" in str(d)
    ]
    assert distributions
    for distribution in distributions:
        local = str(distribution).removeprefix(BASE)
        described = await fetch(client, local)
        assert described.json()["downloadURL"] == str(
            reference.value(distribution, DCAT.downloadURL)
        )
        as_rdf = parse(await fetch(client, local, accept="text/turtle"), "turtle")
        assert (distribution, RDF.type, DCAT.Distribution) in as_rdf
    # projects have places (docs/places.md): a GeoJSON distribution; indicator values none
    assert (await client.get(f"{path}/distributions/geojson")).status_code == 200
    none = "/api/opendata/datasets/indicator-values/distributions/geojson"
    assert (await client.get(none)).status_code == 404

    # and so does the data service's endpoint
    service = URIRef(f"{BASE}/api/opendata")
    assert reference.value(service, DCAT.endpointURL) == service
    links = (await fetch(client, "/api/opendata")).json()
    assert links["catalog"] == f"{BASE}{CATALOG}"
    described = parse(await fetch(client, "/api/opendata", accept="text/turtle"), "turtle")
    assert (service, RDF.type, DCAT.DataService) in described
    assert (service, DCAT.servesDataset, iri) in described


async def test_the_list_and_the_dataset_agree_on_dates(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/opendata/datasets")).json()["items"]
    assert listed
    for item in listed:
        alone = (await client.get(f"/api/opendata/datasets/{item['identifier']}")).json()
        for key in ("temporal", "issued", "spatial", "iri"):
            assert item[key] == alone[key], (item["identifier"], key)
    projects = next(i for i in listed if i["identifier"] == "projects")
    assert projects["temporal"] is not None and projects["issued"] is not None
    graphql = await client.post(
        "/graphql",
        json={
            "query": "{ opendataCatalog { datasets { identifier temporalStart temporalEnd "
            "issued } } }"
        },
    )
    by_identifier = {i["identifier"]: i for i in listed}
    for found in graphql.json()["data"]["opendataCatalog"]["datasets"]:
        item = by_identifier[found["identifier"]]
        temporal = item["temporal"] or {"start": None, "end": None}
        assert (found["temporalStart"], found["temporalEnd"]) == (
            temporal["start"],
            temporal["end"],
        ), found["identifier"]
        assert (found["issued"] is None) == (item["issued"] is None)
        if found["issued"] is not None:
            assert dt.datetime.fromisoformat(found["issued"]) == dt.datetime.fromisoformat(
                item["issued"].replace("Z", "+00:00")
            )
    assert projects["spatial"] == ["https://sws.geonames.org/3337387/"]


async def test_projects_carry_their_sdg_goals(client: httpx.AsyncClient) -> None:
    import base64

    query = """query($after: String) { projects(first: 100, after: $after) {
      edges { node { id sdgs } } pageInfo { endCursor hasNextPage } } }"""
    goals: dict[int, list[int]] = {}
    after = None
    while True:
        data = (
            await client.post("/graphql", json={"query": query, "variables": {"after": after}})
        ).json()["data"]["projects"]
        for edge in data["edges"]:
            key = int(base64.b64decode(edge["node"]["id"]).decode().rsplit(":", 1)[1])
            goals[key] = sorted(edge["node"]["sdgs"])
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    rows = (
        await client.get(
            "/api/opendata/datasets/projects/export.json", params={"fields": "id,sdgs"}
        )
    ).json()
    exported = {r["id"]: [int(g) for g in r["sdgs"].split(",")] if r["sdgs"] else [] for r in rows}
    assert exported == goals
    assert any(len(g) > 1 for g in goals.values()) and any(not g for g in goals.values())
    schema = (await client.get("/api/opendata/datasets/projects/schema.json")).json()
    assert {"name": "sdgs", "type": "string"}.items() <= next(
        f for f in schema["fields"] if f["name"] == "sdgs"
    ).items()


async def test_placeholder_settings_are_warned_of(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("BOCAGE_OPENDATA_BASE_URL", raising=False)
    with caplog.at_level("WARNING", logger="bocage.opendata"):
        async with serve_demo() as client:
            quality = (await client.get("/api/opendata/datasets/communes/quality")).json()
    warned = " ".join(r.getMessage() for r in caplog.records if r.name == "bocage.opendata")
    for variable in (
        "BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER",
        "BOCAGE_OPENDATA_CONTACT_EMAIL",
        "BOCAGE_OPENDATA_BASE_URL",
    ):
        assert variable in warned and variable in quality["placeholderSettings"]
    monkeypatch.setenv("BOCAGE_OPENDATA_BASE_URL", "https://api.gal.example")
    monkeypatch.setenv("BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER", "0207123456")
    monkeypatch.setenv("BOCAGE_OPENDATA_CONTACT_EMAIL", "opendata@gal.example")
    caplog.clear()
    with caplog.at_level("WARNING", logger="bocage.opendata"):
        async with serve_demo() as client:
            quality = (await client.get("/api/opendata/datasets/communes/quality")).json()
    assert quality["placeholderSettings"] == []
    assert not [r for r in caplog.records if "placeholders" in r.getMessage()]
