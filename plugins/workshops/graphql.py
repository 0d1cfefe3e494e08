"""GraphQL of the workshops plugin: events with their agenda and speakers, registrations.

The public (anonymous callers included) sees published and cancelled events, their agenda and
the speakers who opted in to a public profile; drafts, private speakers and registrations need
``workshops:organise``. Attendees' names and e-mails (personal data) are never exposed here.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry import relay
from strawberry.types import Info

from bocage.core.api import (
    BocageError,
    Change,
    Code,
    Connection,
    Invalid,
    Language,
    NotFound,
    Ordering,
    SortKey,
    TranslationsInput,
    can,
    check_version,
    column_changes,
    commune_scope,
    cost,
    load_datetime,
    may_touch_communes,
    mutate,
    node_key,
    paginate,
    translated,
    unit_of_work,
)
from bocage.core.api import RowType as _RowType
from bocage.plugins.workshops import notify, store
from bocage.plugins.workshops.game import Refusal
from bocage.plugins.workshops.models import (
    AgendaItem,
    Audience,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    Speaker,
)
from bocage.plugins.workshops.permissions import WORKSHOPS_CHECK_IN, WORKSHOPS_ORGANISE

WRITE_COST = 10

WorkshopsEventKind = strawberry.enum(
    EventKind,
    name="WorkshopsEventKind",
    description="What kind of event: a lunch talk (Midi du Smart), a training, a business "
    "breakfast (petit déj' rural), an exchange evening, a commune visit, a workshop.",
)
WorkshopsEventStatus = strawberry.enum(
    EventStatus,
    name="WorkshopsEventStatus",
    description="Drafts are seen by organisers only; cancelled events stay visible.",
)
WorkshopsAudience = strawberry.enum(
    Audience,
    name="WorkshopsAudience",
    description="Who an event is for: communes, enterprises, associations & citizen initiatives.",
)
WorkshopsRegistrationStatus = strawberry.enum(
    RegistrationStatus,
    name="WorkshopsRegistrationStatus",
    description="A seat, a place on the waiting list (promoted in order), or cancelled.",
)
WorkshopsErrorCode = strawberry.enum(
    enum.Enum(  # type: ignore[misc]
        "WorkshopsErrorCode",
        {member.name: member.value for member in (*Code, *Refusal)},
    ),
    description="Why a workshops mutation failed: the core's codes, and the challenge-card "
    "workshop's WRONG_PHASE (not in this phase), NOT_PARTICIPANT (join first), LIMIT_REACHED "
    "(too many cards or selections), OWN_CARD (never one's own card), NOT_HELD (a card you or "
    "your group do not hold, or not on the table).",
)


class Forbidden(BocageError):
    # The plugin API exports no Forbidden error; its code is the core's FORBIDDEN.
    code = "FORBIDDEN"  # type: ignore[assignment]


def organises(context: Any) -> bool:
    """Whether the request's caller has ``workshops:organise`` (sees drafts, private speakers)."""
    principal = context.principal
    return not principal.is_anonymous and can(principal, WORKSHOPS_ORGANISE.code)


def is_organiser(info: Info[Any, Any]) -> bool:
    return organises(info.context)


PUBLIC_STATUSES = (EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value)


def visible(info: Info[Any, Any], event: Event | None) -> bool:
    if event is None or event.deleted_at is not None:
        return False
    return event.status in PUBLIC_STATUSES or is_organiser(info)


def gid(type_name: str, key: int | None) -> strawberry.ID | None:
    return None if key is None else strawberry.ID(relay.to_base64(type_name, key))


# -- the types ----------------------------------------------------------------------------------


def _children(info: Info[Any, Any], model: Any, event_ids: Sequence[int], order: Any) -> Any:
    async def load(ids: Sequence[int]) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        rows = await info.context.execute(
            select(model).where(model.event_id.in_(ids)).order_by(order, model.id)
        )
        for row in rows.scalars():
            grouped[row.event_id].append(row)
        return [grouped[i] for i in ids]

    return info.context.loader(("workshops", model.__tablename__), load)


def _counts(info: Info[Any, Any]) -> Any:
    async def load(ids: Sequence[int]) -> list[dict[str, int]]:
        rows = await info.context.execute(
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(ids))
            .group_by(Registration.event_id, Registration.status)
        )
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for event_id, status, n in rows.all():
            counts[event_id][status] = n
        return [counts[i] for i in ids]

    return info.context.loader(("workshops", "counts"), load)


@strawberry.type(name="WorkshopsSpeaker", description="A speaker of an event.")
class WorkshopsSpeaker:
    row: strawberry.Private[Speaker]
    name: str = strawberry.field(description="The speaker's name (public only by opt-in).")
    organisation: str | None = strawberry.field(description="Where the speaker works.")
    public: bool = strawberry.field(description="Whether the speaker opted in to a public profile.")
    role, role_translations = translated("role", "The speaker's role.")

    @strawberry.field(description="The speaker's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsSpeaker", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="The speaker's organisation in Bocage (a Stakeholder ID).")
    def stakeholder(self) -> strawberry.ID | None:
        return gid("Stakeholder", self.row.stakeholder_id)

    @classmethod
    def from_row(cls, row: Speaker) -> WorkshopsSpeaker:
        return cls(row=row, name=row.name, organisation=row.organisation, public=row.public)


