"""Migration 0015_sdg_targets: projects made before it have no targets, and going down and up
again keeps the projects' full-text search (SQLite's triggers on the table) working."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select, update

from bocage.core import migrate
from bocage.core import models as m

QUERY = """query($search: String) { projects(first: 5, filter: {search: $search}) {
  totalCount nodes { title sdgs sdgTargetCodes } } }"""


async def _columns(world: Any) -> set[str]:
    async with world.engine.connect() as connection:
        return await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("project")}
        )


async def test_down_and_up_again(world: Any, run: Any) -> None:
    async with world.sessionmaker() as session:
        with_targets = (
            await session.execute(select(m.Project.id).where(m.Project.sdg_targets != []))
        ).scalars()
        assert list(with_targets)

    await migrate.downgrade(world.engine, world.host, "0012_trace_context")
    assert "sdg_targets" not in await _columns(world)
    await migrate.upgrade(world.engine, world.host)
    assert "sdg_targets" in await _columns(world)

    async with world.sessionmaker() as session:
        targets = (await session.execute(select(m.Project.sdg_targets))).scalars().all()
        assert targets and all(t == [] for t in targets)
        project = (await session.execute(select(m.Project).limit(1))).scalar_one()
        key, goals = project.id, project.sdgs
        # The search text kept in step by the database (SQLite: triggers on `project`).
        await session.execute(
            update(m.Project)
            .where(m.Project.id == key)
            .values(search_text="zygomorphe", sdg_targets=["11.3"])
        )
        await session.commit()
    body = await run(QUERY, {"search": "zygomorphe"})
    assert body["data"]["projects"]["totalCount"] == 1, body
    [node] = body["data"]["projects"]["nodes"]
    assert (node["sdgs"], node["sdgTargetCodes"]) == (goals, ["11.3"])
