"""The demo plugin's data, seeded into a fresh database on the engine under test."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from bocage.core.db import Base, create_engine, sessionmaker
from bocage.core.hookspecs import SeedOptions, SeedRefused
from bocage.core.models import (
    Commune,
    Contact,
    Indicator,
    IndicatorValue,
    Project,
    ProjectFocus,
    ProjectStakeholder,
    ProjectStatus,
    PstAction,
    Stakeholder,
    StakeholderKind,
    StakeholderRole,
    StrategicPlan,
    Territory,
)
from bocage.core.seed import database_is_empty
from bocage.core.settings import load_settings
from bocage.plugins.demo.seeder import TERRITORY_SLUG, DemoDataExists, seed_demo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


async def _engine(url: str) -> AsyncEngine:
    engine = create_engine(load_settings(database_url=url))
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return engine


async def _seed(url: str, scale: float) -> tuple[AsyncEngine, Counter[str]]:
    engine = await _engine(url)
    calls: Counter[str] = Counter()

    def progress(description: str, done: int, total: int) -> None:
        assert 0 <= done <= total
        calls[description] += 1

    async with sessionmaker(engine)() as session:
        assert await database_is_empty(session)
        await seed_demo(session, SeedOptions(scale=scale, progress=progress))
        await session.commit()
        assert not await database_is_empty(session)
    return engine, calls


async def _count(engine: AsyncEngine, model: type[Base]) -> int:
    async with sessionmaker(engine)() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_scale_one(empty_database_url: str) -> None:
    engine, calls = await _seed(empty_database_url, 1.0)
    try:
        assert await _count(engine, Territory) == 1
        assert await _count(engine, Commune) == 8
        assert await _count(engine, Project) == 320
        assert await _count(engine, StrategicPlan) == 8
        assert await _count(engine, PstAction) > 100
        assert await _count(engine, Contact) > 100
        assert await _count(engine, Indicator) > 100
        assert await _count(engine, IndicatorValue) > await _count(engine, Indicator)
        assert set(calls) >= {"stakeholders", "contacts", "strategic plans", "projects"}
        assert max(calls.values()) <= 100

        async with sessionmaker(engine)() as session:
            projects = (await session.scalars(select(Project))).all()
            assert len({p.title["fr"] for p in projects}) == len(projects)
            assert {p.status for p in projects} == set(ProjectStatus)
            assert {p.focus for p in projects} == set(ProjectFocus)
            assert all(p.updated_at >= p.created_at for p in projects)
            assert all(p.created_at.tzinfo is not None for p in projects)
            assert any("nl" in p.title or "en" in p.title for p in projects)

            roles = (await session.execute(select(ProjectStakeholder))).scalars().all()
            leads = Counter(r.project_id for r in roles if r.role is StakeholderRole.LEAD)
            assert all(leads[p.id] == 1 for p in projects)
            per_project = Counter(r.project_id for r in roles)
            assert set(per_project.values()) <= {1, 2, 3, 4}

            stakeholders = (await session.scalars(select(Stakeholder))).all()
            assert {s.kind for s in stakeholders} == set(StakeholderKind)
            for s in stakeholders:
                if s.enterprise_number:
                    digits = s.enterprise_number.replace(".", "")
                    assert len(s.enterprise_number) == 12 and len(digits) == 10
                    assert int(digits[8:]) == 97 - int(digits[:8]) % 97
                if s.website:
                    assert s.website.endswith(".example.org")
            emails = await session.scalars(select(Contact.email).where(Contact.email.is_not(None)))
            assert all(email.endswith("@example.org") for email in emails)

            with pytest.raises(DemoDataExists, match=TERRITORY_SLUG) as refused:
                await seed_demo(session, SeedOptions())
            assert isinstance(refused.value, SeedRefused)  # the CLI's message, not a traceback
    finally:
        await engine.dispose()


async def test_deterministic_and_scaled(databases: Any) -> None:
    snapshots = []
    for _ in range(2):
        engine, _calls = await _seed(await databases.new(), 0.05)
        try:
            assert await _count(engine, Project) == 16
            async with sessionmaker(engine)() as session:
                rows = await session.execute(
                    select(Project.title, Project.created_at, Project.budget).order_by(Project.id)
                )
                snapshots.append(rows.all())
        finally:
            await engine.dispose()
    assert snapshots[0] == snapshots[1]


def test_the_demo_plugin_imports_only_the_contract() -> None:
    """A bundled plugin reaches nothing a third-party plugin could not: ``bocage.core.api``,
    and its own modules."""
    import ast
    from pathlib import Path

    import bocage.plugins.demo as demo

    folder = Path(demo.__file__).parent
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("bocage"):
                    assert name == "bocage.core.api" or name.startswith("bocage.plugins.demo"), (
                        f"{path.name} imports {name}"
                    )
