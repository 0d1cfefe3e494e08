"""GraphQL of media: the ``Media`` type, the ``media`` (and ``logo``) fields of the objects
they are attached to, and the mutations that describe or remove one. Files are uploaded over
REST (``POST /api/media``, multipart), which answers with the new medium's global ID."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from strawberry import relay
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.domain.errors import Code, Invalid
from bocage.core.graphql.i18n import translated
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    TranslationsInput,
    error_codes,
    given,
    unit_of_work,
)
from bocage.core.graphql.nodes import RowType
from bocage.core.graphql.personal import Forbidden
from bocage.core.media import operations

#: Where a medium's variants are served (``{key}``: its database key).
URL = "/api/media/{key}/{variant}"


@strawberry.enum(description="What a medium is for on its object.")
class MediaRole(Enum):
    GALLERY = "gallery"
    DOCUMENT = "document"
    LOGO = "logo"
    SLIDES = "slides"


@strawberry.enum(description="What a medium is: an image (with a thumbnail) or a document.")
class MediaKind(Enum):
    IMAGE = "image"
    DOCUMENT = "document"


@strawberry.type(
    description="An image or document attached to an object, served over HTTP at `url` "
    "(images also at `thumbnailUrl`), with its licence and credit. Upload with "
    "POST /api/media (docs/media.md)."
)
class Media(RowType, relay.Node):
    model = m.Media
    row: strawberry.Private[m.Media]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    role: MediaRole
    kind: MediaKind
    content_type: str = strawberry.field(description="Read from the file, e.g. image/jpeg.")
    size: int = strawberry.field(description="Bytes of the file served at `url`.")
    width: int | None = strawberry.field(description="Pixels of the image at `url`.")
    height: int | None
    filename: str = strawberry.field(description="The name it is downloaded as.")
    licence: str | None = strawberry.field(
        description="SPDX identifier of its licence (CC-BY-4.0...); null: all rights reserved."
    )
    credit: str | None = strawberry.field(description="Who to credit when reusing it.")
    created_at: dt.datetime
    updated_at: dt.datetime
    title, title_translations = translated("title", "Its title.")
    alt, alt_translations = translated(
        "alt", "Alternative text of an image (what a screen reader says)."
    )

    @classmethod
    def from_row(cls, row: Any) -> Media:
        return cls(
            row=row,
            id=row.id,
            version=row.version,
            role=MediaRole(row.role),
            kind=MediaKind(row.kind),
            content_type=row.content_type,
            size=row.size,
            width=row.width,
            height=row.height,
            filename=row.filename,
            licence=row.licence,
            credit=row.credit,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Path of the file (an image: at most the configured size).")
    def url(self) -> str:
        return URL.format(key=self.row.id, variant="original")

    @strawberry.field(description="Path of a small version of an image (null: a document).")
    def thumbnail_url(self) -> str | None:
        if "thumbnail" not in self.row.variants:
            return None
        return URL.format(key=self.row.id, variant="thumbnail")

    @strawberry.field(
        description="Who uploaded it (subject:<sub> or client:<id>): personal data, for "
        "those who may edit its object.",
        metadata=cost(1),
    )
    async def uploaded_by(self, info: Info) -> str | None:
        if not await _may_edit(info, self.row):
            raise Forbidden("who uploaded a medium is for those who may edit its object")
        return self.row.uploaded_by

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info[Any, Any], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        nodes = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        context = info.context
        owners = context.host.media_owners()
        async with context.sessionmaker() as session:
            return [
                node
                if node is not None
                and await operations.may_read(
                    session, context.principal, owners.get(node.row.owner_type), node.row
                )
                else None
                for node in nodes
            ]


async def _may_edit(info: Info[Any, Any], row: m.Media) -> bool:
    context = info.context
    owner = context.host.media_owners().get(row.owner_type)
    if owner is None or context.principal.is_anonymous:
        return False
    async with context.sessionmaker() as session:
        try:
            await operations.authorise(session, context.principal, owner, row.owner_id)
        except Invalid:
            return False
    return True


def _media_loader(info: Info[Any, Any], owner_type: str) -> Any:
    context = info.context

    async def load(keys: Sequence[int]) -> list[list[m.Media]]:
        rows = await context.execute(
            select(m.Media)
            .where(
                m.Media.owner_type == owner_type,
                m.Media.owner_id.in_(keys),
                m.Media.deleted_at.is_(None),
            )
            .order_by(m.Media.created_at, m.Media.id)
        )
        grouped: dict[int, list[m.Media]] = defaultdict(list)
        for row in rows.scalars():
            grouped[row.owner_id].append(row)
        return [grouped[k] for k in keys]

    return context.loader(("media", owner_type), load)


async def media_of(
    info: Info[Any, Any], owner_type: str, key: int, role: MediaRole | str | None = None
) -> list[Media]:
    """The live media of the object ``key`` of the GraphQL type ``owner_type``, oldest first
    (only those of ``role`` if given), through a DataLoader. The caller shows them only on an
    object the caller may see."""
    wanted = role.value if isinstance(role, MediaRole) else role
    rows = await _media_loader(info, owner_type).load(key)
    return [Media.from_row(r) for r in rows if wanted is None or r.role == wanted]


@strawberry.type
class MediaFields:
    """The ``media`` field of a type whose objects take media (mixed into the type)."""

    @strawberry.field(
        description="Images and documents attached to it, oldest first (only those of "
        "`role` if given).",
        metadata=cost(1, items=5),
    )
    async def media(self, info: Info, role: MediaRole | None = None) -> list[Media]:
        name = type(self).__strawberry_definition__.name  # type: ignore[attr-defined]
        return await media_of(info, name, self.id, role)  # type: ignore[attr-defined]


@strawberry.type
class LogoField:
    """The ``logo`` field of a type whose objects have one (an organisation)."""

    @strawberry.field(description="Its logo (an image), if it has one.", metadata=cost(1))
    async def logo(self, info: Info) -> Media | None:
        name = type(self).__strawberry_definition__.name  # type: ignore[attr-defined]
        found = await media_of(info, name, self.id, MediaRole.LOGO)  # type: ignore[attr-defined]
        return found[-1] if found else None


# -- mutations -------------------------------------------------------------------------------

MediaErrorCode = error_codes("MediaErrorCode", "Why a media mutation failed.")


@strawberry.type(description="A problem with a media mutation's input.")
class MediaError:
    field: str | None
    code: MediaErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="The medium, or the errors that prevented the change.")
class MediaPayload:
    media: Media | None
    errors: list[MediaError]


@strawberry.input(description="New title, alternative text, licence or credit of a medium.")
class UpdateMediaInput:
    id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="The version you read; a stale one is refused (CONFLICT)."
    )
    title: TranslationsInput | None = strawberry.UNSET
    alt: TranslationsInput | None = strawberry.field(
        default=strawberry.UNSET, description="Alternative text of an image, per language."
    )
    licence: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="SPDX identifier (CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0...); null: none. "
        "A CC-BY licence needs a credit.",
    )
    credit: str | None = strawberry.field(
        default=strawberry.UNSET, description="Who to credit, e.g. 'Photo: Commune de Hannut'."
    )


@strawberry.input(description="The medium to remove.")
class RemoveMediaInput:
    id: strawberry.ID
    version: int | None = None


def _texts(value: TranslationsInput | None) -> dict[str, str]:
    return value.as_dict() if value is not None else {}


def _payload(row: m.Media | None, errors: list[Invalid]) -> MediaPayload:
    return MediaPayload(
        media=Media.from_row(row) if row is not None else None,
        errors=[
            MediaError(field=e.field, code=MediaErrorCode[e.code.name], message=e.message)
            for e in errors
        ],
    )


async def _run(info: Info, change: Any) -> MediaPayload:
    work = unit_of_work(info)
    if work.principal.is_anonymous:
        error = Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")
        return _payload(None, [error])
    try:
        async with work:
            done = await change(work)
            await work.record(done)
    except Invalid as error:
        return _payload(None, [error])
    except StaleDataError:
        stale = Invalid(
            Code.CONFLICT, "changed by someone else meanwhile: read it again and retry", "version"
        )
        return _payload(None, [stale])
    return _payload(done.row, [])


@strawberry.type
class MediaMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Change the title, alternative text, licence or credit of a medium "
        "(whoever may edit its object).",
    )
    async def update_media(self, info: Info, input: UpdateMediaInput) -> MediaPayload:
        description = operations.Description(
            title=_texts(input.title) if given(input.title) else None,
            alt=_texts(input.alt) if given(input.alt) else None,
            licence=(input.licence or "") if given(input.licence) else None,
            credit=(input.credit or "") if given(input.credit) else None,
        )
        owners = info.context.host.media_owners()
        return await _run(
            info,
            lambda work: operations.update(work, owners, input.id, description, input.version),
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Remove a medium (whoever may edit its object); its files are deleted.",
    )
    async def remove_media(self, info: Info, input: RemoveMediaInput) -> MediaPayload:
        host = info.context.host
        return await _run(
            info,
            lambda work: operations.remove(
                work, host.media_owners(), host.media_storage(), input.id, input.version
            ),
        )
