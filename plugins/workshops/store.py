"""Reads and writes shared by GraphQL, REST and the seed: time zones, core look-ups, and the
registration rules (capacity, waiting list, cancellation), which run under a lock on the event.

The lock: on PostgreSQL ``SELECT ... FOR UPDATE`` on the event's row, so two people taking the
last seat at the same moment are served one after the other. SQLite has one writer at a time:
the transaction's first statement is a (no-op) write on the event, which takes the database's
write lock before anything is read, so the count of seats is never stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bocage.core.api import (
    Code,
    Commune,
    CommuneFollower,
    CommuneMove,
    DomainEvent,
    EventScope,
    Invalid,
    Project,
    Stakeholder,
    Territory,
    global_id,
    may_touch_territory,
    record_event,
    utcnow,
)
from bocage.plugins.workshops.models import (
    CardWorkshop,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE

BRUSSELS = ZoneInfo("Europe/Brussels")

#: The core tables the plugin reads, through the contract's core models.
COMMUNE = Commune.__table__
TERRITORY = Territory.__table__
STAKEHOLDER = Stakeholder.__table__
PROJECT = Project.__table__

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def to_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; a naive one is a wall-clock time in Europe/Brussels."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BRUSSELS)
    return value.astimezone(dt.UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(BRUSSELS)


def new_uid() -> str:
    return f"{uuid.uuid4()}@workshops.bocage"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def commune_names(session: Any, key: int) -> dict[str, str]:
    """The commune's names by language."""
    names = await session.scalar(select(COMMUNE.c.name).where(COMMUNE.c.id == key))
    return dict(names or {})


async def commune_by_id(session: Any, key: int) -> Any:
    return (
        await session.execute(
            select(COMMUNE.c.id, COMMUNE.c.nis_code, COMMUNE.c.territory_id).where(
                COMMUNE.c.id == key, COMMUNE.c.deleted_at.is_(None)
            )
        )
    ).one_or_none()


async def stakeholder_exists(session: Any, key: int) -> bool:
    found = await session.execute(
        select(STAKEHOLDER.c.id).where(STAKEHOLDER.c.id == key, STAKEHOLDER.c.deleted_at.is_(None))
    )
    return found.first() is not None


async def project_exists(session: Any, key: int) -> bool:
    found = await session.execute(
        select(PROJECT.c.id).where(PROJECT.c.id == key, PROJECT.c.deleted_at.is_(None))
    )
    return found.first() is not None


async def default_territory(session: Any) -> int | None:
    found = await session.execute(
        select(TERRITORY.c.id).where(TERRITORY.c.deleted_at.is_(None)).order_by(TERRITORY.c.id)
    )
    return found.scalars().first()


async def only_territory(session: Any) -> int | None:
    """The installation's only live territory; ``None`` when it holds none; REQUIRED (naming
    ``territory``) when it holds several, for a caller who must then say which."""
    found = await session.execute(
        select(TERRITORY.c.id).where(TERRITORY.c.deleted_at.is_(None)).limit(2)
    )
    keys = list(found.scalars())
    if len(keys) > 1:
        raise Invalid(
            Code.REQUIRED,
            "the installation holds several territories: give `territory` (a Territory ID)",
            "territory",
        )
    return keys[0] if keys else None


async def scope_of(session: Any, event: Event) -> EventScope:
    """Where ``event`` belongs, recorded with the events about it and its registrations: its
    commune, or its territory when it has none (those confined to other GALs never learn of
    its drafts and registrations; ``docs/tenancy.md``)."""
    if event.commune_id is not None:
        nis = await session.scalar(
            select(COMMUNE.c.nis_code).where(COMMUNE.c.id == event.commune_id)
        )
        return EventScope(communes=frozenset({nis} if nis else ()))
    return EventScope(territory=event.territory_id)


def nis_code_of(session: Any) -> Callable[[int], Awaitable[str | None]]:
    """Reads a commune's NIS code by its key in ``session`` (for ``organises_in``)."""

    async def nis_code(commune_id: int) -> str | None:
        found = await commune_by_id(session, commune_id)
        return found.nis_code if found is not None else None

    return nis_code


async def event_within_tenancy(
    principal: Any, event: Event, nis_code: Callable[[int], Awaitable[str | None]]
) -> bool:
    """Whether ``event`` is one of ``principal``'s territories' (their communes', or their own
    of no commune); always when it is not confined to some (docs/tenancy.md)."""
    if principal.tenancy is None:
        return True
    if event.commune_id is None:
        return may_touch_territory(principal, event.territory_id)
    return await nis_code(event.commune_id) in principal.tenant_communes


