"""A plain script writing through the domain's unit of work: no request, no GraphQL schema, no
web framework loaded. ``python unit_of_work_script.py DATABASE_URL`` prints what it saw as JSON
(``tests/core/test_unit_of_work.py`` runs it on the engine under test)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson
from sqlalchemy import func, insert, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.db import create_engine, sessionmaker
from bocage.core.domain import rules
from bocage.core.domain.changes import Change, check_version, column_changes, record_link
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.permissions import PROJECTS_WRITE
from bocage.core.domain.work import UnitOfWork
from bocage.core.settings import load_settings

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="script", roles=frozenset({Role.TERRITORY_ADMIN})
)
WEB = ("strawberry", "graphql", "starlette", "httpx", "click")


class Sink:
    """Stands for the plugin host: what the plugins would hear, after the commit."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def emit(self, event: Any) -> None:
        self.events.append(event.type)


async def counts(factory: Any, project_id: int | None = None) -> dict[str, int]:
    async with factory() as session:

        async def count(query: Any) -> int:
            return int((await session.execute(query)).scalar_one())

        about = (m.AuditEntry.object_type == "Project") & (m.AuditEntry.object_id == project_id)
        return {
            "projects": await count(select(func.count()).select_from(m.Project)),
            "audit": await count(select(func.count()).select_from(m.AuditEntry)),
            "audit_of_project": await count(select(func.count()).where(about)),
            "events": await count(select(func.count()).select_from(m.EventRecord)),
            "keys": await count(select(func.count()).select_from(m.IdempotencyKey)),
        }


def creating(title: str, *, fail: bool = False) -> Any:
    """A change creating a project in the first commune; ``fail``: a rule refuses it once
    everything is written and flushed."""

    async def change(session: Any, principal: Any) -> Change:
        commune = (await session.execute(select(m.Commune.id).limit(1))).scalar_one()
        project = m.Project(
            title=rules.project_texts("title", {"fr": title}),
            status=m.ProjectStatus.IDEA,
            focus=m.ProjectFocus.DIGITAL,
        )
        session.add(project)
        await session.flush()
        record_link(project, "communes", [], [commune])
        await session.execute(
            insert(m.project_commune), [{"project_id": project.id, "commune_id": commune}]
        )
        if fail:
            rules.require_project_communes([])  # refused after the writes
        return Change(row=project, action="created", changes=column_changes(project, created=True))

    return change


def renaming(project_id: int, version: int, title: str) -> Any:
    async def change(session: Any, principal: Any) -> Change:
        project = await session.get(m.Project, project_id)
        check_version(project, version)
        project.title = rules.project_texts("title", {"fr": title})
        return Change(row=project, action="updated", changes=column_changes(project))

    return change


def errors(outcome: Any) -> list[list[Any]]:
    return [[e.field, e.code.name] for e in outcome.errors or []]


async def main(url: str) -> dict[str, Any]:
    engine = create_engine(load_settings(database_url=url))
    factory = sessionmaker(engine)
    sink, committed = Sink(), []
    work = UnitOfWork(factory, ADMIN, events=sink, after_commit=[lambda: committed.append(1)])
    seen: dict[str, Any] = {"before": await counts(factory)}

    def run(change: Any, key: str | None = None, request: Any = None) -> Any:
        return work.run(
            permission=PROJECTS_WRITE,
            operation="createProject",
            change=change,
            model=m.Project,
            idempotency_key=key,
            request=request,
        )

    created = await run(creating("Fibre"), "script-1", {"title": "Fibre"})
    project = created.row.id
    seen["created"] = {
        "errors": errors(created),
        "version": created.row.version,
        "counts": await counts(factory, project),
        "heard": list(sink.events),
        "callbacks": len(committed),
    }
    replay = await run(creating("Fibre"), "script-1", {"title": "Fibre"})
    reused = await run(creating("Autre"), "script-1", {"title": "Autre"})
    seen["replayed"] = {
        "same": replay.row.id == project,
        "reused": errors(reused),
        "counts": await counts(factory, project),
        "heard": list(sink.events),
    }
    stale = await work.run(
        permission=PROJECTS_WRITE,
        operation="updateProject",
        change=renaming(project, 0, "Trop tard"),
        model=m.Project,
    )
    fresh = await work.run(
        permission=PROJECTS_WRITE,
        operation="updateProject",
        change=renaming(project, 1, "Fibre pour tous"),
        model=m.Project,
    )
    seen["versions"] = {
        "stale": errors(stale),
        "fresh": errors(fresh),
        "version": fresh.row.version,
        "counts": await counts(factory, project),
    }
    before = await counts(factory)
    heard, callbacks = list(sink.events), len(committed)
    refused = await run(creating("Refusé", fail=True), "script-2", {"title": "Refusé"})
    seen["refused"] = {
        "errors": errors(refused),
        "unchanged": await counts(factory) == before,
        "silent": sink.events == heard and len(committed) == callbacks,
    }
    try:  # the same in a block of one's own: an exception rolls back the whole block
        async with UnitOfWork(factory, ADMIN, events=sink) as block:
            change = await creating("Bloc")(block.session, ADMIN)
            await block.record(change)
            raise Invalid(Code.INVALID, "refused at the end", "title")
    except Invalid:
        pass
    stranger = await UnitOfWork(factory).run(
        permission=PROJECTS_WRITE,
        operation="createProject",
        change=creating("Anonyme"),
        model=m.Project,
    )
    seen["block"] = {
        "unchanged": await counts(factory) == before,
        "silent": sink.events == heard,
        "anonymous": errors(stranger),
    }
    seen["web_modules"] = sorted(n for n in sys.modules if n.split(".")[0] in WEB)
    await engine.dispose()
    return seen


if __name__ == "__main__":
    sys.stdout.write(orjson.dumps(asyncio.run(main(sys.argv[1]))).decode())
