"""The events' mutations: create, change, publish, cancel, speakers and agenda (permission
``workshops:organise``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from bocage.core.api import (
    Change,
    Code,
    Invalid,
    PlaceLimits,
    as_utc,
    check_geometry,
    check_version,
    column_changes,
    commune_scope,
    cost,
    geocode_address,
    input_texts,
    located_columns,
    may_touch_communes,
    mutate,
    node_key,
    territory_of_new_row,
)
from bocage.plugins.workshops import notify, reminders, store
from bocage.plugins.workshops.graphql.common import (
    WRITE_COST,
    WorkshopsError,
    error_list,
    is_given,
    links_of,
    organised_territories,
)
from bocage.plugins.workshops.graphql.event_inputs import (
    AddWorkshopsAgendaItemInput,
    AddWorkshopsSpeakerInput,
    CreateWorkshopsEventInput,
    UpdateWorkshopsEventInput,
    WorkshopsEventVersionInput,
)
from bocage.plugins.workshops.graphql.events import (
    WorkshopsEvent,
)
from bocage.plugins.workshops.graphql.registrations import (
    record_registration,
)
from bocage.plugins.workshops.models import (
    AgendaItem,
    Event,
    EventStatus,
    Speaker,
)
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE
from bocage.plugins.workshops.settings import WorkshopsSettings, workshops_settings


@strawberry.type(name="WorkshopsEventPayload", description="The event, or what went wrong.")
class WorkshopsEventPayload:
    event: WorkshopsEvent | None
    errors: list[WorkshopsError]


async def _place(event: Event, data: Any, info: Info, creating: bool, found: Any) -> None:
    """Put the event's venue on the map: the ``location`` given (null: off the map); without
    one, a new event at the geometry the installation's geocoder ``found`` for its
    ``address`` in its ``commune`` (:func:`_geocoded`, asked before the transaction; an event
    needs no place on the map: one it cannot place stays off it)."""
    value = data.location
    if not creating and not is_given(value):
        return
    settings = info.context.settings
    if value is not None:
        columns = located_columns(
            settings,
            value.geometry,
            longitude=value.longitude,
            latitude=value.latitude,
            required=True,
        )
    elif creating and event.address and event.commune_id is not None and found is not None:
        columns = check_geometry(found, PlaceLimits.of(settings), "address").columns()
    else:
        columns = located_columns(settings)  # off the map
    for name, column in columns.items():
        if getattr(event, name) != column:
            setattr(event, name, column)


async def _geocoded(info: Info, data: CreateWorkshopsEventInput) -> Any:
    """Where the installation's geocoder places a new event given no ``location``: its
    ``address`` in its ``commune``, asked before the mutation's transaction opens."""
    if data.location is not None:
        return None
    return await geocode_address(info, data.address, data.commune, WORKSHOPS_ORGANISE)


async def _apply(session: Any, principal: Any, event: Event, data: Any, creating: bool) -> None:
    """Copy the given fields of ``data`` onto ``event``, checking each."""

    def given(name: str) -> bool:
        return creating or is_given(getattr(data, name))

    if given("kind"):
        if data.kind is None:
            raise Invalid(Code.REQUIRED, "kind cannot be null", "kind")
        event.kind = data.kind.value
    if given("title"):
        event.title = input_texts(data.title, "title", required=True, max_length=300)
    if given("description"):
        event.description = input_texts(
            data.description, "description", required=False, max_length=20000
        )
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
    if event.commune_id is None and (creating or given("territory")):
        event.territory_id = await _territory(session, principal, data.territory)
    if event.territory_id is None:
        event.territory_id = await store.default_territory(session)
    if not event.address and not event.online_url and event.commune_id is None:
        raise Invalid(Code.REQUIRED, "give a place (address, commune) or an onlineUrl", "address")
    await _authorise(session, principal, event)


async def _territory(session: Any, principal: Any, raw: Any) -> int | None:
    """The territory of an event of no commune: the one given (a Territory ID), else the
    caller's only one once it is confined to some (``territory_of_new_row``)."""
    given = None
    if raw is not None:
        given = node_key(raw, "Territory", "territory")
        if not await store.territory_exists(session, given):
            raise Invalid(Code.NOT_FOUND, f"territory: no territory {raw!r}", "territory")
    return territory_of_new_row(principal, given)


async def _authorise(session: Any, principal: Any, event: Event) -> None:
    """A caller limited to some communes (its own, or those it was granted the permission
    for) may only organise events in them; an event of no commune is its territory's, for
    organisers of every commune (of that territory, once they are confined to some)."""
    if commune_scope(principal, WORKSHOPS_ORGANISE.code) is None:
        return
    if event.commune_id is None and event.territory_id in organised_territories(principal):
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
        errors=error_list(outcome.errors),
    )


def _draft_permission(event: Event) -> str | None:
    """Events about drafts are for organisers; about published events, public."""
    return WORKSHOPS_ORGANISE.code if event.status == EventStatus.DRAFT.value else None


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
            await notify.event_cancelled(session, links_of(info), event)
        if to == EventStatus.PUBLISHED:
            await reminders.schedule(session, _settings(info), event)
        return Change(
            row=event,
            action=to.value,
            changes=column_changes(event),
            permission=permission,
            scope=await store.scope_of(session, event),
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
            row=event,
            action="updated",
            changes=changes,
            permission=_draft_permission(event),
            scope=await store.scope_of(session, event),
        )

    return _event_payload(
        await mutate(
            info, permission=WORKSHOPS_ORGANISE, operation=operation, change=change, model=Event
        )
    )


