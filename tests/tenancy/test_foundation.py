"""Several GALs on one installation: who is confined to which territories, and the core's
writes of communes, grants and the installation-wide things under it (docs/tenancy.md).

The small demo GAL (gal-hesbaye-meuse) gives Andenne to a second GAL, gal-b: from then on
everyone but an operator reaches the rows of their own GAL only."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.auth.tenancy import Directory, confine
from bocage.core.hookspecs import CommuneFollower, CommuneMove
from bocage.core.reference import setup_territory
from bocage.core.testing import Principals

A, B = "gal-hesbaye-meuse", "gal-b"
HANNUT, ANDENNE = "64034", "92003"
who = Principals()

ERRORS = "errors { field code message }"
UPDATE_COMMUNE = f"""mutation($input: UpdateCommuneInput!) {{ updateCommune(input: $input) {{
  commune {{ id population territory {{ slug }}
    memberships {{ territory {{ slug }} joinedOn leftOn }} }} {ERRORS} }} }}"""
CREATE_COMMUNE = f"""mutation($input: CreateCommuneInput!) {{ createCommune(input: $input) {{
  commune {{ nisCode territory {{ slug }} }} {ERRORS} }} }}"""
COMMUNE = """query($nis: String!) { commune(nisCode: $nis) { id version territory { id slug } } }"""
GRANT = f"""mutation($input: PermissionGrantInput!) {{ grantPermission(input: $input) {{
  grant {{ role permission }} {ERRORS} }} }}"""
JOBS = "{ jobs(first: 1) { edges { node { id } } } }"
AUDIT = "{ auditTrail(first: 1) { edges { node { action } } } }"


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


# -- who is confined -----------------------------------------------------------------------------

ONE = Directory({A: 1}, {HANNUT: 1, ANDENNE: 1})
TWO = Directory({A: 1, B: 2}, {HANNUT: 1, ANDENNE: 2})


def editor(*communes: str) -> Principal:
    return who.editor(*communes)


def test_one_gal_confines_no_one_unless_the_token_names_territories() -> None:
    assert confine(who.admin, ONE).tenancy is None
    assert confine(editor(HANNUT), ONE).tenancy is None
    named = confine(who.admin_of(A), ONE)
    assert (named.tenancy, named.tenant_communes) == (frozenset({1}), {HANNUT, ANDENNE})


def test_several_gals_confine_everyone_but_operators_and_the_public() -> None:
    admin_a = confine(who.admin_of(A), TWO)
    assert (admin_a.tenancy, admin_a.tenant_communes) == (frozenset({1}), {HANNUT})
    # No territory named: fail closed, whatever the role.
    nowhere = confine(who.admin, TWO)
    assert (nowhere.tenancy, nowhere.tenant_communes) == (frozenset(), frozenset())
    # An editor belongs to the GAL of its communes.
    assert confine(editor(ANDENNE), TWO).tenancy == {2}
    # Unknown slugs reach nothing; operators and the anonymous are never confined.
    assert confine(who.admin_of("gal-z"), TWO).tenancy == frozenset()
    assert confine(who.operator, TWO).tenancy is None
    assert confine(who.anonymous, TWO).tenancy is None


def test_the_policy_answers_for_the_confined() -> None:
    admin_a = confine(who.admin_of(A), TWO)
    assert policy.commune_scope(admin_a) == {HANNUT}
    assert policy.may_touch_communes(admin_a, {HANNUT})
    assert not policy.may_touch_communes(admin_a, {HANNUT, ANDENNE})
    assert policy.may_touch_territory(admin_a, 1)
    assert not policy.may_touch_territory(admin_a, 2)
    assert not policy.may_touch_territory(admin_a, None)  # a row of no GAL: operators'
    reach = policy.reach(admin_a)
    assert reach.covers(None, [], territory_id=1) and not reach.covers(None, [], territory_id=2)
    assert policy.Reach.from_json(reach.as_json()) == reach
    # An editor of Andenne named in GAL A's token still reaches none of GAL B's communes.
    crossed = confine(
        Principal(
            kind=PrincipalKind.PERSON,
            subject="crossed",
            roles=frozenset({Role.COMMUNE_EDITOR}),
            communes=frozenset({ANDENNE}),
            territories=frozenset({A}),
        ),
        TWO,
    )
    assert policy.commune_scope(crossed) == frozenset()
    operator = confine(who.operator, TWO)
    assert policy.commune_scope(operator) is None and policy.may_touch_territory(operator, None)


# -- the core's writes on two GALs ----------------------------------------------------------------


@pytest.fixture
async def two_gals(world: Any) -> Any:
    """Andenne leaves the demo GAL for gal-b."""
    async with world.sessionmaker() as session, session.begin():
        await setup_territory(session, slug=B, name={"fr": "GAL B"}, nis_codes=[ANDENNE])
    return world


async def _commune(run: Any, nis: str) -> dict[str, Any]:
    return (await run(COMMUNE, {"nis": nis}))["data"]["commune"]


async def test_an_administrator_changes_the_communes_of_its_own_gal_only(
    two_gals: Any, run: Any
) -> None:
    hannut, andenne = await _commune(run, HANNUT), await _commune(run, ANDENNE)

    async def population(principal: Principal, commune: dict[str, Any]) -> Any:
        variables = {"input": {"id": commune["id"], "version": commune["version"], "population": 1}}
        return (await run(UPDATE_COMMUNE, variables, principal=principal))["data"]["updateCommune"]

    refused = await population(who.admin_of(A), andenne)
    assert refused["errors"][0]["code"] == "FORBIDDEN" and refused["commune"] is None
    assert (await population(who.admin, hannut))["errors"][0]["code"] == "FORBIDDEN"
    assert (await population(who.admin_of(B), hannut))["errors"][0]["code"] == "FORBIDDEN"
    assert (await population(who.admin_of(A), hannut))["errors"] == []
    assert (await population(who.operator, andenne))["errors"] == []
    async with two_gals.sessionmaker() as session:
        changed = dict(
            (await session.execute(select(m.Commune.nis_code, m.Commune.population))).all()
        )
    assert (changed[HANNUT], changed[ANDENNE]) == (1, 1)


async def test_moving_a_commune_between_gals_is_an_operators_change_with_its_history(
    two_gals: Any, run: Any
) -> None:
    hannut = await _commune(run, HANNUT)
    b_key = (await _commune(run, ANDENNE))["territory"]["id"]
    move = {"input": {"id": hannut["id"], "version": hannut["version"], "territory": b_key}}
    refused = (await run(UPDATE_COMMUNE, move, principal=who.admin_of(A, B)))["data"]
    assert refused["updateCommune"]["errors"][0]["field"] == "territory"
    assert refused["updateCommune"]["errors"][0]["code"] == "FORBIDDEN"

    move["input"]["territorySince"] = "2025-01-01"
    moved = (await run(UPDATE_COMMUNE, move, principal=who.operator))["data"]["updateCommune"]
    assert moved["errors"] == []
    assert moved["commune"]["territory"] == {"slug": B}
    assert moved["commune"]["memberships"][-1] == {
        "territory": {"slug": B},
        "joinedOn": "2025-01-01",
        "leftOn": None,
    }
    assert [p["territory"]["slug"] for p in moved["commune"]["memberships"]] == [A, B]
    assert moved["commune"]["memberships"][0]["leftOn"] == "2025-01-01"
    # Hannut is now gal-b's: gal-b's administrator reaches it, gal-a's no longer.
    hannut = await _commune(run, HANNUT)
    variables = {"input": {"id": hannut["id"], "version": hannut["version"], "population": 2}}
    by_a = (await run(UPDATE_COMMUNE, variables, principal=who.admin_of(A)))["data"]
    assert by_a["updateCommune"]["errors"][0]["code"] == "FORBIDDEN"
    by_b = (await run(UPDATE_COMMUNE, variables, principal=who.admin_of(B)))["data"]
    assert by_b["updateCommune"]["errors"] == []

    future = {"input": {**move["input"], "version": hannut["version"] + 1, "territory": None}}
    future["input"]["territorySince"] = "2999-01-01"
    too_late = (await run(UPDATE_COMMUNE, future, principal=who.operator))["data"]
    assert too_late["updateCommune"]["errors"][0]["field"] == "territorySince"


async def test_an_administrator_adds_communes_to_its_own_gals_only(two_gals: Any, run: Any) -> None:
    a_key = (await _commune(run, HANNUT))["territory"]["id"]
    b_key = (await _commune(run, ANDENNE))["territory"]["id"]

    async def create(principal: Principal, nis: str, territory: str | None) -> Any:
        variables = {"input": {"nisCode": nis, "territory": territory}}
        return (await run(CREATE_COMMUNE, variables, principal=principal))["data"]["createCommune"]

    assert (await create(who.admin_of(A), "61003", b_key))["errors"][0]["code"] == "FORBIDDEN"
    assert (await create(who.admin_of(A), "61003", None))["errors"][0]["code"] == "FORBIDDEN"
    created = await create(who.admin_of(A), "61003", a_key)
    assert created["errors"] == [] and created["commune"]["territory"] == {"slug": A}
    async with two_gals.sessionmaker() as session:
        periods = (
            await session.execute(
                select(func.count())
                .select_from(m.TerritoryMembership)
                .join(m.Commune, m.Commune.id == m.TerritoryMembership.commune_id)
                .where(m.Commune.nis_code == "61003", m.TerritoryMembership.left_on.is_(None))
            )
        ).scalar_one()
    assert periods == 1


async def test_installation_wide_things_are_the_operators(two_gals: Any, run: Any) -> None:
    for document in (JOBS, AUDIT):
        confined = await run(document, principal=who.admin_of(A))
        assert confined["errors"][0]["extensions"]["code"] == "FORBIDDEN", document
        assert "errors" not in await run(document, principal=who.operator), document
    hannut, andenne = await _commune(run, HANNUT), await _commune(run, ANDENNE)

    async def grant(principal: Principal, commune: str | None) -> Any:
        variables = {
            "input": {
                "role": "commune_editor",
                "permission": "workshops:organise",
                "commune": commune,
            }
        }
        return (await run(GRANT, variables, principal=principal))["data"]["grantPermission"]

    everywhere = await grant(who.admin_of(A), None)
    assert everywhere["errors"][0]["code"] == "FORBIDDEN"
    assert (await grant(who.admin_of(A), andenne["id"]))["errors"][0]["code"] == "FORBIDDEN"
    assert (await grant(who.admin_of(A), hannut["id"]))["errors"] == []
    assert (await grant(who.operator, None))["errors"] == []


async def test_tokens_carry_territories_through_the_real_authenticator(
    two_gals: Any, bocage_gql: Any
) -> None:
    """The same refusal over HTTP: the token's `territories` claim confines its bearer."""
    andenne = (await bocage_gql(COMMUNE, {"nis": ANDENNE}))["commune"]
    variables = {"input": {"id": andenne["id"], "version": andenne["version"], "population": 3}}
    by_a = await bocage_gql(UPDATE_COMMUNE, variables, principal=who.admin_of(A))
    assert by_a["updateCommune"]["errors"][0]["code"] == "FORBIDDEN"
    by_b = await bocage_gql(UPDATE_COMMUNE, variables, principal=who.admin_of(B))
    assert by_b["updateCommune"]["errors"] == []


