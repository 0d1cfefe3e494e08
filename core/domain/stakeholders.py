"""Organisations (stakeholders) and their contacts (personal data): adding, changing and
archiving them, whoever asks (``createStakeholder``..., ``createContact``...). Objects are
named by their global IDs, as clients send them; every failure is an :class:`Invalid` naming
the input field (the GraphQL input's). Permission, transaction, audit and event are the unit
of work's (:mod:`bocage.core.domain.work`); these functions check the rest (among it, that
the caller may touch the organisation and its communes) and change rows in the session they
are given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, insert, select

from bocage.core import models as m
from bocage.core.domain import places, rules
from bocage.core.domain.changes import (
    Change,
    archive,
    check_version,
    column_changes,
    linked_communes,
    load_live,
    record_link,
    require_ids,
)
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.external import set_reference
from bocage.core.domain.ids import key_of
from bocage.core.domain.permissions import CONTACTS_READ

#: What :func:`update_stakeholder` may change.
STAKEHOLDER_CHANGES = frozenset(
    {
        "kind",
        "name",
        "description",
        "website",
        "enterprise_number",
        "needs",
        "location",
        "external_reference",
        "communes",
    }
)
#: What :func:`update_contact` may change.
CONTACT_CHANGES = frozenset({*rules.CONTACT_FIELDS, "external_reference"})


@dataclass
class NewStakeholder:
    """What a new organisation is made of: its communes (global IDs) decide who may edit it."""

    kind: m.StakeholderKind | str
    name: str
    communes: Sequence[Any]
    description: Mapping[str, str] | None = None
    website: str | None = None
    #: BCE/KBO number (checked).
    enterprise_number: str | None = None
    needs: Sequence[m.StakeholderNeed | str] = ()
    #: Its seat (see :mod:`bocage.core.domain.places`; an address is geocoded beforehand).
    location: places.PlaceRequest | None = None
    #: ``(source, key)`` of the organisation in another system.
    external_reference: tuple[str, str] | None = None


# -- organisations ------------------------------------------------------------------------------


async def create_stakeholder(session: Any, principal: Any, new: NewStakeholder) -> Change:
    """Check ``new`` and add the organisation in ``session``; the caller must be allowed to
    act in its communes."""
    keys, codes = await _communes(session, new.communes)
    rules.authorise_stakeholder(principal, None, codes, "communes")
    stakeholder = m.Stakeholder(
        kind=m.StakeholderKind(new.kind),
        name=rules.stakeholder_name(new.name),
        description=rules.stakeholder_description(new.description),
        website=rules.website(new.website),
        enterprise_number=_enterprise_number(new.enterprise_number),
        needs=rules.stakeholder_needs(new.needs),
        **(await places.place_columns(session, new.location) if new.location else {}),
    )
    await set_reference(session, stakeholder, new.external_reference, "Stakeholder")
    session.add(stakeholder)
    await session.flush()
    await _replace_communes(session, stakeholder, keys, creating=True)
    return Change(
        row=stakeholder, action="created", changes=column_changes(stakeholder, created=True)
    )


async def update_stakeholder(
    session: Any, principal: Any, id: Any, version: int, **changes: Any
) -> Change:
    """Change the organisation ``id`` read at ``version``: each key of ``changes`` (among
    :data:`STAKEHOLDER_CHANGES`) is a new value, a key left out stays as it is; ``location``
    and ``external_reference`` None remove them, ``communes`` (global IDs) replace its
    communes."""
    unknown = set(changes) - STAKEHOLDER_CHANGES
    if unknown:
        raise TypeError(f"an organisation has no changeable {', '.join(sorted(unknown))}")
    stakeholder = await stakeholder_for_change(session, principal, id, version)
    if "kind" in changes:
        if changes["kind"] is None:
            raise Invalid(Code.REQUIRED, "kind cannot be null", "kind")
        stakeholder.kind = m.StakeholderKind(changes["kind"])
    if "name" in changes:
        stakeholder.name = rules.stakeholder_name(changes["name"])
    if "description" in changes:
        stakeholder.description = rules.stakeholder_description(changes["description"])
    if "website" in changes:
        stakeholder.website = rules.website(changes["website"])
    if "enterprise_number" in changes:
        stakeholder.enterprise_number = _enterprise_number(changes["enterprise_number"])
    if "needs" in changes:
        stakeholder.needs = rules.stakeholder_needs(changes["needs"] or [])
    if "location" in changes:
        request = changes["location"]
        places.set_place(
            stakeholder,
            places.NO_ADDRESS if request is None else await places.place_columns(session, request),
        )
    if "external_reference" in changes:
        await set_reference(session, stakeholder, changes["external_reference"], "Stakeholder")
    if "communes" in changes:
        keys, codes = await _communes(session, changes["communes"] or [])
        rules.authorise_stakeholder(principal, stakeholder.id, codes, "communes")
        await _replace_communes(session, stakeholder, keys, creating=False)
    return Change(row=stakeholder, action="updated", changes=column_changes(stakeholder))


async def archive_stakeholder(session: Any, principal: Any, id: Any, version: int) -> Change:
    """Archive the organisation ``id`` read at ``version``."""
    return archive(await stakeholder_for_change(session, principal, id, version))


async def stakeholder_for_change(
    session: Any, principal: Any, id: Any, version: int | None, field: str = "id"
) -> m.Stakeholder:
    """The live organisation ``id`` (a global ID), if the caller may change it; at
    ``version`` (None: any)."""
    stakeholder = await load_live(session, m.Stakeholder, _key(id, "Stakeholder", field))
    rules.authorise_stakeholder(
        principal, stakeholder.id, await communes_of(session, stakeholder.id), field
    )
    if version is not None:
        check_version(stakeholder, version)
    return stakeholder


async def communes_of(session: Any, stakeholder_id: int) -> set[str]:
    """The NIS codes of the organisation's communes."""
    return await linked_communes(session, m.stakeholder_commune.c.stakeholder_id, stakeholder_id)