async def facilitates_at(execute: Any, principal: Any, event_id: int) -> bool:
    """Whether a facilitator confined to some territories may hold a challenge-card workshop
    at event ``event_id``: not at another GAL's event (``execute``: a session's or a request
    context's)."""
    if principal.tenancy is None:
        return True
    event = (await execute(select(Event).where(Event.id == event_id))).scalar_one_or_none()
    if event is None:
        return True

    async def nis_code(commune_id: int) -> str | None:
        found = await execute(select(COMMUNE.c.nis_code).where(COMMUNE.c.id == commune_id))
        return found.scalar_one_or_none()

    return await event_within_tenancy(principal, event, nis_code)


def runs_workshop(principal: Any, workshop: CardWorkshop) -> bool:
    """Whether a facilitator may run ``workshop`` (and read what only its facilitators read):
    always when it is not confined to some territories, else when the workshop is one of its
    territories' (one of no territory is then the operators'; docs/tenancy.md)."""
    return may_touch_territory(principal, workshop.territory_id)


def workshop_scope(workshop: CardWorkshop) -> EventScope:
    """Where a card workshop belongs, recorded with the events about it: its territory."""
    return EventScope(territory=workshop.territory_id)


async def move_card_workshops(session: Any, event: Event) -> None:
    """The card workshops held at ``event`` follow it to its new territory."""
    await session.execute(
        update(CardWorkshop)
        .where(CardWorkshop.event_id == event.id)
        .values(territory_id=event.territory_id)
        .execution_options(synchronize_session=False)
    )


async def follow_commune(session: Any, move: CommuneMove) -> int:
    """The events in a commune that moved to another GAL take its new territory (an event
    of a commune keeps its commune's, for the territory's calendars and front-ends), and the
    card workshops held at them follow, so that the new GAL's facilitators run them and the
    old GAL's no longer do (docs/tenancy.md). In the transaction that moves the commune;
    their versions step, as for any change."""
    in_commune = Event.commune_id == move.commune
    events = await session.execute(
        update(Event)
        .where(in_commune)
        .values(territory_id=move.territory, version=Event.version + 1)
        .execution_options(synchronize_session=False)
    )
    workshops = await session.execute(
        update(CardWorkshop)
        .where(CardWorkshop.event_id.in_(select(Event.id).where(in_commune)))
        .values(territory_id=move.territory, version=CardWorkshop.version + 1)
        .execution_options(synchronize_session=False)
    )
    return int(events.rowcount or 0) + int(workshops.rowcount or 0)


#: What follows a commune to another GAL (``bocage_commune_followers``).
COMMUNE_FOLLOWER = CommuneFollower("workshops.events", follow_commune)


async def territory_exists(session: Any, key: int) -> bool:
    found = await session.execute(
        select(TERRITORY.c.id).where(TERRITORY.c.id == key, TERRITORY.c.deleted_at.is_(None))
    )
    return found.first() is not None


# -- registrations ------------------------------------------------------------------------------


