"""Domain events: recorded in the transaction that causes them, handed to plugins after commit.

:func:`record_event` is the one way to raise an event. It writes an :class:`EventRecord` (the
event log: transactional outbox for webhooks and jobs, change feed for integrators) in the
caller's transaction, so a change that rolls back leaves no event behind. After the commit,
:func:`announce` hands the same events to the plugins' ``bocage_on_event``.

Who may learn of an event is decided here too, once for every reader (the change feed over
GraphQL and REST, the webhook relay): :func:`visible_to` is the SQL condition of the events a
:class:`Reader` may see. An event carries the permission its readers need and the scope of its
row (:class:`EventScope`: the row's organisation and communes, as they were when it happened),
so that an event about a row reaches only those who may read that row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, text, true

from bocage.core.auth import policy
from bocage.core.db import utcnow
from bocage.core.domain.ids import global_id as _encode
from bocage.core.domain.ids import parse_global_id
from bocage.core.hookspecs import DomainEvent, EventScope
from bocage.core.models import (
    Commune,
    Contact,
    EventRecord,
    event_scope_commune,
    project_commune,
    stakeholder_commune,
)
from bocage.core.observability import tracing

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from bocage.core.auth.principal import Principal
    from bocage.core.host_protocol import Host

#: Key of the PostgreSQL transaction lock that orders the event log's writers.
_LOG_LOCK = 0x626F63616765  # "bocage"
#: Where the events recorded in a session wait for the commit (``session.info``).
_PENDING = "bocage.pending_events"


def global_id(object_type: str, object_id: int | str) -> str:
    """The Relay global ID of the row ``object_id`` shown as the GraphQL type ``object_type``
    (``global_id("Commune", 12)``); read one back with ``decode_id`` or ``node_key``."""
    return _encode(object_type, object_id)


def graphql_type_of(model: type[Any]) -> str:
    """The GraphQL type that shows rows of ``model``: its ``__graphql_type__`` when a plugin's
    type is named otherwise (``WorkshopsEvent`` for ``Event``), else the model's name."""
    return str(getattr(model, "__graphql_type__", model.__name__))


def event_for(row: Any, action: str, **data: Any) -> DomainEvent:
    """``<model>.<action>`` about ``row``, e.g. ``project.created``; its subject is the row's
    global ID as GraphQL knows it (see :func:`graphql_type_of`)."""
    object_type = graphql_type_of(type(row))
    if hasattr(type(row), "location_west"):
        # a place on the map (``Located``): its GeoJSON geometry, null when it has none
        data = {"location": row.location, **data}
    return DomainEvent(
        type=f"{type(row).__name__.lower()}.{action}",
        subject=global_id(object_type, row.id),
        data={"id": global_id(object_type, row.id), "objectType": object_type, **data},
    )


async def record_event(
    session: AsyncSession,
    event: DomainEvent,
    *,
    permission: str | None = None,
    scope: EventScope | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
) -> EventRecord:
    """Write ``event`` to the event log in ``session``'s transaction.

    ``permission`` is what a reader of the change feed or a webhook subscriber needs to learn of
    it (``None``: public knowledge, like a project's creation); ``scope``, where its row belongs,
    narrows that to those who may read the row (see :class:`EventScope`). The core's own rows
    (contacts, organisations, projects) get their scope here when none is given. The object is
    read from the event's subject (a global ID) unless given.
    """
    if object_type is None:
        try:
            object_type, key = parse_global_id(event.subject)
            object_id = int(key)
        except Exception:
            object_type, object_id = None, None
    if scope is None and object_type is not None and object_id is not None:
        scope = (await core_scopes(session, object_type, [object_id])).get(object_id)
    await _lock_log(session)
    record = EventRecord(
        event_id=str(uuid.uuid4()),
        type=event.type,
        object_type=object_type,
        object_id=object_id,
        subject=event.subject,
        data=event.data,
        permission=permission,
        scoped=scope is not None,
        scope_stakeholder_id=scope.stakeholder if scope is not None else None,
        scope_owner=scope.owner if scope is not None else None,
        scope_territory_id=scope.territory if scope is not None else None,
        trace_context=tracing.carrier(),
    )
    session.add(record)
    await session.flush()
    await _write_communes(session, [(record.event_id, scope)])
    session.info.setdefault(_PENDING, []).append(event)
    return record


