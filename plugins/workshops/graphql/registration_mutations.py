"""The registrations' mutations: register (signed in or anonymously), cancel with the secret
token, check in at the door."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    Change,
    Code,
    Invalid,
    can,
    cost,
    mutate,
    node_key,
    unit_of_work,
    utcnow,
)
from bocage.plugins.workshops import notify, store
from bocage.plugins.workshops.graphql.common import (
    WRITE_COST,
    WorkshopsError,
    error_list,
    links_of,
)
from bocage.plugins.workshops.graphql.event_inputs import (
    CancelWorkshopsRegistrationInput,
    CheckInWorkshopsRegistrationInput,
    RegisterForWorkshopsEventInput,
)
from bocage.plugins.workshops.graphql.registrations import (
    WorkshopsRegistration,
    record_registration,
)
from bocage.plugins.workshops.models import (
    Event,
    Registration,
    RegistrationStatus,
)
from bocage.plugins.workshops.permissions import WORKSHOPS_CHECK_IN, WORKSHOPS_ORGANISE


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
    cancel_url: str | None = strawberry.field(
        default=None,
        description="Secret too: the GAL site's page that cancels this registration (the "
        "link of the confirmation e-mail); null when BOCAGE_WORKSHOPS_CANCEL_URL is not set.",
    )


@strawberry.type
class WorkshopsRegistrationMutation:
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
                await record_registration(
                    session, f"registration.{done.registration.status}", done.registration
                )
                await notify.registered(
                    session,
                    links_of(info),
                    done.registration,
                    # the event of a registration just made: it exists (get_one raises if not)
                    await session.get_one(Event, done.registration.event_id),
                    token=done.cancel_token,
                    position=done.position,
                )
        except Invalid as error:
            return WorkshopsRegistrationPayload(registration=None, errors=error_list([error]))
        return WorkshopsRegistrationPayload(
            registration=WorkshopsRegistration.from_row(done.registration),
            errors=[],
            cancel_token=done.cancel_token,
            check_in_code=done.registration.check_in_code,
            cancel_url=links_of(info).cancel(done.cancel_token),
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
                await record_registration(session, "registration.cancelled", done.registration)
                for promoted in done.promoted:
                    await record_registration(session, "registration.promoted", promoted)
                event = await session.get_one(Event, done.registration.event_id)
                links = links_of(info)
                await notify.cancelled(session, links, done.registration, event)
                await notify.promoted(session, links, done.promoted, event)
        except Invalid as error:
            return WorkshopsRegistrationPayload(registration=None, errors=error_list([error]))
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
            event = await session.get(Event, event_id)
            nis_code = store.nis_code_of(session)
            if (
                registration is None
                or event is None
                or not await store.event_within_tenancy(principal, event, nis_code)
            ):  # another GAL's event is none of the caller's business: as if it were not there
                raise Invalid(Code.NOT_FOUND, "no registration with this code here", "code")
            if registration.status != RegistrationStatus.CONFIRMED.value:
                raise Invalid(Code.INVALID, f"this registration is {registration.status}", "code")
            if registration.checked_in_at is not None:
                raise Invalid(Code.DUPLICATE, "already checked in", "code")
            registration.checked_in_at = utcnow()
            # Recorded for organisers whoever checks in (registrations are personal data).
            return Change(
                row=registration,
                action="checked_in",
                changes={},
                permission=WORKSHOPS_ORGANISE.code,
                scope=await store.scope_of(session, event),
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
            errors=error_list(outcome.errors),
        )
