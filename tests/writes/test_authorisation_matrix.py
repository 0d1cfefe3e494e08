"""Every role x every mutation x own/other commune: the expected allow/deny, nothing else.

Each case runs against a fresh demo database; an allow must change the row, a deny must
leave it untouched and answer a typed error.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def one_commune_project(world: Any, nis: str) -> m.Project:
    """A live project whose only commune is ``nis``."""
    async with world.sessionmaker() as session:
        link = m.project_commune
        rows = (
            await session.execute(
                select(m.Project, m.Commune.nis_code)
                .join(link, link.c.project_id == m.Project.id)
                .join(m.Commune, m.Commune.id == link.c.commune_id)
            )
        ).all()
    communes: dict[int, set[str]] = {}
    projects = {}
    for project, code in rows:
        communes.setdefault(project.id, set()).add(code)
        projects[project.id] = project
    key = next(k for k, codes in communes.items() if codes == {nis})
    return projects[key]


async def commune_id(world: Any, nis: str) -> int:
    async with world.sessionmaker() as session:
        return (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis))
        ).scalar_one()


UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version summary } errors { field code message } } }"""
CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id communes { nisCode } } errors { field code message } } }"""
ARCHIVE = """mutation($input: ArchiveInput!) { archiveProject(input: $input) {
  project { id } errors { field code message } } }"""

# principal -> (may change Hannut's project, may change Andenne's project)
PROJECT_RULES = {
    "anonymous": (False, False),
    "admin": (True, True),
    "hannut_editor": (True, False),
    "andenne_editor": (False, True),
    "member": (False, False),
    "integrator_rw": (True, True),
    "integrator_ro": (False, False),
    "integrator_hannut": (True, False),
}


@pytest.mark.parametrize("who", sorted(PROJECT_RULES))
@pytest.mark.parametrize("operation", ["update", "archive", "create"])
@pytest.mark.parametrize("where", ["64034", "92003"])
async def test_project_mutations(
    world: Any, run: Any, principals: dict[str, Principal], who: str, operation: str, where: str
) -> None:
    allowed = PROJECT_RULES[who][0 if where == "64034" else 1]
    principal = principals[who]
    if operation == "create":
        variables = {
            "input": {
                "title": {"fr": "Nouveau projet"},
                "focus": "DIGITAL",
                "communes": [gid("Commune", await commune_id(world, where))],
            }
        }
        body = await run(CREATE, variables, principal=principal)
        payload = body["data"]["createProject"]
    else:
        project = await one_commune_project(world, where)
        pid = gid("Project", project.id)
        if operation == "update":
            variables = {
                "input": {"id": pid, "version": project.version, "summary": {"fr": "Changé"}}
            }
            payload = (await run(UPDATE, variables, principal=principal))["data"]["updateProject"]
        else:
            variables = {"input": {"id": pid, "version": project.version}}
            payload = (await run(ARCHIVE, variables, principal=principal))["data"]["archiveProject"]
        async with world.sessionmaker() as session:
            after = await session.get(m.Project, project.id)
        changed = after.version != project.version
        assert changed == allowed, f"{who} {operation} in {where}: changed={changed}"
    if allowed:
        assert payload["errors"] == [] and payload["project"] is not None
    else:
        assert payload["project"] is None
        assert payload["errors"][0]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}


async def test_guessing_an_id_of_another_commune_changes_nothing(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    andenne = await one_commune_project(world, "92003")
    hannut_id = await commune_id(world, "64034")
    variables = {
        "input": {
            "id": gid("Project", andenne.id),
            "version": andenne.version,
            "communes": [gid("Commune", hannut_id)],
        }
    }
    payload = await run(UPDATE, variables, principal=principals["hannut_editor"])
    assert payload["data"]["updateProject"]["errors"][0]["code"] == "FORBIDDEN"
    async with world.sessionmaker() as session:
        assert (await session.get(m.Project, andenne.id)).version == andenne.version


async def test_a_shared_project_needs_every_commune(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    ids = [gid("Commune", await commune_id(world, code)) for code in ("64034", "92003")]
    variables = {"input": {"title": {"fr": "Commun"}, "focus": "COLLABORATION", "communes": ids}}
    body = await run(CREATE, variables, principal=principals["hannut_editor"])
    assert body["data"]["createProject"]["errors"][0]["code"] == "FORBIDDEN"
    body = await run(CREATE, variables, principal=principals["admin"])
    assert body["data"]["createProject"]["errors"] == []


STAKEHOLDER_UPDATE = """mutation($input: UpdateStakeholderInput!) { updateStakeholder(input: $input)
  { stakeholder { name } errors { code } } }"""


async def _stakeholder_only_in(world: Any, nis: str) -> m.Stakeholder:
    async with world.sessionmaker() as session:
        link = m.stakeholder_commune
        rows = (
            await session.execute(
                select(m.Stakeholder, m.Commune.nis_code)
                .join(link, link.c.stakeholder_id == m.Stakeholder.id)
                .join(m.Commune, m.Commune.id == link.c.commune_id)
            )
        ).all()
    codes: dict[int, set[str]] = {}
    found = {}
    for stakeholder, code in rows:
        codes.setdefault(stakeholder.id, set()).add(code)
        found[stakeholder.id] = stakeholder
    return found[next(k for k, c in codes.items() if c == {nis})]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("anonymous", False),
        ("admin", True),
        ("hannut_editor", True),
        ("andenne_editor", False),
        ("member_of_it", True),
        ("member_elsewhere", False),
        ("integrator_rw", True),
        ("integrator_ro", False),
    ],
)
async def test_stakeholder_update(
    world: Any, run: Any, principals: dict[str, Principal], who: str, allowed: bool
) -> None:
    stakeholder = await _stakeholder_only_in(world, "64034")
    if who.startswith("member"):
        own = stakeholder.id if who == "member_of_it" else stakeholder.id + 1
        principal = Principal(
            kind=PrincipalKind.PERSON,
            subject="m",
            stakeholders=frozenset({own}),
            roles=frozenset({Role.STAKEHOLDER_MEMBER}),
        )
    else:
        principal = principals[who]
    variables = {
        "input": {
            "id": gid("Stakeholder", stakeholder.id),
            "version": stakeholder.version,
            "name": "Nouveau nom",
        }
    }
    payload = (await run(STAKEHOLDER_UPDATE, variables, principal=principal))["data"]
    async with world.sessionmaker() as session:
        after = await session.get(m.Stakeholder, stakeholder.id)
    assert (after.name == "Nouveau nom") == allowed
    assert bool(payload["updateStakeholder"]["errors"]) != allowed


PST_CREATE = """mutation($input: CreatePstElementInput!) { createPstElement(input: $input) {
  action { code } strategicObjective { code } operationalObjective { code }
  errors { field code } } }"""

# principal -> (may change Hannut's PST, may change Andenne's PST, may create communes)
TERRITORY_RULES = {
    "anonymous": (False, False, False),
    "admin": (True, True, True),
    "hannut_editor": (True, False, False),
    "andenne_editor": (False, True, False),
    "member": (False, False, False),
    "integrator_rw": (False, False, False),  # holds no pst:write or communes:write scope
    "integrator_hannut": (False, False, False),
}


@pytest.mark.parametrize("who", sorted(TERRITORY_RULES))
@pytest.mark.parametrize("where", ["64034", "92003"])
async def test_pst_elements(
    world: Any, run: Any, principals: dict[str, Principal], who: str, where: str
) -> None:
    allowed = TERRITORY_RULES[who][0 if where == "64034" else 1]
    async with world.sessionmaker() as session:
        oo = (
            await session.execute(
                select(m.OperationalObjective)
                .join(m.StrategicObjective)
                .join(m.StrategicPlan)
                .join(m.Commune)
                .where(m.Commune.nis_code == where)
                .limit(1)
            )
        ).scalar_one()
    variables = {
        "input": {
            "parent": gid("OperationalObjective", oo.id),
            "code": "A9.9.9",
            "title": {"fr": "Nouvelle action"},
            "budget": "1000",
        }
    }
    payload = (await run(PST_CREATE, variables, principal=principals[who]))["data"]
    result = payload["createPstElement"]
    assert (result["action"] == {"code": "A9.9.9"}) == allowed, result
    assert bool(result["errors"]) != allowed


@pytest.mark.parametrize("who", sorted(TERRITORY_RULES))
async def test_commune_creation(
    world: Any, run: Any, principals: dict[str, Principal], who: str
) -> None:
    allowed = TERRITORY_RULES[who][2]
    query = """mutation { createCommune(input: {nisCode: "61003"}) {
      commune { name nisCode } errors { field code message } } }"""
    result = (await run(query, principal=principals[who]))["data"]["createCommune"]
    assert (result["commune"] == {"name": "Amay", "nisCode": "61003"}) == allowed, result
    if allowed:
        again = (await run(query, principal=principals[who]))["data"]["createCommune"]
        assert again["errors"][0]["code"] == "DUPLICATE"
        unknown = await run(
            'mutation { createCommune(input: {nisCode: "64999"}) { errors { code message } } }',
            principal=principals[who],
        )
        assert unknown["data"]["createCommune"]["errors"][0]["code"] == "NOT_FOUND"
