"""What media the workshops plugin takes (``bocage_media_owners``): images, documents and the
speakers' slides on events, for their organisers; images and documents on card workshops,
for facilitators. A draft event's media are seen by its organisers only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.api import Code, Invalid, MediaOwner
from bocage.plugins.workshops.graphql.event_mutations import authorise_organiser
from bocage.plugins.workshops.models import CardWorkshop, Event, EventStatus
from bocage.plugins.workshops.permissions import WORKSHOPS_FACILITATE, WORKSHOPS_ORGANISE
from bocage.plugins.workshops.store import runs_workshop


async def _live_event(session: Any, key: int) -> Event:
    event = await session.get(Event, key)
    if event is None or event.deleted_at is not None:
        raise Invalid(Code.NOT_FOUND, "no event with this ID", "owner")
    return event


async def _authorise_event(session: Any, principal: Any, key: int) -> None:
    try:
        await authorise_organiser(session, principal, await _live_event(session, key))
    except Invalid as error:
        raise Invalid(error.code, error.message, "owner") from None


async def _event_is_public(session: Any, key: int) -> bool:
    event = await session.get(Event, key)
    return (
        event is not None and event.deleted_at is None and event.status != EventStatus.DRAFT.value
    )


async def _authorise_workshop(session: Any, principal: Any, key: int) -> None:
    workshop = await session.get(CardWorkshop, key)
    if workshop is None:
        raise Invalid(Code.NOT_FOUND, "no card workshop with this ID", "owner")
    if not runs_workshop(principal, workshop):
        raise Invalid(Code.FORBIDDEN, "this card workshop is another GAL's", "owner")


async def _workshop_is_public(session: Any, key: int) -> bool:
    return await session.get(CardWorkshop, key) is not None


def _public_events() -> Any:
    """``_event_is_public`` in SQL: the open-data ``media`` dataset lists their media."""
    return select(Event.id, Event.updated_at).where(
        Event.deleted_at.is_(None), Event.status != EventStatus.DRAFT.value
    )


def _public_workshops() -> Any:
    return select(CardWorkshop.id, CardWorkshop.updated_at)


def media_owners() -> list[MediaOwner]:
    return [
        MediaOwner(
            "WorkshopsEvent",
            WORKSHOPS_ORGANISE.code,
            _authorise_event,
            _event_is_public,
            roles=("gallery", "document", "slides"),
            public_rows=_public_events,
        ),
        MediaOwner(
            "WorkshopsCardWorkshop",
            WORKSHOPS_FACILITATE.code,
            _authorise_workshop,
            _workshop_is_public,
            public_rows=_public_workshops,
        ),
    ]
