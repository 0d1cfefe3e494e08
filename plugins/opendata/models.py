"""The plugin's tables: datasets uploaded by communes, their versions and their rows.

A version keeps the file as it was uploaded (downloadable for ever at an immutable URL named
by its SHA-256), the Table Schema it was validated against and its rows, one JSON object per
row: the records API and the exports read them through typed expressions (see
:mod:`bocage.plugins.opendata.uploads`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.api import Base, Timestamped

#: JSON on SQLite, JSONB on PostgreSQL (its ``->>`` is what the records API filters on).
Json = JSON().with_variant(JSONB(), "postgresql")


class UploadedDataset(Base, Timestamped):
    """A dataset a commune (or the GAL) uploads: its metadata, its schema, whether published."""

    __tablename__ = "opendata_dataset"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(80), unique=True)
    #: NIS code of the publishing commune; ``None``: the GAL itself.
    commune_nis: Mapped[str | None] = mapped_column(String(5), default=None)
    #: The territory (GAL) of a dataset of no commune, whose publishers manage it once the
    #: installation holds several (docs/tenancy.md); ``None``: operators'. A commune's dataset
    #: belongs to its commune's territory, whatever this says.
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), default=None, index=True
    )
    #: title, description, keywords, theme, licence, access rights, frequency, temporal
    #: coverage, coordinates: see :class:`bocage.plugins.opendata.uploads.UploadMetadata`.
    meta: Mapped[dict[str, Any]] = mapped_column(Json)
    #: The Table Schema the next upload is validated against (edited after an inference, or
    #: supplied); ``None``: inferred from the file.
    table_schema: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    current_version: Mapped[int | None] = mapped_column(default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: When it was first published (``dct:issued``): withdrawing and republishing keep it.
    first_published_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class UploadVersion(Base):
    """One accepted upload of a dataset (re-uploading makes the next version)."""

    __tablename__ = "opendata_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("opendata_dataset.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(10))  # csv or xlsx
    sha256: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    table_schema: Mapped[dict[str, Any]] = mapped_column(Json)
    row_count: Mapped[int]
    uploaded_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime]


class UploadRow(Base):
    """A row of a version: ``data`` maps field names to JSON values (dates as ISO text)."""

    __tablename__ = "opendata_row"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("opendata_version.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(Json)
