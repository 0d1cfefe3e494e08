"""The write API as an integrator and a commune editor use it: a token, then /graphql."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.clients import create_client
from bocage.core.auth.principal import Role


@pytest.fixture
async def http(world: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client:
            yield app, client


CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id title communes { nisCode } } errors { field code message } } }"""


async def _commune(app: Any, nis: str) -> str:
    async with app.state.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis))
        ).scalar_one()
    return base64.b64encode(f"Commune:{key}".encode()).decode()


async def test_integrator_gets_a_token_and_creates_a_project_in_its_commune(
    http: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = http
    async with app.state.sessionmaker() as session, session.begin():
        created = await create_client(
            session,
            name="Hannut PST tool",
            scopes=("projects:write",),
            known_scopes=[p.code for p in app.state.host.permissions()],
            communes=("64034",),
        )
    client_id, secret = created.client_id, created.client_secret
    token = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    project = {
        "title": {"fr": "Tableau de bord du PST"},
        "focus": "DIGITAL",
        "communes": [await _commune(app, "64034")],
        "idempotencyKey": "pst-42",
    }
    for _attempt in range(2):  # a retry after a timeout
        response = await client.post(
            "/graphql", json={"query": CREATE, "variables": {"input": project}}, headers=bearer
        )
        payload = response.json()["data"]["createProject"]
        assert payload["errors"] == [], payload
    elsewhere = {**project, "communes": [await _commune(app, "92003")], "idempotencyKey": "x"}
    refused = await client.post(
        "/graphql", json={"query": CREATE, "variables": {"input": elsewhere}}, headers=bearer
    )
    assert refused.json()["data"]["createProject"]["errors"][0]["code"] == "FORBIDDEN"
    async with app.state.sessionmaker() as session:
        titles = (await session.execute(select(m.Project.title))).scalars().all()
    assert sum(1 for t in titles if t.get("fr") == "Tableau de bord du PST") == 1


async def test_commune_editor_token_and_anonymous_caller(
    http: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = http
    issued = await app.state.issuer.issue(
        subject="editor@hannut", roles=[Role.COMMUNE_EDITOR], communes=["64034"]
    )
    variables = {
        "input": {
            "title": {"fr": "Ruelles fleuries"},
            "focus": "COLLABORATION",
            "communes": [await _commune(app, "64034")],
        }
    }
    ok = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": variables},
        headers={"Authorization": f"Bearer {issued.access_token}"},
    )
    assert ok.json()["data"]["createProject"]["project"]["communes"] == [{"nisCode": "64034"}]
    anonymous = await client.post("/graphql", json={"query": CREATE, "variables": variables})
    assert anonymous.json()["data"]["createProject"]["errors"][0]["code"] == "UNAUTHENTICATED"
    bad = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": variables},
        headers={"Authorization": f"Bearer {issued.access_token[:-4]}AAAA"},
    )
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
