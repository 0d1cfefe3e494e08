"""The workshops plugin's part of a person's GDPR rights (hook ``bocage_personal_data``): the
registrations made with their e-mail address are exported, and erased on request (name and
e-mail removed; a seat for an event still to come is given up, and the waiting list moves up)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from strawberry import relay

from bocage.core.api import PersonalData
from bocage.plugins.workshops import notify, store
from bocage.plugins.workshops.models import Event, Registration, RegistrationStatus

ERASED = "[erased]"
ACTIVE = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value)


def _links() -> notify.Links:
    """The e-mails' links (the erasure has no request): the plugin's settings."""
    from bocage.plugins.workshops.settings import WorkshopsSettings

    return notify.links_for(WorkshopsSettings())


def _by_email(email: str) -> Any:
    return func.lower(Registration.attendee_email) == email


async def export(session: Any, email: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(_by_email(email))
        .order_by(Registration.id)
    )
    return [
        {
            "registration": relay.to_base64("WorkshopsRegistration", r.id),
            "event": relay.to_base64("WorkshopsEvent", e.id),
            "eventTitle": e.title,
            "eventStartsAt": store.to_local(e.starts_at).isoformat(),
            "status": r.status,
            "name": r.attendee_name,
            "email": r.attendee_email,
            "commune": relay.to_base64("Commune", r.commune_id) if r.commune_id else None,
            "audience": r.audience,
            "checkedIn": r.checked_in_at is not None,
            "createdAt": r.created_at.isoformat(),
        }
        for r, e in rows.all()
    ]


async def erase(session: Any, email: str) -> int:
    found = list(
        (
            await session.execute(
                select(Registration).where(_by_email(email)).order_by(Registration.id)
            )
        ).scalars()
    )
    now = store.utcnow()
    for registration in found:
        if registration.status in ACTIVE:
            event = await store.lock_event(session, registration.event_id)
            if event is not None and store.aware(event.starts_at) > now:
                registration.status = RegistrationStatus.CANCELLED.value
                registration.cancelled_at = now
                await session.flush()
                await store.record(session, "registration.cancelled", registration)
                moved = await store.promote(session, event)
                for promoted in moved:
                    await store.record(session, "registration.promoted", promoted)
                await notify.promoted(session, _links(), moved, event)
        registration.attendee_name = ERASED
        registration.attendee_email = None
        registration.registrant_subject = None
    await session.flush()
    return len(found)


PART = PersonalData(name="workshops.registrations", export=export, erase=erase)