@strawberry.type(name="WorkshopsAgendaItem", description="A timed item of an event's agenda.")
class WorkshopsAgendaItem:
    row: strawberry.Private[AgendaItem]
    title, title_translations = translated("title", "What happens.", required=True)

    @strawberry.field(description="The item's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsAgendaItem", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="When it starts (Europe/Brussels).")
    def starts_at(self) -> dt.datetime:
        return store.to_local(self.row.starts_at)

    @strawberry.field(description="When it ends (Europe/Brussels), if said.")
    def ends_at(self) -> dt.datetime | None:
        return store.to_local(self.row.ends_at) if self.row.ends_at else None

    @strawberry.field(description="Its speaker (if public, or to organisers).", metadata=cost(1))
    async def speaker(self, info: Info) -> WorkshopsSpeaker | None:
        if self.row.speaker_id is None:
            return None
        speakers = await _children(info, Speaker, [self.row.event_id], Speaker.position).load(
            self.row.event_id
        )
        for speaker in speakers:
            if speaker.id == self.row.speaker_id and (speaker.public or is_organiser(info)):
                return WorkshopsSpeaker.from_row(speaker)
        return None


@strawberry.type(
    name="WorkshopsRegistration",
    description="A registration, as organisers see it (no personal data).",
)
class WorkshopsRegistration:
    row: strawberry.Private[Registration]
    audience: str | None = strawberry.field(description="The audience the attendee belongs to.")

    @strawberry.field(description="The registration's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsRegistration", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="Confirmed, waitlisted or cancelled.")
    def status(self) -> WorkshopsRegistrationStatus:  # type: ignore[valid-type]
        return RegistrationStatus(self.row.status)

    @strawberry.field(description="The language of the e-mails to the attendee.")
    def language(self) -> Language:
        return Language(self.row.language or "fr")

    @strawberry.field(description="Whether the attendee was checked in at the door.")
    def checked_in(self) -> bool:
        return self.row.checked_in_at is not None

    @strawberry.field(description="Whether a signed-in person registered (else: anonymously).")
    def signed_in(self) -> bool:
        return self.row.registrant_subject is not None

    @strawberry.field(description="The attendee's commune (a Commune ID), if given.")
    def commune(self) -> strawberry.ID | None:
        return gid("Commune", self.row.commune_id)

    @strawberry.field(description="When the registration was made.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(
        description="Place on the waiting list (1 = next), null unless waitlisted.",
        metadata=cost(1),
    )
    async def waitlist_position(self, info: Info) -> int | None:
        if self.row.status != RegistrationStatus.WAITLISTED.value:
            return None
        found = await info.context.execute(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == self.row.event_id,
                Registration.status == RegistrationStatus.WAITLISTED.value,
                Registration.id < self.row.id,
            )
        )
        return int(found.scalar_one()) + 1

    @classmethod
    def from_row(cls, row: Registration) -> WorkshopsRegistration:
        return cls(row=row, audience=row.audience)


@strawberry.type(
    name="WorkshopsAttendanceCount",
    description="Confirmed registrations and check-ins of one commune or one audience.",
)
class WorkshopsAttendanceCount:
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="The commune (a Commune ID); null: not given."
    )
    audience: WorkshopsAudience | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The audience; null: not given."
    )
    registered: int = strawberry.field(default=0, description="Confirmed registrations.")
    checked_in: int = strawberry.field(default=0, description="Of which checked in at the door.")


@strawberry.type(
    name="WorkshopsAttendance",
    description="Attendance for organisers: confirmed registrations and check-ins, in all, "
    "by commune and by audience. Counts only, never people.",
)
class WorkshopsAttendance:
    events: int
    registered: int
    checked_in: int
    by_commune: list[WorkshopsAttendanceCount]
    by_audience: list[WorkshopsAttendanceCount]