def _settings(info: Info[Any, Any]) -> WorkshopsSettings:
    return workshops_settings(info.context.host)


def _hours(event: Event) -> str:
    starts, ends = store.to_local(as_utc(event.starts_at)), store.to_local(as_utc(event.ends_at))
    return f"{starts:%Y-%m-%d %H:%M} to {ends:%Y-%m-%d %H:%M} (Europe/Brussels)"


def _span(event: Event) -> tuple[dt.datetime, dt.datetime]:
    """The event's hours to the minute (an agenda says 09:30 for an event at 09:30:00.25)."""
    starts = as_utc(event.starts_at).replace(second=0, microsecond=0)
    ends = as_utc(event.ends_at)
    if ends.second or ends.microsecond:
        ends = ends.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return starts, ends


def _within_hours(event: Event, starts: Any, ends: Any) -> None:
    """Refuse an agenda item that does not fit in the event's hours."""
    event_starts, event_ends = _span(event)
    if not event_starts <= starts < event_ends:
        raise Invalid(
            Code.INVALID,
            f"startsAt is outside the event's hours: the event runs from {_hours(event)}; "
            "give a time within them (or change the event's times first)",
            "startsAt",
        )
    if ends is not None and ends > event_ends:
        raise Invalid(
            Code.INVALID,
            f"endsAt is after the event's end: the event runs from {_hours(event)}; "
            "give a time within them (or change the event's times first)",
            "endsAt",
        )


async def _agenda_within_hours(session: Any, event: Event) -> None:
    """Refuse new times for an event that would leave agenda items outside its hours."""
    items = (
        await session.execute(select(AgendaItem).where(AgendaItem.event_id == event.id))
    ).scalars()
    starts, ends = _span(event)
    outside = [
        item
        for item in items
        if not starts <= as_utc(item.starts_at) < ends
        or (item.ends_at is not None and as_utc(item.ends_at) > ends)
    ]
    if outside:
        first = store.to_local(as_utc(min(outside, key=lambda i: i.starts_at).starts_at))
        raise Invalid(
            Code.INVALID,
            f"{len(outside)} agenda item(s) (the first at {first:%Y-%m-%d %H:%M}) would fall "
            f"outside the event's new hours, {_hours(event)}: keep them within, or change the "
            "event's times so that its agenda fits",
            "startsAt" if as_utc(outside[0].starts_at) < starts else "endsAt",
        )


@strawberry.type
class WorkshopsEventMutation:
    @strawberry.mutation(
        description="Create an event, as a draft (permission workshops:organise).",
        metadata=cost(WRITE_COST),
    )
    async def create_workshops_event(
        self, info: Info, input: CreateWorkshopsEventInput
    ) -> WorkshopsEventPayload:
        found = await _geocoded(info, input)

        async def change(session: Any, principal: Any) -> Change:
            event = Event(uid=store.new_uid(), sequence=0, status=EventStatus.DRAFT.value)
            await _apply(session, principal, event, input, creating=True)
            await _place(event, input, info, creating=True, found=found)
            session.add(event)
            await session.flush()
            return Change(
                row=event,
                action="created",
                changes=column_changes(event, created=True),
                permission=WORKSHOPS_ORGANISE.code,  # a draft: organisers only
                scope=await store.scope_of(session, event),
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
            if is_given(input.capacity):
                # More seats move the waiting list up: count them under the event's lock.
                event = await store.lock_event(session, event.id) or event
            before = notify.noticed(event)
            await _apply(session, principal, event, input, creating=False)
            await _place(event, input, info, creating=False, found=None)
            changes = column_changes(event)
            if "starts_at" in changes or "ends_at" in changes:
                await _agenda_within_hours(session, event)
            if "territory_id" in changes:  # its card workshops follow it to its new GAL
                await store.move_card_workshops(session, event)
            if changes:
                _bump(event)
            links = links_of(info)
            if event.status == EventStatus.PUBLISHED.value and notify.noticed(event) != before:
                await notify.event_changed(session, links, event)
            if "starts_at" in changes:
                await reminders.schedule(session, _settings(info), event)
            if "capacity" in changes:
                moved = await store.promote(session, event)
                for promoted in moved:
                    await record_registration(session, "registration.promoted", promoted)
                await notify.promoted(session, links, moved, event)
            return Change(
                row=event,
                action="updated",
                changes=changes,
                permission=_draft_permission(event),
                scope=await store.scope_of(session, event),
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
                role=input_texts(input.role, "role", required=False, max_length=300),
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
            _within_hours(event, starts, ends)
            item = AgendaItem(
                event_id=event.id,
                starts_at=starts,
                ends_at=ends,
                title=input_texts(input.title, "title", required=True, max_length=300),
                speaker_id=speaker,
            )
            session.add(item)
            await session.flush()
            return {"agenda": {"after": item.id}}

        return await _sub_change(info, input.event, "addWorkshopsAgendaItem", build)


#: Whether a caller may organise an event, for what else an organiser changes (its media:
#: ``plugins/workshops/media.py``).
authorise_organiser = _authorise
