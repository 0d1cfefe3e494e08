"""Stable external IDs: the key a row has in the system it was imported from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class ExternallyKeyed:
    """``(external_source, external_id)``, unique together: the spreadsheet import finds the
    row again by them, so that re-importing a file updates rather than duplicates."""

    #: The namespace of ``external_id``: a system's name or a commune's NIS code.
    external_source: Mapped[str | None] = mapped_column(String(100), default=None)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 - SQLAlchemy's declared_attr
        table = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"uq_{table}_external", "external_source", "external_id", unique=True),)
