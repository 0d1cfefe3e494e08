"""iCalendar feeds (RFC 5545, written with the ``icalendar`` library): one per territory, one
per commune, one per series, one ``.ics`` per event. Published and cancelled events only; UIDs
are stable, ``SEQUENCE`` grows on every change, cancelled events carry ``STATUS:CANCELLED``, and
times are given in Europe/Brussels with its ``VTIMEZONE``."""

from __future__ import annotations

from typing import Any

import icalendar
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.api import (
    LANGUAGES,
    Invalid,
    RestRoute,
    conditional_get,
    error_response,
    node_key,
    pick_text,
    public_caching,
    request_sessionmaker,
    row_key,
    utcnow,
)
from bocage.plugins.workshops import store
from bocage.plugins.workshops.models import Event, EventStatus

MEDIA_TYPE = "text/calendar; charset=utf-8"
PUBLIC = (EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value)


def to_vevent(event: Event, lang: str, base_url: str) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    # A change not yet flushed (an e-mail's attachment) has no new updated_at yet.
    stamp = event.updated_at or utcnow()
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("created", event.created_at or stamp)
    vevent.add("dtstart", store.to_local(event.starts_at))
    vevent.add("dtend", store.to_local(event.ends_at))
    vevent.add("summary", pick_text(event.title, lang) or "")
    description = pick_text(event.description, lang)
    if description:
        vevent.add("description", description)
    if event.address:
        vevent.add("location", event.address)
    elif event.online_url:
        vevent.add("location", event.online_url)
    if event.online_url:
        vevent.add("url", event.online_url)
    vevent.add("categories", [event.kind])
    cancelled = event.status == EventStatus.CANCELLED.value
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return vevent


def calendar(events: list[Event], name: str, lang: str, base_url: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Bocage//workshops//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Brussels")
    for event in events:
        cal.add_component(to_vevent(event, lang, base_url))
    if events:
        cal.add_missing_timezones()
    body: bytes = cal.to_ical()
    return body


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "fr")
    return lang if lang in LANGUAGES else "fr"


def _response(request: Request, body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            **public_caching(request),
        },
    )


def _public() -> Any:
    return (
        select(Event)
        .where(Event.deleted_at.is_(None), Event.status.in_(PUBLIC))
        .order_by(Event.starts_at, Event.id)
    )


