"""The audit trail (read by administrators) and the GDPR rights: export all data about a
person, erase a person (contacts anonymised, audit entries kept without personal values).

A person is known by an e-mail address (contacts, registrations made without signing in,
survey invitations) and by the subject of their account (what they did signed in): an
administrator exports and erases by either or both (:class:`PersonIdentity`, handed to every
plugin's ``bocage_personal_data``); a signed-in person exports what is tied to their own
account (``myPersonalData``), never what an address they merely claim would find."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.auth.principal import PrincipalKind
from bocage.core.db import utcnow
from bocage.core.domain.work import record_change
from bocage.core.events import graphql_type_of
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    Code,
    Invalid,
    error_codes,
    mutate,
    personal_keys,
)
from bocage.core.graphql.nodes import row_key
from bocage.core.graphql.pagination import Connection, Ordering, SortKey, load_datetime, paginate
from bocage.core.graphql.personal import Forbidden
from bocage.core.hookspecs import EventScope, Permission, PersonalData, PersonIdentity

#: Read the audit trail (who changed what, when).
AUDIT_READ = Permission("audit:read", "Read the audit trail.")
#: Export and erase everything about a person (GDPR).
PERSONAL_DATA_MANAGE = Permission(
    "personal_data:manage", "Export and erase a person's data (GDPR)."
)

ERASED = "[erased]"


@strawberry.type(description="One change: who, when, and the before/after of each field.")
class AuditEntry:
    at: dt.datetime
    subject: str | None = strawberry.field(description="Who (token subject).")
    client_id: str | None = strawberry.field(description="Through which OAuth2 client, if any.")
    action: str
    object_type: str
    object_id: relay.GlobalID
    changes: JSON = strawberry.field(description="{field: {before, after}}")
    personal_data_erased: bool

    @classmethod
    def from_row(cls, row: m.AuditEntry) -> AuditEntry:
        return cls(
            at=row.at,
            subject=row.subject,
            client_id=row.client_id,
            action=row.action,
            object_type=row.object_type,
            object_id=relay.GlobalID(row.object_type, str(row.object_id)),
            changes=JSON(row.changes),
            personal_data_erased=row.personal_data_erased,
        )


def _audit_ordering() -> Ordering:
    return Ordering(
        (SortKey(m.AuditEntry.at, True, load_datetime), SortKey(m.AuditEntry.id, True, int))
    )


def _require(info: Info[Any, Any], permission: Permission) -> None:
    principal = info.context.principal
    if principal.is_anonymous or not policy.can(principal, permission.code):
        raise Forbidden(f"this needs the {permission.code} permission")


def territory_wide_refusal(principal: Any) -> str | None:
    """Why ``principal`` may not export or erase a person although it holds
    ``personal_data:manage``: a person's data spans communes, so the permission must be
    granted for the whole territory (administrators, integrators restricted to no commune),
    not for some communes or organisations. ``None`` when it may."""
    if policy.commune_scope(principal) is None:
        return None
    if principal.is_admin:
        return (
            f"on an installation of several GALs, {PERSONAL_DATA_MANAGE.code} is an operator's: "
            "a person's data spans every GAL"
        )
    return (
        f"{PERSONAL_DATA_MANAGE.code} must be granted for the whole territory: a person's data "
        "spans communes, and yours is limited to some communes or organisations"
    )


class Person:
    """The object of an erasure: its audit entry and its ``person.erased`` event read
    ``Person``/0 and keep only what was erased (contact IDs, counts), never the e-mail address
    or the name."""

    id = 0


#: The scope of a person's erasure event: no organisation, no commune, so only readers of the
#: whole territory (administrators, integrators restricted to no commune) learn of it.
TERRITORY = EventScope()


@strawberry.type(description="Everything Bocage holds about a person.")
class PersonData:
    contacts: JSON = strawberry.field(description="The contacts with the person's e-mail address.")
    audit_entries: JSON = strawberry.field(description="The changes made to those contacts.")
    plugins: JSON = strawberry.field(
        description="What each plugin holds about the person, by address or account: "
        "{plugin part: [records]} (hook bocage_personal_data)."
    )
    actions: JSON = strawberry.field(
        default_factory=list,
        description="What the person did signed in, as the audit trail records it: when, what, "
        "on which object (never the values, which may be other people's data).",
    )


def _personal_data_parts(info_or_host: Any) -> list[PersonalData]:
    """The plugins' :class:`PersonalData` parts (hook ``bocage_personal_data``: one part, a
    sequence of parts, or none per plugin)."""
    host = getattr(info_or_host, "host", info_or_host)
    parts: list[PersonalData] = []
    for _, result in host.collect("bocage_personal_data"):
        if isinstance(result, PersonalData):
            parts.append(result)
        elif result is not None:
            parts.extend(result)
    return parts


def person_identity(email: str | None, subject: str | None) -> PersonIdentity:
    """The identity of a GDPR request (e-mail lower-cased, blanks dropped), or
    :class:`Invalid` when it names nobody."""
    address = email.strip().lower() if email and email.strip() else None
    account = subject.strip() if subject and subject.strip() else None
    if address is None and account is None:
        raise Invalid(
            Code.REQUIRED,
            "give the person's email or subject (their account's ID, a token's sub), or both",
            "email",
        )
    return PersonIdentity(email=address, subject=account)


PrivacyErrorCode = error_codes("PrivacyErrorCode", "Why a personal-data operation failed.")


@strawberry.type
class PrivacyError:
    field: str | None
    code: PrivacyErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="How many contacts and plugin records were anonymised.")
class ErasePersonPayload:
    erased_contacts: int
    errors: list[PrivacyError]
    erased_records: JSON = strawberry.field(
        default_factory=dict,
        description="{plugin part: records erased} (hook bocage_personal_data); parts that "
        "held nothing about the person are left out.",
    )


@strawberry.input(description="The person to erase, by e-mail address, account, or both.")
class ErasePersonInput:
    email: str | None = strawberry.field(default=None, description="Their e-mail address.")
    subject: str | None = strawberry.field(
        default=None, description="Their account's subject (a token's sub)."
    )


async def _contacts_by_email(session_or_ctx: Any, email: str | None) -> list[m.Contact]:
    if email is None:
        return []
    statement = select(m.Contact).where(func.lower(m.Contact.email) == email)
    return list((await session_or_ctx.execute(statement)).scalars())


async def _person_data(context: Any, person: PersonIdentity) -> PersonData:
    """Everything about ``person``: contacts by address, plugins' records by either identity,
    and the actions the audit trail records under their account."""
    contacts = await _contacts_by_email(context, person.email)
    contact_type = graphql_type_of(m.Contact)
    entries = (
        await context.execute(
            select(m.AuditEntry)
            .where(
                m.AuditEntry.object_type == contact_type,
                m.AuditEntry.object_id.in_([c.id for c in contacts]),
            )
            .order_by(m.AuditEntry.at, m.AuditEntry.id)
        )
    ).scalars()
    audit_entries = [
        {"at": e.at.isoformat(), "action": e.action, "changes": e.changes} for e in entries
    ]
    actions: list[dict[str, Any]] = []
    if person.subject is not None:
        done = (
            await context.execute(
                select(m.AuditEntry)
                .where(m.AuditEntry.subject == person.subject)
                .order_by(m.AuditEntry.at, m.AuditEntry.id)
            )
        ).scalars()
        actions = [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "object": str(relay.GlobalID(e.object_type, str(e.object_id))),
                "client": e.client_id,
            }
            for e in done
        ]
    plugins: dict[str, Any] = {}
    async with context.sessionmaker() as session:
        for part in _personal_data_parts(context):
            plugins[part.name] = await part.export(session, person)
    return PersonData(
        contacts=JSON([_contact_json(c) for c in contacts]),
        audit_entries=JSON(audit_entries),
        plugins=JSON(plugins),
        actions=JSON(actions),
    )


def _contact_json(row: m.Contact) -> dict[str, Any]:
    return {
        "id": str(relay.GlobalID("Contact", str(row.id))),
        "organisation": str(relay.GlobalID("Stakeholder", str(row.stakeholder_id))),
        **{key: getattr(row, key) for key in sorted(personal_keys(m.Contact))},
        "createdAt": row.created_at.isoformat(),
        "archived": row.deleted_at is not None,
    }


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="The audit trail, newest first (permission audit:read).", metadata=cost(1)
    )
    async def audit_trail(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        object: strawberry.ID | None = None,
        subject: str | None = None,
    ) -> Connection[AuditEntry]:
        _require(info, AUDIT_READ)
        if info.context.principal.confined:
            raise Forbidden(
                "on an installation of several GALs, the audit trail (every GAL's changes) is "
                "an operator's; the change feed (`changes`) gives your territories' events"
            )
        statement = select(m.AuditEntry)
        if object is not None:
            try:
                target = relay.GlobalID.from_id(object)
                key = row_key(target.node_id)
            except Exception:
                raise Invalid(Code.INVALID, "object is not an ID", "object") from None
            statement = statement.where(
                m.AuditEntry.object_type == target.type_name, m.AuditEntry.object_id == key
            )
        if subject is not None:
            statement = statement.where(m.AuditEntry.subject == subject)
        return await paginate(
            info.context,
            statement,
            _audit_ordering(),
            first=first,
            after=after,
            to_node=AuditEntry.from_row,
        )

    @strawberry.field(
        description="All data about a person, by e-mail address, by account (`subject`: a "
        "token's sub) or both (permission personal_data:manage, granted for the whole "
        "territory: a person's data spans communes).",
        metadata=cost(5),
    )
    async def export_person_data(
        self, info: Info, email: str | None = None, subject: str | None = None
    ) -> PersonData:
        _require(info, PERSONAL_DATA_MANAGE)
        if (refusal := territory_wide_refusal(info.context.principal)) is not None:
            raise Forbidden(refusal)
        try:
            person = person_identity(email, subject)
        except Invalid as error:
            raise BadInput(error.message, field=error.field) from None
        return await _person_data(info.context, person)

    @strawberry.field(
        description="All data tied to your own account (you must be signed in as a person): "
        "what you did signed in. Records kept under an e-mail address (contacts, "
        "registrations made without signing in, survey invitations) are exported on request "
        "by the GAL, which checks the address is yours.",
        metadata=cost(5),
    )
    async def my_personal_data(self, info: Info) -> PersonData:
        principal = info.context.principal
        if principal.is_anonymous:
            raise Forbidden("sign in: send an Authorization: Bearer token")
        if principal.kind is not PrincipalKind.PERSON or not principal.subject:
            raise Forbidden("only a person's own token can export their data, not a client's")
        return await _person_data(info.context, PersonIdentity(subject=principal.subject))


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Erase a person, by e-mail address, account or both: their contacts are "
        "anonymised and archived, every plugin's records about them erased, the audit trail "
        "keeps the changes without the personal values (permission personal_data:manage, "
        "granted for the whole territory).",
    )
    async def erase_person(self, info: Info, input: ErasePersonInput) -> ErasePersonPayload:
        erased: list[int] = []
        records: dict[str, int] = {}

        async def change(session: Any, principal: Any) -> Change:
            if (refusal := territory_wide_refusal(principal)) is not None:
                raise Invalid(Code.FORBIDDEN, refusal)
            person = person_identity(input.email, input.subject)
            contacts = await _contacts_by_email(session, person.email)
            for part in _personal_data_parts(info.context):
                if count := await part.erase(session, person):
                    records[part.name] = count
            if not contacts and not any(records.values()):
                raise Invalid(
                    Code.NOT_FOUND,
                    "no contact or record has this e-mail address or account",
                    "email" if person.email else "subject",
                )
            keys = personal_keys(m.Contact)
            for contact in contacts:
                contact.given_name = ERASED
                contact.family_name = ERASED
                for key in keys - {"given_name", "family_name"}:
                    setattr(contact, key, None)
                contact.deleted_at = contact.deleted_at or utcnow()
                erased.append(contact.id)
            entries = (
                await session.execute(
                    select(m.AuditEntry).where(
                        m.AuditEntry.object_type == graphql_type_of(m.Contact),
                        m.AuditEntry.object_id.in_(erased),
                    )
                )
            ).scalars()
            for entry in entries:
                entry.changes = {
                    field: ({"before": ERASED, "after": ERASED} if field in keys else values)
                    for field, values in entry.changes.items()
                }
                entry.personal_data_erased = True
            await session.flush()
            # Each contact's erasure is its own event, with the contact's scope (its
            # organisation and communes): who may read that contact learns of it.
            for contact in contacts:
                done = Change(
                    row=contact,
                    action="erased",
                    changes={key: {"before": ERASED, "after": ERASED} for key in sorted(keys)},
                )
                await record_change(session, principal, done, permission=PERSONAL_DATA_MANAGE)
            # The person's: territory-wide (a person's data spans communes), and about
            # ``Person``/0 with counts only, never their address or name.
            return Change(
                row=Person(),
                action="erased",
                changes={
                    "contacts": {"after": sorted(erased)},
                    "records": {"after": records},
                },
                permission=PERSONAL_DATA_MANAGE.code,
                scope=TERRITORY,
            )

        outcome = await mutate(
            info,
            permission=PERSONAL_DATA_MANAGE,
            operation="erasePerson",
            change=change,
            model=m.Contact,
        )
        errors = [
            PrivacyError(field=e.field, code=PrivacyErrorCode[e.code.name], message=e.message)
            for e in outcome.errors or []
        ]
        return ErasePersonPayload(
            erased_contacts=0 if errors else len(erased),
            errors=errors,
            erased_records=JSON({} if errors else records),
        )


__all__ = ["AUDIT_READ", "PERSONAL_DATA_MANAGE", "PrivacyMutations", "PrivacyQuery"]
