"""The plugin module registered under the ``bocage`` entry-point group."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

import click
import pluggy
import strawberry
from pydantic import Field
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry import relay
from strawberry.types import Info

from bocage.core.api import (
    Change,
    Column,
    CommuneType,
    CompiledReads,
    Connection,
    DomainEvent,
    NodeId,
    Ordering,
    Permission,
    PluginSettings,
    RestRoute,
    RootList,
    RowType,
    SeedOptions,
    SortKey,
    ToOne,
    TypeSpec,
    column_changes,
    cost,
    global_id,
    hookimpl,
    host_of,
    load_one,
    mutate,
    paginate,
    request_sessionmaker,
)
from bocage_testplugin.models import Note

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"

EVENTS: list[DomainEvent] = []


class TestpluginSettings(PluginSettings):
    greeting: str = Field("bonjour", description="What the notes route says first.")


NOTES_WRITE = Permission("testplugin:write", "Write the test plugin's notes.")


@strawberry.type(description="A note of the test plugin.")
class TestpluginNote(RowType, relay.Node):
    model = Note
    row: strawberry.Private[Note]
    id: relay.NodeID[int]
    text: str

    @strawberry.field(description="The note's commune (a Commune ID), if any.")
    def commune(self) -> strawberry.ID | None:
        if self.row.commune_id is None:
            return None
        return strawberry.ID(global_id("Commune", self.row.commune_id))

    @strawberry.field(
        description="The note's commune, the core's object (proves a plugin links to it).",
        metadata=cost(1),
    )
    async def place(self, info: Info) -> CommuneType | None:
        return await load_one(info, CommuneType, self.row.commune_id)


NEWEST_FIRST = Ordering((SortKey(Note.id, descending=True, load=int),))


def notes_source(context: object, containing: str | None = None) -> tuple[object, Ordering]:
    """What ``testpluginNotePage`` pages: shared by its resolver and the read compiler."""
    statement = select(Note)
    if containing is not None:
        statement = statement.where(Note.text.contains(containing, autoescape=True))
    return statement, NEWEST_FIRST


@strawberry.type(description="The new note, or why it was not written.")
class TestpluginNotePayload:
    note: TestpluginNote | None
    errors: list[str]


@strawberry.type
class Query:
    @strawberry.field(description="Every note of the test plugin.", metadata=cost(1, items=20))
    async def testplugin_notes(self, info: Info) -> list[TestpluginNote]:
        rows = (await info.context.execute(select(Note).order_by(Note.id))).scalars()
        return [TestpluginNote.from_row(row) for row in rows]

    @strawberry.field(
        description="The notes, newest first, a page at a time (compiled to SQL).",
        metadata=cost(1),
    )
    async def testplugin_note_page(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        containing: str | None = None,
    ) -> Connection[TestpluginNote]:
        statement, ordering = notes_source(info.context, containing)
        return await paginate(
            info.context,
            statement,  # type: ignore[arg-type]
            ordering,
            first=first,
            after=after,
            to_node=TestpluginNote.from_row,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Echo a text back (proves the mutation hook).")
    def testplugin_echo(self, text: str) -> str:
        return text

    @strawberry.mutation(
        description="Write a note (proves the write kit: audit, event).", metadata=cost(10)
    )
    async def testplugin_add_note(self, info: Info, text: str) -> TestpluginNotePayload:
        async def change(session, principal):  # type: ignore[no-untyped-def]
            note = Note(text=text)
            session.add(note)
            await session.flush()
            return Change(row=note, action="created", changes=column_changes(note, created=True))

        outcome = await mutate(
            info, permission=NOTES_WRITE, operation="testpluginAddNote", change=change, model=Note
        )
        return TestpluginNotePayload(
            note=TestpluginNote.from_row(outcome.row) if outcome.row else None,
            errors=[error.message for error in outcome.errors or []],
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Count down to zero (proves the subscription hook).", metadata=cost(0)
    )
    async def testplugin_countdown(self, start: int) -> AsyncGenerator[int, None]:
        for value in range(start, -1, -1):
            yield value


async def list_notes(request: Request) -> JSONResponse:
    async with request_sessionmaker(request)() as session:
        rows = (await session.execute(select(Note).order_by(Note.id))).scalars()
        notes = [{"id": row.id, "text": row.text} for row in rows]
    settings = host_of(request).plugin_settings("testplugin")
    return JSONResponse({"greeting": settings.greeting, "notes": notes})


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    return TestpluginSettings


@hookimpl
def bocage_permissions() -> list[Permission]:
    return [Permission("testplugin:read", "Read the test plugin's notes."), NOTES_WRITE]


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_graphql_types() -> list[type]:
    return [TestpluginNote]


@hookimpl
def bocage_graphql_query() -> list[type]:
    return [Query]


@hookimpl
def bocage_compiled_reads() -> CompiledReads:
    """The notes' page, answered in one SQL statement (proves the read compiler's hook)."""
    return CompiledReads(
        types=[
            TypeSpec(
                "TestpluginNote",
                Note,
                {
                    "id": NodeId("TestpluginNote"),
                    "text": Column("text"),
                    "commune": NodeId("Commune", key="commune_id"),
                    "place": ToOne("Commune", "commune_id"),
                },
            )
        ],
        roots={"testpluginNotePage": RootList("TestpluginNote", notes_source)},
    )


@hookimpl
def bocage_graphql_mutation() -> list[type]:
    return [Mutation]


@hookimpl
def bocage_graphql_subscription() -> list[type]:
    return [Subscription]


@hookimpl
def bocage_routes() -> list[RestRoute]:
    return [
        RestRoute(
            name="testplugin-notes",
            route=Route("/api/testplugin/notes", list_notes, methods=["GET"]),
            openapi={
                "/api/testplugin/notes": {
                    "get": {
                        "operationId": "testpluginNotes",
                        "summary": "The test plugin's notes.",
                        "responses": {"200": {"description": "The notes."}},
                    }
                }
            },
        )
    ]


@hookimpl
def bocage_on_event(event: DomainEvent) -> None:
    EVENTS.append(event)


@click.command("testplugin-hello")
def hello() -> None:
    """Say hello from the test plugin."""
    click.echo("hello from testplugin")


@hookimpl
def bocage_cli() -> list[click.Command]:
    return [hello]


async def seed(session, options: SeedOptions) -> None:  # type: ignore[no-untyped-def]
    session.add(Note(text="note de démonstration"))


@hookimpl
def bocage_seed():  # type: ignore[no-untyped-def]
    return seed


class TestpluginSpecs:
    """A hook the test plugin declares for the others (proves ``bocage_hookspecs``)."""

    @pluggy.HookspecMarker("bocage")
    def bocage_testplugin_colours(self) -> list[str]:  # type: ignore[empty-body]
        """Return colour names for the test plugin's notes."""


@hookimpl
def bocage_hookspecs() -> list[object]:
    return [TestpluginSpecs]
