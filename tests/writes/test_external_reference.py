"""External references through GraphQL: an integrator sets its own keys, reads them back,
finds objects by them, and sees the ones the spreadsheet import set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.auth.principal import Principal

from .test_write_semantics import CREATE, _hannut, gid

CREATE_REF = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version externalReference { source id } } errors { field code message } } }"""
UPDATE_REF = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version externalReference { source id } } errors { field code message } } }"""
FIND = """query($ref: ExternalReferenceInput!) {
  projects(filter: {externalReference: $ref}) { edges { node { id title } } } }"""
STAKEHOLDER = """mutation($input: CreateStakeholderInput!) { createStakeholder(input: $input) {
  stakeholder { id externalReference { source id } } errors { field code message } } }"""
FIND_STAKEHOLDER = """query($ref: ExternalReferenceInput!) {
  stakeholders(filter: {externalReference: $ref}) { edges { node { id name } } } }"""


async def test_an_integrator_keeps_its_own_keys_on_projects(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    client = principals["integrator_rw"]
    hannut = await _hannut(world)
    new = {
        "title": {"fr": "Compostage collectif"},
        "focus": "COLLABORATION",
        "communes": [hannut],
        "externalReference": {"source": "pst-hannut", "id": " A-12 "},
    }
    result = await run(CREATE_REF, {"input": new}, principal=client)
    assert "errors" not in result, result
    created = result["data"]["createProject"]
    assert created["errors"] == []
    project = created["project"]
    assert project["externalReference"] == {"source": "pst-hannut", "id": "A-12"}

    found = (await run(FIND, {"ref": {"source": "pst-hannut", "id": "A-12"}}))["data"]
    assert [e["node"]["id"] for e in found["projects"]["edges"]] == [project["id"]]
    other_source = (await run(FIND, {"ref": {"source": "pst-andenne", "id": "A-12"}}))["data"]
    assert other_source["projects"]["edges"] == []

    # The same key on a second project is refused, naming the holder; nothing is written.
    twin = {**new, "title": {"fr": "Doublon"}}
    refused = (await run(CREATE_REF, {"input": twin}, principal=client))["data"]["createProject"]
    assert refused["project"] is None
    [error] = refused["errors"]
    assert error["field"] == "externalReference"
    assert error["code"] == "DUPLICATE"
    assert "pst-hannut/A-12" in error["message"] and project["id"] in error["message"]
    async with world.sessionmaker() as session:
        titles = (await session.execute(select(m.Project.title))).scalars().all()
    assert {"fr": "Doublon"} not in titles

    # Changing the key, then removing it.
    moved = (
        await run(
            UPDATE_REF,
            {
                "input": {
                    "id": project["id"],
                    "version": project["version"],
                    "externalReference": {"source": "pst-hannut", "id": "A-13"},
                }
            },
            principal=client,
        )
    )["data"]["updateProject"]
    assert moved["project"]["externalReference"]["id"] == "A-13"
    cleared = (
        await run(
            UPDATE_REF,
            {
                "input": {
                    "id": project["id"],
                    "version": moved["project"]["version"],
                    "externalReference": None,
                }
            },
            principal=client,
        )
    )["data"]["updateProject"]
    assert cleared["errors"] == [] and cleared["project"]["externalReference"] is None
    # A project without one reads null; an empty key is refused with what to fix.
    empty = {**new, "externalReference": {"source": "pst-hannut", "id": "  "}}
    blank = (await run(CREATE_REF, {"input": empty}, principal=client))["data"]["createProject"]
    assert blank["errors"] == [
        {
            "field": "externalReference",
            "code": "REQUIRED",
            "message": "externalReference.id cannot be empty",
        }
    ]
    plain = (
        await run(
            CREATE,
            {"input": {"title": {"fr": "Sans clé"}, "focus": "DIGITAL", "communes": [hannut]}},
            principal=client,
        )
    )["data"]["createProject"]
    assert plain["errors"] == []


async def test_stakeholder_keys_and_a_bad_filter(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    hannut = await _hannut(world)
    created = (
        await run(
            STAKEHOLDER,
            {
                "input": {
                    "kind": "ENTERPRISE",
                    "name": "Boulangerie Hesbaye",
                    "communes": [hannut],
                    "externalReference": {"source": "crm-hannut", "id": "C-0042"},
                }
            },
            principal=principals["integrator_rw"],
        )
    )["data"]["createStakeholder"]
    assert created["errors"] == []
    ref = {"source": "crm-hannut", "id": "C-0042"}
    found = (await run(FIND_STAKEHOLDER, {"ref": ref}))["data"]["stakeholders"]["edges"]
    assert [e["node"]["name"] for e in found] == ["Boulangerie Hesbaye"]

    too_long = await run(FIND_STAKEHOLDER, {"ref": {"source": "crm", "id": "x" * 201}})
    [error] = too_long["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "longer than 200 characters" in error["message"]


async def test_the_import_keys_are_readable(world: Any, run: Any) -> None:
    async with world.sessionmaker() as session, session.begin():
        project = (await session.execute(select(m.Project).limit(1))).scalar_one()
        project.external_source, project.external_id = "pst-import", "P-1"
    data = (await run(FIND, {"ref": {"source": "pst-import", "id": "P-1"}}))["data"]
    assert [e["node"]["id"] for e in data["projects"]["edges"]] == [gid("Project", project.id)]