async def territory_feed(request: Request) -> Response:
    slug = request.path_params["slug"]
    async with request_sessionmaker(request)() as session:
        territory = (
            await session.execute(
                select(store.TERRITORY.c.id).where(
                    store.TERRITORY.c.slug == slug, store.TERRITORY.c.deleted_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        if territory is None:
            return error_response(404, "not_found", f"no territory {slug!r}")
        communes = select(store.COMMUNE.c.id).where(store.COMMUNE.c.territory_id == territory)
        events = list(
            (
                await session.execute(
                    _public().where(
                        (Event.territory_id == territory) | Event.commune_id.in_(communes)
                    )
                )
            ).scalars()
        )
    body = calendar(events, f"Bocage — {slug}", _lang(request), str(request.base_url))
    return _response(request, body, f"{slug}.ics")


async def commune_feed(request: Request) -> Response:
    nis_code = request.path_params["nis_code"]
    async with request_sessionmaker(request)() as session:
        commune = (
            await session.execute(
                select(store.COMMUNE.c.id).where(
                    store.COMMUNE.c.nis_code == nis_code, store.COMMUNE.c.deleted_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        if commune is None:
            return error_response(404, "not_found", f"no commune with NIS code {nis_code!r}")
        events = list(
            (await session.execute(_public().where(Event.commune_id == commune))).scalars()
        )
    body = calendar(events, f"Bocage — {nis_code}", _lang(request), str(request.base_url))
    return _response(request, body, f"commune-{nis_code}.ics")


async def series_feed(request: Request) -> Response:
    series = request.path_params["series"]
    async with request_sessionmaker(request)() as session:
        events = list((await session.execute(_public().where(Event.series == series))).scalars())
    if not events:
        return error_response(404, "not_found", f"no published event in the series {series!r}")
    body = calendar(events, f"Bocage — {series}", _lang(request), str(request.base_url))
    return _response(request, body, "series.ics")


def event_key(raw: str) -> int | None:
    """The database key of an event named in a path: its global ID as GraphQL gives it
    (``WorkshopsEvent.id``, percent-encoded or not) or its database key (older links); None
    for anything else (a 404)."""
    if raw.isdigit():
        try:
            return row_key(raw)
        except ValueError:
            return None
    try:
        return node_key(raw, "WorkshopsEvent", "event_id")
    except Invalid:
        return None


async def event_file(request: Request) -> Response:
    raw = request.path_params["event_id"]
    key = event_key(raw)
    if key is None:
        return error_response(
            404,
            "not_found",
            f"no event {raw!r}: give the event's ID as GraphQL gives it (WorkshopsEvent.id, "
            "or its icalUrl) or its database key",
        )
    async with request_sessionmaker(request)() as session:
        event = (await session.execute(_public().where(Event.id == key))).scalar_one_or_none()
    if event is None:
        return error_response(404, "not_found", f"no published event {raw!r}")
    body = calendar(
        [event], pick_text(event.title, "fr") or "", _lang(request), str(request.base_url)
    )
    return _response(request, body, f"event-{key}.ics")


LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": list(LANGUAGES), "default": "fr"},
    "description": "The language of titles and descriptions (falls back to another one).",
}


def _operation(operation_id: str, summary: str, parameter: dict[str, Any]) -> dict[str, Any]:
    path_item = {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": "An iCalendar (RFC 5545) document: published and cancelled events "
            "(`STATUS:CANCELLED`), stable `UID`s, `SEQUENCE` bumped on every change, times in "
            "Europe/Brussels with its `VTIMEZONE`. Calendar clients can subscribe to it.",
            "tags": ["workshops"],
            "parameters": [parameter, LANG],
            "responses": {
                "200": {
                    "description": "The calendar.",
                    "content": {"text/calendar": {"schema": {"type": "string"}}},
                },
                "404": {"description": "Not found (or not published)."},
            },
        }
    }
    return conditional_get(path_item)  # public: HttpCaching answers If-None-Match with 304


ROUTES = [
    RestRoute(
        name="workshops-territory-calendar",
        route=Route(
            "/api/workshops/territories/{slug}/calendar.ics", territory_feed, methods=["GET"]
        ),
        openapi={
            "/api/workshops/territories/{slug}/calendar.ics": _operation(
                "workshopsTerritoryCalendar",
                "The events of a territory (GAL) as an iCalendar feed.",
                {
                    "name": "slug",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The territory's slug.",
                },
            )
        },
    ),
    RestRoute(
        name="workshops-commune-calendar",
        route=Route(
            "/api/workshops/communes/{nis_code}/calendar.ics", commune_feed, methods=["GET"]
        ),
        openapi={
            "/api/workshops/communes/{nis_code}/calendar.ics": _operation(
                "workshopsCommuneCalendar",
                "The events held in a commune as an iCalendar feed.",
                {
                    "name": "nis_code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{5}$"},
                    "description": "The commune's NIS code (e.g. 64034 for Hannut).",
                },
            )
        },
    ),
    RestRoute(
        name="workshops-series-calendar",
        route=Route("/api/workshops/series/{series}/calendar.ics", series_feed, methods=["GET"]),
        openapi={
            "/api/workshops/series/{series}/calendar.ics": _operation(
                "workshopsSeriesCalendar",
                "The events of a series (a training programme) as an iCalendar feed.",
                {
                    "name": "series",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The series' name, URL-encoded (e.g. `Midis%20du%20Smart`).",
                },
            )
        },
    ),
    RestRoute(
        name="workshops-event-calendar",
        # ``path``: a Relay ID may hold a "/" (sent as %2F, which the server decodes).
        route=Route("/api/workshops/events/{event_id:path}.ics", event_file, methods=["GET"]),
        openapi={
            "/api/workshops/events/{event_id}.ics": _operation(
                "workshopsEventCalendar",
                "One event as an iCalendar file.",
                {
                    "name": "event_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The event's ID as GraphQL gives it (`WorkshopsEvent.id`, "
                    "percent-encoded; `WorkshopsEvent.icalUrl` is this URL), or its database "
                    "key (older links).",
                },
            )
        },
    ),
]
