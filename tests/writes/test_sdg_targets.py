"""SDG targets on projects through createProject and updateProject: a target implies its
goal, codes are checked and put in the official order, a refused one writes nothing, and the
audit trail records the change."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal

FIELDS = """project { id version sdgs sdgTargetCodes sdgTargets { code goal { number } } }
  errors { field code message }"""
CREATE = f"""mutation($input: CreateProjectInput!) {{ createProject(input: $input) {{
  {FIELDS} }} }}"""
UPDATE = f"""mutation($input: UpdateProjectInput!) {{ updateProject(input: $input) {{
  {FIELDS} }} }}"""
TRAIL = """query($id: ID) { auditTrail(object: $id, first: 10) { edges { node {
  action changes } } } }"""


async def _hannut(world: Any) -> str:
    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == "64034"))
        ).scalar_one()
    return base64.b64encode(f"Commune:{key}".encode()).decode()


async def _projects(world: Any) -> int:
    async with world.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(m.Project))).scalar_one()


async def _create(world: Any, run: Any, who: Principal, **more: Any) -> dict[str, Any]:
    new = {"title": {"fr": "Quartier durable"}, "focus": "COLLABORATION", **more}
    new["communes"] = [await _hannut(world)]
    body = await run(CREATE, {"input": new}, principal=who)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createProject"]
    return payload


async def test_a_target_implies_its_goal_and_codes_are_put_in_order(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    payload = await _create(
        world,
        run,
        principals["hannut_editor"],
        sdgs=[13],
        sdgTargets=["11.a", " 7.2", "11.3", "11.3"],
    )
    assert payload["errors"] == []
    project = payload["project"]
    assert project["sdgs"] == [7, 11, 13]
    assert project["sdgTargetCodes"] == ["7.2", "11.3", "11.a"]
    assert project["sdgTargets"] == [
        {"code": "7.2", "goal": {"number": 7}},
        {"code": "11.3", "goal": {"number": 11}},
        {"code": "11.a", "goal": {"number": 11}},
    ]


async def test_an_unknown_target_is_refused_and_nothing_is_written(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    before = await _projects(world)
    payload = await _create(world, run, principals["hannut_editor"], sdgTargets=["11.3", "ODD 11"])
    assert payload["project"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("sdgTargets", "INVALID")
    assert "'ODD 11' is not an SDG target" in error["message"] and "'11.3'" in error["message"]
    assert await _projects(world) == before


async def test_updates_keep_each_targets_goal(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    editor = principals["hannut_editor"]
    project = (await _create(world, run, editor, sdgs=[3]))["project"]

    async def update(**changes: Any) -> dict[str, Any]:
        body = await run(
            UPDATE,
            {"input": {"id": project["id"], "version": project["version"], **changes}},
            principal=editor,
        )
        payload: dict[str, Any] = body["data"]["updateProject"]
        if payload["project"]:
            project.update(payload["project"])
        return payload

    assert (await update(sdgTargets=["16.7"]))["errors"] == []
    assert (project["sdgs"], project["sdgTargetCodes"]) == ([3, 16], ["16.7"])
    # Goals alone: a goal stays while one of its targets does.
    assert (await update(sdgs=[]))["errors"] == []
    assert (project["sdgs"], project["sdgTargetCodes"]) == ([16], ["16.7"])
    assert (await update(sdgs=[], sdgTargets=[]))["errors"] == []
    assert (project["sdgs"], project["sdgTargetCodes"]) == ([], [])
    version = project["version"]
    refused = await update(sdgTargets=None)
    assert refused["project"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("sdgTargets", "REQUIRED")]
    refused = await update(sdgTargets=["18.1"])
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("sdgTargets", "INVALID")]
    assert project["version"] == version

    trail = await run(TRAIL, {"id": project["id"]}, principal=principals["admin"])
    changes = [e["node"]["changes"] for e in trail["data"]["auditTrail"]["edges"]]
    assert {"before": [], "after": ["16.7"]} in [c.get("sdg_targets") for c in changes]
    assert {"before": [3, 16], "after": [16]} in [c.get("sdgs") for c in changes]


async def test_the_permission_and_the_communes_still_decide(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    before = await _projects(world)
    for who in ("anonymous", "andenne_editor", "integrator_ro"):
        body = await run(
            CREATE,
            {
                "input": {
                    "title": {"fr": "Quartier durable"},
                    "focus": "COLLABORATION",
                    "communes": [await _hannut(world)],
                    "sdgTargets": ["11.3"],
                }
            },
            principal=principals[who],
        )
        payload = body["data"]["createProject"]
        assert payload["project"] is None and payload["errors"], who
    assert await _projects(world) == before
