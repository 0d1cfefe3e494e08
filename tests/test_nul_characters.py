"""The NUL character (U+0000) in what a client sends over REST: a JSON body, a spreadsheet's
cells, the token endpoint's form. PostgreSQL can neither store nor compare it (a 500 if it
reached a statement), and no text of Bocage's holds one: every way in refuses it with a 4xx
JSON body that names where it is, on both engines, and stores nothing."""

from __future__ import annotations

import base64
import codecs
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import Role

UPLOAD = "/api/opendata/uploads/bornes-nul"
METADATA = {
    "title": {"fr": "Bornes de recharge", "en": "Charging stations"},
    "description": {"fr": "Les bornes de recharge publiques de Hannut."},
    "theme": "TRAN",
    "keywords": {"fr": ["mobilité", "recharge"]},
    "frequency": "ANNUAL",
    "commune": "64034",
}
CSV = "nom,puissance_kw\r\nGrand-Place,22\r\nGare,50\r\n"


@pytest.fixture
async def http(world: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient, dict[str, str]]]:
    """A client of an app on a fresh copy of the demo GAL, and an administrator's header."""
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client:
            issued = await app.state.issuer.issue(subject="gal", roles=[Role.TERRITORY_ADMIN])
            yield app, client, {"Authorization": f"Bearer {issued.access_token}"}


def refused(response: httpx.Response, where: str) -> dict[str, Any]:
    """The response is a 4xx JSON error that names ``where`` and the NUL character."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    error: dict[str, Any] = response.json()["error"]
    assert where in error.get("field", "") + error["message"], error
    assert "NUL" in error["message"], error
    return error


async def test_a_json_body_with_nul_is_refused_naming_the_field(
    world: Any, http: tuple[Any, httpx.AsyncClient, dict[str, str]]
) -> None:
    _app, client, admin = http
    cases = [
        ({**METADATA, "title": {"fr": "Bornes\u0000", "en": "Stations"}}, "title.fr"),
        ({**METADATA, "keywords": {"fr": ["ok", "re\u0000charge"]}}, "keywords.fr[1]"),
        ({**METADATA, "commune\u0000": "64034"}, "commune\\u0000"),
        ({**METADATA, "schema": {"fields": [{"name": "n\u0000m"}]}}, "schema.fields[0].name"),
    ]
    count = select(func.count()).select_from(m.EventRecord)
    async with world.sessionmaker() as session:
        before = (await session.execute(count)).scalar_one()
    for body, where in cases:
        error = refused(await client.put(UPLOAD, json=body, headers=admin), where)
        assert error["field"] == where, error
    async with world.sessionmaker() as session:
        assert (await session.execute(count)).scalar_one() == before


async def test_an_uploaded_files_cell_with_nul_is_refused_naming_the_cell(
    http: tuple[Any, httpx.AsyncClient, dict[str, str]],
) -> None:
    _app, client, admin = http
    assert (await client.put(UPLOAD, json=METADATA, headers=admin)).status_code in (200, 201)
    headers = {**admin, "Content-Type": "text/csv"}
    for data in (
        CSV.replace("Gare", "Ga\x00re").encode(),
        codecs.BOM_UTF16_LE + CSV.replace("Gare", "Ga\x00re").encode("utf-16-le"),
    ):
        response = await client.post(f"{UPLOAD}/versions", content=data, headers=headers)
        refused(response, "row 3, column 1")
    described = (await client.get(UPLOAD, headers=admin)).json()
    assert described["versions"] == []


async def test_an_imported_cell_with_nul_is_refused_naming_the_cell(
    world: Any, http: tuple[Any, httpx.AsyncClient, dict[str, str]]
) -> None:
    _app, client, admin = http
    text = "Titre FR;Statut\r\nUn projet;idea\r\nDeux\x00projets;idea\r\n"
    async with world.sessionmaker() as session:
        before = (await session.execute(select(func.count()).select_from(m.Project))).scalar()
    for data in (text.encode(), codecs.BOM_UTF16_LE + text.encode("utf-16-le")):
        response = await client.post("/api/import/projects", content=data, headers=admin)
        refused(response, "row 3, column 1")
    # The mapping of a multipart upload is JSON too.
    files = {"file": ("p.csv", text.replace("\x00", " ").encode(), "text/csv")}
    mapping = json.dumps({"Titre\u0000FR": "title_fr"})
    response = await client.post(
        "/api/import/projects", files=files, data={"mapping": mapping}, headers=admin
    )
    refused(response, "mapping")
    async with world.sessionmaker() as session:
        after = (await session.execute(select(func.count()).select_from(m.Project))).scalar()
    assert after == before


async def test_the_token_endpoint_refuses_nul_in_a_parameter(
    http: tuple[Any, httpx.AsyncClient, dict[str, str]],
) -> None:
    _app, client, _admin = http
    response = await client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&client_id=crm%00&client_secret=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request" and "client_id" in body["error_description"]
    assert "NUL" in body["error_description"]
    basic = base64.b64encode(b"crm\x00:secret").decode()
    response = await client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
        },
    )
    assert response.status_code == 400, response.text
    assert "NUL" in response.json()["error_description"]
