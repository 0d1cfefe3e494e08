"""Domain events: recorded in the transaction that causes them, handed to plugins after commit.

:func:`record_event` is the one way to raise an event. It writes an :class:`EventRecord` (the
event log: transactional outbox for webhooks and jobs, change feed for integrators) in the
caller's transaction, so a change that rolls back leaves no event behind. After the commit,
:func:`announce` hands the same events to the plugins' ``bocage_on_event``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, text
from strawberry import relay

from bocage.core.db import utcnow
from bocage.core.hookspecs import DomainEvent
from bocage.core.models import EventRecord

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.host import PluginHost

#: Key of the PostgreSQL transaction lock that orders the event log's writers.
_LOG_LOCK = 0x626F63616765  # "bocage"
#: Where the events recorded in a session wait for the commit (``session.info``).
_PENDING = "bocage.pending_events"


def global_id(object_type: str, object_id: int) -> str:
    """The Relay global ID of a row (the GraphQL type is named after the model)."""
    return relay.to_base64(object_type, object_id)


def graphql_type_of(model: type[Any]) -> str:
    """The GraphQL type that shows rows of ``model``: its ``__graphql_type__`` when a plugin's
    type is named otherwise (``WorkshopsEvent`` for ``Event``), else the model's name."""
    return str(getattr(model, "__graphql_type__", model.__name__))


def event_for(row: Any, action: str, **data: Any) -> DomainEvent:
    """``<model>.<action>`` about ``row``, e.g. ``project.created``; its subject is the row's
    global ID as GraphQL knows it (see :func:`graphql_type_of`)."""
    object_type = graphql_type_of(type(row))
    return DomainEvent(
        type=f"{type(row).__name__.lower()}.{action}",
        subject=global_id(object_type, row.id),
        data={"id": global_id(object_type, row.id), "objectType": object_type, **data},
    )


async def record_event(
    session: AsyncSession,
    event: DomainEvent,
    *,
    permission: str | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
) -> EventRecord:
    """Write ``event`` to the event log in ``session``'s transaction.

    ``permission`` is what a reader of the change feed or a webhook subscriber needs to learn of
    it (``None``: public knowledge, like a project's creation). The object is read from the
    event's subject (a global ID) unless given.
    """
    if object_type is None:
        try:
            decoded = relay.GlobalID.from_id(event.subject)
            object_type, object_id = decoded.type_name, int(decoded.node_id)
        except Exception:
            object_type, object_id = None, None
    await _lock_log(session)
    record = EventRecord(
        event_id=str(uuid.uuid4()),
        type=event.type,
        object_type=object_type,
        object_id=object_id,
        subject=event.subject,
        data=event.data,
        permission=permission,
    )
    session.add(record)
    await session.flush()
    session.info.setdefault(_PENDING, []).append(event)
    return record


async def record_events(
    session: AsyncSession, events: list[tuple[DomainEvent, str | None]]
) -> None:
    """Write many ``(event, permission)`` at once (one statement), e.g. for a bulk import."""
    if not events:
        return
    await _lock_log(session)
    rows = []
    for event, permission in events:
        decoded = relay.GlobalID.from_id(event.subject)
        rows.append(
            {
                "event_id": str(uuid.uuid4()),
                "type": event.type,
                "object_type": decoded.type_name,
                "object_id": int(decoded.node_id),
                "subject": event.subject,
                "data": event.data,
                "permission": permission,
                "occurred_at": utcnow(),
            }
        )
    await session.execute(insert(EventRecord), rows)
    session.info.setdefault(_PENDING, []).extend(event for event, _ in events)


async def _lock_log(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Ids are drawn after the lock and the lock is held until commit: ids commit in order.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK})


def committed_events(session: AsyncSession) -> list[DomainEvent]:
    """The events recorded in ``session`` (call after its commit), forgotten once read."""
    return session.info.pop(_PENDING, [])


def announce(host: PluginHost, session: AsyncSession) -> None:
    """Hand the events ``session`` committed to every plugin's ``bocage_on_event``."""
    for event in committed_events(session):
        host.emit(event)
