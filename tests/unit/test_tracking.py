"""The unit of work's record of changes and its version step (bocage.core.tracking), on the
engine under test: several flushes, changes undone, links, rollbacks, concurrent writers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from bocage.core import models as m
from bocage.core.tracking import changes_of, record_link


async def _first_project(session: Any) -> m.Project:
    return (await session.execute(select(m.Project).order_by(m.Project.id).limit(1))).scalar_one()


async def _version(world: Any, key: int) -> tuple[int, Any]:
    async with world.sessionmaker() as session:
        row = await session.get(m.Project, key)
        return row.version, row.updated_at


async def test_every_flush_is_remembered_and_the_version_steps_once(world: Any) -> None:
    async with world.sessionmaker() as session, session.begin():
        project = await _first_project(session)
        key, version, title = project.id, project.version, project.title
        project.status = m.ProjectStatus.DONE
        await session.flush()
        project.sdgs = [1, 2]
        await session.execute(select(m.Commune.id).limit(1))  # autoflushes
        project.budget = None if project.budget else 10
        await session.flush()
        project.title = {"fr": "Provisoire"}
        await session.flush()
        project.title = title  # changed back: no change
        changes = changes_of(project)
        assert set(changes) >= {"status", "sdgs", "budget"}
        assert "title" not in changes
        assert changes["sdgs"][1] == [1, 2]
    assert (await _version(world, key))[0] == version + 1


async def test_identical_values_write_nothing(world: Any) -> None:
    async with world.sessionmaker() as session, session.begin():
        project = await _first_project(session)
        key, version = project.id, project.version
        before = await _version(world, key)
        project.title = dict(project.title)
        project.themes = list(project.themes)
        project.status = project.status
        assert record_link(project, "communes", [1, 2], [1, 2]) is False
        await session.flush()
        assert changes_of(project) == {}
    assert await _version(world, key) == before
    assert before[0] == version


async def test_a_link_alone_steps_the_version_and_the_timestamp(world: Any) -> None:
    async with world.sessionmaker() as session, session.begin():
        project = await _first_project(session)
        key = project.id
        before = await _version(world, key)
        assert record_link(project, "communes", [1], [1, 2]) is True
        assert record_link(project, "communes", [1, 2], [1, 2, 3]) is True
        assert changes_of(project) == {"communes": ([1], [1, 2, 3])}
    version, updated_at = await _version(world, key)
    assert version == before[0] + 1 and updated_at > before[1]


async def test_a_rollback_forgets_the_record(world: Any) -> None:
    async with world.sessionmaker() as session:
        async with session.begin():
            project = await _first_project(session)
            key, version = project.id, project.version
            project.status = m.ProjectStatus.ABANDONED
            await session.flush()
            await session.rollback()
        async with session.begin():
            project = await session.get(m.Project, key)
            assert changes_of(project) == {}
            project.status = m.ProjectStatus.PLANNED
    assert (await _version(world, key))[0] == version + 1


async def test_a_concurrent_change_is_still_refused(world: Any) -> None:
    """The version read is still checked in the UPDATE: the second writer fails."""
    async with world.sessionmaker() as first, world.sessionmaker() as second:
        mine = await _first_project(first)
        theirs = await _first_project(second)
        theirs.summary = {"fr": "Eux"}
        await second.commit()
        mine.summary = {"fr": "Moi"}
        with pytest.raises(StaleDataError):
            await first.flush()


async def test_a_savepoint_is_part_of_the_unit_of_work(world: Any) -> None:
    """A released savepoint keeps the record (one step for the transaction); a rolled-back
    one undoes its step, and the next change steps again."""
    async with world.sessionmaker() as session, session.begin():
        project = await _first_project(session)
        key, version = project.id, project.version
        async with session.begin_nested():
            project.status = m.ProjectStatus.DONE
        project.sdgs = [4]
        await session.flush()
        assert set(changes_of(project)) >= {"status", "sdgs"}
    assert (await _version(world, key))[0] == version + 1

    async with world.sessionmaker() as session, session.begin():
        project = await session.get(m.Project, key)
        nested = await session.begin_nested()
        project.status = m.ProjectStatus.PLANNED
        await session.flush()
        await nested.rollback()
        project = await session.get(m.Project, key)
        assert project.version == version + 1
        project.summary = {"fr": "Après le point de sauvegarde"}
    assert (await _version(world, key))[0] == version + 2
