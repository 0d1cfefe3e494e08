"""Media: images and documents attached to projects, organisations and plugins' objects
(``bocage.core.media``); their bytes live in the media storage, not in the database.

Revision ID: 0014_media
Revises: 0013_places
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_media"
down_revision: str | Sequence[str] | None = "0013_places"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=60), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("variants", JSON, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("title", JSON, nullable=False),
        sa.Column("alt", JSON, nullable=False),
        sa.Column("licence", sa.String(length=60), nullable=True),
        sa.Column("credit", sa.String(length=300), nullable=True),
        sa.Column("uploaded_by", sa.String(length=220), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_media_storage_key")),
    )
    op.create_index("ix_media_owner", "media", ["owner_type", "owner_id"])
    op.create_index(op.f("ix_media_created_at"), "media", ["created_at"])
    op.create_index(op.f("ix_media_updated_at"), "media", ["updated_at"])


def downgrade() -> None:
    op.drop_table("media")
