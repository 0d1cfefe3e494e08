"""The workshops plugin's tables (prefixed ``workshops_``), in its own alembic branch."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.api import Base, SoftDeletable, Timestamped, Versioned, personal


class EventKind(enum.StrEnum):
    LUNCH_TALK = "lunch_talk"  # "Midi du Smart"
    TRAINING = "training"  # formation
    BUSINESS_BREAKFAST = "business_breakfast"  # petit déj' rural
    EXCHANGE_EVENING = "exchange_evening"  # soirée d'échange
    COMMUNE_VISIT = "commune_visit"
    WORKSHOP = "workshop"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Audience(enum.StrEnum):
    COMMUNES = "communes"
    ENTERPRISES = "enterprises"
    ASSOCIATIONS = "associations"  # associations & citizen initiatives


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


Json = JSON()


class Event(Base, Timestamped, SoftDeletable, Versioned):
    """An event of the GAL's calendar. Times are stored in UTC and shown in Europe/Brussels."""

    __tablename__ = "workshops_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The iCalendar UID: stable for the life of the event.
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    #: The iCalendar SEQUENCE: bumped on every change of the event.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT.value)
    title: Mapped[dict[str, str]] = mapped_column(Json)
    description: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime]
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), default=None, index=True
    )
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), default=None, index=True
    )
    online_url: Mapped[str | None] = mapped_column(String(500), default=None)
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder.id", ondelete="SET NULL"), default=None
    )
    audiences: Mapped[list[str]] = mapped_column(Json, default=list)
    series: Mapped[str | None] = mapped_column(String(120), default=None, index=True)
    #: Confirmed seats; ``None`` for no limit.
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)


class AgendaItem(Base):
    __tablename__ = "workshops_agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_event.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    title: Mapped[dict[str, str]] = mapped_column(Json)
    speaker_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops_speaker.id", ondelete="SET NULL"), default=None
    )


class Speaker(Base):
    """A speaker of an event. Shown to the public only when ``public`` (opt-in)."""

    __tablename__ = "workshops_speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_event.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    organisation: Mapped[str | None] = mapped_column(String(200), default=None)
    stakeholder_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder.id", ondelete="SET NULL"), default=None
    )
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Registration(Base, Timestamped):
    """A seat (or a place on the waiting list, in ``id`` order) at an event."""

    __tablename__ = "workshops_registration"
    __table_args__ = (UniqueConstraint("event_id", "check_in_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_event.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    #: The signed-in person who registered (their token's subject), if any.
    registrant_subject: Mapped[str | None] = personal(String(200), default=None)
    attendee_name: Mapped[str | None] = personal(String(200), default=None)
    attendee_email: Mapped[str | None] = personal(String(320), default=None)
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), default=None
    )
    audience: Mapped[str | None] = mapped_column(String(40), default=None)
    #: SHA-256 of the secret cancellation token (the token itself is only given once).
    cancel_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: A short code for the door (fit for a QR code), unique per event.
    check_in_code: Mapped[str] = mapped_column(String(12))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    promoted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never print personal data
        return f"<Registration {self.id} {self.status}>"