async def record_events(
    session: AsyncSession, events: list[tuple[DomainEvent, str | None]]
) -> None:
    """Write many ``(event, permission)`` at once, e.g. for a bulk import; the core's rows get
    their scope as with :func:`record_event`."""
    if not events:
        return
    decoded = [_object_of(event) for event, _ in events]
    wanted: dict[str, list[int]] = defaultdict(list)
    for object_type, object_id in decoded:
        wanted[object_type].append(object_id)
    scopes = {
        (object_type, object_id): scope
        for object_type, ids in wanted.items()
        for object_id, scope in (await core_scopes(session, object_type, ids)).items()
    }
    await _lock_log(session)
    rows: list[dict[str, Any]] = []
    for (event, permission), key in zip(events, decoded, strict=True):
        scope = scopes.get(key)
        rows.append(
            {
                "event_id": str(uuid.uuid4()),
                "type": event.type,
                "object_type": key[0],
                "object_id": key[1],
                "subject": event.subject,
                "data": event.data,
                "permission": permission,
                "occurred_at": utcnow(),
                "scoped": scope is not None,
                "scope_stakeholder_id": scope.stakeholder if scope is not None else None,
                "scope_owner": scope.owner if scope is not None else None,
                "scope_territory_id": scope.territory if scope is not None else None,
            }
        )
    await session.execute(insert(EventRecord), rows)
    await _write_communes(
        session,
        [(row["event_id"], scopes.get(key)) for row, key in zip(rows, decoded, strict=True)],
    )
    session.info.setdefault(_PENDING, []).extend(event for event, _ in events)


def _object_of(event: DomainEvent) -> tuple[str, int]:
    object_type, key = parse_global_id(event.subject)
    return object_type, int(key)


async def _write_communes(
    session: AsyncSession, scopes: Iterable[tuple[str, EventScope | None]]
) -> None:
    """The communes of each event (by ``event_id``) in one statement, however many events."""
    rows = [
        {"event": event_id, "nis_code": code}
        for event_id, scope in scopes
        if scope is not None
        for code in sorted(scope.communes)
    ]
    if rows:
        record = select(EventRecord.id).where(EventRecord.event_id == bindparam("event"))
        await session.execute(
            insert(event_scope_commune).values(event_log_id=record.scalar_subquery()), rows
        )


# -- the scope of the core's rows ---------------------------------------------------------------


#: Rows whose scope one statement reads (bulk imports: bound parameters are limited).
_CHUNK = 1000


async def core_scopes(
    session: AsyncSession, object_type: str, ids: Sequence[int]
) -> dict[int, EventScope]:
    """The scope of the core's rows of ``object_type`` (a GraphQL type name) now: a contact's
    is its organisation and that organisation's communes, an organisation's its own, a
    project's its communes. Nothing for other types (plugins give their events' scope)."""
    found: dict[int, EventScope] = {}
    for start in range(0, len(ids), _CHUNK):
        found.update(await _core_scopes(session, object_type, ids[start : start + _CHUNK]))
    return found


async def _core_scopes(
    session: AsyncSession, object_type: str, ids: Sequence[int]
) -> dict[int, EventScope]:
    if object_type == "Contact":
        owners = dict(
            (
                await session.execute(
                    select(Contact.id, Contact.stakeholder_id).where(Contact.id.in_(ids))
                )
            ).all()
        )
        codes = await _communes_of(session, stakeholder_commune.c.stakeholder_id, owners.values())
        # A contact not found (none should be) reaches no organisation and no commune.
        return {
            key: EventScope(stakeholder=owner, communes=codes.get(owner, frozenset()))
            if (owner := owners.get(key)) is not None
            else EventScope()
            for key in ids
        }
    if object_type == "Stakeholder":
        codes = await _communes_of(session, stakeholder_commune.c.stakeholder_id, ids)
        return {
            key: EventScope(stakeholder=key, communes=codes.get(key, frozenset())) for key in ids
        }
    if object_type == "Project":
        codes = await _communes_of(session, project_commune.c.project_id, ids)
        return {key: EventScope(communes=codes.get(key, frozenset())) for key in ids}
    return {}


