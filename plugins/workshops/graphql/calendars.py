"""The iCalendar feeds as GraphQL gives them: ``WorkshopsCalendar`` (a territory's, a
commune's, a series'), with its absolute ``icalUrl``, an event's ``calendars`` and the root
field ``workshopsCalendar``, so that a front-end never builds a feed's URL by hand."""

from __future__ import annotations

import enum
import re
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    BadInput,
    CommuneType,
    TerritoryType,
    cost,
    decode_id,
    load_one,
)
from bocage.plugins.workshops import links, store
from bocage.plugins.workshops.models import Event, EventStatus


@strawberry.enum(name="WorkshopsCalendarScope", description="What a calendar feed holds.")
class CalendarScope(enum.Enum):
    TERRITORY = "territory"
    COMMUNE = "commune"
    SERIES = "series"


@strawberry.type(
    name="WorkshopsCalendar",
    description="An iCalendar feed of published (and cancelled) events that calendar clients "
    "subscribe to: a territory's (its communes' events and its own), a commune's, a series'.",
)
class WorkshopsCalendar:
    scope: CalendarScope = strawberry.field(description="What the feed holds.")
    ical_url: str = strawberry.field(
        description="The feed's absolute URL (add `?lang=nl`, `de` or `en` for another "
        "language; `webcal://` instead of `https://` opens it in a calendar application)."
    )
    series: str | None = strawberry.field(default=None, description="The series, if a series'.")
    commune_key: strawberry.Private[int | None] = None
    territory_key: strawberry.Private[int | None] = None

    @strawberry.field(description="The commune, if a commune's.", metadata=cost(1))
    async def commune(self, info: Info) -> CommuneType | None:
        return await load_one(info, CommuneType, self.commune_key)

    @strawberry.field(description="The territory (GAL), if a territory's.", metadata=cost(1))
    async def territory(self, info: Info) -> TerritoryType | None:
        return await load_one(info, TerritoryType, self.territory_key)


def commune_calendar(base: str, commune: Any) -> WorkshopsCalendar:
    return WorkshopsCalendar(
        scope=CalendarScope.COMMUNE,
        ical_url=base + links.commune_path(commune.nis_code),
        commune_key=commune.id,
    )


def territory_calendar(base: str, territory: Any) -> WorkshopsCalendar:
    return WorkshopsCalendar(
        scope=CalendarScope.TERRITORY,
        ical_url=base + links.territory_path(territory.slug),
        territory_key=territory.id,
    )


def series_calendar(base: str, series: str) -> WorkshopsCalendar:
    return WorkshopsCalendar(
        scope=CalendarScope.SERIES, ical_url=base + links.series_path(series), series=series
    )


async def event_calendars(info: Info[Any, Any], event: Event) -> list[WorkshopsCalendar]:
    """The feeds that carry ``event``: its commune's, its territory's (its own, or its
    commune's), its series'."""
    base = links.context_base(info.context)
    found: list[WorkshopsCalendar] = []
    territory_key = event.territory_id
    if event.commune_id is not None:
        commune = await load_one(info, CommuneType, event.commune_id)
        if commune is not None:
            found.append(commune_calendar(base, commune.row))
            territory_key = territory_key or commune.row.territory_id
    territory = await load_one(info, TerritoryType, territory_key)
    if territory is not None:
        found.append(territory_calendar(base, territory.row))
    if event.series:
        found.append(series_calendar(base, event.series))
    return found


NIS_CODE = re.compile(r"^[0-9]{5}$")


async def _commune(info: Info[Any, Any], value: str) -> Any:
    value = value.strip()
    if NIS_CODE.match(value):
        where = store.COMMUNE.c.nis_code == value
    else:
        try:
            key = decode_id(value, CommuneType, "commune")
        except BadInput as error:
            raise BadInput(
                f"commune: {error.message}, or its 5-digit NIS code (e.g. 64034)",
                field="commune",
            ) from None
        where = store.COMMUNE.c.id == key
    row = (
        await info.context.execute(
            select(store.COMMUNE).where(where, store.COMMUNE.c.deleted_at.is_(None))
        )
    ).first()
    if row is None:
        raise BadInput(
            f"commune: no commune {value!r} in Bocage; pass a Commune ID or the NIS code of "
            "one of the territory's communes",
            field="commune",
        )
    return row


async def _territory(info: Info[Any, Any], value: str) -> Any:
    value = value.strip()
    table = store.TERRITORY
    try:
        where = table.c.id == decode_id(value, TerritoryType, "territory")
    except BadInput:
        where = table.c.slug == value  # not a Territory ID: a slug
    row = (
        await info.context.execute(select(table).where(where, table.c.deleted_at.is_(None)))
    ).first()
    if row is None:
        raise BadInput(
            f"territory: no territory {value!r}; pass a Territory ID or its slug "
            "(e.g. gal-hesbaye-meuse)",
            field="territory",
        )
    return row


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        description="The iCalendar feed of a commune (a Commune ID or its NIS code), a "
        "territory (a Territory ID or its slug) or a series (its name): give exactly one.",
        metadata=cost(1),
    )
    async def workshops_calendar(
        self,
        info: Info,
        commune: str | None = None,
        territory: str | None = None,
        series: str | None = None,
    ) -> WorkshopsCalendar:
        arguments = {"commune": commune, "territory": territory, "series": series}
        given = [name for name, value in arguments.items() if value is not None]
        if len(given) != 1:
            raise BadInput(
                "give exactly one of commune, territory or series"
                + (f" (you gave {', '.join(given)})" if given else ""),
                field=given[1] if len(given) > 1 else "commune",
            )
        base = links.context_base(info.context)
        if commune is not None:
            return commune_calendar(base, await _commune(info, commune))
        if territory is not None:
            return territory_calendar(base, await _territory(info, territory))
        name = (series or "").strip()
        known = (
            await info.context.execute(
                select(Event.id)
                .where(
                    Event.series == name,
                    Event.deleted_at.is_(None),
                    Event.status.in_((EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value)),
                )
                .limit(1)
            )
        ).first()
        if not name or known is None:
            raise BadInput(
                f"series: no published event in the series {name!r}; pass the `series` of "
                "a published event",
                field="series",
            )
        return series_calendar(base, name)
