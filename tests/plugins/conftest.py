"""What the bundled plugins' tenancy tests share (``tests/plugins/*/test_tenancy.py``): the
small demo split into two GALs, A (the demo's territory) and B (a new one, given one of A's
communes), and callers whose tokens the app's own issuer signs with a ``territories`` claim,
so that its real authenticator confines them (docs/tenancy.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from bocage.core.api import Commune, Role, Territory, global_id


@dataclass(frozen=True)
class Caller:
    """Who calls, as its token says: roles, territories (slugs), communes and scopes."""

    subject: str
    roles: frozenset[Role]
    territories: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()


@dataclass
class Gal:
    key: int
    slug: str
    #: One of its communes: database key and NIS code.
    commune_key: int
    nis: str

    @property
    def id(self) -> str:
        return global_id("Territory", self.key)

    @property
    def commune_id(self) -> str:
        return global_id("Commune", self.commune_key)


class TwoGals:
    """The two GALs, their callers, and GraphQL and REST calls made with their tokens."""

    def __init__(self, app: Any, client: httpx.AsyncClient, a: Gal, b: Gal) -> None:
        self.app, self.client, self.a, self.b = app, client, a, b

    def admin(self, *gals: Gal, subject: str | None = None) -> Caller:
        """A territory administrator of ``gals`` (its token names their slugs)."""
        slugs = tuple(g.slug for g in gals)
        return Caller(
            subject or f"admin-{'-'.join(slugs)}", frozenset({Role.TERRITORY_ADMIN}), slugs
        )

    def editor(self, gal: Gal) -> Caller:
        """A commune editor of ``gal``'s commune (confined to ``gal`` through it)."""
        return Caller(f"editor-{gal.nis}", frozenset({Role.COMMUNE_EDITOR}), communes=(gal.nis,))

    def person(self, subject: str) -> Caller:
        """A signed-in person with no role (a citizen)."""
        return Caller(subject, frozenset())

    @property
    def operator(self) -> Caller:
        return Caller("operator", frozenset({Role.OPERATOR}))

    async def headers(self, caller: Caller) -> dict[str, str]:
        issued = await self.app.state.issuer.issue(
            subject=caller.subject,
            roles=caller.roles,
            communes=caller.communes,
            stakeholders=(),
            scopes=(),
            territories=caller.territories,
        )
        return {"authorization": f"Bearer {issued.access_token}"}

    async def gql(
        self, caller: Caller | None, document: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The whole GraphQL body (``data`` and maybe ``errors``) for ``caller``."""
        headers = await self.headers(caller) if caller is not None else {}
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def get(self, caller: Caller | None, path: str, **params: Any) -> httpx.Response:
        headers = await self.headers(caller) if caller is not None else {}
        return await self.client.get(path, params=params, headers=headers)

    async def send(self, caller: Caller, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {**(await self.headers(caller)), **options.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **options)

    @staticmethod
    def errors(body: dict[str, Any], payload: str) -> list[dict[str, Any]]:
        """The typed errors of a mutation's payload (``errors { field code message }``)."""
        assert "errors" not in body, body
        found: list[dict[str, Any]] = body["data"][payload]["errors"]
        return found

    async def changes(self, caller: Caller, types: Iterable[str]) -> set[str]:
        """The subjects (object IDs) of the events of ``types`` in ``caller``'s change feed."""
        response = await self.get(caller, "/api/changes", types=",".join(types), limit=1000)
        assert response.status_code == 200, response.text
        return {item["objectId"] for item in response.json()["items"]}


@pytest.fixture
async def two_gals(bocage_app: Any, bocage_client: httpx.AsyncClient) -> TwoGals:
    """The demo's GAL (A) and a new one (B) holding one of A's communes: from now on, every
    signed-in caller but an operator is confined to its territories."""
    async with bocage_app.state.sessionmaker() as session, session.begin():
        a_key, a_slug = (
            await session.execute(
                select(Territory.id, Territory.slug)
                .where(Territory.deleted_at.is_(None))
                .order_by(Territory.id)
            )
        ).first()
        communes = (
            await session.execute(
                select(Commune.id, Commune.nis_code)
                .where(Commune.territory_id == a_key, Commune.deleted_at.is_(None))
                .order_by(Commune.nis_code)
            )
        ).all()
        assert len(communes) >= 2, "the demo GAL needs two communes to split"
        b_row = Territory(slug="gal-b", name={"fr": "GAL B"})
        session.add(b_row)
        await session.flush()
        (a_commune, a_nis), (b_commune, b_nis) = communes[0], communes[-1]
        await session.execute(
            update(Commune).where(Commune.id == b_commune).values(territory_id=b_row.id)
        )
        b_key = b_row.id
    bocage_app.state.authenticator.tenancy.forget()
    return TwoGals(
        bocage_app,
        bocage_client,
        Gal(a_key, a_slug, a_commune, a_nis),
        Gal(b_key, "gal-b", b_commune, b_nis),
    )


@pytest.fixture
async def one_gal(bocage_app: Any, bocage_client: httpx.AsyncClient) -> TwoGals:
    """The demo's GAL alone (``a`` and ``b`` are both it), with the same callers: an
    installation of one GAL, where nobody is confined."""
    async with bocage_app.state.sessionmaker() as session:
        key, slug = (await session.execute(select(Territory.id, Territory.slug))).one()
        commune, nis = (
            await session.execute(
                select(Commune.id, Commune.nis_code)
                .where(Commune.territory_id == key, Commune.deleted_at.is_(None))
                .order_by(Commune.nis_code)
            )
        ).first()
    gal = Gal(key, slug, commune, nis)
    return TwoGals(bocage_app, bocage_client, gal, gal)