async def attendance(info: Info[Any, Any], where: list[Any]) -> WorkshopsAttendance:
    rows = (
        await info.context.execute(
            select(
                Registration.event_id,
                Registration.commune_id,
                Registration.audience,
                Registration.checked_in_at.is_not(None),
                func.count(),
            )
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == RegistrationStatus.CONFIRMED.value,
                Event.deleted_at.is_(None),
                *where,
            )
            .group_by(
                Registration.event_id,
                Registration.commune_id,
                Registration.audience,
                Registration.checked_in_at.is_not(None),
            )
        )
    ).all()
    communes: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    audiences: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    events = set()
    for event_id, commune, audience, present, n in rows:
        events.add(event_id)
        for bucket in (communes[commune], audiences[audience]):
            bucket[0] += n
            bucket[1] += n if present else 0
    return WorkshopsAttendance(
        events=len(events),
        registered=sum(v[0] for v in communes.values()),
        checked_in=sum(v[1] for v in communes.values()),
        by_commune=[
            WorkshopsAttendanceCount(commune=gid("Commune", key), registered=v[0], checked_in=v[1])
            for key, v in sorted(communes.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
        by_audience=[
            WorkshopsAttendanceCount(
                audience=Audience(key) if key else None, registered=v[0], checked_in=v[1]
            )
            for key, v in sorted(audiences.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
    )


@strawberry.type(name="WorkshopsEvent", description="An event of the GAL's calendar.")
class WorkshopsEvent(_RowType, relay.Node):
    model = Event
    row: strawberry.Private[Event]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back to change the event.")
    sequence: int = strawberry.field(description="iCalendar SEQUENCE: bumped on every change.")
    uid: str = strawberry.field(description="iCalendar UID: stable for the event's life.")
    capacity: int | None = strawberry.field(description="Seats; null for no limit.")
    series: str | None = strawberry.field(description="The series (a training programme).")
    address: str | None = strawberry.field(description="Where it takes place.")
    online_url: str | None = strawberry.field(description="Where to join online.")
    title, title_translations = translated("title", "The title.", required=True)
    description, description_translations = translated("description", "The description.")

    @strawberry.field(description="The kind of event.")
    def kind(self) -> WorkshopsEventKind:  # type: ignore[valid-type]
        return EventKind(self.row.kind)

    @strawberry.field(description="Draft, published or cancelled.")
    def status(self) -> WorkshopsEventStatus:  # type: ignore[valid-type]
        return EventStatus(self.row.status)

    @strawberry.field(description="When it starts, in Europe/Brussels time.")
    def starts_at(self) -> dt.datetime:
        return store.to_local(self.row.starts_at)

    @strawberry.field(description="When it ends, in Europe/Brussels time.")
    def ends_at(self) -> dt.datetime:
        return store.to_local(self.row.ends_at)

    @strawberry.field(description="The time zone of the event's times.")
    def time_zone(self) -> str:
        return "Europe/Brussels"

    @strawberry.field(description="Who it is for.")
    def audiences(self) -> list[WorkshopsAudience]:  # type: ignore[valid-type]
        return [Audience(a) for a in self.row.audiences or []]

    @strawberry.field(description="Where it takes place (a Commune ID), if in a commune.")
    def commune(self) -> strawberry.ID | None:
        return gid("Commune", self.row.commune_id)

    @strawberry.field(description="Who organises it (a Stakeholder ID).")
    def organiser(self) -> strawberry.ID | None:
        return gid("Stakeholder", self.row.organiser_id)

    @strawberry.field(description="Partner organisations (Stakeholder IDs), besides the organiser.")
    def partners(self) -> list[strawberry.ID]:
        return [gid("Stakeholder", key) for key in self.row.partner_ids or []]  # type: ignore[misc]

    @strawberry.field(
        description="Confirmed registrations and check-ins by commune and by audience "
        "(permission workshops:organise).",
        metadata=cost(1),
    )
    async def attendance(self, info: Info) -> WorkshopsAttendance:
        if not is_organiser(info):
            raise Forbidden(f"this needs the {WORKSHOPS_ORGANISE.code} permission")
        return await attendance(info, [Event.id == self.row.id])

    @strawberry.field(description="The agenda, in time order.", metadata=cost(1, items=10))
    async def agenda(self, info: Info) -> list[WorkshopsAgendaItem]:
        rows = await _children(info, AgendaItem, [], AgendaItem.starts_at).load(self.row.id)
        return [WorkshopsAgendaItem(row=row) for row in rows]

    @strawberry.field(
        description="The speakers: those with a public profile, or all for organisers.",
        metadata=cost(1, items=5),
    )
    async def speakers(self, info: Info) -> list[WorkshopsSpeaker]:
        rows = await _children(info, Speaker, [], Speaker.position).load(self.row.id)
        organiser = is_organiser(info)
        return [WorkshopsSpeaker.from_row(r) for r in rows if r.public or organiser]

    @strawberry.field(description="Confirmed registrations.", metadata=cost(1))
    async def confirmed_count(self, info: Info) -> int:
        counts = await _counts(info).load(self.row.id)
        return counts.get(RegistrationStatus.CONFIRMED.value, 0)

    @strawberry.field(description="Registrations on the waiting list.", metadata=cost(1))
    async def waitlist_count(self, info: Info) -> int:
        counts = await _counts(info).load(self.row.id)
        return counts.get(RegistrationStatus.WAITLISTED.value, 0)

    @strawberry.field(description="Seats left; null for no limit.", metadata=cost(1))
    async def seats_left(self, info: Info) -> int | None:
        if self.row.capacity is None:
            return None
        counts = await _counts(info).load(self.row.id)
        return max(0, self.row.capacity - counts.get(RegistrationStatus.CONFIRMED.value, 0))

    @strawberry.field(
        description="The registrations, in order (permission workshops:organise).",
        metadata=cost(1, items=50),
    )
    async def registrations(self, info: Info) -> list[WorkshopsRegistration]:
        if not is_organiser(info):
            raise Forbidden(f"this needs the {WORKSHOPS_ORGANISE.code} permission")
        rows = await _children(info, Registration, [], Registration.id).load(self.row.id)
        return [WorkshopsRegistration.from_row(r) for r in rows]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Any, Any], node_ids: Any, required: bool = False
    ) -> list[Any]:
        nodes = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        return [n if n is not None and visible(info, n.row) else None for n in nodes]


# -- queries ------------------------------------------------------------------------------------

ORDER = Ordering(
    (
        SortKey(Event.starts_at, False, load_datetime),
        SortKey(Event.id, False, int),
    )
)


# -- what each public root field reads: shared by its resolver and the read compiler ------------


def _seen_by(context: Any, statement: Any) -> Any:
    """Live events; drafts only for organisers (the visibility of ``visible``)."""
    statement = statement.where(Event.deleted_at.is_(None))
    if not organises(context):
        statement = statement.where(Event.status.in_(PUBLIC_STATUSES))
    return statement


def events_source(
    context: Any,
    commune: str | None = None,
    series: str | None = None,
    kind: EventKind | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> tuple[Any, Ordering]:
    """``workshopsEvents``: the events the caller may see, filtered, in time order."""
    statement = _seen_by(context, select(Event))
    if commune is not None:
        statement = statement.join(store.COMMUNE, store.COMMUNE.c.id == Event.commune_id)
        statement = statement.where(store.COMMUNE.c.nis_code == commune)
    if series is not None:
        statement = statement.where(Event.series == series)
    if kind is not None:
        statement = statement.where(Event.kind == kind.value)
    if starts_after is not None:
        statement = statement.where(Event.starts_at >= store.to_utc(starts_after))
    if starts_before is not None:
        statement = statement.where(Event.starts_at < store.to_utc(starts_before))
    return statement, ORDER


def event_source(context: Any, id: str) -> Any:
    """``workshopsEvent``: the event of this ID if the caller may see it (an ID of another
    type is NOT_FOUND)."""
    try:
        key = node_key(id, "WorkshopsEvent", "id")
    except Invalid as error:
        raise NotFound(error.message, field="id") from None
    return _seen_by(context, select(Event).where(Event.id == key))


@strawberry.type(
    name="WorkshopsTicket",
    description="What the holder of a cancellation token sees of their registration.",
)
class WorkshopsTicket:
    registration: WorkshopsRegistration
    check_in_code: str = strawberry.field(description="Show it at the door (fit for a QR code).")
    event: WorkshopsEvent


@strawberry.type
class WorkshopsQuery:
    @strawberry.field(
        description="Events in time order: published and cancelled ones (drafts too for "
        "organisers), filtered by commune (NIS code), series, kind, and a time window.",
        metadata=cost(1, items="first"),
    )
    async def workshops_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        commune: str | None = None,
        series: str | None = None,
        kind: WorkshopsEventKind | None = None,  # type: ignore[valid-type]
        starts_after: dt.datetime | None = None,
        starts_before: dt.datetime | None = None,
    ) -> Connection[WorkshopsEvent]:
        statement, ordering = events_source(
            info.context,
            commune=commune,
            series=series,
            kind=kind,
            starts_after=starts_after,
            starts_before=starts_before,
        )
        return await paginate(
            info.context,
            statement,
            ordering,
            first=first,
            after=after,
            to_node=WorkshopsEvent.from_row,
        )

    @strawberry.field(
        description="Attendance over events (permission workshops:organise): confirmed "
        "registrations and check-ins by commune and audience, for a series and/or a time "
        "window.",
        metadata=cost(1),
    )
    async def workshops_attendance(
        self,
        info: Info,
        series: str | None = None,
        kind: WorkshopsEventKind | None = None,  # type: ignore[valid-type]
        starts_after: dt.datetime | None = None,
        starts_before: dt.datetime | None = None,
    ) -> WorkshopsAttendance:
        if not is_organiser(info):
            raise Forbidden(f"this needs the {WORKSHOPS_ORGANISE.code} permission")
        where: list[Any] = []
        if series is not None:
            where.append(Event.series == series)
        if kind is not None:
            where.append(Event.kind == kind.value)
        if starts_after is not None:
            where.append(Event.starts_at >= store.to_utc(starts_after))
        if starts_before is not None:
            where.append(Event.starts_at < store.to_utc(starts_before))
        return await attendance(info, where)

    @strawberry.field(description="One event by its ID.", metadata=cost(1))
    async def workshops_event(self, info: Info, id: strawberry.ID) -> WorkshopsEvent | None:
        rows = await info.context.execute(event_source(info.context, id))
        row = rows.scalar_one_or_none()
        return WorkshopsEvent.from_row(row) if row is not None else None

    @strawberry.field(
        description="Your registration, by the secret token you received when registering.",
        metadata=cost(1),
    )
    async def workshops_ticket(self, info: Info, token: str) -> WorkshopsTicket | None:
        rows = await info.context.execute(
            select(Registration, Event)
            .join(Event, Event.id == Registration.event_id)
            .where(Registration.cancel_token_hash == store.token_hash(token.strip()))
        )
        found = rows.first()
        if found is None:
            return None
        registration, event = found
        return WorkshopsTicket(
            registration=WorkshopsRegistration.from_row(registration),
            check_in_code=registration.check_in_code,
            event=WorkshopsEvent.from_row(event),
        )


# -- mutations ----------------------------------------------------------------------------------


@strawberry.type(name="WorkshopsError", description="A problem with a workshops mutation's input.")
class WorkshopsError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: WorkshopsErrorCode
    message: str = strawberry.field(description="What is wrong and what to do.")


def _errors(errors: list[Invalid] | None) -> list[WorkshopsError]:
    return [
        WorkshopsError(field=e.field, code=WorkshopsErrorCode[e.code.name], message=e.message)
        for e in errors or []
    ]


@strawberry.type(name="WorkshopsEventPayload", description="The event, or what went wrong.")
class WorkshopsEventPayload:
    event: WorkshopsEvent | None
    errors: list[WorkshopsError]


@strawberry.type(name="WorkshopsRegistrationPayload", description="The registration, or errors.")
class WorkshopsRegistrationPayload:
    registration: WorkshopsRegistration | None
    errors: list[WorkshopsError]
    cancel_token: str | None = strawberry.field(
        default=None,
        description="Secret: cancels the registration and reads it back (`workshopsTicket`). "
        "Given only once.",
    )
    check_in_code: str | None = strawberry.field(
        default=None, description="Show it at the door (fit for a QR code)."
    )


@strawberry.input(name="WorkshopsPlaceInput", description="Where an event takes place.")
class PlaceInput:
    address: str | None = None
    commune: strawberry.ID | None = strawberry.field(default=None, description="A Commune ID.")


@strawberry.input(description="A new event (a draft until published).")
class CreateWorkshopsEventInput:
    kind: WorkshopsEventKind  # type: ignore[valid-type]
    title: TranslationsInput
    starts_at: dt.datetime = strawberry.field(
        description="With an offset, or a wall-clock time in Europe/Brussels."
    )
    ends_at: dt.datetime
    description: TranslationsInput | None = None
    address: str | None = None
    commune: strawberry.ID | None = strawberry.field(default=None, description="A Commune ID.")
    online_url: str | None = None
    organiser: strawberry.ID | None = strawberry.field(
        default=None, description="A Stakeholder ID."
    )
    audiences: list[WorkshopsAudience] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list
    )
    partners: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Partner organisations (Stakeholder IDs)."
    )
    series: str | None = None
    capacity: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Changes to an event; omitted fields stay as they are.")
