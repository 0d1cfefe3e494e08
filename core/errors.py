"""Errors raised by the host when it cannot start, each with a message that says how to fix it,
and the one JSON shape of every REST error."""

from __future__ import annotations

from starlette.responses import JSONResponse


class BocageStartupError(Exception):
    """Bocage cannot start with this configuration or this set of plugins."""


class SettingsError(BocageStartupError):
    """A setting is missing or invalid."""


class PluginError(BocageStartupError):
    """A plugin does not honour the plugin contract."""


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """The one shape of every REST error: ``{"error": {"code", "message"}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )
