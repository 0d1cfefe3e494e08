"""Uploaded datasets, as a commune uses them over HTTP: describe, dry-run to get the inferred
Table Schema, edit it, upload (a wrong cell is refused with its row and column and nothing is
stored), publish (refused while metadata is missing), query the records, export, download
every version at its immutable URL, and the permissions around all of it."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns

from bocage.core.api import Principal, PrincipalKind, Role

from .conftest import As, serve
from .shacl import SHAPES, results, shape_files

UPLOADS = "/api/opendata/uploads/{}"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
HANNUT = Principal(
    kind=PrincipalKind.PERSON,
    subject="hannut-editor",
    roles=frozenset({Role.COMMUNE_EDITOR}),
    communes=frozenset({"64034"}),
)
ANDENNE = Principal(
    kind=PrincipalKind.PERSON,
    subject="andenne-editor",
    roles=frozenset({Role.COMMUNE_EDITOR}),
    communes=frozenset({"92003"}),
)
MEMBER = Principal(
    kind=PrincipalKind.PERSON,
    subject="member",
    roles=frozenset({Role.STAKEHOLDER_MEMBER}),
    stakeholders=frozenset({1}),
)
PUBLISHER_CLIENT = Principal(
    kind=PrincipalKind.CLIENT,
    subject="portal",
    client_id="portal",
    roles=frozenset({Role.INTEGRATOR}),
    scopes=frozenset({"opendata:publish"}),
)

METADATA = {
    "title": {"fr": "Bornes de recharge", "en": "Charging stations"},
    "description": {"fr": "Les bornes de recharge publiques de Hannut."},
    "theme": "TRAN",
    "keywords": {"fr": ["mobilité", "recharge"]},
    "frequency": "ANNUAL",
    "temporal": {"start": "2024-01-01", "end": "2025-12-31"},
    "coordinates": {"longitude": "lon", "latitude": "lat"},
    "commune": "64034",
}
GOOD = (
    "nom,puissance_kw,mise_en_service,lon,lat\r\n"
    "Grand-Place,22,2024-03-01,5.0789,50.6712\r\n"
    "Gare,50,2024-09-15,5.0801,50.6698\r\n"
    "Piscine,11,2025-01-20,5.0702,50.6751\r\n"
)
WRONG_CELL = GOOD.replace("Gare,50,", "Gare,cinquante,")


@pytest.fixture
async def uploads(
    databases: Any, small_demo_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, As]]:
    """A client on a fresh copy of the demo GAL whose caller the test sets; default settings
    (the built-in DCAT-AP shapes are checked at publish time)."""
    monkeypatch.delenv("BOCAGE_OPENDATA_SHAPES_DIR", raising=False)
    url = str(await databases.clone(small_demo_url))
    settings = make_settings(url)
    async with serve(settings) as client:
        who = As()
        client.app.state.authenticator = who  # type: ignore[attr-defined]
        yield client, who


def csv_body(text: str) -> dict[str, Any]:
    return {"content": text.encode(), "headers": {"Content-Type": "text/csv"}}


async def test_a_commune_uploads_validates_and_publishes(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = uploads
    who.principal = HANNUT
    path = UPLOADS.format("bornes-recharge")
    created = await client.put(path, json={**METADATA, "theme": None})
    assert created.status_code == 201, created.text
    problems = " | ".join(created.json()["problems"])
    assert "dcat:distribution" in problems and "dcat:theme" in problems

    # 1. a dry run infers the Table Schema; the commune edits the types and sets it
    dry = await client.post(f"{path}/versions", params={"dry_run": "true"}, **csv_body(GOOD))
    assert dry.status_code == 200, dry.text
    inferred = {f["name"]: f["type"] for f in dry.json()["schema"]["fields"]}
    assert inferred["puissance_kw"] == "integer" and inferred["lat"] == "number"
    schema = dry.json()["schema"]
    for item in schema["fields"]:
        if item["name"] == "puissance_kw":
            item["type"] = "number"
            item["constraints"] = {"minimum": 0}
            item["description"] = "Puissance (kW)"
    edited = await client.put(path, json={**METADATA, "schema": schema})
    assert edited.status_code == 200 and edited.json()["schema"] == schema

    # 2. a wrong cell: the report names its row and column, and nothing is stored
    refused = await client.post(f"{path}/versions", **csv_body(WRONG_CELL))
    assert refused.status_code == 422
    report = refused.json()["report"]
    assert not report["valid"] and report["errorCount"] == 1
    (error,) = report["errors"]
    assert (error["row"], error["column"], error["columnNumber"]) == (3, "puissance_kw", 2)
    assert error["type"] == "type-error" and "cinquante" in error["message"]
    assert (await client.get(path)).json()["versions"] == []
    assert (await client.post(f"{path}/publish")).status_code == 422

    # 3. a correct file becomes version 1; publishing puts it in the catalogue
    accepted = await client.post(
        f"{path}/versions", params={"filename": "bornes.csv"}, **csv_body(GOOD)
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["version"] == 1 and accepted.json()["problems"] == []
    listed = (await client.get("/api/opendata/datasets")).json()
    assert "bornes-recharge" not in {d["identifier"] for d in listed["items"]}
    published = await client.post(f"{path}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["published"] and published.json()["issued"]
    who.principal = None  # the public from now on
    listed = (await client.get("/api/opendata/datasets", params={"theme": "TRAN"})).json()
    assert [d["identifier"] for d in listed["items"]] == ["bornes-recharge"]
    assert "geojson" in listed["items"][0]["formats"]
    graphql = await client.post(
        "/graphql",
        json={
            "query": '{ opendataCatalog(filter: {themes: ["TRAN"]}) { count datasets { '
            "identifier temporalStart issued versions { version sha256 byteSize } } } }"
        },
    )
    (found,) = graphql.json()["data"]["opendataCatalog"]["datasets"]
    assert found["identifier"] == "bornes-recharge" and found["temporalStart"] == "2024-01-01"
    assert found["versions"][0]["byteSize"] == len(GOOD.encode())

    # 4. queryable records, typed by the schema
    records = "/api/opendata/datasets/bornes-recharge/records"
    strong = await client.get(records, params={"puissance_kw__gte": "20", "order": "-puissance_kw"})
    assert [r["nom"] for r in strong.json()["items"]] == ["Gare", "Grand-Place"]
    assert strong.json()["items"][0]["puissance_kw"] == 50
    recent = await client.get(
        records, params={"mise_en_service__gte": "2024-06-01", "fields": "nom,mise_en_service"}
    )
    assert recent.json()["items"] == [
        {"nom": "Gare", "mise_en_service": "2024-09-15"},
        {"nom": "Piscine", "mise_en_service": "2025-01-20"},
    ]
    pages, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(records, params=params)).json()
        pages.append([r["nom"] for r in page["items"]])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == [["Grand-Place", "Gare"], ["Piscine"]]
    meta = (await client.get("/api/opendata/datasets/bornes-recharge/schema.json")).json()
    power = next(f for f in meta["fields"] if f["name"] == "puissance_kw")
    assert power == {
        "name": "puissance_kw",
        "type": "number",
        "description": "Puissance (kW)",
        "constraints": {"minimum": 0},
    }

    # 5. exports, GeoJSON included (it declares coordinates)
    exported = await client.get("/api/opendata/datasets/bornes-recharge/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["nom"] for r in rows] == ["Grand-Place", "Gare", "Piscine"]
    geo = (await client.get("/api/opendata/datasets/bornes-recharge/export.geojson")).json()
    assert geo["features"][0]["geometry"]["coordinates"] == [5.0789, 50.6712]

    # 6. the version's file, at an immutable URL named by its hash, described in DCAT
    (version,) = (await client.get("/api/opendata/datasets/bornes-recharge")).json()["versions"]
    assert version["sha256"] == hashlib.sha256(GOOD.encode()).hexdigest()
    assert version["byteSize"] == len(GOOD.encode())
    download = await client.get(version["url"])
    assert download.status_code == 200 and download.content == GOOD.encode()
    assert download.headers["cache-control"] == "public, max-age=31536000, immutable"
    # What a signed-in caller downloads is kept by no cache (bocage.core.cache_control).
    signed_in = await client.get(version["url"], headers={"Authorization": "Bearer any"})
    assert signed_in.headers["cache-control"] == "private, no-store"
    again = await client.get(version["url"], headers={"If-None-Match": download.headers["etag"]})
    assert again.status_code == 304
    wrong_hash = version["url"].replace(version["sha256"], "0" * 64)
    assert (await client.get(wrong_hash)).status_code == 404
    graph = Graph().parse(
        data=(await client.get("/api/opendata/datasets/bornes-recharge/dcat.ttl")).text,
        format="turtle",
    )
    snapshot = URIRef(version["url"])
    assert (snapshot, ns.RDF.type, DCAT.Distribution) in graph
    assert graph.value(snapshot, DCAT.byteSize) == Literal(
        len(GOOD.encode()), datatype=ns.XSD.nonNegativeInteger
    )
    checksum = graph.value(snapshot, SPDX.checksum)
    assert str(graph.value(checksum, SPDX.checksumValue)) == version["sha256"]
    dataset = URIRef("http://localhost:8000/api/opendata/datasets/bornes-recharge")
    period = graph.value(dataset, ns.DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)) == "2024-01-01"
    assert graph.value(dataset, ns.DCTERMS.issued) is not None

    # 7. a re-upload is version 2; the records follow it, version 1 stays downloadable
    who.principal = HANNUT
    second = GOOD + "Hall sportif,7.4,2025-06-01,5.0755,50.6733\r\n"
    assert (await client.post(f"{path}/versions", **csv_body(second))).status_code == 201
    who.principal = None
    names = [r["nom"] for r in (await client.get(records)).json()["items"]]
    assert names[-1] == "Hall sportif" and len(names) == 4
    versions = (await client.get("/api/opendata/datasets/bornes-recharge")).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert (await client.get(versions[0]["url"])).content == GOOD.encode()
    assert (await client.get(versions[1]["url"])).content == second.encode()

    # 8. withdrawn: gone from the catalogue and its files, kept for the commune
    who.principal = HANNUT
    assert (await client.post(f"{path}/unpublish")).json()["published"] is False
    who.principal = None
    assert (await client.get(records)).status_code == 404
    assert (await client.get(versions[0]["url"])).status_code == 404
    who.principal = HANNUT
    assert len((await client.get(path)).json()["versions"]) == 2

    # 9. a draft can be deleted, a published dataset cannot
    assert (await client.post(f"{path}/publish")).status_code == 200
    assert (await client.delete(path)).status_code == 409
    await client.post(f"{path}/unpublish")
    who.principal = ANDENNE
    assert (await client.delete(path)).status_code == 403
    who.principal = HANNUT
    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).status_code == 404
    assert (await client.put(path, json=METADATA)).json()["versions"] == []


async def test_published_uploads_conform_to_every_shape(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = uploads
    who.principal = ADMIN
    path = UPLOADS.format("bornes")
    await client.put(path, json=METADATA)
    await client.post(f"{path}/versions", **csv_body(GOOD))
    assert (await client.post(f"{path}/publish")).status_code == 200
    for extension, rdflib_format in (("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")):
        for document in ("/api/opendata/datasets/bornes/dcat", "/api/opendata/catalog"):
            response = await client.get(f"{document}.{extension}")
            graph = Graph().parse(data=response.content, format=rdflib_format)
            warnings = []
            for shapes in shape_files():
                found = results(graph, shapes)
                violations = [r for r in found if r[0] == "Violation"]
                assert violations == [], (document, extension, shapes.name, violations)
                warnings += [r[2].rsplit("/", 1)[-1] for r in found if r[0] == "Warning"]
            print(f"{document}.{extension}: {len(warnings)} warnings {sorted(set(warnings))}")
    # an uploaded dataset has its issued date and temporal coverage: left as warnings are the
    # publisher's enterprise number (not in the EU corporate-bodies list) and its commune as
    # a REFNIS IRI (not a GeoNames one, and with no geometry known)
    quality = (await client.get("/api/opendata/datasets/bornes/quality")).json()
    assert quality["missingRecommended"] == []
    assert {w["property"] for w in quality["shacl"]["warnings"]} == {
        "dct:publisher",
        "dct:spatial",
        "dcat:bbox",
        "dcat:centroid",
    }


async def test_publishing_names_the_missing_property(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = uploads
    who.principal = ADMIN
    path = UPLOADS.format("sans-description")
    await client.put(path, json={**METADATA, "description": {}, "theme": None})
    await client.post(f"{path}/versions", **csv_body(GOOD))
    refused = await client.post(f"{path}/publish")
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"]["code"] == "not_publishable"
    assert body["error"]["field"] == "dct:description"
    assert any(p.startswith("dcat:theme") for p in body["problems"])
    assert (await client.get("/api/opendata/datasets/sans-description")).status_code == 404
    # once published, metadata cannot lose a required property
    await client.put(path, json=METADATA)
    assert (await client.post(f"{path}/publish")).status_code == 200
    broken = await client.put(path, json={**METADATA, "description": {}})
    assert broken.status_code == 422 and broken.json()["error"]["field"] == "dct:description"
    kept = (await client.get(path)).json()
    assert kept["description"] == METADATA["description"]


def test_the_publication_check_uses_the_built_in_shapes_by_default(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without BOCAGE_OPENDATA_SHAPES_DIR, the shapes shipped with the plugin judge a
    dataset's DCAT-AP document (here one without a description) by property."""
    import dataclasses

    from bocage.core.host import PluginHost
    from bocage.plugins.opendata.registry import catalogue
    from bocage.plugins.opendata.validation import shacl_problems

    monkeypatch.delenv("BOCAGE_OPENDATA_SHAPES_DIR", raising=False)
    cat = catalogue(PluginHost(make_settings("sqlite+aiosqlite:///:memory:")))
    assert cat.settings.shapes_dir == ""
    communes = cat.datasets["communes"]
    assert shacl_problems(cat, communes) == []
    undescribed = dataclasses.replace(communes, description={})
    problems = shacl_problems(cat, undescribed)
    assert problems and all(p.startswith("dct:description: ") for p in problems), problems


