"""The public events list, declared for the read compiler (``bocage_compiled_reads``).

An agenda front-end reads ``workshopsEvents`` (and ``workshopsEvent``): each declaration gives
what the resolvers of :mod:`bocage.plugins.workshops.graphql.events` give, in the same formats
(times in Europe/Brussels, enums by name, IDs in base64), and the rows the caller may see:
drafts and private speakers only for organisers, so both roots keep their statements per caller.

Left to the resolvers (the whole root field then): ``registrations`` and ``attendance``
(organisers only), ``WorkshopsTicket`` (a registration's holder), and ``partnerOrganisations``
(keys kept in a JSON list, which the compiler does not join; the deprecated ``partners`` IDs
are compiled), ``calendars`` and ``attendanceSheetUrl``. ``icalUrl`` is compiled; its base URL
is the request's unless ``BOCAGE_WORKSHOPS_BASE_URL`` is set (set it when the API answers under
several host names: compiled statements are kept per document and caller).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, case, func, literal, null, select

from bocage.core.api import (
    PARENT,
    Build,
    Column,
    CompiledReads,
    Custom,
    Level,
    NodeId,
    RootList,
    RootOne,
    Selection,
    ToMany,
    ToOne,
    TypeSpec,
    location_spec,
    translated_spec,
)
from bocage.plugins.workshops import links
from bocage.plugins.workshops.graphql.common import organises
from bocage.plugins.workshops.graphql.event_queries import event_source, events_source
from bocage.plugins.workshops.models import (
    AgendaItem,
    Audience,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    Speaker,
)
from bocage.plugins.workshops.store import BRUSSELS

ZONE = BRUSSELS.key


def _local(column: str) -> Column:
    return Column(column, "datetime", zone=ZONE)


def _count(status: RegistrationStatus) -> Any:
    """The number of the event's registrations in ``status``: one grouped read for every
    event of the level, joined to them."""

    def compute(b: Build, level: Level) -> Any:
        grouped = (
            select(Registration.event_id.label(PARENT), func.count().label("n"))
            .where(
                Registration.event_id.in_(b.parents(level)),
                Registration.status == status.value,
            )
            .group_by(Registration.event_id)
        )
        counts = level.join(b.aggregate(grouped, "registrations"))
        return func.coalesce(counts.c.n, 0)

    return compute


_confirmed = _count(RegistrationStatus.CONFIRMED)
_waitlisted = _count(RegistrationStatus.WAITLISTED)


def _seats_left(b: Build, level: Level, selection: Selection) -> Any:
    capacity, confirmed = level.rows.c.capacity, _confirmed(b, level)
    return case(
        (capacity.is_(None), null()),
        (confirmed >= capacity, 0),
        else_=capacity - confirmed,
    )


def _agenda_rows(parents: Any) -> Any:
    """The agenda items of the events whose keys ``parents`` selects."""
    item = select(AgendaItem, AgendaItem.event_id.label(PARENT))
    return item.where(AgendaItem.event_id.in_(parents))


def _public_only(b: Build, statement: Any) -> Any:
    """Speakers with a public profile, all of them for organisers (as the resolvers)."""
    return statement if organises(b.context) else statement.where(Speaker.public.is_(True))


def _speakers(b: Build, level: Level, selection: Selection) -> Any:
    def rows(parents: Any) -> Any:
        statement = select(Speaker, Speaker.event_id.label(PARENT))
        return _public_only(b, statement.where(Speaker.event_id.in_(parents)))

    listed = ToMany("WorkshopsSpeaker", rows, lambda s: [s.c.position, s.c.id])
    return listed.sql(b, level, selection)


def _speaker_of_item(b: Build, level: Level, selection: Selection) -> Any:
    """An agenda item's speaker: one of its event's speakers, if the caller may see it."""
    item = AgendaItem.__table__.alias("item")

    def rows(parents: Any) -> Any:
        statement = (
            select(Speaker, item.c.id.label(PARENT))
            .join(
                item,
                and_(item.c.speaker_id == Speaker.id, item.c.event_id == Speaker.event_id),
            )
            .where(item.c.id.in_(parents))
        )
        return _public_only(b, statement)

    one = ToMany("WorkshopsSpeaker", rows, lambda s: [s.c.id], first_only=True)
    return one.sql(b, level, selection)


def _ical_url(b: Build, level: Level, selection: Selection) -> Any:
    """``links.event_path`` in SQL: the global ID, percent-encoded as ``quote(safe="")``
    does (base64 holds no other character it encodes); null for a draft."""
    encoded = b.json.global_id("WorkshopsEvent", level.rows.c.id)
    for character, escape in (("/", "%2F"), ("+", "%2B"), ("=", "%3D")):
        encoded = func.replace(encoded, character, escape, type_=String)
    prefix = links.context_base(b.context) + links.PREFIX + "/events/"
    url = literal(prefix, String) + encoded + literal(".ics", String)
    public = (EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value)
    return case((level.rows.c.status.in_(public), url), else_=null())


def compiled_reads() -> CompiledReads:
    """The plugin's ``bocage_compiled_reads``."""
    return CompiledReads(
        types=[
            TypeSpec(
                "WorkshopsEvent",
                Event,
                {
                    "id": NodeId("WorkshopsEvent"),
                    "version": Column("version"),
                    "sequence": Column("sequence"),
                    "uid": Column("uid"),
                    "capacity": Column("capacity"),
                    "series": Column("series"),
                    "address": Column("address"),
                    "onlineUrl": Column("online_url"),
                    **translated_spec("title", "title", required=True),
                    **translated_spec("description", "description"),
                    "kind": Column("kind", "enum", enum=EventKind),
                    "status": Column("status", "enum", enum=EventStatus),
                    "startsAt": _local("starts_at"),
                    "endsAt": _local("ends_at"),
                    "timeZone": Custom(lambda b, level, s: literal(ZONE, String), columns=()),
                    "audiences": Custom(
                        lambda b, level, s: b.json.enum_list(level.rows.c.audiences, Audience),
                        columns=("audiences",),
                    ),
                    "commune": NodeId("Commune", key="commune_id"),
                    "organiser": NodeId("Stakeholder", key="organiser_id"),
                    "venueCommune": ToOne("Commune", "commune_id"),
                    "territory": ToOne("Territory", "territory_id"),
                    "location": location_spec("address", "commune_id"),
                    "organisedBy": ToOne("Stakeholder", "organiser_id"),
                    "partners": Custom(
                        lambda b, level, s: b.json.list_of(
                            level.rows.c.partner_ids,
                            lambda key: b.json.global_id("Stakeholder", key),
                        ),
                        columns=("partner_ids",),
                    ),
                    "agenda": ToMany(
                        "WorkshopsAgendaItem", _agenda_rows, lambda s: [s.c.starts_at, s.c.id]
                    ),
                    "speakers": Custom(_speakers, columns=("id",)),
                    "confirmedCount": Custom(
                        lambda b, level, s: _confirmed(b, level), columns=("id",)
                    ),
                    "waitlistCount": Custom(
                        lambda b, level, s: _waitlisted(b, level), columns=("id",)
                    ),
                    "seatsLeft": Custom(_seats_left, columns=("id", "capacity")),
                    "icalUrl": Custom(_ical_url, columns=("id", "status")),
                },
            ),
            TypeSpec(
                "WorkshopsAgendaItem",
                AgendaItem,
                {
                    "id": NodeId("WorkshopsAgendaItem"),
                    **translated_spec("title", "title", required=True),
                    "startsAt": _local("starts_at"),
                    "endsAt": _local("ends_at"),
                    "speaker": Custom(_speaker_of_item, columns=("id",)),
                },
            ),
            TypeSpec(
                "WorkshopsSpeaker",
                Speaker,
                {
                    "id": NodeId("WorkshopsSpeaker"),
                    "name": Column("name"),
                    "organisation": Column("organisation"),
                    "public": Column("public", "bool"),
                    **translated_spec("role", "role"),
                    "stakeholder": NodeId("Stakeholder", key="stakeholder_id"),
                    "affiliation": ToOne("Stakeholder", "stakeholder_id"),
                },
            ),
        ],
        roots={
            "workshopsEvents": RootList("WorkshopsEvent", events_source),
            "workshopsEvent": RootOne("WorkshopsEvent", event_source),
        },
    )
