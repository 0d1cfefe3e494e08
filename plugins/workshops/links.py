"""The public URLs of the plugin's REST routes, absolute, as GraphQL fields and e-mails give
them: the iCalendar feeds (an event, a commune, a territory, a series) and the attendance
sheets. Built on ``BOCAGE_WORKSHOPS_BASE_URL``, else on the URL of the request.

An event's URL names it by the global ID GraphQL gives (``WorkshopsEvent.id``),
percent-encoded (a Relay ID may hold ``/``, ``+`` and ``=``); the route still takes the
database key of older links.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

#: The base URL when neither the settings nor a request give one (a script, a test).
FALLBACK = "http://localhost:8000"

PREFIX = "/api/workshops"


def base_url(settings: Any, request: Any = None) -> str:
    """The public base URL, without its trailing slash."""
    base = getattr(settings, "base_url", "") or (
        str(request.base_url) if request is not None else FALLBACK
    )
    return base.rstrip("/")


def context_base(context: Any) -> str:
    """The public base URL for a GraphQL request's ``context``."""
    from bocage.plugins.workshops.settings import workshops_settings

    return base_url(workshops_settings(context.host), getattr(context, "request", None))


def segment(value: str) -> str:
    """``value`` as one path segment (``/``, ``+``, ``=``, spaces percent-encoded)."""
    return quote(value, safe="")


def event_path(global_id: str) -> str:
    return f"{PREFIX}/events/{segment(global_id)}.ics"


def commune_path(nis_code: str) -> str:
    return f"{PREFIX}/communes/{segment(nis_code)}/calendar.ics"


def territory_path(slug: str) -> str:
    return f"{PREFIX}/territories/{segment(slug)}/calendar.ics"


def series_path(series: str) -> str:
    return f"{PREFIX}/series/{segment(series)}/calendar.ics"


def attendance_path(global_id: str, extension: str) -> str:
    return f"{PREFIX}/events/{segment(global_id)}/attendance.{extension}"
