"""Mutations of stakeholders (organisations) and their contacts (personal data): their inputs
and payloads, handing the change to :mod:`bocage.core.domain.stakeholders`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.domain import rules, stakeholders
from bocage.core.domain.permissions import CONTACTS_WRITE, STAKEHOLDERS_WRITE
from bocage.core.graphql.enums import StakeholderKind, StakeholderNeed
from bocage.core.graphql.external import ExternalReferenceInput
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    TranslationsInput,
    error_codes,
    given,
    mutate,
)
from bocage.core.graphql.personal import Contact
from bocage.core.graphql.places import LocationInput, geocoded
from bocage.core.graphql.types import Stakeholder

StakeholderErrorCode = error_codes("StakeholderErrorCode", "Why a stakeholder mutation failed.")


@strawberry.type(description="A problem with a stakeholder or contact mutation's input.")
class StakeholderError:
    field: str | None
    code: StakeholderErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="The organisation, or the errors that prevented the change.")
class StakeholderPayload:
    stakeholder: Stakeholder | None
    errors: list[StakeholderError]


@strawberry.type(description="The contact, or the errors that prevented the change.")
class ContactPayload:
    contact: Contact | None
    errors: list[StakeholderError]


@strawberry.input(description="A new organisation. `communes` decides who may edit it.")
class CreateStakeholderInput:
    kind: StakeholderKind
    name: str
    communes: list[strawberry.ID]
    description: TranslationsInput | None = None
    website: str | None = None
    enterprise_number: str | None = strawberry.field(
        default=None, description="BCE/KBO number, e.g. 0207.000.000 (checked)."
    )
    needs: list[StakeholderNeed] = strawberry.field(default_factory=list)
    location: LocationInput | None = strawberry.field(
        default=None, description="Where it is (its seat; see docs/places.md)."
    )
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=None, description="Its key in your system; unique per source."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to an organisation; omitted fields stay as they are.")
class UpdateStakeholderInput:
    id: strawberry.ID
    version: int
    kind: StakeholderKind | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    communes: list[strawberry.ID] | None = strawberry.UNSET
    description: TranslationsInput | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    enterprise_number: str | None = strawberry.UNSET
    needs: list[StakeholderNeed] | None = strawberry.UNSET
    location: LocationInput | None = strawberry.field(
        default=strawberry.UNSET, description="Its new place; null removes it."
    )
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=strawberry.UNSET, description="Its key in your system; null removes it."
    )


@strawberry.input(description="The object to archive, at the version you read.")
class ArchiveStakeholderInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="A person at an organisation (personal data).")
class CreateContactInput:
    stakeholder: strawberry.ID
    given_name: str
    family_name: str
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=None, description="Its key in your system; unique per source."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a contact; omitted fields stay as they are.")
class UpdateContactInput:
    id: strawberry.ID
    version: int
    given_name: str | None = strawberry.UNSET
    family_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=strawberry.UNSET, description="Its key in your system; null removes it."
    )


def _errors(outcome: Any) -> list[StakeholderError]:
    return [
        StakeholderError(field=e.field, code=StakeholderErrorCode[e.code.name], message=e.message)
        for e in outcome.errors or []
    ]


def _stakeholder_payload(outcome: Any) -> StakeholderPayload:
    row = Stakeholder.from_row(outcome.row) if outcome.row else None
    return StakeholderPayload(stakeholder=row, errors=_errors(outcome))


def _contact_payload(outcome: Any) -> ContactPayload:
    return ContactPayload(
        contact=Contact.from_row(outcome.row) if outcome.row else None, errors=_errors(outcome)
    )


def _given(data: Any, *names: str) -> dict[str, Any]:
    """The fields of an update input that were given (unset: left out), by their names."""
    return {name: getattr(data, name) for name in names if given(getattr(data, name))}


def _reference(value: Any) -> Any:
    """An ``externalReference`` input as the domain takes it (``(source, id)``; None)."""
    return value if value is None or not given(value) else (value.source, value.id)


@strawberry.type
class StakeholderMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Create an organisation (permission stakeholders:write).",
    )
    async def create_stakeholder(
        self, info: Info, input: CreateStakeholderInput
    ) -> StakeholderPayload:
        location = await geocoded(info, input.location, STAKEHOLDERS_WRITE)

        async def change(session: Any, principal: Any) -> Change:
            return await stakeholders.create_stakeholder(
                session,
                principal,
                stakeholders.NewStakeholder(
                    kind=input.kind.value,
                    name=input.name,
                    communes=list(input.communes),
                    description=input.description.as_dict() if input.description else None,
                    website=input.website,
                    enterprise_number=input.enterprise_number,
                    needs=[need.value for need in input.needs],
                    location=location,
                    external_reference=_reference(input.external_reference),
                ),
            )

        return _stakeholder_payload(
            await mutate(
                info,
                permission=STAKEHOLDERS_WRITE,
                operation="createStakeholder",
                change=change,
                model=m.Stakeholder,
                idempotency_key=input.idempotency_key,
                request=strawberry.asdict(input),
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Change an organisation (permission stakeholders:write).",
    )
    async def update_stakeholder(
        self, info: Info, input: UpdateStakeholderInput
    ) -> StakeholderPayload:
        location = await geocoded(info, input.location, STAKEHOLDERS_WRITE)
        changes = _given(input, "name", "website", "enterprise_number", "communes")
        if given(input.kind):
            changes["kind"] = input.kind.value if input.kind else None
        if given(input.description):
            changes["description"] = input.description.as_dict() if input.description else None
        if given(input.needs):
            changes["needs"] = [need.value for need in input.needs or []]
        if given(location):
            changes["location"] = location
        if given(input.external_reference):
            changes["external_reference"] = _reference(input.external_reference)

        async def change(session: Any, principal: Any) -> Change:
            return await stakeholders.update_stakeholder(
                session, principal, input.id, input.version, **changes
            )

        return _stakeholder_payload(
            await mutate(
                info,
                permission=STAKEHOLDERS_WRITE,
                operation="updateStakeholder",
                change=change,
                model=m.Stakeholder,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Archive an organisation (permission stakeholders:write).",
    )
    async def archive_stakeholder(
        self, info: Info, input: ArchiveStakeholderInput
    ) -> StakeholderPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await stakeholders.archive_stakeholder(
                session, principal, input.id, input.version
            )

        return _stakeholder_payload(
            await mutate(
                info,
                permission=STAKEHOLDERS_WRITE,
                operation="archiveStakeholder",
                change=change,
                model=m.Stakeholder,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Add a contact to an organisation (permission contacts:write).",
    )
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await stakeholders.create_contact(
                session,
                principal,
                input.stakeholder,
                external_reference=_reference(input.external_reference),
                **{name: getattr(input, name) for name in rules.CONTACT_FIELDS},
            )

        return _contact_payload(
            await mutate(
                info,
                permission=CONTACTS_WRITE,
                operation="createContact",
                change=change,
                model=m.Contact,
                idempotency_key=input.idempotency_key,
                request=strawberry.asdict(input),
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Change a contact (permission contacts:write)."
    )
    async def update_contact(self, info: Info, input: UpdateContactInput) -> ContactPayload:
        changes = _given(input, *rules.CONTACT_FIELDS)
        if given(input.external_reference):
            changes["external_reference"] = _reference(input.external_reference)

        async def change(session: Any, principal: Any) -> Change:
            return await stakeholders.update_contact(
                session, principal, input.id, input.version, **changes
            )

        return _contact_payload(
            await mutate(
                info,
                permission=CONTACTS_WRITE,
                operation="updateContact",
                change=change,
                model=m.Contact,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Archive a contact (permission contacts:write)."
    )
    async def archive_contact(self, info: Info, input: ArchiveStakeholderInput) -> ContactPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await stakeholders.archive_contact(session, principal, input.id, input.version)

        return _contact_payload(
            await mutate(
                info,
                permission=CONTACTS_WRITE,
                operation="archiveContact",
                change=change,
                model=m.Contact,
            )
        )
