"""Persisted GraphQL documents: those automatic persisted queries registered (a bounded cache,
shared by every worker) and those an operator registered as trusted (``bocage documents``).

The protocol and the rules are in :mod:`bocage.core.graphql.persisted`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, utcnow


class PersistedDocument(Base):
    """A GraphQL document known by the SHA-256 of its text (lowercase hex)."""

    __tablename__ = "persisted_document"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    #: Length of ``document`` in UTF-8 bytes (what the bounds count).
    size: Mapped[int]
    #: Registered by an operator: runs when trusted documents are enforced, and is never
    #: evicted. Otherwise stored by automatic persisted queries, and evicted oldest first.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The names of the document's operations, comma-separated (for `bocage documents list`).
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    #: Where an operator's document came from (the manifest's file name).
    source: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
