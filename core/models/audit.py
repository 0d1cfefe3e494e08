"""The audit trail and the idempotency keys of the write API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, JSONType, utcnow


class AuditEntry(Base):
    """One change: who (subject, client), when, what (before/after of the changed fields)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    subject: Mapped[str | None] = mapped_column(String(200), index=True)
    client_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int]
    #: ``{field: {"before": ..., "after": ...}}``; personal values are blanked on erasure.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType)
    personal_data_erased: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class IdempotencyKey(Base):
    """A create that already happened for ``(owner, key)``: retries get the same object."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_key_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
