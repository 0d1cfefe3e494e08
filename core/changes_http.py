"""``GET /api/changes``: the change feed over REST, for integrators without GraphQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.routing import Route

from bocage.core.auth.tokens import AuthenticationError, request_principal
from bocage.core.cache_control import conditional_get, public_caching
from bocage.core.graphql.changes import feed_ordering, feed_statement, is_removal
from bocage.core.graphql.errors import BadInput
from bocage.core.hookspecs import RestRoute
from bocage.core.rest_errors import error_response

if TYPE_CHECKING:
    from starlette.requests import Request

    from bocage.core.models import EventRecord

MAX_LIMIT = 1000


def _csv(value: str | None) -> list[str] | None:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def event_json(record: EventRecord) -> dict[str, Any]:
    return {
        "sequence": record.id,
        "eventId": record.event_id,
        "type": record.type,
        "objectType": record.object_type,
        "objectId": record.subject,
        "deleted": is_removal(record),
        "occurredAt": record.occurred_at.isoformat(),
        "data": record.data,
    }


async def changes(request: Request) -> JSONResponse:
    try:
        principal = await request_principal(request)
    except AuthenticationError as error:
        return error_response(401, "unauthenticated", str(error))
    try:
        limit = int(request.query_params.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return error_response(400, "invalid", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    ordering = feed_ordering()
    statement = feed_statement(
        request.app.state.host,
        principal,
        types=_csv(request.query_params.get("types")),
        object_types=_csv(request.query_params.get("object_types")),
    )
    after = request.query_params.get("after")
    if after:
        try:
            statement = statement.where(ordering.after(ordering.decode(after)))
        except BadInput as error:
            return error_response(400, "invalid", f"after: {error.message}")
    async with request.app.state.sessionmaker() as session:
        records = (
            (await session.execute(statement.order_by(*ordering.order_by()).limit(limit + 1)))
            .scalars()
            .all()
        )
    page = list(records[:limit])
    cursor = ordering.encode((page[-1].id,)) if page else after
    return JSONResponse(
        {
            "items": [event_json(r) for r in page],
            "cursor": cursor,
            "hasMore": len(records) > limit,
        },
        # The public events, the same for every anonymous caller; a signed-in caller's feed
        # is its own (HttpCaching makes it private).
        headers=public_caching(request),
    )


def _error(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_EVENT = {
    "type": "object",
    "required": ["sequence", "eventId", "type", "objectId", "deleted", "occurredAt", "data"],
    "properties": {
        "sequence": {
            "type": "integer",
            "description": "Position in the event log: increasing, not contiguous (the numbers "
            "between belong to events you may not see).",
        },
        "eventId": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "examples": ["project.created"]},
        "objectType": {"type": ["string", "null"]},
        "objectId": {"type": "string", "description": "Relay global ID."},
        "deleted": {"type": "boolean", "description": "A tombstone: the object left."},
        "occurredAt": {"type": "string", "format": "date-time"},
        "data": {"type": "object"},
    },
}

OPENAPI = {
    "/api/changes": {
        "get": {
            "operationId": "listChanges",
            "summary": "The change feed: every change after a cursor, oldest first.",
            "description": (
                "Keep `cursor` from each page and pass it as `after` next time: you get every "
                "change made meanwhile exactly once, deletions included (`deleted: true`). "
                "Follow while `hasMore`. You get the events of the objects you may read: those "
                "about personal data need its permission on the object's organisation; the "
                "cursor never moves past events you may not see."
            ),
            "tags": ["changes"],
            "parameters": [
                {"name": "after", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                },
                {
                    "name": "types",
                    "in": "query",
                    "description": "Comma-separated event types.",
                    "schema": {"type": "string"},
                },
                {
                    "name": "object_types",
                    "in": "query",
                    "description": "Comma-separated object types (e.g. `Project`).",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "A page of changes.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["items", "cursor", "hasMore"],
                                "properties": {
                                    "items": {"type": "array", "items": _EVENT},
                                    "cursor": {"type": ["string", "null"]},
                                    "hasMore": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "400": _error("A bad `after` cursor or `limit`."),
                "401": _error("An invalid or expired bearer token."),
            },
        }
    }
}

# Anonymous callers' pages are public: HttpCaching answers If-None-Match with 304.
OPENAPI["/api/changes"] = conditional_get(OPENAPI["/api/changes"])


def route() -> RestRoute:
    return RestRoute(
        name="changes",
        route=Route("/api/changes", changes, methods=["GET"], name="changes"),
        openapi=OPENAPI,
    )