class UpdateWorkshopsEventInput:
    id: strawberry.ID
    version: int
    kind: WorkshopsEventKind | None = strawberry.UNSET  # type: ignore[valid-type]
    title: TranslationsInput | None = strawberry.UNSET
    description: TranslationsInput | None = strawberry.UNSET
    starts_at: dt.datetime | None = strawberry.UNSET
    ends_at: dt.datetime | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    commune: strawberry.ID | None = strawberry.UNSET
    online_url: str | None = strawberry.UNSET
    organiser: strawberry.ID | None = strawberry.UNSET
    audiences: list[WorkshopsAudience] | None = strawberry.UNSET  # type: ignore[valid-type]
    partners: list[strawberry.ID] | None = strawberry.UNSET
    series: str | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET


@strawberry.input(description="An event at the version you read.")
class WorkshopsEventVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="A timed item of an event's agenda.")
class AddWorkshopsAgendaItemInput:
    event: strawberry.ID
    starts_at: dt.datetime
    title: TranslationsInput
    ends_at: dt.datetime | None = None
    speaker: strawberry.ID | None = strawberry.field(
        default=None, description="A WorkshopsSpeaker ID of the same event."
    )


@strawberry.input(description="A speaker of an event.")
class AddWorkshopsSpeakerInput:
    event: strawberry.ID
    name: str
    role: TranslationsInput | None = None
    organisation: str | None = None
    stakeholder: strawberry.ID | None = strawberry.field(
        default=None, description="A Stakeholder ID."
    )
    public: bool = strawberry.field(
        default=False, description="The speaker agreed to a public profile."
    )


