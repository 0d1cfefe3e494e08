"""The one JSON shape of every REST error, for the core's routes and the plugins' alike."""

from __future__ import annotations

from starlette.responses import JSONResponse


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """The one shape of every REST error: ``{"error": {"code", "message"}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )
