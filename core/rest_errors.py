"""The JSON shapes of every refusal: REST's (``{"error": {"code", "message"}}``), for the
core's routes and the plugins' alike, and GraphQL's for /graphql (``{"errors": [{"message",
"extensions": {"code"}}]}``, as the media type the request accepts: see docs/errors.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection
    from starlette.types import Scope

    from bocage.core.auth.principal import Principal

#: Where the GraphQL endpoint is served (HTTP and WebSocket).
GRAPHQL_PATH = "/graphql"


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """The one shape of every REST error: ``{"error": {"code", "message"}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )


async def signed_in(request: HTTPConnection) -> Principal | JSONResponse:
    """The principal of a REST request that needs one: its bearer token's, or the ``401``
    answer to send (a bad token, or none)."""
    from bocage.core.auth.tokens import AuthenticationError, request_principal

    try:
        principal = await request_principal(request)
    except AuthenticationError as error:
        return error_response(401, "unauthenticated", str(error))
    if principal.is_anonymous:
        return error_response(
            401, "unauthenticated", "sign in: send an Authorization: Bearer token"
        )
    return principal


#: The GraphQL-over-HTTP media types /graphql answers with: the spec's own, and the one every
#: client reads (the default when the request has no Accept header).
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
_GRAPHQL_MEDIA_TYPES = (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON)


def _accept_ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their quality (``q``, 1 when absent)."""
    ranges = []
    for part in accept.split(","):
        media, *params = (item.strip() for item in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def negotiate_graphql(accept: str | None) -> str | None:
    """The media type of a /graphql answer for a request's ``Accept`` header (RFC 9110
    content negotiation, with q-values); None when it accepts neither.

    No Accept header: ``application/json`` (the GraphQL-over-HTTP spec's legacy default). A
    media type takes the quality of the most specific range that names it; ties go to the
    type named explicitly, then to ``application/graphql-response+json`` when both are named
    and to ``application/json`` when only wildcards (``*/*``) match."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    ranges = _accept_ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for preference, media_type in enumerate(_GRAPHQL_MEDIA_TYPES):
        kind = media_type.split("/", 1)[0]
        found = None  # (specificity, quality) of the most specific range
        for media, quality in ranges:
            specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media)
            if specificity is not None and (found is None or specificity > found[0]):
                found = (specificity, quality)
        if found is None or found[1] <= 0:
            continue
        specificity, quality = found
        # A wildcard alone prefers application/json (index 1); named, the spec's own type.
        order = preference if specificity == 2 else -preference
        rank = (quality, specificity, -order)
        if best is None or rank > best:
            best, chosen = rank, media_type
    return chosen


def graphql_error_response(
    status: int,
    code: str,
    message: str,
    *,
    media_type: str | None = APPLICATION_JSON,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A /graphql refusal in the GraphQL shape: ``{"errors": [{"message", "extensions":
    {"code"}}]}`` (no ``data``: nothing was executed), as ``media_type``."""
    error = {"message": message, "extensions": {"code": code, **(extensions or {})}}
    return Response(
        orjson.dumps({"errors": [error]}),
        status_code=status,
        media_type=media_type or APPLICATION_JSON,
        headers=headers,
    )


def refusal_response(
    scope: Scope,
    status: int,
    code: str,
    message: str,
    *,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A refusal by middleware, in the shape of the path it refuses: GraphQL's for /graphql
    (the code in capitals, the media type the request accepts), REST's elsewhere."""
    if scope.get("path") == GRAPHQL_PATH:
        accept = Headers(scope=scope).get("accept")
        return graphql_error_response(
            status,
            code.upper(),
            message,
            media_type=negotiate_graphql(accept),
            extensions=extensions,
            headers=headers,
        )
    body = {"error": {"code": code, "message": message, **(extensions or {})}}
    return JSONResponse(body, status_code=status, headers=headers)
