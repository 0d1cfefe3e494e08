"""The events' GraphQL types: an event, its agenda and its speakers.

The public (anonymous callers included) sees published and cancelled events, their agenda and
the speakers who opted in to a public profile; drafts and private speakers need
``workshops:organise``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry import relay
from strawberry.types import Info

from bocage.core.api import (
    CommuneType,
    Location,
    MediaRole,
    MediaType,
    StakeholderType,
    TerritoryType,
    cost,
    global_id,
    load_one,
    location_of,
    media_of,
    translated,
)
from bocage.core.api import RowType as _RowType
from bocage.plugins.workshops import links, store
from bocage.plugins.workshops.graphql.calendars import WorkshopsCalendar, event_calendars
from bocage.plugins.workshops.graphql.common import (
    Forbidden,
    core_link,
    gid,
    is_organiser,
    moved,
    nis_codes,
    not_organiser_of_event,
    organises_event,
)
from bocage.plugins.workshops.graphql.enums import (
    WorkshopsAudience,
    WorkshopsEventKind,
    WorkshopsEventStatus,
    WorkshopsSheetFormat,
)
from bocage.plugins.workshops.graphql.registrations import (
    WorkshopsAttendance,
    WorkshopsRegistration,
    attendance,
)
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
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE

PUBLIC_STATUSES = (EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value)


def visible(info: Info[Any, Any], event: Event | None) -> bool:
    if event is None or event.deleted_at is not None:
        return False
    return event.status in PUBLIC_STATUSES or is_organiser(info)


async def _visible(info: Info[Any, Any], event: Event) -> bool:
    """``visible``, and a draft only within the organiser's territories once it is confined
    to some (as ``workshopsEvents``)."""
    if not visible(info, event):
        return False
    if event.status in PUBLIC_STATUSES:
        return True
    return await store.event_within_tenancy(info.context.principal, event, nis_codes(info))


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

    stakeholder, affiliation = core_link(
        StakeholderType,
        "stakeholder_id",
        now="affiliation",
        id_description="The speaker's organisation in Bocage (a Stakeholder ID).",
        description="The speaker's organisation in Bocage.",
    )

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

    @strawberry.field(
        description="Images, documents and the speakers' slides (role SLIDES) attached to "
        "the event, oldest first (only those of `role` if given).",
        metadata=cost(1, items=5),
    )
    async def media(self, info: Info, role: MediaRole | None = None) -> list[MediaType]:
        return await media_of(info, "WorkshopsEvent", self.id, role)

    @strawberry.field(
        description="The venue on the map, if it is placed (its address and commune: the event's).",
        metadata=cost(0),
    )
    def location(self) -> Location | None:
        return location_of(self.row)

    @strawberry.field(description="The kind of event.")
    def kind(self) -> WorkshopsEventKind:
        return EventKind(self.row.kind)

    @strawberry.field(description="Draft, published or cancelled.")
    def status(self) -> WorkshopsEventStatus:
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
    def audiences(self) -> list[WorkshopsAudience]:
        return [Audience(a) for a in self.row.audiences or []]

    @strawberry.field(
        description="The territory (GAL) it belongs to: its commune's, or, for an event of no "
        "commune, the one it was made for.",
        metadata=cost(1),
    )
    async def territory(self, info: Info) -> TerritoryType | None:
        return await load_one(info, TerritoryType, self.row.territory_id)

    commune, venue_commune = core_link(
        CommuneType,
        "commune_id",
        now="venueCommune",
        id_description="Where it takes place (a Commune ID), if in a commune.",
        description="The commune where it takes place, if in a commune.",
    )
    organiser, organised_by = core_link(
        StakeholderType,
        "organiser_id",
        now="organisedBy",
        id_description="Who organises it (a Stakeholder ID).",
        description="The organisation that organises it.",
    )

    @strawberry.field(
        description="Partner organisations (Stakeholder IDs), besides the organiser.",
        deprecation_reason=moved("partnerOrganisations", many=True),
    )
    def partners(self) -> list[strawberry.ID]:
        return [gid("Stakeholder", key) for key in self.row.partner_ids or []]  # type: ignore[misc]

    @strawberry.field(
        description="Partner organisations, besides the organiser (archived ones left out).",
        metadata=cost(1, items=3),
    )
    async def partner_organisations(self, info: Info) -> list[StakeholderType]:
        keys = self.row.partner_ids or []
        found = await asyncio.gather(*(load_one(info, StakeholderType, k) for k in keys))
        return [node for node in found if node is not None]

    @strawberry.field(
        description="The event's iCalendar file (.ics) as an absolute URL, for an 'add to my "
        "calendar' link; null for a draft (the file is public once the event is published)."
    )
    def ical_url(self, info: Info) -> str | None:
        if self.row.status not in PUBLIC_STATUSES:
            return None
        path = links.event_path(global_id("WorkshopsEvent", self.row.id))
        return links.context_base(info.context) + path

    @strawberry.field(
        description="The calendar feeds that carry the event (its commune's, its territory's, "
        "its series'), each with its `icalUrl`.",
        metadata=cost(1, items=3),
    )
    async def calendars(self, info: Info) -> list[WorkshopsCalendar]:
        return await event_calendars(info, self.row)

    @strawberry.field(
        description="The URL of the event's attendance sheet (the names of the people holding "
        "a seat) as CSV, XLSX or PDF: fetch it with your bearer token. Permission "
        "workshops:organise for the event's commune; each download is audited.",
        metadata=cost(1),
    )
    async def attendance_sheet_url(
        self,
        info: Info,
        format: WorkshopsSheetFormat = WorkshopsSheetFormat.PDF,  # noqa: A002
    ) -> str:
        if not is_organiser(info):
            raise Forbidden(f"this needs the {WORKSHOPS_ORGANISE.code} permission")
        if not await organises_event(info, self.row):
            raise not_organiser_of_event()
        path = links.attendance_path(global_id("WorkshopsEvent", self.row.id), format.value)
        return links.context_base(info.context) + path

    @strawberry.field(
        description="Confirmed registrations and check-ins by commune and by audience "
        "(permission workshops:organise).",
        metadata=cost(1),
    )
    async def attendance(self, info: Info) -> WorkshopsAttendance:
        if not is_organiser(info):
            raise Forbidden(f"this needs the {WORKSHOPS_ORGANISE.code} permission")
        if not await organises_event(info, self.row):
            raise not_organiser_of_event()
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
        if not await organises_event(info, self.row):
            raise not_organiser_of_event()
        rows = await _children(info, Registration, [], Registration.id).load(self.row.id)
        return [WorkshopsRegistration.from_row(r) for r in rows]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Any, Any], node_ids: Any, required: bool = False
    ) -> list[Any]:
        nodes = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        return [n if n is not None and await _visible(info, n.row) else None for n in nodes]
