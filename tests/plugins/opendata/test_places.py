"""An uploaded dataset's place on the map (docs/places.md): the commune gives the area (or the
point) the data covers as GeoJSON; the DCAT-AP description carries it as a ``dct:spatial``
``dct:Location`` with its bounding box, centroid and (GeoSPARQL) geometry, and still conforms
to every shape (zero ``sh:Violation``); a bad geometry is refused naming the setting it
exceeds."""

from __future__ import annotations

import json
from typing import Any

import httpx
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from .shacl import results, shape_files
from .test_uploads import ADMIN, GOOD, METADATA, UPLOADS, csv_body, uploads  # noqa: F401

DCAT = Namespace("http://www.w3.org/ns/dcat#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
AREA = {
    "type": "Polygon",
    "coordinates": [[[5.06, 50.66], [5.09, 50.66], [5.09, 50.68], [5.06, 50.68], [5.06, 50.66]]],
}


async def test_a_dataset_area_is_in_its_dcat_and_conforms(
    uploads: tuple[httpx.AsyncClient, Any],  # noqa: F811  # the fixture imported above
) -> None:
    client, who = uploads
    who.principal = ADMIN
    path = UPLOADS.format("bornes")
    assert (await client.put(path, json={**METADATA, "location": AREA})).status_code in (200, 201)
    await client.post(f"{path}/versions", **csv_body(GOOD))
    published = await client.post(f"{path}/publish")
    assert published.status_code == 200, published.text
    response = await client.get("/api/opendata/datasets/bornes/dcat.ttl")
    graph = Graph().parse(data=response.content, format="turtle")
    [dataset] = graph.subjects(RDF.type, DCAT.Dataset)
    areas = [
        place
        for place in graph.objects(dataset, DCTERMS.spatial)
        if (place, DCAT.bbox, None) in graph and str(place).endswith("#location")
    ]
    [area] = areas
    assert (area, RDF.type, DCTERMS.Location) in graph
    assert str(graph.value(area, DCAT.bbox)) == (
        "POLYGON ((5.09 50.66, 5.09 50.68, 5.06 50.68, 5.06 50.66, 5.09 50.66))"
    )
    assert str(graph.value(area, DCAT.centroid)) == "POINT (5.075 50.67)"
    shape = graph.value(area, GSP.hasGeometry)
    assert json.loads(str(graph.value(shape, GSP.asGeoJSON))) == AREA
    assert str(graph.value(shape, GSP.asWKT)).startswith("POLYGON ((5.06 50.66")
    for shapes in shape_files():
        violations = [r for r in results(graph, shapes) if r[0] == "Violation"]
        assert violations == [], (shapes.name, violations)
    catalogue = Graph().parse(
        data=(await client.get("/api/opendata/catalog.ttl")).content, format="turtle"
    )
    assert (URIRef(str(area)), DCAT.centroid, None) in catalogue
    for shapes in shape_files():
        assert [r for r in results(catalogue, shapes) if r[0] == "Violation"] == []


async def test_a_bad_dataset_area_is_refused(
    uploads: tuple[httpx.AsyncClient, Any],  # noqa: F811
) -> None:
    client, who = uploads
    who.principal = ADMIN
    path = UPLOADS.format("zone")
    crossing = {
        "type": "Polygon",
        "coordinates": [[[5, 50], [5.1, 50.1], [5.1, 50], [5, 50.1], [5, 50]]],
    }
    for location, word in [
        (crossing, "not valid"),
        ({"type": "Point", "coordinates": [200, 50]}, "BOCAGE_PLACES_BOUNDS"),
        (
            {"type": "Polygon", "coordinates": [[[0, 45], [9, 45], [9, 52], [0, 52], [0, 45]]]},
            "BOCAGE_PLACES_MAX_EXTENT_KM",
        ),
    ]:
        response = await client.put(path, json={**METADATA, "location": location})
        assert response.status_code in (400, 422), response.text
        assert word in response.text and "location" in response.text