# -- contacts -------------------------------------------------------------------------------------


async def create_contact(
    session: Any,
    principal: Any,
    stakeholder: Any,
    *,
    external_reference: tuple[str, str] | None = None,
    **fields: Any,
) -> Change:
    """Add a contact to the organisation ``stakeholder`` (a global ID), which the caller may
    change; ``fields`` are those of :data:`rules.CONTACT_FIELDS` (``given_name``...). Its
    event is for those who may read contacts."""
    _fields_known(fields)
    organisation = await stakeholder_for_change(session, principal, stakeholder, None)
    contact = m.Contact(
        stakeholder_id=organisation.id,
        **{name: check(fields.get(name)) for name, check in rules.CONTACT_FIELDS.items()},
    )
    await set_reference(session, contact, external_reference, "Contact")
    session.add(contact)
    await session.flush()
    return _personal(
        Change(row=contact, action="created", changes=column_changes(contact, created=True))
    )


async def update_contact(
    session: Any, principal: Any, id: Any, version: int, **changes: Any
) -> Change:
    """Change the contact ``id`` read at ``version``: each key of ``changes`` (among
    :data:`CONTACT_CHANGES`) is a new value, a key left out stays as it is."""
    _fields_known(changes)
    contact = await contact_for_change(session, principal, id, version)
    for name, check in rules.CONTACT_FIELDS.items():
        if name in changes:
            setattr(contact, name, check(changes[name]))
    if "external_reference" in changes:
        await set_reference(session, contact, changes["external_reference"], "Contact")
    return _personal(Change(row=contact, action="updated", changes=column_changes(contact)))


async def archive_contact(session: Any, principal: Any, id: Any, version: int) -> Change:
    """Archive the contact ``id`` read at ``version``."""
    return _personal(archive(await contact_for_change(session, principal, id, version)))


async def contact_for_change(session: Any, principal: Any, id: Any, version: int) -> m.Contact:
    """The live contact ``id`` (a global ID) at ``version``, if the caller may change its
    organisation."""
    contact = await load_live(session, m.Contact, _key(id, "Contact", "id"))
    rules.authorise_stakeholder(
        principal,
        contact.stakeholder_id,
        await communes_of(session, contact.stakeholder_id),
        "id",
    )
    check_version(contact, version)
    return contact


# -- helpers ------------------------------------------------------------------------------------


def _key(value: Any, type_name: str, field: str) -> int:
    return key_of(value, type_name, field)[1]


def _enterprise_number(value: str | None) -> str | None:
    return rules.enterprise_number(value) if value else None


def _personal(change: Change) -> Change:
    """A contact's change: its event is for those who may read contacts (personal data)."""
    return replace(change, permission=CONTACTS_READ.code)


def _fields_known(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - CONTACT_CHANGES
    if unknown:
        raise TypeError(f"a contact has no changeable {', '.join(sorted(unknown))}")


async def _communes(session: Any, ids: Sequence[Any]) -> tuple[list[int], set[str]]:
    """The keys and NIS codes of the live communes ``ids`` (global IDs): at least one."""
    rules.require_stakeholder_communes(ids)
    keys = sorted({_key(value, "Commune", "communes") for value in ids})
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
