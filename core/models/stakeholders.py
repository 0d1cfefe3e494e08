"""Stakeholders (organisations) and their contacts (people: personal data)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import (
    Base,
    JSONType,
    SoftDeletable,
    StrEnumType,
    Timestamped,
    Versioned,
    personal,
)
from bocage.core.models.enums import StakeholderKind
from bocage.core.models.external import ExternallyKeyed
from bocage.core.models.places import Addressed
from bocage.core.search import maintain_search_text, search_text

stakeholder_commune = Table(
    "stakeholder_commune",
    Base.metadata,
    Column("stakeholder_id", ForeignKey("stakeholder.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True),
)


class Stakeholder(Addressed, ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """An organisation of the territory: administration, enterprise, association, ..."""

    __tablename__ = "stakeholder"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[StakeholderKind] = mapped_column(StrEnumType(StakeholderKind), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    website: Mapped[str | None] = mapped_column(String(500))
    enterprise_number: Mapped[str | None] = mapped_column(String(12), index=True)
    needs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), index=True
    )
    #: Name and description in every language, for full-text search (never loaded).
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)


class Contact(ExternallyKeyed, Versioned, Timestamped, SoftDeletable, Base):
    """A person attached to a stakeholder. Every column but the keys is personal data."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    stakeholder_id: Mapped[int] = mapped_column(
        ForeignKey("stakeholder.id", ondelete="CASCADE"), index=True
    )
    given_name: Mapped[str] = personal(String(200))
    family_name: Mapped[str] = personal(String(200))
    email: Mapped[str | None] = personal(String(320))
    phone: Mapped[str | None] = personal(String(50))
    job_title: Mapped[str | None] = personal(String(200))


def _stakeholder_search_text(target: Stakeholder) -> str:
    return search_text(target.name, target.description)


maintain_search_text(Stakeholder, _stakeholder_search_text, "name", "description")
