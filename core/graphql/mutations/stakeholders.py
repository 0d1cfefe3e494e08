"""Mutations of stakeholders (organisations) and their contacts (personal data)."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from sqlalchemy import delete, insert, select
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.domain import rules
from bocage.core.domain.permissions import CONTACTS_WRITE, STAKEHOLDERS_WRITE
from bocage.core.graphql.enums import StakeholderKind, StakeholderNeed
from bocage.core.graphql.external import ExternalReferenceInput, set_external_reference
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    Code,
    Invalid,
    TranslationsInput,
    archive,
    check_version,
    column_changes,
    error_codes,
    given,
    key_of,
    load_live,
    mutate,
    record_link,
    require_ids,
)
from bocage.core.graphql.personal import CONTACTS_READ, Contact
from bocage.core.graphql.places import LocationInput, geocoded, place_of, set_location
from bocage.core.graphql.types import Commune, Stakeholder

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


async def _communes(session: Any, ids: list[Any]) -> tuple[list[int], set[str]]:
    rules.require_stakeholder_communes(ids)
    keys = sorted({_key(value, Commune, "communes") for value in ids})
    rows = dict(
        (
            await session.execute(
                select(m.Commune.id, m.Commune.nis_code).where(
                    m.Commune.id.in_(keys), m.Commune.deleted_at.is_(None)
                )
            )
        ).all()
    )
    require_ids(keys, rows, "communes", "communes")
    return keys, set(rows.values())


async def _codes_of(session: Any, stakeholder_id: int) -> set[str]:
    rows = await session.execute(
        select(m.Commune.nis_code)
        .join(m.stakeholder_commune, m.stakeholder_commune.c.commune_id == m.Commune.id)
        .where(m.stakeholder_commune.c.stakeholder_id == stakeholder_id)
    )
    return set(rows.scalars())


def _key(value: Any, type_: type, field: str) -> int:
    return key_of(value, type_, field)[1]


async def _stakeholder_for_change(
    session: Any, principal: Any, raw: Any, version: int | None
) -> m.Stakeholder:
    stakeholder = await load_live(session, m.Stakeholder, _key(raw, Stakeholder, "id"))
    rules.authorise_stakeholder(
        principal, stakeholder.id, await _codes_of(session, stakeholder.id), "id"
    )
    if version is not None:
        check_version(stakeholder, version)
    return stakeholder


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


async def _replace_communes(
    session: Any, stakeholder: m.Stakeholder, keys: list[int], *, creating: bool
) -> None:
    """Link ``stakeholder`` to the communes ``keys`` if it is not already, recording the
    change (:func:`record_link`)."""
    link = m.stakeholder_commune
    current = (
        []
        if creating
        else (
            await session.execute(
                select(link.c.commune_id).where(link.c.stakeholder_id == stakeholder.id)
            )
        )
        .scalars()
        .all()
    )
    if not record_link(stakeholder, "communes", current, keys):
        return
    await session.execute(delete(link).where(link.c.stakeholder_id == stakeholder.id))
    await session.execute(
        insert(link), [{"stakeholder_id": stakeholder.id, "commune_id": k} for k in keys]
    )


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
            keys, codes = await _communes(session, input.communes)
            rules.authorise_stakeholder(principal, None, codes, "communes")
            stakeholder = m.Stakeholder(
                kind=m.StakeholderKind(input.kind.value),
                name=rules.stakeholder_name(input.name),
                description=rules.stakeholder_description(
                    input.description.as_dict() if input.description else None
                ),
                website=rules.website(input.website),
                enterprise_number=rules.enterprise_number(input.enterprise_number)
                if input.enterprise_number
                else None,
                needs=rules.stakeholder_needs(input.needs),
                **await place_of(session, location),
            )
            await set_external_reference(
                session, stakeholder, input.external_reference, "Stakeholder"
            )
            session.add(stakeholder)
            await session.flush()
            await _replace_communes(session, stakeholder, keys, creating=True)
            return Change(
                row=stakeholder,
                action="created",
                changes=column_changes(stakeholder, created=True),
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

        async def change(session: Any, principal: Any) -> Change:
            stakeholder = await _stakeholder_for_change(session, principal, input.id, input.version)
            if given(input.kind):
                if input.kind is None:
                    raise Invalid(Code.REQUIRED, "kind cannot be null", "kind")
                stakeholder.kind = m.StakeholderKind(input.kind.value)
            if given(input.name):
                stakeholder.name = rules.stakeholder_name(input.name)
            if given(input.description):
                stakeholder.description = rules.stakeholder_description(
                    input.description.as_dict() if input.description else None
                )
            if given(input.website):
                stakeholder.website = rules.website(input.website)
            if given(input.enterprise_number):
                stakeholder.enterprise_number = (
                    rules.enterprise_number(input.enterprise_number)
                    if input.enterprise_number
                    else None
                )
            if given(input.needs):
                stakeholder.needs = rules.stakeholder_needs(input.needs or [])
            await set_location(session, stakeholder, location)
            await set_external_reference(
                session, stakeholder, input.external_reference, "Stakeholder"
            )
            if given(input.communes):
                keys, codes = await _communes(session, input.communes or [])
                rules.authorise_stakeholder(principal, stakeholder.id, codes, "communes")
                await _replace_communes(session, stakeholder, keys, creating=False)
            return Change(row=stakeholder, action="updated", changes=column_changes(stakeholder))

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
            return archive(
                await _stakeholder_for_change(session, principal, input.id, input.version)
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
            stakeholder = await _stakeholder_for_change(session, principal, input.stakeholder, None)
            contact = m.Contact(
                stakeholder_id=stakeholder.id,
                **{
                    name: check(getattr(input, name))
                    for name, check in rules.CONTACT_FIELDS.items()
                },
            )
            await set_external_reference(session, contact, input.external_reference, "Contact")
            session.add(contact)
            await session.flush()
            return Change(
                row=contact,
                action="created",
                changes=column_changes(contact, created=True),
                permission=CONTACTS_READ.code,
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
        async def change(session: Any, principal: Any) -> Change:
            contact = await load_live(session, m.Contact, _key(input.id, Contact, "id"))
            rules.authorise_stakeholder(
                principal,
                contact.stakeholder_id,
                await _codes_of(session, contact.stakeholder_id),
                "id",
            )
            check_version(contact, input.version)
            for name, check in rules.CONTACT_FIELDS.items():
                value = getattr(input, name)
                if given(value):
                    setattr(contact, name, check(value))
            await set_external_reference(session, contact, input.external_reference, "Contact")
            return Change(
                row=contact,
                action="updated",
                changes=column_changes(contact),
                permission=CONTACTS_READ.code,
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
            contact = await load_live(session, m.Contact, _key(input.id, Contact, "id"))
            rules.authorise_stakeholder(
                principal,
                contact.stakeholder_id,
                await _codes_of(session, contact.stakeholder_id),
                "id",
            )
            check_version(contact, input.version)
            return dataclasses.replace(archive(contact), permission=CONTACTS_READ.code)

        return _contact_payload(
            await mutate(
                info,
                permission=CONTACTS_WRITE,
                operation="archiveContact",
                change=change,
                model=m.Contact,
            )
        )
