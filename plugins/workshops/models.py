"""The workshops plugin's tables (prefixed ``workshops_``), in its own alembic branch."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.api import Base, Located, SoftDeletable, Timestamped, Versioned, personal


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


class Event(Located, Base, Timestamped, SoftDeletable, Versioned):
    """An event of the GAL's calendar. Times are stored in UTC and shown in Europe/Brussels.
    Its place on the map (``Located``) is the venue's point; ``address`` and ``commune_id``
    say where it is in words."""

    __tablename__ = "workshops_event"
    #: Its GraphQL type: events' subjects are global IDs a client can look up.
    __graphql_type__ = "WorkshopsEvent"

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
    #: Partner stakeholders (their database keys), besides the organiser.
    partner_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    series: Mapped[str | None] = mapped_column(String(120), default=None, index=True)
    #: Confirmed seats; ``None`` for no limit.
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)


class AgendaItem(Base):
    __tablename__ = "workshops_agenda_item"
    __graphql_type__ = "WorkshopsAgendaItem"

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
    __graphql_type__ = "WorkshopsSpeaker"

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
    __graphql_type__ = "WorkshopsRegistration"
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
    #: The language of the e-mails to the attendee (fr, nl, de or en).
    language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
    #: SHA-256 of the secret cancellation token (the token itself is only given once).
    cancel_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: A short code for the door (fit for a QR code), unique per event.
    check_in_code: Mapped[str] = mapped_column(String(12))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    promoted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: When the reminder before the event was sent (it is sent once).
    reminded_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never print personal data
        return f"<Registration {self.id} {self.status}>"


# -- the challenge-card workshop ----------------------------------------------------------------


class Phase(enum.StrEnum):
    """The phases of a challenge-card workshop, in order; the facilitator moves between them."""

    SETUP = "setup"  # participants join, groups may be formed
    INVENTORY = "inventory"  # what does my commune already do?
    WRITING = "writing"  # round 1: up to 5 challenge cards each
    EXCHANGE = "exchange"  # round 2: cards dealt, 3 each, swaps with the table
    SELECTION = "selection"  # round 3: each group ranks its 5 best challenges
    CONCLUSION = "conclusion"  # selections merged and de-duplicated by the facilitator
    CLOSED = "closed"


class CardColour(enum.StrEnum):
    GREEN = "green"  # collaboration & participation
    BLUE = "blue"  # digital & technology


class CardAxis(enum.StrEnum):
    TERRITORY = "territory"  # sustainable development of the territory
    COMMUNE_PRIORITY = "commune_priority"  # a commune priority (its PST)


class CardWorkshop(Base, Timestamped, Versioned):
    """A challenge-card workshop, driven by a facilitator through its phases."""

    __tablename__ = "workshops_game"
    __graphql_type__ = "WorkshopsCardWorkshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops_event.id", ondelete="SET NULL"), default=None, index=True
    )
    #: The territory (GAL) it belongs to: its event's, else the one it was made for. Its
    #: facilitators are those of this territory once the installation holds several
    #: (docs/tenancy.md); ``None``: the operators' alone there.
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), default=None, index=True
    )
    title: Mapped[dict[str, str]] = mapped_column(Json)
    phase: Mapped[str] = mapped_column(String(20), default=Phase.SETUP.value)
    phase_started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    phase_ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Minutes per phase (and per commune for the inventory's sharing): see ``game.DURATIONS``.
    durations: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    max_cards: Mapped[int] = mapped_column(Integer, default=5)
    cards_per_hand: Mapped[int] = mapped_column(Integer, default=3)
    selection_size: Mapped[int] = mapped_column(Integer, default=5)
    #: Who created it (a token subject): the facilitator of record.
    facilitator_subject: Mapped[str | None] = personal(String(200), default=None)


class Participant(Base, Timestamped):
    """A person at a workshop: signed in (``person_subject``), or a paper participant the
    facilitator typed in (no subject)."""

    __tablename__ = "workshops_participant"
    __graphql_type__ = "WorkshopsParticipant"
    __table_args__ = (UniqueConstraint("workshop_id", "person_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_game.id", ondelete="CASCADE"), index=True
    )
    person_subject: Mapped[str | None] = personal(String(200), default=None)
    #: How the participant appears on the workshop's screens: a first name or a nickname they
    #: chose (not their identity, which stays in ``person_subject``).
    alias: Mapped[str] = mapped_column(String(60))
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), default=None
    )
    group_number: Mapped[int | None] = mapped_column(Integer, default=None)

    def __repr__(self) -> str:  # never print personal data
        return f"<Participant {self.id}>"


class InventoryEntry(Base, Timestamped):
    """An existing smart action of a commune, listed during the inventory."""

    __tablename__ = "workshops_inventory"
    __graphql_type__ = "WorkshopsInventoryEntry"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_game.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops_participant.id", ondelete="SET NULL"), default=None
    )
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(String(500))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), default=None
    )


class Card(Base, Timestamped):
    """A challenge card: written by ``author``, held by ``holder`` (``None``: on the table)."""

    __tablename__ = "workshops_card"
    __graphql_type__ = "WorkshopsCard"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_game.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_participant.id", ondelete="CASCADE"), index=True
    )
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops_participant.id", ondelete="SET NULL"), default=None
    )
    colour: Mapped[str] = mapped_column(String(10))
    axis: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(300))
    #: Typed in by the facilitator from a paper card.
    from_paper: Mapped[bool] = mapped_column(Boolean, default=False)


class Selection(Base):
    """A card a group selected in round 3, at ``rank`` (1 = best)."""

    __tablename__ = "workshops_selection"
    __table_args__ = (
        UniqueConstraint("workshop_id", "group_number", "rank"),
        UniqueConstraint("card_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_game.id", ondelete="CASCADE"), index=True
    )
    group_number: Mapped[int] = mapped_column(Integer)
    card_id: Mapped[int] = mapped_column(ForeignKey("workshops_card.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)


class Challenge(Base, Timestamped):
    """One of the workshop's concluding challenges: the groups' selections merged, de-duplicated
    by the facilitator, possibly promoted to a core project."""

    __tablename__ = "workshops_challenge"
    __graphql_type__ = "WorkshopsChallenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_game.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(300))
    colour: Mapped[str] = mapped_column(String(10))
    axis: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    #: The card IDs it came from (several once merged).
    card_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    #: The group numbers that selected it.
    groups: Mapped[list[int]] = mapped_column(Json, default=list)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), default=None, index=True
    )


class HistoryEntry(Base):
    """The workshop's whole history: every action, by whom, when, in order."""

    __tablename__ = "workshops_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops_game.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime]
    phase: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    #: Who acted: the facilitator or the participant (a Participant key), never a name.
    by_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    participant_id: Mapped[int | None] = mapped_column(Integer, default=None)
    data: Mapped[dict[str, object]] = mapped_column(Json, default=dict)
