"""A code names one element of its level in a PST (projects and the import find actions by
it): ``createPstElement`` and ``updatePstElement`` refuse a code the plan already has (issue
15: it was accepted, and the import then refused projects pointing at it)."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from bocage.core import models as m

CREATE = """mutation($input: CreatePstElementInput!) { createPstElement(input: $input) {
  action { code } strategicObjective { code } operationalObjective { code }
  errors { field code message } } }"""

UPDATE = """mutation($input: UpdatePstElementInput!) { updatePstElement(input: $input) {
  action { code } errors { field code message } } }"""

ARCHIVE = """mutation($input: ArchiveVersionedInput!) { archivePstElement(input: $input) {
  errors { code } } }"""


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _plan_tree(world: Any, nis_code: str) -> tuple[Any, list[Any], list[Any]]:
    """A commune's plan, its operational objectives and its actions (live)."""
    async with world.sessionmaker() as session:
        oos = (
            (
                await session.execute(
                    select(m.OperationalObjective)
                    .join(m.StrategicObjective)
                    .join(m.StrategicPlan)
                    .join(m.Commune)
                    .where(m.Commune.nis_code == nis_code)
                    .order_by(m.OperationalObjective.id)
                )
            )
            .scalars()
            .all()
        )
        actions = (
            (
                await session.execute(
                    select(m.PstAction)
                    .where(m.PstAction.operational_objective_id.in_([o.id for o in oos]))
                    .order_by(m.PstAction.id)
                )
            )
            .scalars()
            .all()
        )
        plan = (
            await session.execute(
                select(m.StrategicPlan)
                .join(m.StrategicObjective)
                .where(m.StrategicObjective.id == oos[0].strategic_objective_id)
            )
        ).scalar_one()
    return plan, list(oos), list(actions)


async def _actions_count(world: Any) -> int:
    async with world.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(m.PstAction))).scalar_one()


async def test_a_code_the_plan_has_is_refused_naming_it(
    world: Any, run: Any, principals: dict[str, Any]
) -> None:
    admin = principals["admin"]
    plan, oos, actions = await _plan_tree(world, "64034")
    taken = actions[0]
    elsewhere = next(o for o in oos if o.id != taken.operational_objective_id)
    before = await _actions_count(world)

    # Under another objective of the same plan: refused, nothing written.
    variables = {
        "input": {
            "parent": gid("OperationalObjective", elsewhere.id),
            "code": f" {taken.code} ",
            "title": {"fr": "Doublon"},
        }
    }
    result = (await run(CREATE, variables, principal=admin))["data"]["createPstElement"]
    assert result["action"] is None
    [error] = result["errors"]
    assert (error["field"], error["code"]) == ("code", "DUPLICATE")
    assert repr(taken.code) in error["message"] and "another code" in error["message"]
    assert await _actions_count(world) == before

    # A strategic objective's code, under the plan itself.
    async with world.sessionmaker() as session:
        objective = await session.get(m.StrategicObjective, elsewhere.strategic_objective_id)
    variables = {
        "input": {
            "parent": gid("StrategicPlan", plan.id),
            "code": objective.code,
            "title": {"fr": "x"},
        }
    }
    result = (await run(CREATE, variables, principal=admin))["data"]["createPstElement"]
    assert [e["code"] for e in result["errors"]] == ["DUPLICATE"]
    assert "a strategic objective" in result["errors"][0]["message"]

    # A new code is accepted; another commune's plan may use it too; the plan may not twice.
    _, andenne_oos, _ = await _plan_tree(world, "92003")
    other = next(o for o in oos if o.id not in (elsewhere.id,))
    for parent, accepted in ((elsewhere, True), (andenne_oos[0], True), (other, False)):
        variables = {
            "input": {
                "parent": gid("OperationalObjective", parent.id),
                "code": "A99.1",
                "title": {"fr": "Nouvelle action"},
            }
        }
        result = (await run(CREATE, variables, principal=admin))["data"]["createPstElement"]
        if accepted:
            assert result["action"] == {"code": "A99.1"} and result["errors"] == [], result
        else:
            assert [e["code"] for e in result["errors"]] == ["DUPLICATE"], result


async def test_renaming_to_a_taken_code_is_refused_and_archived_codes_are_free(
    world: Any, run: Any, principals: dict[str, Any]
) -> None:
    admin = principals["admin"]
    _, _, actions = await _plan_tree(world, "64034")
    first, second = actions[0], actions[1]

    def update(row: Any, code: str, version: int) -> dict[str, Any]:
        return {"input": {"id": gid("PstAction", row.id), "version": version, "code": code}}

    result = (await run(UPDATE, update(second, first.code, second.version), principal=admin))[
        "data"
    ]["updatePstElement"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("code", "DUPLICATE")]
    # Its own code again is no change of code.
    result = (await run(UPDATE, update(second, second.code, second.version), principal=admin))[
        "data"
    ]["updatePstElement"]
    assert result == {"action": {"code": second.code}, "errors": []}
    # Once the first is archived, its code may be used again.
    archived = (
        await run(
            ARCHIVE,
            {"input": {"id": gid("PstAction", first.id), "version": first.version}},
            principal=admin,
        )
    )["data"]["archivePstElement"]
    assert archived["errors"] == []
    async with world.sessionmaker() as session:
        version = (await session.get(m.PstAction, second.id)).version
    result = (await run(UPDATE, update(second, first.code, version), principal=admin))["data"][
        "updatePstElement"
    ]
    assert result == {"action": {"code": first.code}, "errors": []}
