"""A person's media uploads under the GDPR: who uploaded a medium is personal data. The
export lists the media a person's account uploaded; erasure forgets that they did (the media
stay: they belong to their object, which its editors may remove)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bocage.core.domain.ids import global_id
from bocage.core.hookspecs import PersonalData, PersonIdentity
from bocage.core.models import Media

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _uploader(person: PersonIdentity) -> str | None:
    return f"subject:{person.subject}" if person.subject else None


async def export(session: AsyncSession, person: PersonIdentity) -> list[dict[str, Any]]:
    uploader = _uploader(person)
    if uploader is None:
        return []
    rows = await session.execute(
        select(Media).where(Media.uploaded_by == uploader).order_by(Media.id)
    )
    return [
        {
            "media": global_id("Media", media.id),
            "object": global_id(media.owner_type, media.owner_id),
            "filename": media.filename,
            "uploadedAt": media.created_at.isoformat(),
            "removed": media.deleted_at is not None,
        }
        for media in rows.scalars()
    ]


async def erase(session: AsyncSession, person: PersonIdentity) -> int:
    uploader = _uploader(person)
    if uploader is None:
        return 0
    result = await session.execute(
        update(Media).where(Media.uploaded_by == uploader).values(uploaded_by=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def uploads() -> PersonalData:
    return PersonalData("core.media_uploads", export, erase)
