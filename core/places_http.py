"""``GET /api/places/projects.geojson``: the territory's projects on a map, as one GeoJSON
FeatureCollection (RFC 7946) a web map (Leaflet, MapLibre, OpenLayers) loads as it is.
See docs/places.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import models as m
from bocage.core.cache_control import conditional_get, public_caching
from bocage.core.domain import places
from bocage.core.events import global_id
from bocage.core.graphql.i18n import parse_accept_language, pick
from bocage.core.hookspecs import RestRoute
from bocage.core.rest_errors import error_response
from bocage.core.settings import LANGUAGES

if TYPE_CHECKING:
    from starlette.requests import Request

PATH = "/api/places/projects.geojson"
MEDIA_TYPE = "application/geo+json"


class _BadQuery(ValueError):
    pass


def _numbers(request: Request, name: str, count: int) -> list[float] | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    found = places.parse_numbers(text, count)
    if found is None:
        raise _BadQuery(f"{name}: give {count} numbers separated by commas")
    return found


def _filters(request: Request, statement: Any, settings: Any) -> Any:
    P = m.Project
    dialect = "postgresql" if not settings.is_sqlite else "sqlite"
    box = _numbers(request, "bbox", 4)
    if box is not None:
        west, south, east, north = box
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise _BadQuery("bbox: west <= east within -180..180, south <= north within -90..90")
        statement = statement.where(places.Box(*box).overlaps(P, dialect))
    near = _numbers(request, "near", 3)
    if near is not None:
        longitude, latitude, metres = near
        limit = settings.places_max_distance_metres
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90 and 0 < metres <= limit):
            raise _BadQuery(
                f"near: longitude,latitude,metres with metres above 0 and at most {limit:g} "
                "(BOCAGE_PLACES_MAX_DISTANCE_METRES)"
            )
        statement = statement.where(places.Near(*near).reaches(P, dialect))
    statuses = [s.strip() for s in request.query_params.get("status", "").split(",") if s.strip()]
    if statuses:
        known = {s.value for s in m.ProjectStatus}
        if not set(statuses) <= known:
            raise _BadQuery(f"status: any of {', '.join(sorted(known))}")
        statement = statement.where(P.status.in_([m.ProjectStatus(s) for s in statuses]))
    territory = request.query_params.get("territory")
    if territory:
        statement = statement.join(m.Territory, m.Territory.id == P.territory_id).where(
            m.Territory.slug == territory, m.Territory.deleted_at.is_(None)
        )
    return statement


def _limit(request: Request, most: int) -> int:
    text = request.query_params.get("limit", str(most))
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= most:
        raise _BadQuery(f"limit: a whole number from 1 to {most} (BOCAGE_PLACES_FEED_MAX_FEATURES)")
    return limit


def _language(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        return lang
    return parse_accept_language(request.headers.get("accept-language")) or (
        request.app.state.settings.default_language
    )


def feature(project: m.Project, lang: str) -> dict[str, Any]:
    """One project as a GeoJSON Feature: its place, and what a map's pop-up shows."""
    return {
        "type": "Feature",
        "id": global_id("Project", project.id),
        "bbox": [
            project.location_west,
            project.location_south,
            project.location_east,
            project.location_north,
        ],
        "geometry": project.location,
        "properties": {
            "title": pick(project.title, lang),
            "summary": pick(project.summary, lang),
            "status": project.status.value,
            "focus": project.focus.value,
            "address": project.location_address,
            "updatedAt": project.updated_at.isoformat(),
        },
    }


async def projects_geojson(request: Request) -> Response:
    settings = request.app.state.settings
    P = m.Project
    try:
        limit = _limit(request, settings.places_feed_max_features)
        statement = select(P).where(P.deleted_at.is_(None), P.location_west.is_not(None))
        statement = _filters(request, statement, settings)
        after = request.query_params.get("after")
        if after is not None:
            if not after.isdigit():
                raise _BadQuery("after: the `next` link's value")
            statement = statement.where(P.id > int(after))
    except _BadQuery as error:
        return error_response(400, "invalid", str(error))
    lang = _language(request)
    async with request.app.state.sessionmaker() as session:
        rows = (await session.execute(statement.order_by(P.id).limit(limit + 1))).scalars().all()
    page = rows[:limit]
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [feature(p, lang) for p in page],
        "numberReturned": len(page),
        "links": [],
    }
    if len(rows) > limit:
        query = {k: v for k, v in request.query_params.items() if k != "after"}
        query["after"] = str(page[-1].id)
        body["links"].append(
            {
                "rel": "next",
                "type": MEDIA_TYPE,
                "href": str(request.url.replace_query_params(**query)),
            }
        )
    return Response(
        orjson.dumps(body),
        media_type=MEDIA_TYPE,
        headers={**public_caching(request), "Vary": "Accept-Language"},
    )


def _query(name: str, description: str, example: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if example is not None:
        schema["examples"] = [example]
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_ERROR = {
    "description": "A bad parameter: the message says which and what it accepts.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}

OPENAPI: dict[str, dict[str, Any]] = {
    PATH: {
        "get": {
            "operationId": "projectsGeoJson",
            "summary": "The projects on a map: a GeoJSON FeatureCollection.",
            "description": (
                "Every live project that has a place, as a GeoJSON Feature (RFC 7946): its "
                "point or area (WGS 84), its global ID, and the title, summary, status, focus "
                "and address in the language asked (`lang`, else Accept-Language). At most "
                "`limit` features (`BOCAGE_PLACES_FEED_MAX_FEATURES`, 5000) in ID order; a "
                "`next` link gives the rest. Areas are matched by their bounding box."
            ),
            "tags": ["places"],
            "parameters": [
                _query(
                    "bbox",
                    "Places meeting a box: `west,south,east,north` (degrees).",
                    "5.0,50.6,5.2,50.7",
                ),
                _query(
                    "near",
                    "Places within a distance of a point: `longitude,latitude,"
                    "metres` (at most `BOCAGE_PLACES_MAX_DISTANCE_METRES`).",
                    "5.08,50.67,1500",
                ),
                _query("territory", "The slug of a territory (GAL).", "gal-hesbaye"),
                _query("status", "Comma-separated statuses.", "planned,in_progress"),
                _query("lang", "fr, nl, de or en."),
                _query("limit", "Features per answer (1 to BOCAGE_PLACES_FEED_MAX_FEATURES)."),
                _query("after", "From the `next` link."),
            ],
            "responses": {
                "200": {
                    "description": "A GeoJSON FeatureCollection.",
                    "content": {
                        MEDIA_TYPE: {
                            "schema": {
                                "type": "object",
                                "required": ["type", "features"],
                                "properties": {
                                    "type": {"const": "FeatureCollection"},
                                    "features": {"type": "array", "items": {"type": "object"}},
                                    "numberReturned": {"type": "integer"},
                                    "links": {"type": "array", "items": {"type": "object"}},
                                },
                            }
                        }
                    },
                },
                "400": _ERROR,
            },
        }
    }
}
OPENAPI[PATH] = conditional_get(OPENAPI[PATH])


def route() -> RestRoute:
    return RestRoute(
        name="places",
        route=Route(PATH, projects_geojson, methods=["GET"], name="places_projects"),
        openapi=OPENAPI,
    )