@strawberry.input(description="A registration: sign in, or give a name and an e-mail.")
class RegisterForWorkshopsEventInput:
    event: strawberry.ID
    name: str | None = strawberry.field(default=None, description="Required when anonymous.")
    email: str | None = strawberry.field(default=None, description="Required when anonymous.")
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="The attendee's commune (a Commune ID), for the statistics."
    )
    audience: WorkshopsAudience | None = None  # type: ignore[valid-type]
    language: Language | None = strawberry.field(
        default=None,
        description="The language of the e-mails (confirmation, waiting list, changes); "
        "default: the request's (Accept-Language), else fr.",
    )


@strawberry.input(description="The secret token received when registering.")
class CancelWorkshopsRegistrationInput:
    token: str


@strawberry.input(description="A check-in code shown at the door.")
class CheckInWorkshopsRegistrationInput:
    event: strawberry.ID
    code: str


def _given(value: Any) -> bool:
    return value is not strawberry.UNSET


def _texts(value: TranslationsInput | None, field: str, *, required: bool, limit: int) -> Any:
    texts = value.as_dict() if value is not None else {}
    if required and not texts:
        raise Invalid(Code.REQUIRED, f"{field} needs a text in fr, nl, de or en", field)
    for lang, text in texts.items():
        if len(text) > limit:
            raise Invalid(Code.INVALID, f"{field}.{lang} is longer than {limit}", field)
    return texts


