"""A change of communes changes who reaches them at once on the worker that made it, over HTTP
through the real authenticator (docs/tenancy.md): the worker forgets the territories it read,
instead of serving the former confinement until ``BOCAGE_AUTH_TENANCY_CACHE_TTL`` is over."""

from __future__ import annotations

from typing import Any

from bocage.core.app import create_app
from bocage.core.reference import setup_territory
from bocage.core.testing import GraphQL, Principals, serve

A, B = "gal-hesbaye-meuse", "gal-b"
HANNUT, ANDENNE, AMAY = "64034", "92003", "61003"
who = Principals()

ERRORS = "errors { field code message }"
COMMUNE = "query($nis: String!) { commune(nisCode: $nis) { id version territory { id slug } } }"
VIEWER = "{ viewer { confined communeNisCodes } }"
UPDATE = f"""mutation($input: UpdateCommuneInput!) {{ updateCommune(input: $input) {{
  commune {{ version territory {{ slug }} }} {ERRORS} }} }}"""
CREATE = f"""mutation($input: CreateCommuneInput!) {{ createCommune(input: $input) {{
  commune {{ id version }} {ERRORS} }} }}"""
ARCHIVE = f"""mutation($input: ArchiveVersionedInput!) {{ archiveCommune(input: $input) {{
  commune {{ id }} {ERRORS} }} }}"""


async def test_communes_created_moved_and_archived_change_who_reaches_them_at_once(
    world: Any,
) -> None:
    async with world.sessionmaker() as session, session.begin():
        await setup_territory(session, slug=B, name={"fr": "GAL B"}, nis_codes=[ANDENNE])
    # A day-long period: only forgetting can show a change within this test.
    settings = world.settings.model_copy(update={"auth_tenancy_cache_ttl": 86_400})
    app = create_app(settings, host=world.host)
    async with serve(app) as client:
        gql = GraphQL(client, app)
        admin_a, admin_b = who.admin_of(A), who.admin_of(B)

        async def reached(principal: Any) -> list[str]:
            viewer = (await gql(VIEWER, principal=principal))["viewer"]
            assert viewer["confined"] is True
            return list(viewer["communeNisCodes"])

        async def population(principal: Any, nis: str, value: int) -> list[dict[str, Any]]:
            commune = (await gql(COMMUNE, {"nis": nis}))["commune"]
            variables = {"input": {"id": commune["id"], "version": commune["version"]}}
            variables["input"]["population"] = value
            return (await gql(UPDATE, variables, principal=principal))["updateCommune"]["errors"]

        # The worker reads the territories once, and keeps them.
        assert HANNUT in await reached(admin_a) and HANNUT not in await reached(admin_b)
        assert await population(admin_a, HANNUT, 1) == []
        assert (await population(admin_b, HANNUT, 2))[0]["code"] == "FORBIDDEN"

        # The operator moves Hannut to GAL B: A's administrator loses it, B's gains it, now.
        hannut = (await gql(COMMUNE, {"nis": HANNUT}))["commune"]
        b_key = (await gql(COMMUNE, {"nis": ANDENNE}))["commune"]["territory"]["id"]
        move = {"id": hannut["id"], "version": hannut["version"], "territory": b_key}
        move["territorySince"] = "2025-01-01"
        moved = await gql(UPDATE, {"input": move}, principal=who.operator)
        assert moved["updateCommune"]["errors"] == []
        assert moved["updateCommune"]["commune"]["territory"] == {"slug": B}
        assert HANNUT not in await reached(admin_a) and HANNUT in await reached(admin_b)
        assert (await population(admin_a, HANNUT, 3))[0]["code"] == "FORBIDDEN"
        assert await population(admin_b, HANNUT, 4) == []

        # A commune B's administrator adds is its own at once; archived, it is no one's.
        created = await gql(
            CREATE, {"input": {"nisCode": AMAY, "territory": b_key}}, principal=admin_b
        )
        assert created["createCommune"]["errors"] == []
        assert AMAY in await reached(admin_b)
        assert await population(admin_b, AMAY, 5) == []
        amay = (await gql(COMMUNE, {"nis": AMAY}))["commune"]
        archive = {"input": {"id": amay["id"], "version": amay["version"]}}
        archived = await gql(ARCHIVE, archive, principal=admin_b)
        assert archived["archiveCommune"]["errors"] == []
        assert AMAY not in await reached(admin_b)