# -- clients and tokens from the command line -----------------------------------------------------


async def test_a_client_of_a_territory_gets_tokens_that_name_it(
    cli: Any, small_demo_url: str, databases: Any, make_settings: Any
) -> None:
    import re

    import httpx

    from bocage.core.app import create_app

    url = await databases.clone(small_demo_url)
    env = {"BOCAGE_DATABASE_URL": url}
    unknown = cli(
        "clients", "create", "--name", "X", "--scope", "projects:write",
        "--territory", "gal-nowhere", env=env,
    )  # fmt: skip
    assert unknown.returncode == 2 and "no territory gal-nowhere" in unknown.stderr
    created = cli(
        "clients", "create", "--name", "Agenda", "--scope", "projects:write",
        "--territory", A, env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    client_id = re.search(r"client_id: (\S+)", created.stdout)[1]  # type: ignore[index]
    secret = re.search(r"client_secret: (\S+)", created.stdout)[1]  # type: ignore[index]
    listed = cli("clients", "list", "--json", env=env)
    assert f'"territories": [\n      "{A}"\n    ]' in listed.stdout

    app = create_app(make_settings(url))
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session, session.begin():
            await setup_territory(session, slug=B, name={"fr": "GAL B"}, nis_codes=[ANDENNE])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            form = {"grant_type": "client_credentials"}
            issued = await http.post("/oauth/token", data=form, auth=(client_id, secret))
            assert issued.status_code == 200, issued.text
        principal = await app.state.authenticator.verify(issued.json()["access_token"])
    assert principal.territories == {A}
    assert principal.tenancy is not None and len(principal.tenancy) == 1
    assert HANNUT in principal.tenant_communes and ANDENNE not in principal.tenant_communes

    token = cli("token", "--role", "operator", "--territory", A, env=env)
    assert token.returncode == 0, token.stderr


VIEWER = "{ viewer { subject roles confined communeNisCodes territories { slug } } }"


async def test_the_viewer_says_what_the_caller_reaches(two_gals: Any, run: Any) -> None:
    assert (await run(VIEWER))["data"]["viewer"] is None
    admin_a = (await run(VIEWER, principal=who.admin_of(A)))["data"]["viewer"]
    assert admin_a["confined"] is True and admin_a["roles"] == ["territory_admin"]
    assert admin_a["territories"] == [{"slug": A}]
    assert HANNUT in admin_a["communeNisCodes"] and ANDENNE not in admin_a["communeNisCodes"]
    operator = (await run(VIEWER, principal=who.operator))["data"]["viewer"]
    assert operator["confined"] is False and operator["communeNisCodes"] is None
    assert operator["territories"] == [{"slug": B}, {"slug": A}]
    editor_b = (await run(VIEWER, principal=editor(ANDENNE)))["data"]["viewer"]
    assert (editor_b["territories"], editor_b["communeNisCodes"]) == ([{"slug": B}], [ANDENNE])


async def test_a_commune_s_followers_move_with_it_in_its_transaction(world: Any) -> None:
    """``bocage territory create`` taking a commune over (``setup_territory``) tells the
    plugins' ``bocage_commune_followers`` in the same transaction; one that fails rolls the
    move back, so no commune is ever of one GAL with rows of the other."""
    told: list[CommuneMove] = []

    async def follow(session: Any, move: CommuneMove) -> int:
        assert session.in_transaction()
        told.append(move)
        return 0

    async def fail(session: Any, move: CommuneMove) -> int:
        raise RuntimeError("a follower failed")

    async with world.sessionmaker() as session:
        andenne = await session.scalar(select(m.Commune).where(m.Commune.nis_code == ANDENNE))
        a_key = andenne.territory_id
    with pytest.raises(RuntimeError):
        async with world.sessionmaker() as session, session.begin():
            await setup_territory(
                session,
                slug=B,
                name={"fr": "GAL B"},
                nis_codes=[ANDENNE],
                followers=[CommuneFollower("failing", fail)],
            )
    async with world.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(m.Territory)) == 1
    async with world.sessionmaker() as session, session.begin():
        b = await setup_territory(
            session,
            slug=B,
            name={"fr": "GAL B"},
            nis_codes=[ANDENNE],
            followers=[CommuneFollower("recording", follow)],
        )
        b_key = b.id
    assert told == [CommuneMove(andenne.id, ANDENNE, b_key, a_key)]
