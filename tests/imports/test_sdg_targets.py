"""SDG targets in a projects spreadsheet, as a GAL uploads it (POST /api/import/projects): a
"Cibles ODD" column of official codes, target codes among the goals of the "ODD" column, a
target's goal joining the goals, and bad codes reported by row and column."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import Role

from .conftest import count


@pytest.fixture
async def http(world: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client:
            issued = await app.state.issuer.issue(
                subject="gal-admin", roles=[Role.TERRITORY_ADMIN], communes=()
            )
            client.headers["Authorization"] = f"Bearer {issued.access_token}"
            yield app, client


async def _post(client: httpx.AsyncClient, text: str) -> httpx.Response:
    return await client.post(
        "/api/import/projects",
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


async def _sdgs(world: Any, key: str) -> tuple[list[int], list[str]]:
    async with world.sessionmaker() as session:
        project = (
            await session.execute(select(m.Project).where(m.Project.external_id == key))
        ).scalar_one()
    return project.sdgs, project.sdg_targets


async def test_target_codes_in_their_column_and_among_the_goals(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    _, client = http
    response = await _post(
        client,
        "Référence;Titre FR;Axe;Commune;ODD;Cibles ODD\n"
        'S1;Communauté d\'énergie;vert;64034;13;"7.2 ; 11.A"\n'
        "S2;Données ouvertes;bleu;64034;9; 16.10\n"
        "S3;Wifi public;bleu;64034;ODD 9.c, 4;\n",
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    assert await _sdgs(world, "S1") == ([7, 11, 13], ["7.2", "11.a"])
    assert await _sdgs(world, "S2") == ([9, 16], ["16.10"])
    assert await _sdgs(world, "S3") == ([4, 9], ["9.c"])

    # A file with the targets' column only: the goals stay, the targets are replaced, and
    # the new target's goal joins them.
    response = await _post(client, "Référence;Cibles ODD\nS1;12.5\n")
    assert response.status_code == 200 and response.json()["updated"] == 1, response.text
    assert await _sdgs(world, "S1") == ([7, 11, 12, 13], ["12.5"])
    again = await _post(client, "Référence;Cibles ODD\nS1;12.5\n")
    assert again.json()["unchanged"] == 1


async def test_bad_codes_are_reported_by_row_and_nothing_is_written(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    _, client = http
    before = await count(world, m.Project)
    response = await _post(
        client,
        "Référence;Titre FR;Axe;Commune;ODD;Cibles ODD\n"
        "B1;Un;vert;64034;11;11.3\n"
        "B2;Deux;vert;64034;11;11.12\n"
        "B3;Trois;vert;64034;11.z;\n"
        "B4;Quatre;vert;64034;11;onze\n",
    )
    assert response.status_code == 422
    errors = {(e["row"], e["column"]): e for e in response.json()["errors"]}
    assert set(errors) == {(3, "Cibles ODD"), (4, "ODD"), (5, "Cibles ODD")}
    assert "'11.12' is not an SDG target" in errors[3, "Cibles ODD"]["message"]
    assert "'11.z' is not an SDG target" in errors[4, "ODD"]["message"]
    assert "'onze' is not an SDG target" in errors[5, "Cibles ODD"]["message"]
    assert await count(world, m.Project) == before


async def test_a_number_cell_would_lose_a_targets_zero(
    world: Any, http: tuple[Any, httpx.AsyncClient]
) -> None:
    _, client = http
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Référence", "Titre FR", "Axe", "Commune", "Cibles ODD"])
    sheet.append(["X1", "Partenariats", "vert", "64034", 17.1])  # typed 17.10 in Excel
    sheet.append(["X2", "Partenariats", "vert", "64034", "17.10"])
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("projets.xlsx", buffer.getvalue(), "application/octet-stream")}
    response = await client.post("/api/import/projects", files=files)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["column"]) == (2, "Cibles ODD")
    assert "format the cell as text" in error["message"]
