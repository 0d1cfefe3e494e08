"""The people an event gathers, for other plugins to invite (hook ``bocage_recipient_sources``):
the surveys plugin's ``inviteToSurvey(from: <WorkshopsEvent ID>)`` e-mails a survey to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.api import Code, Commune, Invalid, Recipient, RecipientSource, can
from bocage.plugins.workshops.graphql.common import organises_in
from bocage.plugins.workshops.models import Event, Registration, RegistrationStatus
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE


async def event_registrants(session: Any, principal: Any, key: int) -> list[Recipient]:
    """Who holds a seat at event ``key`` (confirmed, with an address), oldest first; only for
    an organiser of the event's commune (registrations are personal data)."""
    event = await session.get(Event, key)
    if event is None or event.deleted_at is not None:
        raise Invalid(Code.NOT_FOUND, "no workshops event with this ID", "from")

    async def nis_code(commune_id: int) -> str | None:
        commune = await session.get(Commune, commune_id)
        return commune.nis_code if commune is not None else None

    if not can(principal, WORKSHOPS_ORGANISE.code) or not await organises_in(
        principal, event, nis_code
    ):
        raise Invalid(
            Code.FORBIDDEN,
            f"the registrants of this event are for organisers of its commune: it needs the "
            f"{WORKSHOPS_ORGANISE.code} permission there",
            "from",
        )
    rows = await session.execute(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED.value,
            Registration.attendee_email.is_not(None),
        )
        .order_by(Registration.id)
    )
    return [
        Recipient(
            email=row.attendee_email,
            name=row.attendee_name,
            language=row.language,
            subject=row.registrant_subject,
        )
        for row in rows.scalars()
    ]


SOURCES = [
    RecipientSource(
        type_name=Event.__graphql_type__,
        permission=WORKSHOPS_ORGANISE.code,
        recipients=event_registrants,
    )
]
