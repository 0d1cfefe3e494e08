"""The host's own HTTP endpoints and JSON error responses."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from bocage.core import migrate
from bocage.core.errors import PluginError
from bocage.core.rest_errors import error_response

if TYPE_CHECKING:
    from starlette.requests import Request


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
