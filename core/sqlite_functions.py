"""Functions every SQLite connection gets on connect (``bocage.core.db`` registers them):
what PostgreSQL has built in and the compiled reads use (base64, a time in a time zone)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo


def _b64(text: str | None) -> str | None:
    if text is None:
        return None
    return base64.b64encode(text.encode()).decode()


def _b64url(text: str | None) -> str | None:
    if text is None:
        return None
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@functools.lru_cache(maxsize=8192)
def _local_iso(text: str | None, zone: str) -> str | None:
    """``isoformat()`` of a stored UTC timestamp in the time zone ``zone`` (remembered: the
    same rows are read again and again, and a conversion costs more than the query's row)."""
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """The functions the compiled reads use on SQLite (deterministic: usable in indexes)."""
    dbapi_connection.create_function("bocage_b64", 1, _b64, deterministic=True)
    dbapi_connection.create_function("bocage_b64url", 1, _b64url, deterministic=True)
    dbapi_connection.create_function("bocage_local_iso", 2, _local_iso, deterministic=True)