async def _communes_of(
    session: AsyncSession, owner: Any, keys: Iterable[int]
) -> dict[int, frozenset[str]]:
    """NIS codes of the communes linked to each of ``keys`` through ``owner``'s table."""
    found: dict[int, set[str]] = defaultdict(set)
    link = owner.table
    rows = await session.execute(
        select(owner, Commune.nis_code)
        .join(Commune, Commune.id == link.c.commune_id)
        .where(owner.in_(sorted(set(keys))))
    )
    for key, code in rows.all():
        found[key].add(code)
    return {key: frozenset(codes) for key, codes in found.items()}


# -- who may learn of an event ------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Who reads the event log: the permissions it holds and the rows it reaches. A request's
    is its principal's (:meth:`of`); a webhook subscription keeps its subscriber's from when it
    was saved."""

    permissions: frozenset[str]
    reach: policy.Reach
    #: Those of its ``permissions`` declared ``Permission(territory_members=True)``: their
    #: events about a territory's rows of no commune reach it in ``member_of``.
    member_permissions: frozenset[str] = frozenset()
    #: The territories whose rows it touches with those (``may_touch_territory``): those it
    #: is confined to; ``None``: every territory's (it is not confined).
    member_of: frozenset[int] | None = frozenset()

    @classmethod
    def of(cls, host: Host, principal: Principal) -> Reader:
        held = [p for p in host.permissions() if policy.can(principal, p.code)]
        return cls(
            permissions=frozenset(p.code for p in held),
            reach=policy.reach(principal),
            member_permissions=frozenset(p.code for p in held if p.territory_members),
            member_of=policy.territory_scope(principal),
        )

    def kept_reach(self) -> dict[str, Any]:
        """Its reach as a webhook subscription keeps it (JSON): :meth:`policy.Reach.as_json`
        and what it reaches as a member of territories."""
        return {
            **self.reach.as_json(),
            "member_permissions": sorted(self.member_permissions),
            "member_of": None if self.member_of is None else sorted(self.member_of),
        }

    @classmethod
    def kept(cls, permissions: Iterable[str], reach: object) -> Reader:
        """The reader a webhook subscription kept (its permissions, :meth:`kept_reach`); a
        reach kept before territories' members were (no ``member_of``) reaches none of
        theirs (fail closed)."""
        stored = reach if isinstance(reach, dict) else {}
        member_of = stored.get("member_of", [])
        return cls(
            permissions=frozenset(permissions),
            reach=policy.Reach.from_json(reach),
            member_permissions=frozenset(str(p) for p in stored.get("member_permissions") or []),
            member_of=None if member_of is None else frozenset(int(t) for t in member_of),
        )


def visible_to(reader: Reader) -> ColumnElement[bool]:
    """The condition on :class:`EventRecord` of the events ``reader`` may learn of: public
    ones, and those whose permission it holds about rows it reaches (the rule of
    :meth:`policy.Reach.covers`, applied to the scope recorded with the event). An event
    about a row with an owner (``EventScope.owner``) is never public and reaches only that
    owner and administrators (``Reach.owners``). An event about a territory's row of no
    commune under a permission its members hold (``Permission(territory_members=True)``)
    also reaches those of its holders who belong to that territory."""
    public = and_(EventRecord.permission.is_(None), EventRecord.scope_owner.is_(None))
    if not reader.permissions:
        return public
    held = [EventRecord.permission.in_(sorted(reader.permissions)), _reached(reader.reach)]
    owners = reader.reach.owners
    if owners is not None:
        held.append(
            or_(EventRecord.scope_owner.is_(None), EventRecord.scope_owner.in_(sorted(owners)))
        )
    if not reader.member_permissions:
        return or_(public, and_(*held))
    return or_(public, and_(*held), _of_member_territory(reader))


def _of_member_territory(reader: Reader) -> ColumnElement[bool]:
    """The events, under a permission every member of a territory holds over its rows
    (``Permission(territory_members=True)``), about a territory's rows of no commune that
    ``reader`` touches with it: those of its territories, every territory's when it is not
    confined (``may_touch_territory``). A commune editor granted ``workshops:facilitate``
    learns of the card workshops it runs; another GAL's people never do."""
    of_territory = [
        EventRecord.permission.in_(sorted(reader.member_permissions)),
        EventRecord.scoped.is_(True),
        EventRecord.scope_owner.is_(None),
        EventRecord.scope_stakeholder_id.is_(None),
        ~exists().where(event_scope_commune.c.event_log_id == EventRecord.id),
    ]
    if reader.member_of is not None:
        of_territory.append(EventRecord.scope_territory_id.in_(sorted(reader.member_of)))
    return and_(*of_territory)


