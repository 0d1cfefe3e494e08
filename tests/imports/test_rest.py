"""POST /api/import/{kind} as an integrator's system calls it: a bearer token, a file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import Role

from .conftest import count, spreadsheets, territory


@pytest.fixture
async def http(world: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client:
            yield app, client


async def bearer(app: Any, role: Role, communes: tuple[str, ...] = ()) -> dict[str, str]:
    issued = await app.state.issuer.issue(subject=f"{role}", roles=[role], communes=communes)
    return {"Authorization": f"Bearer {issued.access_token}"}


async def _file(world: Any, rows: int = 20, **kwargs: Any) -> Any:
    communes, numbers = await territory(world)
    return spreadsheets.projects(rows, communes, numbers, **kwargs)


async def test_upload_needs_a_token_and_the_permission(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    app, client = http
    data = (await _file(world)).csv()
    anonymous = await client.post("/api/import/projects", content=data)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    forged = await client.post(
        "/api/import/projects", content=data, headers={"Authorization": "Bearer nope"}
    )
    assert forged.status_code == 401
    member = await bearer(app, Role.STAKEHOLDER_MEMBER)
    refused = await client.post("/api/import/projects", content=data, headers=member)
    assert refused.status_code == 403
    assert "projects:write" in refused.json()["error"]["message"]
    unknown = await client.post("/api/import/widgets", content=data, headers=member)
    assert unknown.status_code == 404 and "projects" in unknown.json()["error"]["message"]


async def test_multipart_upload_dry_run_then_commit(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    app, client = http
    admin = await bearer(app, Role.TERRITORY_ADMIN)
    generated = await _file(world, 30)
    files = {"file": ("projets.xlsx", generated.xlsx(), "application/octet-stream")}
    before = (await count(world, m.Project), await count(world, m.AuditEntry))
    dry = await client.post("/api/import/projects?dry_run=true", files=files, headers=admin)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["dry_run"] and not body["committed"] and body["format"] == "xlsx"
    assert (body["rows"], body["created"], body["errors"]) == (30, 30, [])
    assert body["columns"]["Titre NL"] == "title_nl"
    assert (await count(world, m.Project), await count(world, m.AuditEntry)) == before

    done = await client.post("/api/import/projects", files=files, headers=admin)
    assert done.status_code == 200 and done.json()["committed"]
    assert await count(world, m.Project) == before[0] + 30
    again = await client.post("/api/import/projects", files=files, headers=admin)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 30)
    assert await count(world, m.Project) == before[0] + 30


async def test_row_errors_answer_422_with_the_report(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    app, client = http
    admin = await bearer(app, Role.TERRITORY_ADMIN)
    generated = await _file(world, 40, errors=["status", "commune"])
    response = await client.post(
        "/api/import/projects",
        content=generated.csv(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "invalid_rows" and not body["committed"]
    assert {(e["row"], e["column"]) for e in body["errors"]} == {
        (row, column) for row, (column, _) in generated.planted.items()
    }
    assert all(e["message"] for e in body["errors"])


async def test_malformed_files_answer_400_json(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    app, client = http
    admin = await bearer(app, Role.TERRITORY_ADMIN)
    cases = [
        b"",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel",
        b"PK\x03\x04 not really a zip",
    ]
    for data in cases:
        response = await client.post("/api/import/projects", content=data, headers=admin)
        assert response.status_code == 400, (data, response.text)
        assert response.json()["error"]["code"] == "invalid_file"
    no_file = await client.post(
        "/api/import/projects", files={"other": ("x.csv", b"a,b\n1,2\n")}, headers=admin
    )
    assert no_file.status_code == 400 and "'file'" in no_file.json()["error"]["message"]
    bad_mapping = await client.post(
        "/api/import/projects?map=Nope=title_fr",
        content=(await _file(world)).csv(),
        headers=admin,
    )
    assert bad_mapping.status_code == 400
    assert "Nope" in bad_mapping.json()["error"]["message"]
    bad_field = await client.post(
        "/api/import/projects",
        files={
            "file": ("p.csv", (await _file(world)).csv()),
            "mapping": (None, json.dumps({"Titre": "titel"})),
        },
        headers=admin,
    )
    assert (
        bad_field.status_code == 400 and "no field 'titel'" in bad_field.json()["error"]["message"]
    )


async def test_commune_editor_imports_only_into_their_commune(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    app, client = http
    editor = await bearer(app, Role.COMMUNE_EDITOR, ("64034",))
    ours = spreadsheets.projects(5, ["64034"], [])
    ok = await client.post(
        "/api/import/projects?source=hannut-pst", content=ours.csv(), headers=editor
    )
    assert ok.status_code == 200 and ok.json()["created"] == 5, ok.text
    theirs = spreadsheets.projects(5, ["92003"], [], prefix="AND")
    before = await count(world, m.Project)
    refused = await client.post("/api/import/projects", content=theirs.csv(), headers=editor)
    assert refused.status_code == 422
    assert {e["code"] for e in refused.json()["errors"]} == {"forbidden"}
    assert len(refused.json()["errors"]) == 5 and await count(world, m.Project) == before
    # The PST of another commune: refused as a whole.
    pst = "Code OS;Objectif stratégique\nOS9;Un objectif\n".encode()
    other = await client.post("/api/import/pst?commune=92003", content=pst, headers=editor)
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"


async def test_uploads_may_exceed_the_graphql_body_limit_but_not_the_import_limit(
    world: Any, make_settings: Any
) -> None:
    settings = make_settings(
        world.settings.database_url, max_body_bytes=1000, import_max_bytes=50_000
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            admin = await bearer(app, Role.TERRITORY_ADMIN)
            small = spreadsheets.projects(50, ["64034"], []).csv()
            assert 1000 < len(small) < 50_000
            ok = await client.post("/api/import/projects?dry_run=1", content=small, headers=admin)
            assert ok.status_code == 200, ok.text
            big = spreadsheets.projects(1000, ["64034"], []).csv()
            too_big = await client.post("/api/import/projects", content=big, headers=admin)
            assert too_big.status_code == 413
            assert "split the file" in too_big.json()["error"]["message"]


async def test_the_route_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    from openapi_spec_validator import validate

    document = (await client.get("/openapi.json")).json()
    validate(document)
    operation = document["paths"]["/api/import/{kind}"]["post"]
    assert {"200", "400", "401", "403", "413", "422"} <= set(operation["responses"])
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert document["components"]["schemas"]["ImportReport"]["properties"]["errors"]


async def test_belgian_french_volunteers_are_a_need(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    """Regression (issue 15): "volontaires", as Belgian associations write it, was refused
    as a need; it and its synonyms are the need ``volunteers``."""
    app, client = http
    admin = await bearer(app, Role.TERRITORY_ADMIN)
    data = (
        "id;Nom;Type;Commune;Besoins\n"
        "VOL-1;Les Amis du Geer;asbl;64034;Volontaires\n"
        "VOL-2;Patro de Hannut;asbl;64034;formation, volontariat\n"
        "VOL-3;Jeugdhuis;vzw;64034;vrijwilliger\n"
        "VOL-4;Heimatverein;asbl;64034;Freiwillige\n"
        "VOL-5;Club des aînés;asbl;64034;pas de volontaires\n"
    )
    answer = await client.post(
        "/api/import/stakeholders?source=crm", content=data.encode(), headers=admin
    )
    # The one row naming no need of the list is still refused, with the list to choose from.
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(6, "Besoins")], body
    assert "volunteers" in body["errors"][0]["message"]
    fixed = data.replace("pas de volontaires", "bénévoles")
    answer = await client.post(
        "/api/import/stakeholders?source=crm", content=fixed.encode(), headers=admin
    )
    assert answer.json()["created"] == 5 and answer.json()["errors"] == [], answer.text
    listed = await client.post(
        "/graphql",
        json={
            "query": """{ stakeholders(first: 100, filter: {need: VOLUNTEERS,
              communeNisCode: "64034"}) { nodes { name needs } } }"""
        },
    )
    needs = {n["name"]: n["needs"] for n in listed.json()["data"]["stakeholders"]["nodes"]}
    assert {name: needs.get(name) for name in ("Les Amis du Geer", "Patro de Hannut")} == {
        "Les Amis du Geer": ["VOLUNTEERS"],
        "Patro de Hannut": ["TRAINING", "VOLUNTEERS"],
    }
    assert {"Jeugdhuis", "Heimatverein", "Club des aînés"} <= set(needs)
