"""The host's own HTTP endpoints and JSON error responses (REST's shape, and GraphQL's for
/graphql: see docs/errors.md)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from bocage.core import migrate
from bocage.core.errors import PluginError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import Scope

#: Where the GraphQL endpoint is served (HTTP and WebSocket).
GRAPHQL_PATH = "/graphql"


class RowKeyConvertor(Convertor[int]):
    """``{name:rowkey}`` in a REST path: a database key, 1 to 2**31 - 1. A larger number names
    no row (404 like any unknown path) instead of overflowing the database's parameter."""

    regex = (
        "0*(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
        "|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
        "|21474836[0-3][0-9]|214748364[0-7])"
    )

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("rowkey", RowKeyConvertor())

logger = logging.getLogger("bocage.http")


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """The one shape of every REST error: ``{"error": {"code", "message"}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )


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


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = exc.detail
    if exc.status_code == 404:
        message = f"No route {request.url.path}; see /openapi.json for the REST API and /graphql"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(
        exc.status_code, codes.get(exc.status_code, "http_error"), message, **(exc.headers or {})
    )


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Unexpected error; it has been logged.")


async def healthz(request: Request) -> JSONResponse:
    """The process is up (no dependency checked)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at every branch's head."""
    state = request.app.state
    try:
        current = await migrate.state(state.engine, state.host)
    except PluginError as error:  # reachable, but at a revision no installed plugin provides
        logger.warning("readiness check failed: %s", error)
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "ok",
                "detail": "the database is at a revision of an uninstalled plugin: see the log",
            },
            status_code=503,
        )
    except Exception as error:  # any failure to reach the database means "not ready"
        logger.warning("readiness check failed: %r", error)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "detail": type(error).__name__},
            status_code=503,
        )
    body: dict[str, Any] = {
        "status": "ready" if current.at_head else "migrations_pending",
        "database": "ok",
        "migrations": {"applied": sorted(current.applied), "heads": sorted(current.heads)},
    }
    if not current.at_head:
        body["detail"] = "run `bocage db upgrade`"
    return JSONResponse(body, status_code=200 if current.at_head else 503)
