"""A territory (a GAL) and its communes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, SoftDeletable, Timestamped, Versioned


class Territory(Versioned, Timestamped, SoftDeletable, Base):
    """A GAL (Groupe d'Action Locale): a partnership of neighbouring rural communes."""

    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    website: Mapped[str | None] = mapped_column(String(500))


class Commune(Versioned, Timestamped, SoftDeletable, Base):
    """A Belgian municipality, identified by its Statbel NIS (REFNIS) code."""

    __tablename__ = "commune"

    id: Mapped[int] = mapped_column(primary_key=True)
    nis_code: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[dict[str, str]]
    province_nis_code: Mapped[str | None] = mapped_column(String(5))
    province: Mapped[dict[str, str]] = mapped_column(default=dict)
    region: Mapped[dict[str, str]] = mapped_column(default=dict)
    population: Mapped[int | None]
    area_km2: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), index=True
    )