async def _apply(session: Any, principal: Any, event: Event, data: Any, creating: bool) -> None:
    """Copy the given fields of ``data`` onto ``event``, checking each."""

    def given(name: str) -> bool:
        return creating or _given(getattr(data, name))

    if given("kind"):
        if data.kind is None:
            raise Invalid(Code.REQUIRED, "kind cannot be null", "kind")
        event.kind = data.kind.value
    if given("title"):
        event.title = _texts(data.title, "title", required=True, limit=300)
    if given("description"):
        event.description = _texts(data.description, "description", required=False, limit=20000)
    for name in ("starts_at", "ends_at"):
        if given(name):
            value = getattr(data, name)
            if value is None:
                raise Invalid(Code.REQUIRED, f"{name} cannot be null", name)
            setattr(event, name, store.to_utc(value))
    if event.ends_at <= event.starts_at:
        raise Invalid(Code.INVALID, "endsAt must be after startsAt", "endsAt")
    for name, limit in (("address", 300), ("online_url", 500), ("series", 120)):
        if given(name):
            value = getattr(data, name)
            value = value.strip() if value else None
            if value and len(value) > limit:
                raise Invalid(Code.INVALID, f"{name} is longer than {limit}", name)
            if name == "online_url" and value and not value.startswith(("https://", "http://")):
                raise Invalid(Code.INVALID, "onlineUrl must be an http(s) URL", "onlineUrl")
            setattr(event, name, value or None)
    if given("audiences"):
        event.audiences = sorted({a.value for a in data.audiences or []})
    if given("capacity"):
        if data.capacity is not None and data.capacity < 0:
            raise Invalid(Code.INVALID, "capacity cannot be negative", "capacity")
        event.capacity = data.capacity
    if given("partners"):
        partners = []
        for raw in data.partners or []:
            key = node_key(raw, "Stakeholder", "partners")
            if not await store.stakeholder_exists(session, key):
                raise Invalid(Code.NOT_FOUND, f"partners: no stakeholder {raw}", "partners")
            partners.append(key)
        event.partner_ids = sorted(set(partners))
    if given("organiser"):
        organiser = None
        if data.organiser is not None:
            organiser = node_key(data.organiser, "Stakeholder", "organiser")
            if not await store.stakeholder_exists(session, organiser):
                raise Invalid(Code.NOT_FOUND, "no such stakeholder", "organiser")
        event.organiser_id = organiser
    if given("commune"):
        commune = None
        if data.commune is not None:
            found = await store.commune_by_id(session, node_key(data.commune, "Commune", "commune"))
            if found is None:
                raise Invalid(Code.NOT_FOUND, "no such commune", "commune")
            commune = found.id
            event.territory_id = found.territory_id or event.territory_id
        event.commune_id = commune
    if event.territory_id is None:
        event.territory_id = await store.default_territory(session)
    if not event.address and not event.online_url and event.commune_id is None:
        raise Invalid(Code.REQUIRED, "give a place (address, commune) or an onlineUrl", "address")
    await _authorise(session, principal, event)


async def _authorise(session: Any, principal: Any, event: Event) -> None:
    """A caller limited to some communes (its own, or those it was granted the permission
    for) may only organise events in them."""
    if commune_scope(principal, WORKSHOPS_ORGANISE.code) is None:
        return
    codes = set()
    if event.commune_id is not None:
        found = await store.commune_by_id(session, event.commune_id)
        codes = {found.nis_code} if found else set()
    if not may_touch_communes(principal, codes, WORKSHOPS_ORGANISE.code):
        raise Invalid(Code.FORBIDDEN, "you may only organise events in your communes", "commune")


async def _event_for_change(session: Any, principal: Any, raw: Any, field: str = "id") -> Event:
    event = await session.get(Event, node_key(raw, "WorkshopsEvent", field))
    if event is None or event.deleted_at is not None:
        raise Invalid(Code.NOT_FOUND, "no event with this ID", field)
    await _authorise(session, principal, event)
    return event


def _event_payload(outcome: Any) -> WorkshopsEventPayload:
    row = outcome.row
    return WorkshopsEventPayload(
        event=WorkshopsEvent.from_row(row) if row is not None else None,
        errors=_errors(outcome.errors),
    )


def _draft_permission(event: Event) -> str | None:
    """Events about drafts are for organisers; about published events, public."""
    return WORKSHOPS_ORGANISE.code if event.status == EventStatus.DRAFT.value else None


def _links(info: Info[Any, Any]) -> notify.Links:
    settings = info.context.host.plugin_settings("workshops")
    return notify.links_for(settings, info.context.request)


def _bump(event: Event) -> None:
    event.sequence = (event.sequence or 0) + 1


async def _status(
    info: Info[Any, Any],
    input: WorkshopsEventVersionInput,
    to: EventStatus,
    allowed: tuple[EventStatus, ...],
    operation: str,
) -> WorkshopsEventPayload:
    async def change(session: Any, principal: Any) -> Change:
        event = await _event_for_change(session, principal, input.id)
        check_version(event, input.version)
        if EventStatus(event.status) not in allowed:
            raise Invalid(Code.INVALID, f"a {event.status} event cannot become {to.value}", "id")
        was_public = event.status == EventStatus.PUBLISHED.value
        # Publishing is public news; cancelling a draft stays among organisers.
        permission = _draft_permission(event) if to == EventStatus.CANCELLED else None
        event.status = to.value
        _bump(event)
        if to == EventStatus.CANCELLED and was_public:
            await notify.event_cancelled(session, _links(info), event)
        return Change(
            row=event, action=to.value, changes=column_changes(event), permission=permission
        )

    return _event_payload(
        await mutate(
            info, permission=WORKSHOPS_ORGANISE, operation=operation, change=change, model=Event
        )
    )


