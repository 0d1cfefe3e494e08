"""The events' and registrations' root query fields, and what each public root field reads
(shared by its resolver and the read compiler, see compiled.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import strawberry
from belgica import get_municipality
from sqlalchemy import or_, select
from strawberry.types import Info

from bocage.core.api import (
    BadInput,
    Before,
    BoundingBoxInput,
    CommuneType,
    Connection,
    Invalid,
    Language,
    Last,
    NearInput,
    NodesLanguage,
    NotFound,
    Ordering,
    SortKey,
    cost,
    decode_id,
    load_datetime,
    node_key,
    paginate_field,
    place_filters,
)
from bocage.plugins.workshops import store
from bocage.plugins.workshops.graphql.common import (
    Forbidden,
    is_organiser,
    links_of,
    organised_events,
    organises,
    within_tenancy,
)
from bocage.plugins.workshops.graphql.enums import WorkshopsEventKind
from bocage.plugins.workshops.graphql.events import (
    PUBLIC_STATUSES,
    WorkshopsEvent,
)
from bocage.plugins.workshops.graphql.registrations import (
    WorkshopsAttendance,
    WorkshopsRegistration,
    attendance,
)
from bocage.plugins.workshops.models import (
    Event,
    EventKind,
    Registration,
)
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE

# -- queries ------------------------------------------------------------------------------------

ORDER = Ordering(
    (
        SortKey(Event.starts_at, False, load_datetime),
        SortKey(Event.id, False, int),
    )
)


# -- what each public root field reads: shared by its resolver and the read compiler ------------


def _seen_by(context: Any, statement: Any) -> Any:
    """Live events; drafts only for organisers, of their territories' events once they are
    confined to some (the visibility of ``visible``)."""
    statement = statement.where(Event.deleted_at.is_(None))
    if not organises(context):
        return statement.where(Event.status.in_(PUBLIC_STATUSES))
    theirs = within_tenancy(context.principal)
    if theirs is not None:
        statement = statement.where(or_(Event.status.in_(PUBLIC_STATUSES), theirs))
    return statement


NIS_CODE = re.compile(r"^[0-9]{5}$")


def _in_commune(commune: str) -> Any:
    """The events in ``commune``: a Commune ID (what ``venueCommune { id }`` hands out) or a
    NIS code. Anything else is refused with BAD_USER_INPUT rather than matching nothing: the ID
    of another type (``organisedBy { id }`` passed by mistake), a text that is neither, a NIS
    code no Belgian commune has (Statbel's list, as the core's reference data)."""
    value = commune.strip()
    if NIS_CODE.match(value):
        if get_municipality(value) is None:
            raise BadInput(
                f"commune: no Belgian commune has the NIS code {value!r}; pass a Commune ID "
                "(`venueCommune { id }`) or the commune's 5-digit NIS code (e.g. 64034)",
                field="commune",
            )
        nis = select(store.COMMUNE.c.id).where(store.COMMUNE.c.nis_code == value)
        return Event.commune_id.in_(nis.scalar_subquery())
    try:
        key = decode_id(value, CommuneType, "commune")
    except BadInput as error:
        raise BadInput(
            f"commune: {error.message}, or its 5-digit NIS code (e.g. 64034)", field="commune"
        ) from None
    return Event.commune_id == key


def events_source(
    context: Any,
    commune: str | None = None,
    series: str | None = None,
    kind: EventKind | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    lang: Language | None = None,
    within: BoundingBoxInput | None = None,
    near: NearInput | None = None,
) -> tuple[Any, Ordering]:
    """``workshopsEvents``: the events the caller may see, filtered, in time order (``lang``
    is the language of the texts under the list: the compiler's and the resolvers' business)."""
    statement = _seen_by(context, select(Event))
    if commune is not None:
        statement = statement.where(_in_commune(commune))
    if series is not None:
        statement = statement.where(Event.series == series)
    if kind is not None:
        statement = statement.where(Event.kind == kind.value)
    if starts_after is not None:
        statement = statement.where(Event.starts_at >= store.to_utc(starts_after))
    if starts_before is not None:
        statement = statement.where(Event.starts_at < store.to_utc(starts_before))
    statement = statement.where(*place_filters(context, Event, within, near))
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
    cancel_url: str | None = strawberry.field(
        default=None,
        description="The GAL site's page that cancels this registration; null when "
        "BOCAGE_WORKSHOPS_CANCEL_URL is not set.",
    )


@strawberry.type
class WorkshopsQuery:
    @strawberry.field(
        description="Events in time order: published and cancelled ones (drafts too for "
        "organisers), filtered by commune (a Commune ID or its NIS code), series, kind, a "
        "time window, and the venue's place on the map (`within`, `near`).",
        metadata=cost(1, items="first"),
    )
    async def workshops_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        commune: str | None = None,
        series: str | None = None,
        kind: WorkshopsEventKind | None = None,
        starts_after: dt.datetime | None = None,
        starts_before: dt.datetime | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
        within: Annotated[
            BoundingBoxInput | None,
            strawberry.argument(description="Events whose venue meets this box."),
        ] = None,
        near: Annotated[
            NearInput | None,
            strawberry.argument(description="Events whose venue is within a distance of a point."),
        ] = None,
    ) -> Connection[WorkshopsEvent]:
        source = events_source(
            info.context,
            commune=commune,
            series=series,
            kind=kind,
            starts_after=starts_after,
            starts_before=starts_before,
            within=within,
            near=near,
        )
        return await paginate_field(
            info,
            *source,
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
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
        kind: WorkshopsEventKind | None = None,
        starts_after: dt.datetime | None = None,
        starts_before: dt.datetime | None = None,
    ) -> WorkshopsAttendance:
        if not is_organiser(info):
            raise Forbidden(f"this needs the {WORKSHOPS_ORGANISE.code} permission")
        where: list[Any] = organised_events(info)
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
            cancel_url=links_of(info).cancel(token.strip()),
        )
