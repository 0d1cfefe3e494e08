"""The change feed: every domain event since a cursor, in the order they committed.

A client that keeps the last ``endCursor`` it read and asks for ``changes(after: cursor)``
later gets every change made meanwhile exactly once, archives and deletions included
(``deleted: true``): nothing is skipped because the event log's ids commit in order (see
:class:`bocage.core.models.EventRecord`). It gets only the events it may learn of
(:func:`bocage.core.events.visible_to`, filtered in SQL so pages stay full), and cursors only
ever point at those: a cursor never moves past events its reader cannot see.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select, func, select
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.events import Reader, visible_to
from bocage.core.graphql.limits import cost
from bocage.core.graphql.pagination import Connection, Ordering, SortKey, paginate

if TYPE_CHECKING:
    from bocage.core.auth.principal import Principal
    from bocage.core.host import PluginHost

#: Actions after which the object is gone from its collection: the feed's tombstones.
REMOVING_ACTIONS = frozenset({"archived", "deleted", "erased", "unpublished", "removed"})


def feed_ordering() -> Ordering:
    return Ordering((SortKey(m.EventRecord.id, False, int),))


def feed_statement(
    host: PluginHost,
    principal: Principal,
    *,
    types: list[str] | None = None,
    object_types: list[str] | None = None,
) -> Select[*tuple[Any, ...]]:
    statement = select(m.EventRecord).where(visible_to(Reader.of(host, principal)))
    if types:
        statement = statement.where(m.EventRecord.type.in_(types))
    if object_types:
        statement = statement.where(m.EventRecord.object_type.in_(object_types))
    return statement


def is_removal(record: m.EventRecord) -> bool:
    return record.type.rsplit(".", 1)[-1] in REMOVING_ACTIONS


@strawberry.type(description="One change in the change feed.")
class ChangeEvent:
    record: strawberry.Private[m.EventRecord]

    @strawberry.field(
        description="Position in the event log: increasing, not contiguous (the numbers "
        "between belong to events you may not see).",
        metadata=cost(0),
    )
    def sequence(self) -> int:
        return self.record.id

    @strawberry.field(
        description="Unique ID of the event: de-duplicate deliveries on it.", metadata=cost(0)
    )
    def event_id(self) -> str:
        return self.record.event_id

    @strawberry.field(description="E.g. `project.created`, `project.archived`.", metadata=cost(0))
    def type(self) -> str:
        return self.record.type

    @strawberry.field(description="The GraphQL type of the object concerned.", metadata=cost(0))
    def object_type(self) -> str | None:
        return self.record.object_type

    @strawberry.field(description="The global ID of the object concerned.", metadata=cost(0))
    def object_id(self) -> relay.GlobalID | None:
        if self.record.object_type is None or self.record.object_id is None:
            return None
        return relay.GlobalID(self.record.object_type, str(self.record.object_id))

    @strawberry.field(
        description="True when this change took the object out of its collection (a tombstone).",
        metadata=cost(0),
    )
    def deleted(self) -> bool:
        return is_removal(self.record)

    @strawberry.field(description="When it happened (UTC).", metadata=cost(0))
    def occurred_at(self) -> dt.datetime:
        return self.record.occurred_at

    @strawberry.field(
        description="A summary of the change: the names of the fields it changed.",
        metadata=cost(0),
    )
    def data(self) -> JSON:
        return JSON(self.record.data)

    @strawberry.field(
        description="The object as it is now, if it still exists and you may read it.",
        metadata=cost(1),
    )
    async def node(self, info: Info) -> relay.Node | None:
        global_id = self.object_id()
        if global_id is None or self.deleted():
            return None
        try:
            return await global_id.resolve_node(info, required=False)
        except Exception:  # a type that no longer exists (its plugin was disabled)
            return None


@strawberry.type
class ChangesQuery:
    @strawberry.field(
        description=(
            "Every change since `after` (a cursor from a previous page's `endCursor`), oldest "
            "first, deletions included. Keep the last `endCursor` and ask again later to catch "
            "up with no gap and no duplicate. You get the events of the objects you may read: "
            "those about personal data need its permission on the object's organisation."
        ),
        metadata=cost(1),
    )
    async def changes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        types: Annotated[
            list[str] | None, strawberry.argument(description="Only these event types.")
        ] = None,
        object_types: Annotated[
            list[str] | None,
            strawberry.argument(description="Only changes to these types (e.g. `Project`)."),
        ] = None,
    ) -> Connection[ChangeEvent]:
        context = info.context
        statement = feed_statement(
            context.host, context.principal, types=types, object_types=object_types
        )
        return await paginate(
            context,
            statement,
            feed_ordering(),
            first=first,
            after=after,
            to_node=lambda row: ChangeEvent(record=row),
        )

    @strawberry.field(
        description=(
            "The cursor of the latest change you may see now: read it before a full initial "
            "load, then follow `changes(after: ...)` from it."
        ),
        metadata=cost(1),
    )
    async def changes_cursor(self, info: Info) -> str:
        context = info.context
        visible = visible_to(Reader.of(context.host, context.principal))
        latest = (
            await context.execute(
                select(func.coalesce(func.max(m.EventRecord.id), 0)).where(visible)
            )
        ).scalar_one()
        return feed_ordering().encode((int(latest),))
