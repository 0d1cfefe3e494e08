"""The communes' and PSTs' mutations as their users send them: an administrator adds and
changes communes, a commune's editor builds its PST level by level; each refusal is a typed
error naming the field, and nothing is written by a refused change."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


COMMUNE = "commune { id nisCode name population areaKm2 version } errors { field code message }"
CREATE_COMMUNE = f"""mutation($input: CreateCommuneInput!) {{
  createCommune(input: $input) {{ {COMMUNE} }} }}"""
UPDATE_COMMUNE = f"""mutation($input: UpdateCommuneInput!) {{
  updateCommune(input: $input) {{ {COMMUNE} }} }}"""
ARCHIVE_COMMUNE = """mutation($input: ArchiveVersionedInput!) {
  archiveCommune(input: $input) { commune { id } errors { field code message } } }"""
PST = """plan { id startYear endYear }
  strategicObjective { id code } operationalObjective { id code } action { id code budget version }
  errors { field code message }"""
CREATE_PLAN = f"""mutation($input: CreateStrategicPlanInput!) {{
  createStrategicPlan(input: $input) {{ {PST} }} }}"""
CREATE_ELEMENT = f"""mutation($input: CreatePstElementInput!) {{
  createPstElement(input: $input) {{ {PST} }} }}"""
UPDATE_ELEMENT = f"""mutation($input: UpdatePstElementInput!) {{
  updatePstElement(input: $input) {{ {PST} }} }}"""
ARCHIVE_ELEMENT = """mutation($input: ArchiveVersionedInput!) {
  archivePstElement(input: $input) { errors { field code message } } }"""


async def _count(world: Any, model: Any) -> int:
    async with world.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_an_administrator_adds_changes_and_archives_a_commune(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    admin = principals["admin"]
    created = (
        await run(
            CREATE_COMMUNE,
            {"input": {"nisCode": " 61003 ", "population": 14000, "areaKm2": "27.9"}},
            principal=admin,
        )
    )["data"]["createCommune"]
    assert created["errors"] == []
    commune = created["commune"]
    assert (commune["nisCode"], commune["name"], commune["population"]) == ("61003", "Amay", 14000)

    negative = (
        await run(
            UPDATE_COMMUNE,
            {"input": {"id": commune["id"], "version": commune["version"], "population": -1}},
            principal=admin,
        )
    )["data"]["updateCommune"]
    assert negative["errors"] == [
        {"field": "population", "code": "INVALID", "message": "population cannot be negative"}
    ]

    updated = (
        await run(
            UPDATE_COMMUNE,
            {"input": {"id": commune["id"], "version": commune["version"], "population": 14100}},
            principal=admin,
        )
    )["data"]["updateCommune"]
    assert updated["errors"] == []
    # The area was not sent: it stays as it was.
    assert (updated["commune"]["population"], updated["commune"]["areaKm2"]) == (14100, "27.90")
    assert updated["commune"]["version"] == commune["version"] + 1

    stale = (
        await run(
            UPDATE_COMMUNE,
            {"input": {"id": commune["id"], "version": commune["version"], "areaKm2": "1"}},
            principal=admin,
        )
    )["data"]["updateCommune"]
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [("version", "CONFLICT")]

    bad_gal = (
        await run(
            UPDATE_COMMUNE,
            {
                "input": {
                    "id": commune["id"],
                    "version": updated["commune"]["version"],
                    "territory": gid("Commune", 1),
                }
            },
            principal=admin,
        )
    )["data"]["updateCommune"]
    assert [(e["field"], e["code"]) for e in bad_gal["errors"]] == [("territory", "INVALID")]

    archived = (
        await run(
            ARCHIVE_COMMUNE,
            {"input": {"id": commune["id"], "version": updated["commune"]["version"]}},
            principal=admin,
        )
    )["data"]["archiveCommune"]
    assert archived["errors"] == []
    again = (
        await run(
            ARCHIVE_COMMUNE,
            {"input": {"id": commune["id"], "version": updated["commune"]["version"] + 1}},
            principal=admin,
        )
    )["data"]["archiveCommune"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "NOT_FOUND")]


async def _commune_key(world: Any, nis_code: str) -> int:
    async with world.sessionmaker() as session:
        return int(
            (
                await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis_code))
            ).scalar_one()
        )


async def test_an_editor_builds_a_pst_level_by_level(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    editor = principals["hannut_editor"]
    hannut = gid("Commune", await _commune_key(world, "64034"))
    plans = await _count(world, m.StrategicPlan)

    years = (
        await run(
            CREATE_PLAN,
            {
                "input": {
                    "commune": hannut,
                    "title": {"fr": "PST"},
                    "startYear": 2031,
                    "endYear": 2030,
                }
            },
            principal=editor,
        )
    )["data"]["createStrategicPlan"]
    assert years["plan"] is None and years["errors"][0]["code"] == "INVALID", years
    assert await _count(world, m.StrategicPlan) == plans

    plan = (
        await run(
            CREATE_PLAN,
            {
                "input": {
                    "commune": hannut,
                    "title": {"fr": "PST 2031-2036"},
                    "startYear": 2031,
                    "endYear": 2036,
                }
            },
            principal=editor,
        )
    )["data"]["createStrategicPlan"]
    assert plan["errors"] == [] and plan["plan"]["startYear"] == 2031

    so = (
        await run(
            CREATE_ELEMENT,
            {"input": {"parent": plan["plan"]["id"], "code": "OS.1", "title": {"fr": "Objectif"}}},
            principal=editor,
        )
    )["data"]["createPstElement"]
    assert so["errors"] == [] and so["strategicObjective"]["code"] == "OS.1"

    budget_on_objective = (
        await run(
            CREATE_ELEMENT,
            {
                "input": {
                    "parent": so["strategicObjective"]["id"],
                    "code": "OO.1.1",
                    "title": {"fr": "Opérationnel"},
                    "budget": "10",
                }
            },
            principal=editor,
        )
    )["data"]["createPstElement"]
    assert budget_on_objective["operationalObjective"] is None
    assert [e["field"] for e in budget_on_objective["errors"]] == ["budget"]

    oo = (
        await run(
            CREATE_ELEMENT,
            {
                "input": {
                    "parent": so["strategicObjective"]["id"],
                    "code": "OO.1.1",
                    "title": {"fr": "Opérationnel"},
                }
            },
            principal=editor,
        )
    )["data"]["createPstElement"]
    assert oo["errors"] == [] and oo["operationalObjective"]["code"] == "OO.1.1"

    action = (
        await run(
            CREATE_ELEMENT,
            {
                "input": {
                    "parent": oo["operationalObjective"]["id"],
                    "code": "A.1.1.1",
                    "title": {"fr": "Action"},
                    "budget": "2500.50",
                }
            },
            principal=editor,
        )
    )["data"]["createPstElement"]
    assert action["errors"] == [], action
    assert (action["action"]["code"], action["action"]["budget"]) == ("A.1.1.1", "2500.50")

    # An action under an action does not exist: the parent must be a plan or an objective.
    deeper = (
        await run(
            CREATE_ELEMENT,
            {"input": {"parent": action["action"]["id"], "code": "X", "title": {"fr": "X"}}},
            principal=editor,
        )
    )["data"]["createPstElement"]
    assert [(e["field"], e["code"]) for e in deeper["errors"]] == [("parent", "INVALID")]

    changed = (
        await run(
            UPDATE_ELEMENT,
            {
                "input": {
                    "id": action["action"]["id"],
                    "version": action["action"]["version"],
                    "budget": "3000",
                }
            },
            principal=editor,
        )
    )["data"]["updatePstElement"]
    assert changed["errors"] == [] and changed["action"]["budget"] == "3000.00"
    assert changed["action"]["code"] == "A.1.1.1"

    for budget, message in (
        ("-1", "budget cannot be negative"),
        ("10.005", "budget is in euros and cents: 10.005 has more decimals"),
        ("1000000000000", "budget cannot exceed 999999999999.99 euros"),
    ):
        refused = (
            await run(
                UPDATE_ELEMENT,
                {
                    "input": {
                        "id": action["action"]["id"],
                        "version": changed["action"]["version"],
                        "budget": budget,
                    }
                },
                principal=editor,
            )
        )["data"]["updatePstElement"]
        assert refused["errors"] == [{"field": "budget", "code": "INVALID", "message": message}]
    largest = (
        await run(
            CREATE_ELEMENT,
            {
                "input": {
                    "parent": oo["operationalObjective"]["id"],
                    "code": "A.1.1.2",
                    "title": {"fr": "La plus chère"},
                    "budget": "999999999999.99",
                }
            },
            principal=editor,
        )
    )["data"]["createPstElement"]
    assert largest["errors"] == [] and largest["action"]["budget"] == "999999999999.99"

    objective_budget = (
        await run(
            UPDATE_ELEMENT,
            {"input": {"id": so["strategicObjective"]["id"], "version": 1, "budget": "1"}},
            principal=editor,
        )
    )["data"]["updatePstElement"]
    assert objective_budget["errors"] == [
        {"field": "budget", "code": "INVALID", "message": "only actions have a budget"}
    ]

    # Andenne's editor may not touch Hannut's plan.
    other = (
        await run(
            ARCHIVE_ELEMENT,
            {"input": {"id": action["action"]["id"], "version": changed["action"]["version"]}},
            principal=principals["andenne_editor"],
        )
    )["data"]["archivePstElement"]
    assert [e["code"] for e in other["errors"]] == ["FORBIDDEN"]

    archived = (
        await run(
            ARCHIVE_ELEMENT,
            {"input": {"id": action["action"]["id"], "version": changed["action"]["version"]}},
            principal=editor,
        )
    )["data"]["archivePstElement"]
    assert archived["errors"] == []
    async with world.sessionmaker() as session:
        row = await session.get(
            m.PstAction, int(base64.b64decode(action["action"]["id"]).split(b":")[1])
        )
        assert row is not None and row.deleted_at is not None