async def test_shapes_of_ones_own_decide_publication(
    databases: Any,
    small_demo_url: str,
    make_settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """A folder of shapes replaces the built-in ones at publication: a portal demanding
    ``dct:provenance`` (which the plugin never emits) refuses it, naming the property."""
    (tmp_path / "portal.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<urn:portal#DatasetShape> a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:provenance ; sh:minCount 1 ; sh:severity sh:Violation ] .
"""
    )
    monkeypatch.setenv("BOCAGE_OPENDATA_SHAPES_DIR", str(tmp_path))
    async with serve(make_settings(str(await databases.clone(small_demo_url)))) as client:
        who = As()
        who.principal = ADMIN
        client.app.state.authenticator = who  # type: ignore[attr-defined]
        path = UPLOADS.format("bornes")
        await client.put(path, json=METADATA)
        await client.post(f"{path}/versions", **csv_body(GOOD))
        refused = await client.post(f"{path}/publish")
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "dct:provenance"
        assert (await client.get("/api/opendata/datasets/bornes")).status_code == 404


def test_shacl_violations_name_the_property() -> None:
    from bocage.plugins.opendata.validation import violations

    graph = Graph()
    dataset = URIRef("https://example.org/datasets/x")
    graph.add((dataset, ns.RDF.type, DCAT.Dataset))
    found = violations(graph, str(SHAPES.resolve()))
    paths = {path for _, path, _ in found}
    assert str(ns.DCTERMS.description) in paths and str(ns.DCTERMS.title) in paths


async def test_who_may_upload(uploads: tuple[httpx.AsyncClient, As]) -> None:
    client, who = uploads
    path = UPLOADS.format("parcs")
    anonymous = await client.put(path, json=METADATA)
    assert anonymous.status_code == 401
    assert (await client.get("/api/opendata/uploads")).status_code == 401
    for principal in (ANDENNE, MEMBER):
        who.principal = principal
        response = await client.put(path, json=METADATA)
        assert response.status_code == 403, principal
        assert "opendata:publish" in response.json()["error"]["message"]
    who.principal = HANNUT
    gal_wide = {k: v for k, v in METADATA.items() if k != "commune"}
    assert (await client.put(path, json=gal_wide)).status_code == 403  # the GAL's own
    assert (await client.put(path, json=METADATA)).status_code == 201
    who.principal = ANDENNE  # another commune's dataset: not even readable as a draft
    assert (await client.get(path)).status_code == 403
    assert (await client.post(f"{path}/versions", **csv_body(GOOD))).status_code == 403
    assert (await client.post(f"{path}/publish")).status_code == 403
    who.principal = HANNUT
    assert [
        u["identifier"] for u in (await client.get("/api/opendata/uploads")).json()["items"]
    ] == ["parcs"]
    who.principal = ANDENNE
    assert (await client.get("/api/opendata/uploads")).json() == {"count": 0, "items": []}
    who.principal = PUBLISHER_CLIENT  # a client with the scope and no commune limit
    assert (await client.post(f"{path}/versions", **csv_body(GOOD))).status_code == 201
    who.principal = ADMIN
    assert (await client.put(UPLOADS.format("gal"), json=gal_wide)).status_code == 201


async def test_mistakes_are_named(uploads: tuple[httpx.AsyncClient, As]) -> None:
    client, who = uploads
    who.principal = ADMIN
    path = UPLOADS.format("essais")
    cases: list[tuple[Any, str]] = [
        ({**METADATA, "theme": "SPORT"}, "theme"),
        ({**METADATA, "title": {"es": "Prueba"}}, "title"),
        ({**METADATA, "licence": "WTFPL"}, "licence"),
        ({**METADATA, "temporal": {"start": "2025-01-01", "end": "2024-01-01"}}, "temporal"),
        ({**METADATA, "commune": "99999"}, "commune"),
        ({**METADATA, "colour": "green"}, "colour"),
        ({**METADATA, "schema": {"fields": [{"name": "a", "type": "geopoint"}]}}, "type"),
        ({**METADATA, "schema": {"fields": [{"name": "a"}, {"name": "a"}]}}, "schema"),
    ]
    for body, field in cases:
        response = await client.put(path, json=body)
        assert response.status_code == 400, body
        assert field in response.json()["error"]["field"], response.json()
    bad_id = await client.put(UPLOADS.format("Pas Bon"), json=METADATA)
    assert bad_id.status_code == 400 and bad_id.json()["error"]["field"] == "identifier"
    taken = await client.put(UPLOADS.format("projects"), json=METADATA)
    assert taken.status_code == 409
    assert (
        await client.put(path, content=b"{", headers={"Content-Type": "application/json"})
    ).status_code == 400
    assert (
        await client.post(f"{UPLOADS.format('inconnu')}/versions", **csv_body(GOOD))
    ).status_code == 404
    await client.put(path, json=METADATA)
    pdf = await client.post(
        f"{path}/versions", content=b"%PDF", headers={"Content-Type": "application/pdf"}
    )
    assert pdf.status_code == 415
    empty = await client.post(f"{path}/versions", **csv_body(""))
    assert empty.status_code == 400


async def test_xlsx_upload(uploads: tuple[httpx.AsyncClient, As]) -> None:
    import datetime as dt

    client, who = uploads
    who.principal = ADMIN
    book = Workbook()
    sheet = book.active
    sheet.append(["nom", "puissance_kw", "mise_en_service", "lon", "lat"])
    sheet.append(["Grand-Place", 22, dt.date(2024, 3, 1), 5.0789, 50.6712])
    sheet.append(["Gare", "beaucoup", dt.date(2024, 9, 15), 5.0801, 50.6698])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = UPLOADS.format("bornes-xlsx")
    schema = {
        "fields": [
            {"name": "nom", "type": "string"},
            {"name": "puissance_kw", "type": "integer"},
            {"name": "mise_en_service", "type": "date"},
            {"name": "lon", "type": "number"},
            {"name": "lat", "type": "number"},
        ]
    }
    await client.put(path, json={**METADATA, "schema": schema})
    refused = await client.post(
        f"{path}/versions", content=buffer.getvalue(), headers={"Content-Type": xlsx}
    )
    assert refused.status_code == 422
    (error,) = refused.json()["report"]["errors"]
    assert (error["row"], error["column"]) == (3, "puissance_kw")
    sheet.delete_rows(3)
    buffer = io.BytesIO()
    book.save(buffer)
    accepted = await client.post(
        f"{path}/versions", content=buffer.getvalue(), headers={"Content-Type": xlsx}
    )
    assert accepted.status_code == 201, accepted.text
    await client.post(f"{path}/publish")
    records = (await client.get("/api/opendata/datasets/bornes-xlsx/records")).json()["items"]
    assert records == [
        {
            "_row": 2,
            "nom": "Grand-Place",
            "puissance_kw": 22,
            "mise_en_service": "2024-03-01",
            "lon": 5.0789,
            "lat": 50.6712,
        }
    ]
    (version,) = (await client.get("/api/opendata/datasets/bornes-xlsx")).json()["versions"]
    assert version["url"].endswith(".xlsx")
    assert (await client.get(version["url"])).headers["content-type"] == xlsx


async def test_browsers_may_upload_from_another_origin(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    client, _ = uploads
    preflight = await client.options(
        UPLOADS.format("bornes") + "/versions",
        headers={
            "Origin": "https://hannut.be",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def big_csv(size: int) -> bytes:
    """A valid file of the charging stations, of at least ``size`` bytes."""
    header, *rows = GOOD.encode().splitlines(keepends=True)
    lines = [header]
    total, n = len(header), 0
    while total < size:
        row = rows[n % len(rows)].replace(b"Gare", f"Borne {n}".encode())
        lines.append(row)
        total += len(row)
        n += 1
    return b"".join(lines)


async def test_a_300_kb_file_is_accepted_with_the_default_limits(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    """Three times the core's body limit (BOCAGE_MAX_BODY_BYTES, sized for GraphQL): the
    upload route has its own, BOCAGE_OPENDATA_MAX_UPLOAD_BYTES (50 MB)."""
    client, who = uploads
    who.principal = HANNUT
    path = UPLOADS.format("bornes-nombreuses")
    assert (await client.put(path, json=METADATA)).status_code == 201
    content = big_csv(300_000)
    assert len(content) > 3 * client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    stored = await client.post(
        f"{path}/versions", content=content, headers={"Content-Type": "text/csv"}
    )
    assert stored.status_code == 201, stored.text
    version = stored.json()["versions"][-1]
    assert version["byteSize"] == len(content)
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["rows"] == content.count(b"\n") - 1
    # the GraphQL endpoint keeps the core's small limit
    graphql = await client.post(
        "/graphql",
        content=b"{" + b" " * 200_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert graphql.status_code == 413
    assert graphql.json()["errors"][0]["extensions"]["setting"] == "BOCAGE_MAX_BODY_BYTES"


async def test_files_above_the_limit_are_refused(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOCAGE_OPENDATA_MAX_UPLOAD_BYTES", "2000")
    content = big_csv(2001)

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for start in range(0, len(content), 500):
            yield content[start : start + 500]

    async with serve_demo() as client:
        who = As()
        who.principal = ADMIN
        client.app.state.authenticator = who
        path = UPLOADS.format("bornes") + "/versions"
        for body in (content, chunked()):
            response = await client.post(path, content=body, headers={"Content-Type": "text/csv"})
            assert response.status_code == 413, response.text
            error = response.json()["error"]
            assert error["code"] == "payload_too_large"
            assert error["limit"] == 2000
            assert error["setting"] == "BOCAGE_OPENDATA_MAX_UPLOAD_BYTES"
            assert "2000 bytes" in error["message"]
            assert "BOCAGE_OPENDATA_MAX_UPLOAD_BYTES" in error["message"]
        # under the limit, the body reaches the route
        fits = big_csv(1500)
        response = await client.post(
            UPLOADS.format("nope") + "/versions", content=fits, headers={"Content-Type": "text/csv"}
        )
        assert response.status_code == 404  # no such dataset: the body passed the limit


async def test_the_commune_publishes_when_its_number_is_known(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    from sqlalchemy import select, update

    from bocage.core.api import Commune, Stakeholder, stakeholder_commune

    client, who = uploads
    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        administration = (
            await session.execute(
                select(Stakeholder.id)
                .join(stakeholder_commune, stakeholder_commune.c.stakeholder_id == Stakeholder.id)
                .join(Commune, Commune.id == stakeholder_commune.c.commune_id)
                .where(Commune.nis_code == "64034", Stakeholder.kind == "commune_administration")
            )
        ).scalar_one()
        await session.execute(
            update(Stakeholder)
            .where(Stakeholder.id == administration)
            .values(enterprise_number="0207.376.085")
        )
    who.principal = HANNUT
    path = UPLOADS.format("bornes")
    await client.put(path, json=METADATA)
    await client.post(f"{path}/versions", **csv_body(GOOD))
    assert (await client.post(f"{path}/publish")).status_code == 200
    meta = (await client.get("/api/opendata/datasets/bornes")).json()
    assert meta["publisher"]["enterpriseNumber"] == "0207376085"
    assert "Hannut" in meta["publisher"]["name"]["fr"]
    graph = Graph().parse(
        data=(await client.get("/api/opendata/datasets/bornes/dcat.ttl")).text, format="turtle"
    )
    dataset = URIRef("http://localhost:8000/api/opendata/datasets/bornes")
    assert str(graph.value(dataset, ns.DCTERMS.publisher)).endswith("/0207376085")
    facets = (await client.get("/api/opendata/datasets")).json()["facets"]["publisher"]
    assert facets["0207376085"] == 1


async def test_datetimes_and_booleans_are_typed_on_every_engine(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    client, who = uploads
    who.principal = ADMIN
    path = UPLOADS.format("releves")
    schema = {
        "fields": [
            {"name": "capteur", "type": "string"},
            {"name": "releve", "type": "datetime"},
            {"name": "actif", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        ]
    }
    await client.put(path, json={**METADATA, "coordinates": None, "schema": schema})
    text = (
        "capteur,releve,actif\r\n"
        "A,2024-03-01T08:30:00Z,oui\r\n"
        "B,2024-03-01T10:30:00+02:00,non\r\n"
        "C,2024-03-01T12:00:00Z,oui\r\n"
    )
    assert (await client.post(f"{path}/versions", **csv_body(text))).status_code == 201
    assert (await client.post(f"{path}/publish")).status_code == 200
    records = "/api/opendata/datasets/releves/records"
    # 09:00 at +01:00 is 08:00 UTC: all three are later; B was given at +02:00
    after = await client.get(
        records, params={"releve__gt": "2024-03-01T09:00:00+01:00", "order": "releve"}
    )
    assert [(r["capteur"], r["releve"]) for r in after.json()["items"]] == [
        ("A", "2024-03-01T08:30:00Z"),
        ("B", "2024-03-01T08:30:00Z"),
        ("C", "2024-03-01T12:00:00Z"),
    ]
    active = await client.get(records, params={"actif": "true", "fields": "capteur"})
    assert active.json()["items"] == [{"capteur": "A"}, {"capteur": "C"}]
    later = await client.get(records, params={"releve__gte": "2024-03-01T10:00:00Z"})
    assert [r["capteur"] for r in later.json()["items"]] == ["C"]


async def feed(client: httpx.AsyncClient, after: str | None) -> list[tuple[str, str]]:
    """``(type, identifier)`` of the open-data events after cursor ``after``; checks that
    only unpublishing and deleting are tombstones."""
    params = {"object_types": "OpendataDataset", "limit": "100"}
    if after:
        params["after"] = after
    response = await client.get("/api/changes", params=params)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    for item in items:
        assert item["deleted"] == (item["type"] in ("dataset.unpublished", "dataset.deleted"))
    return [(i["type"], i["data"]["identifier"]) for i in items]


async def test_writes_reach_the_change_feed(uploads: tuple[httpx.AsyncClient, As]) -> None:
    """Every write is an event: drafts' only for those who manage open data, the catalogue's
    for everyone; a refused write leaves none."""
    client, who = uploads
    who.principal = ADMIN
    start = (await client.get("/api/changes", params={"limit": "1000"})).json()["cursor"]
    path = UPLOADS.format("bornes-evenements")
    assert (await client.put(path, json=METADATA)).status_code == 201
    assert (await client.post(f"{path}/versions", **csv_body(GOOD))).status_code == 201
    assert (await client.post(f"{path}/versions", **csv_body(WRONG_CELL))).status_code == 422
    assert (await client.post(f"{path}/publish")).status_code == 200
    assert (await client.post(f"{path}/publish")).status_code == 200  # already: no event
    assert (await client.put(path, json=METADATA)).status_code == 200  # unchanged: no event
    edited = {**METADATA, "title": {"fr": "Bornes de recharge publiques"}}
    assert (await client.put(path, json=edited)).status_code == 200
    assert (await client.post(f"{path}/versions", **csv_body(GOOD))).status_code == 201
    assert (await client.put(path, json={**METADATA, "description": {}})).status_code == 422
    assert (await client.post(f"{path}/unpublish")).status_code == 200
    assert (await client.delete(path)).status_code == 204
    name = "bornes-evenements"
    assert await feed(client, start) == [
        ("dataset.created", name),
        ("dataset.draft_updated", name),
        ("dataset.published", name),
        ("dataset.updated", name),
        ("dataset.updated", name),
        ("dataset.unpublished", name),
        ("dataset.deleted", name),
    ]
    who.principal = None  # the public learns of the catalogue's changes only
    assert await feed(client, start) == [
        ("dataset.published", name),
        ("dataset.updated", name),
        ("dataset.updated", name),
        ("dataset.unpublished", name),
    ]
    graphql = await client.post(
        "/graphql",
        json={
            "query": "query($after: String) { changes(after: $after, first: 50) "
            "{ edges { node { type objectType data } } } }",
            "variables": {"after": start},
        },
    )
    nodes = [e["node"] for e in graphql.json()["data"]["changes"]["edges"]]
    published = next(n for n in nodes if n["type"] == "dataset.published")
    assert published["objectType"] == "OpendataDataset"
    assert published["data"]["title"]["fr"] == "Bornes de recharge"
    assert published["data"]["version"] == 1


def _publisher(name: str, *communes: str) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject=name,
        client_id=name,
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset({"opendata:publish"}),
        communes=frozenset(communes),
    )


async def test_draft_events_reach_only_who_may_manage_the_dataset(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    """A draft's events follow who may manage the draft: a publisher limited to Andenne does
    not learn of Hannut's drafts, nor one limited to a commune of the GAL's own."""
    client, who = uploads
    who.principal = ADMIN
    start = (await client.get("/api/changes", params={"limit": "1000"})).json()["cursor"]
    assert (await client.put(UPLOADS.format("hannut-draft"), json=METADATA)).status_code == 201
    gal_wide = {k: v for k, v in METADATA.items() if k != "commune"}
    assert (await client.put(UPLOADS.format("gal-draft"), json=gal_wide)).status_code == 201
    both = [("dataset.created", "hannut-draft"), ("dataset.created", "gal-draft")]
    expected = {
        "admin": (ADMIN, both),
        "unrestricted": (PUBLISHER_CLIENT, both),
        "hannut": (_publisher("hannut-portal", "64034"), both[:1]),
        "andenne": (_publisher("andenne-portal", "92003"), []),
        "anonymous": (None, []),
    }
    seen = {}
    for name, (principal, _) in expected.items():
        who.principal = principal
        seen[name] = await feed(client, start)
    assert seen == {name: events for name, (_, events) in expected.items()}


async def test_event_types_are_offered_to_webhook_subscribers(
    uploads: tuple[httpx.AsyncClient, As],
) -> None:
    from bocage.core.webhooks import event_types

    client, _ = uploads
    types = event_types(client.app.state.host)  # type: ignore[attr-defined]
    assert types["dataset.published"].permission is None
    assert types["dataset.unpublished"].permission is None
    assert types["dataset.created"].permission == "opendata:publish"
    assert types["dataset.deleted"].permission == "opendata:publish"
