"""A territory (a GAL) and its communes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String
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


class TerritoryMembership(Base):
    """A period a commune belonged to a GAL: a commune may belong to several over time (the
    LEADER programming periods redraw them). The open period is the one of
    ``Commune.territory_id``; changing a commune's territory closes it and opens the next."""

    __tablename__ = "territory_membership"
    __table_args__ = (Index("ix_territory_membership_commune", "commune_id", "joined_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id", ondelete="CASCADE"))
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), index=True
    )
    #: The first day it belonged; ``None``: from before Bocage knew.
    joined_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    #: The first day it no longer belonged; ``None``: it still does.
    left_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