def _reached(reach: policy.Reach) -> ColumnElement[bool]:
    if reach.communes is None:
        return true()
    alternatives: list[ColumnElement[bool]] = [EventRecord.scoped.is_(False)]
    if reach.owners:  # its own rows, wherever they are
        alternatives.append(EventRecord.scope_owner.in_(sorted(reach.owners)))
    if reach.stakeholders:
        alternatives.append(EventRecord.scope_stakeholder_id.in_(sorted(reach.stakeholders)))
    if reach.territories:  # a territory's rows of no commune
        alternatives.append(
            and_(
                EventRecord.scope_territory_id.in_(sorted(reach.territories)),
                ~exists().where(event_scope_commune.c.event_log_id == EventRecord.id),
            )
        )
    if reach.communes:
        link = event_scope_commune.c
        its_own = link.event_log_id == EventRecord.id
        alternatives.append(
            and_(
                exists().where(its_own),
                ~exists().where(its_own, link.nis_code.not_in(sorted(reach.communes))),
            )
        )
    return or_(*alternatives)


async def _lock_log(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Ids are drawn after the lock and the lock is held until commit: ids commit in order.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK})


#: The event log's highest id (an index's last key).
_LAST_EVENT = select(func.max(EventRecord.id))


async def last_event_id(connection: AsyncConnection) -> int:
    """The id of the last committed event (0 before the first). Ids commit in order (see
    :func:`_lock_log`), so when it has not moved, no event has committed since: readers that
    keep answers compare it to learn, on every worker, that something changed."""
    return int((await connection.execute(_LAST_EVENT)).scalar() or 0)


def committed_events(session: AsyncSession) -> list[DomainEvent]:
    """The events recorded in ``session`` (call after its commit), forgotten once read."""
    return session.info.pop(_PENDING, [])


def announce(host: Host, session: AsyncSession) -> None:
    """Hand the events ``session`` committed to every plugin's ``bocage_on_event`` (the same
    as ``host.announce(session)``); call it after the commit."""
    host.announce(session)


# -- the public change feed, for plugins (the voice plugin's digests) ----------------------------


@dataclass(frozen=True)
class PublicEvent:
    """An event of the change feed that anyone may learn of (no permission, no owner): its
    ``sequence`` (the feed's order), type, object, summary ``data``, when it happened, and the
    NIS codes of the communes of its row when it was recorded with a scope."""

    sequence: int
    type: str
    object_type: str | None
    object_id: int | None
    subject: str
    data: dict[str, Any]
    occurred_at: Any
    communes: frozenset[str]


async def public_events(session: AsyncSession, *, after: int, limit: int) -> list[PublicEvent]:
    """Up to ``limit`` public events whose sequence is greater than ``after``, in order: what
    an anonymous reader of the change feed sees (``visible_to`` with no permission)."""
    records = list(
        (
            await session.execute(
                select(EventRecord)
                .where(EventRecord.id > after, visible_to(Reader(frozenset(), policy.Reach())))
                .order_by(EventRecord.id)
                .limit(limit)
            )
        ).scalars()
    )
    communes: dict[int, set[str]] = defaultdict(set)
    if records:
        link = event_scope_commune.c
        for record_id, code in await session.execute(
            select(link.event_log_id, link.nis_code).where(
                link.event_log_id.in_([r.id for r in records])
            )
        ):
            communes[record_id].add(code)
    return [
        PublicEvent(
            sequence=r.id,
            type=r.type,
            object_type=r.object_type,
            object_id=r.object_id,
            subject=r.subject,
            data=dict(r.data or {}),
            occurred_at=r.occurred_at,
            communes=frozenset(communes.get(r.id, ())),
        )
        for r in records
    ]


async def last_event_sequence(session: AsyncSession) -> int:
    """The sequence of the last committed event (0 before the first): a reader of
    :func:`public_events` that starts now reads after it."""
    return int((await session.execute(_LAST_EVENT)).scalar() or 0)
