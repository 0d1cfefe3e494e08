"""Every open-data route is described, and the OpenAPI document validates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from bocage.plugins.opendata.routes import ROUTES


async def test_served_openapi_validates_and_describes_every_route(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    validate(document)
    for _name, path, _handler in ROUTES:
        operation = document["paths"][path]["get"]
        assert operation["summary"] and operation["description"], path
        assert operation["operationId"].startswith("opendata")


def _response_schema(document: dict[str, Any], path: str, media: str) -> dict[str, Any]:
    schema = document["paths"][path]["get"]["responses"]["200"]["content"][media]["schema"]
    # "$ref": "#/components/..." resolves against the schema's root.
    return {**schema, "components": document["components"]}


@pytest.mark.parametrize(
    ("template", "url", "media"),
    [
        ("/api/opendata/catalog", "/api/opendata/catalog", "application/ld+json"),
        ("/api/opendata/catalog.{ext}", "/api/opendata/catalog.jsonld", "application/ld+json"),
        (
            "/api/opendata/datasets/{identifier}/dcat",
            "/api/opendata/datasets/projects/dcat",
            "application/ld+json",
        ),
        (
            "/api/opendata/datasets/{identifier}/dcat.{ext}",
            "/api/opendata/datasets/communes/dcat.jsonld",
            "application/ld+json",
        ),
        (
            "/api/opendata/datasets/{identifier}/export.{format}",
            "/api/opendata/datasets/projects/export.json",
            "application/json",
        ),
    ],
)
async def test_json_bodies_are_described_as_json(
    client: httpx.AsyncClient, template: str, url: str, media: str
) -> None:
    """JSON-LD and the JSON export are JSON documents, not strings: a client generated from
    the OpenAPI document parses them, and the bodies served conform."""
    document = (await client.get("/openapi.json")).json()
    schema = _response_schema(document, template, media)
    assert schema.get("type") != "string"
    response = await client.get(url, headers={"accept": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    Draft202012Validator(schema).validate(response.json())
