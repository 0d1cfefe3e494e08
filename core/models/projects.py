"""Projects, their links to communes, stakeholders and PST actions, and their indicators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, JSONType, SoftDeletable, StrEnumType, Timestamped, Versioned
from bocage.core.models.enums import ProjectFocus, ProjectStatus, StakeholderRole
from bocage.core.models.external import ExternallyKeyed
from bocage.core.models.places import Addressed
from bocage.core.search import maintain_search_text, search_text

project_commune = Table(
    "project_commune",
    Base.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

project_pst_action = Table(
    "project_pst_action",
    Base.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "pst_action_id",
        ForeignKey("pst_action.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Project(Addressed, ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """A project of the territory, green (collaboration) or blue (digital)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict[str, str]]
    summary: Mapped[dict[str, str]] = mapped_column(default=dict)
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    status: Mapped[ProjectStatus] = mapped_column(StrEnumType(ProjectStatus), index=True)
    focus: Mapped[ProjectFocus] = mapped_column(StrEnumType(ProjectFocus), index=True)
    themes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Goal numbers (1-17), with the goal of each target (see ``bocage.core.domain.sdgs``).
    sdgs: Mapped[list[int]] = mapped_column(JSONType, default=list)
    #: Official codes of SDG targets (``"11.3"``, ``"1.a"``), in the official order.
    sdg_targets: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )
    start_date: Mapped[dt.date | None] = mapped_column(index=True)
    end_date: Mapped[dt.date | None]
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), index=True
    )
    #: Every language of the texts and the themes, for full-text search (see migrations).
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)


class ProjectStakeholder(Base):
    """A stakeholder's role in a project (lead, partner, funder)."""

    __tablename__ = "project_stakeholder"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    stakeholder_id: Mapped[int] = mapped_column(
        ForeignKey("stakeholder.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[StakeholderRole] = mapped_column(StrEnumType(StakeholderRole), primary_key=True)


class Indicator(Versioned, Timestamped, SoftDeletable, Base):
    """Something a project measures (participants, kWh saved, pages published...)."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[dict[str, str]]
    unit: Mapped[str | None] = mapped_column(String(50))
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))


class IndicatorValue(Timestamped, Base):
    """A dated measurement of an indicator."""

    __tablename__ = "indicator_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    measured_on: Mapped[dt.date]
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str | None] = mapped_column(String(500))


def project_search_text(project: Any) -> str:
    return search_text(project.title, project.summary, project.description, project.themes)


maintain_search_text(Project, project_search_text, "title", "summary", "description", "themes")