async def _sub_change(
    info: Info[Any, Any], raw_event: Any, operation: str, build: Any
) -> WorkshopsEventPayload:
    """Add something to an event: bumps its SEQUENCE (calendar clients see a change)."""

    async def change(session: Any, principal: Any) -> Change:
        event = await _event_for_change(session, principal, raw_event, "event")
        changes = await build(session, event)
        _bump(event)
        return Change(
            row=event, action="updated", changes=changes, permission=_draft_permission(event)
        )

    return _event_payload(
        await mutate(
            info, permission=WORKSHOPS_ORGANISE, operation=operation, change=change, model=Event
        )
    )


@strawberry.type
class WorkshopsMutation:
    @strawberry.mutation(
        description="Create an event, as a draft (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def create_workshops_event(
        self, info: Info, input: CreateWorkshopsEventInput
    ) -> WorkshopsEventPayload:
        async def change(session: Any, principal: Any) -> Change:
            event = Event(uid=store.new_uid(), sequence=0, status=EventStatus.DRAFT.value)
            await _apply(session, principal, event, input, creating=True)
            session.add(event)
            await session.flush()
            return Change(
                row=event,
                action="created",
                changes=column_changes(event, created=True),
                permission=WORKSHOPS_ORGANISE.code,  # a draft: organisers only
            )

        return _event_payload(
            await mutate(
                info,
                permission=WORKSHOPS_ORGANISE,
                operation="createWorkshopsEvent",
                change=change,
                model=Event,
                idempotency_key=input.idempotency_key,
                request=strawberry.asdict(input),
            )
        )

    @strawberry.mutation(
        description="Change an event; bumps its SEQUENCE (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def update_workshops_event(
        self, info: Info, input: UpdateWorkshopsEventInput
    ) -> WorkshopsEventPayload:
        async def change(session: Any, principal: Any) -> Change:
            event = await _event_for_change(session, principal, input.id)
            check_version(event, input.version)
            if _given(input.capacity):
                # More seats move the waiting list up: count them under the event's lock.
                event = await store.lock_event(session, event.id) or event
            before = notify.noticed(event)
            await _apply(session, principal, event, input, creating=False)
            changes = column_changes(event)
            if changes:
                _bump(event)
            links = _links(info)
            if event.status == EventStatus.PUBLISHED.value and notify.noticed(event) != before:
                await notify.event_changed(session, links, event)
            if "capacity" in changes:
                moved = await store.promote(session, event)
                for promoted in moved:
                    await _record(session, "registration.promoted", promoted)
                await notify.promoted(session, links, moved, event)
            return Change(
                row=event, action="updated", changes=changes, permission=_draft_permission(event)
            )

        return _event_payload(
            await mutate(
                info,
                permission=WORKSHOPS_ORGANISE,
                operation="updateWorkshopsEvent",
                change=change,
                model=Event,
            )
        )

    @strawberry.mutation(
        description="Publish a draft event (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def publish_workshops_event(
        self, info: Info, input: WorkshopsEventVersionInput
    ) -> WorkshopsEventPayload:
        return await _status(
            info, input, EventStatus.PUBLISHED, (EventStatus.DRAFT,), "publishWorkshopsEvent"
        )

    @strawberry.mutation(
        description="Cancel an event: it stays listed, as cancelled, and calendar clients see "
        "STATUS:CANCELLED (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def cancel_workshops_event(
        self, info: Info, input: WorkshopsEventVersionInput
    ) -> WorkshopsEventPayload:
        return await _status(
            info,
            input,
            EventStatus.CANCELLED,
            (EventStatus.DRAFT, EventStatus.PUBLISHED),
            "cancelWorkshopsEvent",
        )

    @strawberry.mutation(
        description="Add a speaker to an event (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def add_workshops_speaker(
        self, info: Info, input: AddWorkshopsSpeakerInput
    ) -> WorkshopsEventPayload:
        async def build(session: Any, event: Event) -> dict[str, Any]:
            name = input.name.strip()
            if not name or len(name) > 200:
                raise Invalid(Code.INVALID, "name must be 1 to 200 characters", "name")
            stakeholder = None
            if input.stakeholder is not None:
                stakeholder = node_key(input.stakeholder, "Stakeholder", "stakeholder")
                if not await store.stakeholder_exists(session, stakeholder):
                    raise Invalid(Code.NOT_FOUND, "no such stakeholder", "stakeholder")
            position = (
                await session.execute(
                    select(func.count()).select_from(Speaker).where(Speaker.event_id == event.id)
                )
            ).scalar_one()
            speaker = Speaker(
                event_id=event.id,
                name=name,
                role=_texts(input.role, "role", required=False, limit=300),
                organisation=(input.organisation or "").strip() or None,
                stakeholder_id=stakeholder,
                public=input.public,
                position=position,
            )
            session.add(speaker)
            await session.flush()
            return {"speakers": {"after": speaker.id}}

        return await _sub_change(info, input.event, "addWorkshopsSpeaker", build)

    @strawberry.mutation(
        description="Add an item to an event's agenda (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def add_workshops_agenda_item(
        self, info: Info, input: AddWorkshopsAgendaItemInput
    ) -> WorkshopsEventPayload:
        async def build(session: Any, event: Event) -> dict[str, Any]:
            speaker = None
            if input.speaker is not None:
                speaker = node_key(input.speaker, "WorkshopsSpeaker", "speaker")
                row = await session.get(Speaker, speaker)
                if row is None or row.event_id != event.id:
                    raise Invalid(Code.NOT_FOUND, "no such speaker at this event", "speaker")
            starts = store.to_utc(input.starts_at)
            ends = store.to_utc(input.ends_at) if input.ends_at else None
            if ends is not None and ends < starts:
                raise Invalid(Code.INVALID, "endsAt is before startsAt", "endsAt")
            item = AgendaItem(
                event_id=event.id,
                starts_at=starts,
                ends_at=ends,
                title=_texts(input.title, "title", required=True, limit=300),
                speaker_id=speaker,
            )
            session.add(item)
            await session.flush()
            return {"agenda": {"after": item.id}}

        return await _sub_change(info, input.event, "addWorkshopsAgendaItem", build)

    @strawberry.mutation(
        description="Register for a published event, signed in or anonymously (name and "
        "e-mail). When the event is full, the registration joins the waiting list.",
        metadata=cost(WRITE_COST),
    )
    async def register_for_workshops_event(
        self, info: Info, input: RegisterForWorkshopsEventInput
    ) -> WorkshopsRegistrationPayload:
        principal = info.context.principal
        try:
            event_id = node_key(input.event, "WorkshopsEvent", "event")
            async with unit_of_work(info) as work:
                session = work.session
                commune = None
                if input.commune is not None:
                    found = await store.commune_by_id(
                        session, node_key(input.commune, "Commune", "commune")
                    )
                    if found is None:
                        raise Invalid(Code.NOT_FOUND, "no such commune", "commune")
                    commune = found.id
                done = await store.register(
                    session,
                    event_id,
                    subject=None if principal.is_anonymous else principal.subject,
                    name=input.name,
                    email=input.email,
                    commune_id=commune,
                    audience=input.audience.value if input.audience else None,
                    language=input.language.value if input.language else info.context.language,
                )
                await _record(
                    session, f"registration.{done.registration.status}", done.registration
                )
                await notify.registered(
                    session,
                    _links(info),
                    done.registration,
                    await session.get(Event, done.registration.event_id),
                    token=done.cancel_token,
                    position=done.position,
                )
        except Invalid as error:
            return WorkshopsRegistrationPayload(registration=None, errors=_errors([error]))
        return WorkshopsRegistrationPayload(
            registration=WorkshopsRegistration.from_row(done.registration),
            errors=[],
            cancel_token=done.cancel_token,
            check_in_code=done.registration.check_in_code,
        )

    @strawberry.mutation(
        description="Cancel a registration with its secret token; the waiting list moves up.",
        metadata=cost(WRITE_COST),
    )
    async def cancel_workshops_registration(
        self, info: Info, input: CancelWorkshopsRegistrationInput
    ) -> WorkshopsRegistrationPayload:
        try:
            async with unit_of_work(info) as work:
                session = work.session
                done = await store.cancel(session, input.token)
                await _record(session, "registration.cancelled", done.registration)
                for promoted in done.promoted:
                    await _record(session, "registration.promoted", promoted)
                event = await session.get(Event, done.registration.event_id)
                links = _links(info)
                await notify.cancelled(session, links, done.registration, event)
                await notify.promoted(session, links, done.promoted, event)
        except Invalid as error:
            return WorkshopsRegistrationPayload(registration=None, errors=_errors([error]))
        return WorkshopsRegistrationPayload(
            registration=WorkshopsRegistration.from_row(done.registration), errors=[]
        )

    @strawberry.mutation(
        description="Check an attendee in with their code (permission workshops:check_in, "
        "or workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def check_in_workshops_registration(
        self, info: Info, input: CheckInWorkshopsRegistrationInput
    ) -> WorkshopsRegistrationPayload:
        principal = info.context.principal
        permission = (
            WORKSHOPS_ORGANISE
            if not principal.is_anonymous and can(principal, WORKSHOPS_ORGANISE.code)
            else WORKSHOPS_CHECK_IN
        )

        async def change(session: Any, principal: Any) -> Change:
            event_id = node_key(input.event, "WorkshopsEvent", "event")
            registration = (
                await session.execute(
                    select(Registration).where(
                        Registration.event_id == event_id,
                        Registration.check_in_code == input.code.strip().upper(),
                    )
                )
            ).scalar_one_or_none()
            if registration is None:
                raise Invalid(Code.NOT_FOUND, "no registration with this code here", "code")
            if registration.status != RegistrationStatus.CONFIRMED.value:
                raise Invalid(Code.INVALID, f"this registration is {registration.status}", "code")
            if registration.checked_in_at is not None:
                raise Invalid(Code.DUPLICATE, "already checked in", "code")
            registration.checked_in_at = store.utcnow()
            # Recorded for organisers whoever checks in (registrations are personal data).
            return Change(
                row=registration,
                action="checked_in",
                changes={},
                permission=WORKSHOPS_ORGANISE.code,
            )

        outcome = await mutate(
            info,
            permission=permission,
            operation="checkInWorkshopsRegistration",
            change=change,
            model=Registration,
        )
        return WorkshopsRegistrationPayload(
            registration=WorkshopsRegistration.from_row(outcome.row) if outcome.row else None,
            errors=_errors(outcome.errors),
        )


async def _record(session: Any, type_: str, registration: Registration) -> None:
    await store.record(session, type_, registration)
