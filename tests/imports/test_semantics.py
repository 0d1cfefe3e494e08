"""What an import does to existing data: the mutations' rules, updates of some columns only,
archived objects, and who may touch which rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bocage.core import models as m
from bocage.core.imports.runner import run_import

from .conftest import ADMIN, HANNUT_EDITOR, count, territory

HEADER = "external_id;title_fr;focus;communes;lead;partners;budget\n"


async def _import(world: Any, text: str, principal: Any = ADMIN, **kwargs: Any) -> Any:
    return await run_import(world.sessionmaker, principal, "projects", text.encode(), **kwargs)


async def _project(world: Any, key: str) -> m.Project:
    async with world.sessionmaker() as session:
        return (
            await session.execute(select(m.Project).where(m.Project.external_id == key))
        ).scalar_one()


async def test_the_mutations_rules_and_messages(world: Any) -> None:
    _, numbers = await territory(world)
    a, b = numbers[:2]
    report = await _import(
        world,
        HEADER
        + f"R1;Deux porteurs;vert;64034;{a}, {b};;\n"
        + f"R2;{'x' * 301};bleu;64034;;;\n"
        + "R3;Sans commune;vert;;;;\n",
    )
    errors = [(e.row, e.column, e.code, e.message) for e in report.errors]
    assert errors == [
        (2, "lead", "invalid", "a project has at most one lead stakeholder"),
        (3, "title_fr", "invalid", "title.fr is 301 characters long; the maximum is 300"),
        (4, "communes", "required", "a project needs at least one commune"),
    ]


async def test_columns_left_out_stay_and_links_bump_the_version(world: Any) -> None:
    _, numbers = await territory(world)
    created = await _import(world, HEADER + f"K1;Ruelles fleuries;vert;64034;{numbers[0]};;1500\n")
    assert created.created == 1
    project = await _project(world, "K1")
    # Only two columns: the budget and the lead stay as they are.
    retitled = await _import(world, "external_id;title_fr\nK1;Ruelles en fleurs\n")
    assert (retitled.updated, retitled.unchanged) == (1, 0)
    after = await _project(world, "K1")
    assert (after.title, after.budget, after.version) == (
        {"fr": "Ruelles en fleurs"},
        project.budget,
        2,
    )
    # A link change alone is a change: version 3, an audit entry naming it.
    relinked = await _import(world, f"external_id;partners\nK1;{numbers[1]}\n")
    assert relinked.updated == 1 and (await _project(world, "K1")).version == 3
    async with world.sessionmaker() as session:
        entry = (
            (
                await session.execute(
                    select(m.AuditEntry)
                    .where(
                        m.AuditEntry.object_type == "Project", m.AuditEntry.object_id == after.id
                    )
                    .order_by(m.AuditEntry.id.desc())
                )
            )
            .scalars()
            .first()
        )
        lead = (
            (
                await session.execute(
                    select(m.ProjectStakeholder.role).where(
                        m.ProjectStakeholder.project_id == after.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert "stakeholders" in entry.changes and sorted(lead) == ["lead", "partner"]


async def test_archived_external_ids_and_other_communes(world: Any) -> None:
    await _import(world, HEADER + "A1;Partagé;vert;64034;;;\nA2;À archiver;bleu;64034;;;\n")
    async with world.sessionmaker() as session, session.begin():
        await session.execute(
            update(m.Project)
            .where(m.Project.external_id == "A2")
            .values(deleted_at=m.Project.created_at)
        )
    again = await _import(world, HEADER + "A2;À archiver;bleu;64034;;;\n")
    assert [(e.column, e.code) for e in again.errors] == [("external_id", "conflict")]
    # Andenne joins the project: a Hannut editor may no longer change it.
    await _import(
        world,
        HEADER
        + "A1;Partagé;vert;64034;92003;;\n".replace(";92003;;", ";;;").replace(
            "64034", "64034, 92003"
        ),
    )
    before = await count(world, m.AuditEntry)
    refused = await _import(world, "external_id;title_fr\nA1;Repris par Hannut\n", HANNUT_EDITOR)
    assert [(e.column, e.code) for e in refused.errors] == [("external_id", "forbidden")]
    assert await count(world, m.AuditEntry) == before
    mine = await _import(world, HEADER + "H1;À Hannut;vert;Hannut;;;\n", HANNUT_EDITOR)
    assert mine.created == 1 and mine.committed


async def test_a_missing_column_is_reported_once(world: Any) -> None:
    rows = "".join(f"N{i};Sans axe {i};64034\n" for i in range(50))
    report = await _import(world, "external_id;title_fr;communes\n" + rows)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(1, "focus", "required")]
    assert "50 new rows" in report.errors[0].message


async def test_events_only_for_what_was_committed(world: Any, monkeypatch: Any) -> None:
    emitted: list[Any] = []
    monkeypatch.setattr(world.host, "emit", lambda event: emitted.append(event) or [])
    logged = await count(world, m.EventRecord)
    text = HEADER + "E1;Un;vert;64034;;;\nE2;Deux;bleu;64034;;;\n"
    await _import(world, text, dry_run=True, host=world.host)
    await _import(world, HEADER + "E3;Trois;rouge;64034;;;\n", host=world.host)
    assert emitted == []  # a dry run and a refused file are rolled back: no event
    assert await count(world, m.EventRecord) == logged
    await _import(world, text, host=world.host)
    assert sorted(e.type for e in emitted) == ["project.created", "project.created"]
    assert await count(world, m.EventRecord) == logged + 2  # in the change feed and outbox
    emitted.clear()
    await _import(world, text, host=world.host)
    assert emitted == []  # nothing changed, nothing to tell
    assert await count(world, m.EventRecord) == logged + 2


async def test_an_import_records_columns_and_links_in_one_version_step(world: Any) -> None:
    """The import shares the mutations' record: a row changing a column and a link at once is
    one version step, and its audit entry names both, each with its before and after."""
    _, numbers = await territory(world)
    await _import(world, HEADER + f"L1;Vergers;vert;64034;{numbers[0]};;100\n")
    project = await _project(world, "L1")
    changed = await _import(
        world, HEADER + f"L1;Vergers partagés;vert;64034, 92003;{numbers[0]};;100\n"
    )
    assert changed.updated == 1
    assert (await _project(world, "L1")).version == 2
    async with world.sessionmaker() as session:
        communes = dict((await session.execute(select(m.Commune.nis_code, m.Commune.id))).all())
        entry = (
            await session.execute(
                select(m.AuditEntry)
                .where(m.AuditEntry.object_type == "Project", m.AuditEntry.object_id == project.id)
                .order_by(m.AuditEntry.id.desc())
                .limit(1)
            )
        ).scalar_one()
    assert set(entry.changes) == {"title", "communes"}
    assert entry.changes["communes"] == {
        "before": [communes["64034"]],
        "after": sorted([communes["64034"], communes["92003"]]),
    }
