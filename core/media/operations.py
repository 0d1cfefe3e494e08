"""Attaching, describing and removing media, whoever asks (the REST upload, the GraphQL
mutations, a plugin through ``bocage.core.api``): one transaction each, through the unit of
work, with the audit entry and the ``media.added`` / ``media.removed`` event.

The bytes are written to the storage before the row is committed and removed if the
transaction fails; a removed medium's bytes are deleted once its removal committed. Only the
row decides what is served: bytes without a live row are never reachable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bocage.core.auth.policy import owner_key
from bocage.core.db import utcnow
from bocage.core.domain.changes import Change, check_version, column_changes
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.ids import key_of, parse_global_id, row_key
from bocage.core.domain.rules import check_texts
from bocage.core.media.files import Processed
from bocage.core.media.storage import key_of as storage_key
from bocage.core.media.storage import new_folder
from bocage.core.models import Media

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.auth.principal import Principal
    from bocage.core.domain.work import UnitOfWork
    from bocage.core.hookspecs import MediaOwner, MediaStorage

ROLES = ("gallery", "document", "logo", "slides")
#: SPDX identifiers (``CC-BY-4.0``, ``CC0-1.0``, ``LicenseRef-...``).
LICENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]{0,59}")
#: Licences whose reuse needs the author credited: a credit line is required with them.
ATTRIBUTION = re.compile(r"CC-BY(-|$)", re.IGNORECASE)
TEXT_LIMITS = {"title": 200, "alt": 500}
CREDIT_MAX = 300


@dataclass
class Description:
    """What a client says of a medium (each ``None``: left as it is; an empty text clears)."""

    title: Mapping[str, str] | None = None
    alt: Mapping[str, str] | None = None
    licence: str | None = None
    credit: str | None = None


def owner_of(owners: Mapping[str, MediaOwner], value: Any) -> tuple[MediaOwner, int]:
    """The owner kind and key of the global ID ``value`` (field ``owner``)."""
    try:
        type_name, _ = parse_global_id(str(value))
    except ValueError:
        type_name = ""
    owner = owners.get(type_name)
    if owner is None:
        raise Invalid(
            Code.INVALID,
            f"owner: {value!r} is not the ID of an object media may be attached to "
            f"({', '.join(sorted(owners))})",
            "owner",
        )
    return owner, key_of(value, type_name, "owner")[1]


async def authorise(
    session: AsyncSession, principal: Principal, owner: MediaOwner, key: int
) -> None:
    """Refuse a caller who may not edit the object ``key`` of ``owner``."""
    if principal.is_anonymous:
        raise Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")
    from bocage.core.auth import policy

    if not policy.can(principal, owner.permission):
        raise Invalid(Code.FORBIDDEN, f"this needs the {owner.permission} permission", "owner")
    await owner.authorise(session, principal, key)


async def may_read(
    session: AsyncSession, principal: Principal, owner: MediaOwner | None, media: Media
) -> bool:
    """Whether ``principal`` may see ``media``: its object is public, or theirs to edit."""
    if owner is None:
        return False
    if await owner.is_public(session, media.owner_id):
        return True
    try:
        await authorise(session, principal, owner, media.owner_id)
    except Invalid:
        return False
    return True


async def event_permission(session: AsyncSession, owner: MediaOwner, key: int) -> str | None:
    """What a reader of the change feed needs to learn of a change to the media of the object
    ``key``: nothing when the object is public, else what editing it needs (a draft event's)."""
    return None if await owner.is_public(session, key) else owner.permission


def _role(owner: MediaOwner, role: str | None, kind: str) -> str:
    role = role or ("document" if kind == "document" else "gallery")
    if role not in owner.roles:
        raise Invalid(
            Code.INVALID,
            f"role {role!r} is not one of a {owner.type_name}'s: {', '.join(owner.roles)}",
            "role",
        )
    if role == "logo" and kind != "image":
        raise Invalid(Code.INVALID, "a logo is an image (PNG, JPEG, WebP)", "role")
    return role


def describe(media: Media, description: Description) -> None:
    """Apply ``description`` to ``media`` with the rules of each field."""
    for name in ("title", "alt"):
        texts = getattr(description, name)
        if texts is not None:
            cleaned = {k: v.strip() for k, v in texts.items() if v and v.strip()}
            setattr(
                media,
                name,
                check_texts(cleaned, name, required=False, max_length=TEXT_LIMITS[name]),
            )
    if description.licence is not None:
        licence = description.licence.strip() or None
        if licence is not None and not LICENCE.fullmatch(licence):
            raise Invalid(
                Code.INVALID,
                "licence is an SPDX identifier, e.g. CC-BY-4.0, CC-BY-SA-4.0 or CC0-1.0",
                "licence",
            )
        media.licence = licence
    if description.credit is not None:
        credit = description.credit.strip() or None
        if credit is not None and len(credit) > CREDIT_MAX:
            raise Invalid(Code.INVALID, f"credit is longer than {CREDIT_MAX} characters", "credit")
        media.credit = credit
    if media.licence and ATTRIBUTION.match(media.licence) and not media.credit:
        raise Invalid(
            Code.REQUIRED,
            f"{media.licence} requires crediting the author: give a credit line "
            "(e.g. 'Photo: Commune de Hannut')",
            "credit",
        )


async def attach(
    work: UnitOfWork,
    owners: Mapping[str, MediaOwner],
    storage: MediaStorage,
    *,
    owner: Any,
    processed: Processed,
    role: str | None = None,
    description: Description | None = None,
    max_per_object: int,
    stored: list[str],
) -> Media:
    """Attach the checked upload ``processed`` to the object ``owner`` (a global ID) in
    ``work``'s open transaction: its bytes go to ``storage`` now, their keys appended to
    ``stored`` (delete them if the transaction does not commit: :func:`forget`). A new logo
    replaces the object's previous one."""
    session, principal = work.session, work.principal
    kind, key = owner_of(owners, owner)
    await authorise(session, principal, kind, key)
    role = _role(kind, role, processed.kind)
    previous = await _live_media(session, kind.type_name, key, "logo" if role == "logo" else None)
    if role != "logo":
        count = len(previous)
        if count >= max_per_object:
            raise Invalid(
                Code.CONFLICT,
                f"this {kind.type_name} has {count} media, the most allowed "
                "(BOCAGE_MEDIA_MAX_PER_OBJECT): remove one first",
                "owner",
            )
    folder = new_folder()
    original = processed.original
    media = Media(
        owner_type=kind.type_name,
        owner_id=key,
        role=role,
        kind=processed.kind,
        content_type=original.content_type,
        size=len(original.data),
        width=original.width,
        height=original.height,
        sha256=original.sha256,
        storage_key=folder,
        variants={v.name: v.describe() for v in processed.variants},
        filename=processed.filename,
        title={},
        alt={},
        uploaded_by=owner_key(principal.client_id, principal.subject),
    )
    describe(media, description or Description())
    session.add(media)
    await session.flush()
    for variant in processed.variants:
        name = storage_key(folder, variant.name)
        stored.append(name)
        await storage.put(name, variant.data, variant.content_type)
    permission = await event_permission(session, kind, key)
    if role == "logo":
        for old in previous:
            await _remove(work, storage, old, permission)
    await work.record(
        Change(
            row=media,
            action="added",
            changes=column_changes(media, created=True),
            permission=permission,
        )
    )
    return media


async def _live_media(
    session: AsyncSession, owner_type: str, key: int, role: str | None
) -> list[Media]:
    statement = select(Media).where(
        Media.owner_type == owner_type, Media.owner_id == key, Media.deleted_at.is_(None)
    )
    if role is not None:
        statement = statement.where(Media.role == role)
    return list((await session.execute(statement)).scalars())


async def media_for_change(
    session: AsyncSession,
    principal: Principal,
    owners: Mapping[str, MediaOwner],
    value: Any,
    version: int | None = None,
) -> tuple[Media, MediaOwner]:
    """The live medium of the global ID ``value`` (field ``id``), if the caller may edit its
    object; an unknown one and one the caller may not even see are both ``NOT_FOUND``."""
    try:
        type_name, raw = parse_global_id(str(value))
        if type_name != "Media":
            raise ValueError(type_name)
        key = row_key(raw)
    except ValueError:
        raise Invalid(Code.INVALID, f"id: {value!r} is not the ID of a Media", "id") from None
    media = await session.get(Media, key)
    owner = owners.get(media.owner_type) if media is not None else None
    if media is None or media.deleted_at is not None or owner is None:
        raise Invalid(Code.NOT_FOUND, "no media with this ID (or it was removed)", "id")
    if not await may_read(session, principal, owner, media) and not principal.is_anonymous:
        raise Invalid(Code.NOT_FOUND, "no media with this ID (or it was removed)", "id")
    try:
        await authorise(session, principal, owner, media.owner_id)
    except Invalid as error:
        raise Invalid(error.code, error.message, "id") from None
    if version is not None:
        check_version(media, version)
    return media, owner


async def update(
    work: UnitOfWork,
    owners: Mapping[str, MediaOwner],
    value: Any,
    description: Description,
    version: int | None = None,
) -> Change:
    """Change the title, alt text, licence or credit of the medium ``value``."""
    session = work.session
    media, owner = await media_for_change(session, work.principal, owners, value, version)
    describe(media, description)
    await session.flush()
    return Change(
        row=media,
        action="updated",
        changes=column_changes(media),
        permission=await event_permission(session, owner, media.owner_id),
    )


async def remove(
    work: UnitOfWork,
    owners: Mapping[str, MediaOwner],
    storage: MediaStorage,
    value: Any,
    version: int | None = None,
) -> Change:
    """Remove the medium ``value``: the row is archived (the change feed says so), its bytes
    are deleted once that committed."""
    session = work.session
    media, owner = await media_for_change(session, work.principal, owners, value, version)
    permission = await event_permission(session, owner, media.owner_id)
    return _removal(work, storage, media, permission)


def _removal(
    work: UnitOfWork, storage: MediaStorage, media: Media, permission: str | None
) -> Change:
    media.deleted_at = utcnow()
    variants = [storage_key(media.storage_key, name) for name in media.variants]

    async def delete_bytes() -> None:
        for name in variants:
            await storage.delete(name)

    work.after_commit(delete_bytes)
    return Change(row=media, action="removed", changes=column_changes(media), permission=permission)


async def _remove(
    work: UnitOfWork, storage: MediaStorage, media: Media, permission: str | None
) -> None:
    await work.record(_removal(work, storage, media, permission))


async def forget(storage: MediaStorage, stored: list[str]) -> None:
    """Delete the bytes :func:`attach` stored for a transaction that did not commit."""
    for name in stored:
        await storage.delete(name)
