"""How many things one person did in the last hour, against a per-hour bound."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bocage.core.api import Code, Invalid, as_utc, utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def within_hour(
    session: AsyncSession,
    *,
    at: Any,
    owner: Any,
    subject: str,
    limit: int,
    setting: str,
    done: str,
    field: str,
) -> None:
    """Refuse (:class:`Invalid` naming ``field`` and ``setting``) when ``limit`` rows whose
    ``owner`` column is ``subject`` have their ``at`` column within the last hour; ``done``
    says what they did ("posted ... comments")."""
    since = utcnow() - dt.timedelta(hours=1)
    recent = list(
        (
            await session.execute(
                select(at).where(owner == subject, at > since).order_by(at).limit(limit)
            )
        ).scalars()
    )
    if len(recent) >= limit:
        after = as_utc(recent[0]) + dt.timedelta(hours=1)
        raise Invalid(
            Code.INVALID,
            f"you {done.format(count=len(recent))} in the last hour, the most allowed "
            f"({setting}): try again after {after:%H:%M} UTC",
            field,
        )
