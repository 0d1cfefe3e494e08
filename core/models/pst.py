"""A commune's PST (Programme Stratégique Transversal): strategic objectives, operational
objectives and actions, which projects link to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, SoftDeletable, Timestamped, Versioned
from bocage.core.models.external import ExternallyKeyed


class StrategicPlan(ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """The PST a commune adopts for a legislature."""

    __tablename__ = "strategic_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("commune.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[dict[str, str]]
    start_year: Mapped[int]
    end_year: Mapped[int]
    adopted_on: Mapped[dt.date | None]


class StrategicObjective(ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """OS: objectif stratégique."""

    __tablename__ = "strategic_objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("strategic_plan.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[dict[str, str]]
    position: Mapped[int] = mapped_column(default=0)


class OperationalObjective(ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """OO: objectif opérationnel."""

    __tablename__ = "operational_objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategic_objective_id: Mapped[int] = mapped_column(
        ForeignKey("strategic_objective.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[dict[str, str]]
    position: Mapped[int] = mapped_column(default=0)


class PstAction(ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """An action of the PST, with its budget; projects link to actions."""

    __tablename__ = "pst_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    operational_objective_id: Mapped[int] = mapped_column(
        ForeignKey("operational_objective.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[dict[str, str]]
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    position: Mapped[int] = mapped_column(default=0)