async def lock_event(session: Any, event_id: int) -> Event | None:
    """The live event, locked against concurrent registrations until the transaction ends."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        statement = select(Event).where(Event.id == event_id).with_for_update()
        event = (await session.execute(statement)).scalar_one_or_none()
    else:
        await session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(id=Event.id, updated_at=Event.updated_at)
            .execution_options(synchronize_session=False)
        )
        event = await session.get(Event, event_id, populate_existing=True)
    if event is None or event.deleted_at is not None:
        return None
    return event


async def count(session: Any, event_id: int, status: RegistrationStatus) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status == status.value)
    )
    return int(found.scalar_one())


async def waitlist_position(session: Any, registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED.value:
        return None
    found = await session.execute(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED.value,
            Registration.id < registration.id,
        )
    )
    return int(found.scalar_one()) + 1


async def _new_check_in_code(session: Any, event_id: int) -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        taken = await session.execute(
            select(Registration.id).where(
                Registration.event_id == event_id, Registration.check_in_code == code
            )
        )
        if taken.first() is None:
            return code
    raise RuntimeError("could not draw a free check-in code")  # pragma: no cover


@dataclass
class Registered:
    registration: Registration
    cancel_token: str
    position: int | None


async def register(
    session: Any,
    event_id: int,
    *,
    subject: str | None,
    name: str | None,
    email: str | None,
    commune_id: int | None,
    audience: str | None,
    language: str = "fr",
    now: dt.datetime | None = None,
) -> Registered:
    """Take a seat, or a place on the waiting list when the event is full."""
    event = await lock_event(session, event_id)
    if event is None or event.status == EventStatus.DRAFT.value:
        raise Invalid(Code.NOT_FOUND, "no published event with this ID", "event")
    if event.status == EventStatus.CANCELLED.value:
        raise Invalid(Code.INVALID, "this event is cancelled", "event")
    if event.starts_at <= (now or utcnow()):
        raise Invalid(Code.INVALID, "this event has started: registrations are closed", "event")
    name = name.strip() if name else None
    email = email.strip().lower() if email else None
    if subject is None:
        if not name:
            raise Invalid(Code.REQUIRED, "give your name (or sign in)", "name")
        if not email:
            raise Invalid(Code.REQUIRED, "give your e-mail address (or sign in)", "email")
    if name is not None and len(name) > 200:
        raise Invalid(Code.INVALID, "name is longer than 200 characters", "name")
    if email is not None and (len(email) > 320 or not EMAIL.match(email)):
        raise Invalid(Code.INVALID, "email is not an e-mail address", "email")
    active = [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value]
    same = (
        Registration.registrant_subject == subject
        if subject
        else Registration.attendee_email == email
    )
    existing = await session.execute(
        select(Registration.id).where(
            Registration.event_id == event.id, Registration.status.in_(active), same
        )
    )
    if existing.first() is not None:
        raise Invalid(Code.DUPLICATE, "already registered for this event", "event")
    confirmed = await count(session, event.id, RegistrationStatus.CONFIRMED)
    full = event.capacity is not None and confirmed >= event.capacity
    token = secrets.token_urlsafe(24)
    registration = Registration(
        event_id=event.id,
        status=(RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED).value,
        registrant_subject=subject,
        attendee_name=name,
        attendee_email=email,
        commune_id=commune_id,
        audience=audience,
        language=language,
        cancel_token_hash=token_hash(token),
        check_in_code=await _new_check_in_code(session, event.id),
    )
    session.add(registration)
    await session.flush()
    return Registered(registration, token, await waitlist_position(session, registration))


@dataclass
class Cancelled:
    registration: Registration
    promoted: list[Registration] = field(default_factory=list)


async def promote(session: Any, event: Event) -> list[Registration]:
    """Confirm waiting registrations, oldest first, while seats are free."""
    promoted: list[Registration] = []
    confirmed = await count(session, event.id, RegistrationStatus.CONFIRMED)
    while event.capacity is None or confirmed < event.capacity:
        waiting = (
            await session.execute(
                select(Registration)
                .where(
                    Registration.event_id == event.id,
                    Registration.status == RegistrationStatus.WAITLISTED.value,
                )
                .order_by(Registration.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if waiting is None:
            break
        waiting.status = RegistrationStatus.CONFIRMED.value
        waiting.promoted_at = utcnow()
        await session.flush()
        promoted.append(waiting)
        confirmed += 1
    return promoted


async def cancel(session: Any, token: str) -> Cancelled:
    """Cancel the registration of this secret token and promote the waiting list."""
    digest = token_hash(token.strip())
    found = await session.execute(
        select(Registration.event_id).where(Registration.cancel_token_hash == digest)
    )
    event_id = found.scalar_one_or_none()
    if event_id is None:
        raise Invalid(Code.NOT_FOUND, "no registration has this token", "token")
    event = await lock_event(session, event_id)
    registration = (
        await session.execute(
            select(Registration)
            .where(Registration.cancel_token_hash == digest)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if registration.status == RegistrationStatus.CANCELLED.value:
        raise Invalid(Code.INVALID, "this registration is already cancelled", "token")
    registration.status = RegistrationStatus.CANCELLED.value
    registration.cancelled_at = utcnow()
    await session.flush()
    promoted = await promote(session, event) if event is not None else []
    return Cancelled(registration, promoted)


async def record(session: Any, type_: str, registration: Registration) -> None:
    """``registration.<status>`` in the event log, in the change's transaction: for organisers
    (registrations are personal data; the event's data never holds a name or an e-mail), of
    the event's commune or territory."""
    event = await session.get_one(Event, registration.event_id)
    await record_event(
        session,
        DomainEvent(
            type=type_,
            subject=global_id("WorkshopsRegistration", registration.id),
            data={
                "event": global_id("WorkshopsEvent", registration.event_id),
                "status": registration.status,
            },
        ),
        permission=WORKSHOPS_ORGANISE.code,
        scope=await scope_of(session, event),
    )
