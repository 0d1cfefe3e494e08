"""Every open-data route is described, and the OpenAPI document validates."""

from __future__ import annotations

import httpx
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
