"""Media: an image or a document attached to an object (a project, an organisation, a plugin's
event or workshop), its variants kept by the storage (``bocage.core.media.storage``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, JSONType, SoftDeletable, Timestamped, Versioned, personal


class Media(Versioned, Timestamped, SoftDeletable, Base):
    """One uploaded file. Its bytes are never kept here: ``storage_key`` names the folder of
    its variants in the storage (``<storage_key>/<variant>``), all made by the core from the
    checked upload (images re-encoded without their metadata, documents as sent)."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The GraphQL type of the object it is attached to (``Project``, ``WorkshopsEvent``...).
    owner_type: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[int] = mapped_column(Integer)
    #: ``gallery`` (any object), ``logo`` (an organisation's, one at most), ``slides`` (a
    #: speaker's, on an event), ``document``.
    role: Mapped[str] = mapped_column(String(20))
    #: ``image`` or ``document``.
    kind: Mapped[str] = mapped_column(String(20))
    #: The type sniffed from the bytes (never the client's): ``image/jpeg``, ``application/pdf``.
    content_type: Mapped[str] = mapped_column(String(100))
    #: Bytes of the ``original`` variant (as served).
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    #: SHA-256 of the ``original`` variant as served (its ETag).
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    #: ``{variant: {"bytes", "width", "height", "sha256", "contentType"}}``.
    variants: Mapped[dict[str, dict[str, object]]] = mapped_column(JSONType, default=dict)
    #: The file name to download it as: a safe one made from the client's (no path, ASCII).
    filename: Mapped[str] = mapped_column(String(200))
    title: Mapped[dict[str, str]] = mapped_column(default=dict)
    #: Alternative text of an image, per language (what a screen reader says).
    alt: Mapped[dict[str, str]] = mapped_column(default=dict)
    #: SPDX identifier of its licence (``CC-BY-4.0``), or ``None``: all rights reserved.
    licence: Mapped[str | None] = mapped_column(String(60), default=None)
    #: Who to credit (``Photo: Commune de Hannut``).
    credit: Mapped[str | None] = mapped_column(String(300), default=None)
    #: Who uploaded it (``subject:<sub>`` or ``client:<id>``): personal data.
    uploaded_by: Mapped[str | None] = personal(String(220), default=None)
