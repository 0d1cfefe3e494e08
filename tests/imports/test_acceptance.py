"""The issue's acceptance: a generated 10,000-row projects spreadsheet. A dry run reports the
planted errors by row; a clean file imports in one transaction; re-importing changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from bocage.core import models as m
from bocage.core.imports.runner import run_import

from .conftest import ADMIN, count, spreadsheets, territory

ROWS = 10_000
ERRORS = ["status", "commune", "budget", "dates", "sdg", "title", "duplicate", "lead", "number"]


class Transactions:
    """Counts COMMITs and statements on an engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.commits = 0
        self.statements: list[str] = []

    def _commit(self, *_: Any) -> None:
        self.commits += 1

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> Transactions:
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "before_cursor_execute", self._statement)


async def _state(world: Any) -> tuple[int, int, Any, Any]:
    async with world.sessionmaker() as session:
        versions, updated = (
            await session.execute(
                select(func.sum(m.Project.version), func.max(m.Project.updated_at))
            )
        ).one()
    return await count(world, m.Project), await count(world, m.AuditEntry), versions, updated


async def test_ten_thousand_projects(world: Any) -> None:
    communes, numbers = await territory(world)
    broken = spreadsheets.projects(ROWS, communes, numbers, errors=ERRORS)
    assert len(broken.planted) == len(ERRORS)
    before = await _state(world)

    dry = await run_import(world.sessionmaker, ADMIN, "projects", broken.csv(), dry_run=True)
    assert dry.rows == ROWS and not dry.committed
    found = {(e.row, e.column, e.code) for e in dry.errors}
    assert found == {(row, column, code) for row, (column, code) in broken.planted.items()}
    duplicate = next(e for e in dry.errors if e.code == "duplicate")
    assert "row 2" in duplicate.message  # points at the row that has the ID first
    assert await _state(world) == before

    # The same file without --dry-run: the same report, and still nothing written.
    refused = await run_import(world.sessionmaker, ADMIN, "projects", broken.csv())
    assert [e.row for e in refused.errors] == [e.row for e in dry.errors]
    assert not refused.committed and await _state(world) == before

    clean = spreadsheets.projects(ROWS, communes, numbers)
    with Transactions(world.engine) as tx:
        report = await run_import(world.sessionmaker, ADMIN, "projects", clean.csv())
    assert report.errors == [] and report.committed
    assert (report.created, report.updated, report.unchanged) == (ROWS, 0, 0)
    assert tx.commits == 1  # one transaction for the whole file
    # Lookups are batched: the statement count does not grow with the rows one by one.
    from collections import Counter

    print(Counter(s.split("(")[0][:60] for s in tx.statements).most_common(8))
    assert len(tx.statements) < 100, len(tx.statements)
    after = await _state(world)
    assert after[0] == before[0] + ROWS
    assert after[1] == before[1] + ROWS  # one audit entry per project
    async with world.sessionmaker() as session:
        imported = (
            await session.execute(select(m.Project).where(m.Project.external_id == "PRJ-00001"))
        ).scalar_one()
        links = (
            await session.execute(
                select(func.count())
                .select_from(m.project_commune)
                .where(m.project_commune.c.project_id == imported.id)
            )
        ).scalar_one()
    assert imported.external_source == "default" and links >= 1
    assert imported.title["fr"].startswith("Projet numéro 1 ")

    with Transactions(world.engine) as tx:
        again = await run_import(world.sessionmaker, ADMIN, "projects", clean.csv())
    assert (again.created, again.updated, again.unchanged) == (0, 0, ROWS)
    assert await _state(world) == after  # no new audit entry, no version bump
    assert not [s for s in tx.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]

    # One changed cell: one project updated, at version 2, one audit entry.
    clean.rows[41][1] = "Un autre titre"
    changed = await run_import(world.sessionmaker, ADMIN, "projects", clean.csv())
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, ROWS - 1)
    final = await _state(world)
    assert final[1] == after[1] + 1 and final[2] == after[2] + 1
