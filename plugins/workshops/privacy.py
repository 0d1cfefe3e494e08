"""The workshops plugin's part of a person's GDPR rights (hook ``bocage_personal_data``), by
either identity of :class:`PersonIdentity`:

- ``workshops.registrations``: the registrations made with their e-mail address or signed in
  with their account, check-in included. Erasure removes name, e-mail and account; a seat for
  an event still to come is given up, and the waiting list moves up;
- ``workshops.card_workshops``: the challenge-card workshops they joined signed in (alias,
  commune, group, the cards and inventory entries they wrote) or facilitated. Erasure unties
  them (account and alias removed); what they wrote stays, as the workshop's collective work
  that no longer names anyone. Paper participants, typed in by a facilitator, carry neither
  identity and cannot be found.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, or_, select

from bocage.core.api import PersonalData, PersonIdentity, as_utc, global_id, utcnow
from bocage.plugins.workshops import notify, store
from bocage.plugins.workshops.models import (
    Card,
    CardWorkshop,
    Event,
    InventoryEntry,
    Participant,
    Registration,
    RegistrationStatus,
)

ERASED = "[erased]"
ACTIVE = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value)


def _links() -> notify.Links:
    """The e-mails' links (the erasure has no request): the plugin's settings."""
    from bocage.plugins.workshops.settings import WorkshopsSettings

    return notify.links_for(WorkshopsSettings())


def _gid(type_name: str, key: int | None) -> str | None:
    return global_id(type_name, key) if key is not None else None


# -- registrations ------------------------------------------------------------------------------


def _registrations_of(person: PersonIdentity) -> Any:
    return or_(
        func.lower(Registration.attendee_email) == person.email if person.email else false(),
        Registration.registrant_subject == person.subject if person.subject else false(),
    )


async def export_registrations(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(_registrations_of(person))
        .order_by(Registration.id)
    )
    return [
        {
            "registration": _gid("WorkshopsRegistration", r.id),
            "event": _gid("WorkshopsEvent", e.id),
            "eventTitle": e.title,
            "eventStartsAt": store.to_local(e.starts_at).isoformat(),
            "status": r.status,
            "name": r.attendee_name,
            "email": r.attendee_email,
            "signedIn": r.registrant_subject is not None,
            "commune": _gid("Commune", r.commune_id),
            "audience": r.audience,
            "language": r.language,
            "checkedIn": r.checked_in_at is not None,
            "checkedInAt": r.checked_in_at.isoformat() if r.checked_in_at else None,
            "createdAt": r.created_at.isoformat(),
        }
        for r, e in rows.all()
    ]


async def erase_registrations(session: Any, person: PersonIdentity) -> int:
    found = list(
        (
            await session.execute(
                select(Registration).where(_registrations_of(person)).order_by(Registration.id)
            )
        ).scalars()
    )
    now = utcnow()
    for registration in found:
        if registration.status in ACTIVE:
            event = await store.lock_event(session, registration.event_id)
            if event is not None and as_utc(event.starts_at) > now:
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


# -- challenge-card workshops -------------------------------------------------------------------


async def _participations(session: Any, subject: str) -> list[tuple[Participant, CardWorkshop]]:
    rows = await session.execute(
        select(Participant, CardWorkshop)
        .join(CardWorkshop, CardWorkshop.id == Participant.workshop_id)
        .where(Participant.person_subject == subject)
        .order_by(Participant.id)
    )
    return [(p, w) for p, w in rows.all()]


async def _facilitated(session: Any, subject: str) -> list[CardWorkshop]:
    rows = await session.execute(
        select(CardWorkshop)
        .where(CardWorkshop.facilitator_subject == subject)
        .order_by(CardWorkshop.id)
    )
    return list(rows.scalars())


async def export_card_workshops(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    if person.subject is None:
        return []  # joining needs an account: nothing here is tied to an address
    participations = await _participations(session, person.subject)
    ids = [p.id for p, _ in participations]
    cards: dict[int, list[dict[str, Any]]] = {}
    for card in (
        await session.execute(select(Card).where(Card.author_id.in_(ids)).order_by(Card.id))
    ).scalars():
        cards.setdefault(card.author_id, []).append(
            {
                "card": _gid("WorkshopsCard", card.id),
                "colour": card.colour,
                "axis": card.axis,
                "text": card.text,
            }
        )
    inventory: dict[int, list[dict[str, Any]]] = {}
    for entry in (
        await session.execute(
            select(InventoryEntry)
            .where(InventoryEntry.participant_id.in_(ids))
            .order_by(InventoryEntry.id)
        )
    ).scalars():
        assert entry.participant_id is not None
        inventory.setdefault(entry.participant_id, []).append(
            {"entry": _gid("WorkshopsInventoryEntry", entry.id), "text": entry.text}
        )
    records = [
        {
            "role": "participant",
            "workshop": _gid("WorkshopsCardWorkshop", workshop.id),
            "workshopTitle": workshop.title,
            "participant": _gid("WorkshopsParticipant", participant.id),
            "alias": participant.alias,
            "commune": _gid("Commune", participant.commune_id),
            "group": participant.group_number,
            "joinedAt": participant.created_at.isoformat(),
            "cards": cards.get(participant.id, []),
            "inventory": inventory.get(participant.id, []),
        }
        for participant, workshop in participations
    ]
    records.extend(
        {
            "role": "facilitator",
            "workshop": _gid("WorkshopsCardWorkshop", workshop.id),
            "workshopTitle": workshop.title,
            "createdAt": workshop.created_at.isoformat(),
        }
        for workshop in await _facilitated(session, person.subject)
    )
    return records


async def erase_card_workshops(session: Any, person: PersonIdentity) -> int:
    if person.subject is None:
        return 0
    participations = await _participations(session, person.subject)
    for participant, _ in participations:
        participant.person_subject = None
        participant.alias = ERASED
    facilitated = await _facilitated(session, person.subject)
    for workshop in facilitated:
        workshop.facilitator_subject = None
    await session.flush()
    return len(participations) + len(facilitated)


PARTS = (
    PersonalData(
        name="workshops.registrations", export=export_registrations, erase=erase_registrations
    ),
    PersonalData(
        name="workshops.card_workshops",
        export=export_card_workshops,
        erase=erase_card_workshops,
    ),
)
