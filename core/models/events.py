"""The event log: every domain event, written in the transaction of the change that causes it.

It is the transactional outbox (webhooks and background jobs read it, so a rolled-back change
never emits anything) and the change feed (integrators read it "since cursor X", in ``id``
order, deletions included).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, JSONType, utcnow

#: ``BIGINT`` on PostgreSQL; SQLite's ``INTEGER PRIMARY KEY`` is its rowid (64-bit already).
BigKey = BigInteger().with_variant(Integer(), "sqlite")


class EventRecord(Base):
    """One domain event. ``id`` is the feed's order: on PostgreSQL, writers take a transaction
    lock before inserting, so ids become visible in increasing order and a reader that has seen
    id N will never later see a smaller one (no gap for "since cursor" readers)."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_object", "object_type", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    #: A random UUID: what subscribers de-duplicate on.
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[int | None]
    #: The Relay global ID of the object concerned.
    subject: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: The permission a reader or subscriber needs (``None``: anyone may know of it).
    permission: Mapped[str | None] = mapped_column(String(80))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Whether the event has the scope of its row (``EventScope``): then, when it needs a
    #: permission, only those who reach the row learn of it. Its communes are in
    #: :data:`event_scope_commune`. Recorded with the event: it is the row's scope then.
    scoped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The organisation of the row (a contact's), whose members reach it.
    scope_stakeholder_id: Mapped[int | None]
    #: The one client or person the row belongs to (``client:<id>``, ``subject:<sub>``; see
    #: ``policy.owner_key``): only it and administrators learn of the event.
    scope_owner: Mapped[str | None] = mapped_column(String(200))
    #: The territory (GAL) of a row of no commune (a territory's own event, survey, dataset):
    #: those confined to that territory reach it (``bocage.core.auth.tenancy``).
    scope_territory_id: Mapped[int | None]
    #: The W3C trace context of the request that recorded it, when traced: the webhook
    #: deliveries of the event continue that trace.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSONType)


#: The communes (NIS codes) of a scoped event's row: a reader limited to communes learns of the
#: event when all of them are among its own (as for changing the row).
event_scope_commune = Table(
    "event_scope_commune",
    Base.metadata,
    Column(
        "event_log_id",
        BigKey,
        ForeignKey("event_log.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("nis_code", String(5), primary_key=True),
)
