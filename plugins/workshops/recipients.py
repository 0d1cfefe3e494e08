"""The people an event or a challenge-card workshop gathers, for other plugins to invite (hook
``bocage_recipient_sources``): the surveys plugin's ``inviteToSurvey(from: <WorkshopsEvent or
WorkshopsCardWorkshop ID>)`` e-mails a survey to them.

A workshop's participants are known by their account (``person_subject``) and an alias; the
workshop keeps no address. A participant's address is the one they registered with for the
workshop's event (a registration holding a seat, made signed in with the same account). Paper
participants, those who did not register signed in, and workshops without an event give a
:class:`Recipient` without an address: the inviting plugin counts them, never names them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.api import (
    Code,
    Invalid,
    Recipient,
    RecipientSource,
    can,
    commune_scope,
)
from bocage.plugins.workshops import store
from bocage.plugins.workshops.graphql.common import organises_in
from bocage.plugins.workshops.models import (
    CardWorkshop,
    Event,
    Participant,
    Registration,
    RegistrationStatus,
)
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE


async def _check_organiser(session: Any, principal: Any, event: Event | None, whose: str) -> None:
    """Refuse unless ``principal`` organises in ``event``'s commune, or everywhere (what an
    event without a commune, or no event, needs): the people it gathers are personal data."""

    allowed = can(principal, WORKSHOPS_ORGANISE.code) and (
        commune_scope(principal, WORKSHOPS_ORGANISE.code) is None
        if event is None
        else await organises_in(principal, event, store.nis_code_of(session))
    )  # a workshop of no event belongs to no territory: once confined, operators' only
    if not allowed:
        raise Invalid(
            Code.FORBIDDEN,
            f"the {whose} are for organisers of its commune: it needs the "
            f"{WORKSHOPS_ORGANISE.code} permission there",
            "from",
        )


def _recipient(row: Registration) -> Recipient:
    return Recipient(
        email=row.attendee_email,
        name=row.attendee_name,
        language=row.language,
        subject=row.registrant_subject,
    )


async def event_registrants(session: Any, principal: Any, key: int) -> list[Recipient]:
    """Who holds a seat at event ``key`` (confirmed), oldest first, those without an address
    (signed in without giving one) included; only for an organiser of the event's commune
    (registrations are personal data)."""
    event = await session.get(Event, key)
    if event is None or event.deleted_at is not None:
        raise Invalid(Code.NOT_FOUND, "no workshops event with this ID", "from")
    await _check_organiser(session, principal, event, "registrants of this event")
    rows = await session.execute(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED.value,
        )
        .order_by(Registration.id)
    )
    return [_recipient(row) for row in rows.scalars()]


async def workshop_participants(session: Any, principal: Any, key: int) -> list[Recipient]:
    """The participants of challenge-card workshop ``key``, in the order they joined, each with
    the address of their seat at the workshop's event when they registered signed in (see the
    module's docstring); only for an organiser of the event's commune, or of every commune for
    a workshop without an event."""
    workshop = await session.get(CardWorkshop, key)
    if workshop is None:
        raise Invalid(Code.NOT_FOUND, "no challenge-card workshop with this ID", "from")
    event = await session.get(Event, workshop.event_id) if workshop.event_id else None
    if event is not None and event.deleted_at is not None:
        event = None
    await _check_organiser(session, principal, event, "participants of this workshop")
    participants = list(
        (
            await session.execute(
                select(Participant)
                .where(Participant.workshop_id == workshop.id)
                .order_by(Participant.id)
            )
        ).scalars()
    )
    seats: dict[str, Registration] = {}
    subjects = [p.person_subject for p in participants if p.person_subject]
    if event is not None and subjects:
        rows = await session.execute(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED.value,
                Registration.registrant_subject.in_(subjects),
            )
            .order_by(Registration.id)
        )
        for row in rows.scalars():
            if row.registrant_subject is not None and row.attendee_email:
                seats.setdefault(row.registrant_subject, row)
    found = []
    for participant in participants:
        seat = seats.get(participant.person_subject or "")
        found.append(
            _recipient(seat)
            if seat is not None
            else Recipient(email=None, subject=participant.person_subject)
        )
    return found


SOURCES = [
    RecipientSource(
        type_name=Event.__graphql_type__,
        permission=WORKSHOPS_ORGANISE.code,
        recipients=event_registrants,
    ),
    RecipientSource(
        type_name=CardWorkshop.__graphql_type__,
        permission=WORKSHOPS_ORGANISE.code,
        recipients=workshop_participants,
    ),
]
