"""opendata: uploaded datasets, their versions (file, schema, checksum) and rows.

Revision ID: opendata_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")

revision: str = "opendata_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("opendata",)
depends_on: str | Sequence[str] | None = "0003_auth"


def upgrade() -> None:
    op.create_table(
        "opendata_dataset",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("identifier", sa.String(80), nullable=False),
        sa.Column("commune_nis", sa.String(5), nullable=True),
        sa.Column("meta", JSON, nullable=False),
        sa.Column("table_schema", JSON, nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=True),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opendata_dataset"),
        sa.UniqueConstraint("identifier", name="uq_opendata_dataset_identifier"),
    )
    op.create_index("ix_opendata_dataset_created_at", "opendata_dataset", ["created_at"])
    op.create_index("ix_opendata_dataset_updated_at", "opendata_dataset", ["updated_at"])
    op.create_table(
        "opendata_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "dataset_id",
            sa.Integer(),
            sa.ForeignKey(
                "opendata_dataset.id",
                name="fk_opendata_version_dataset_id_opendata_dataset",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("table_schema", JSON, nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opendata_version"),
        sa.UniqueConstraint("dataset_id", "number", name="uq_opendata_version_dataset_id"),
    )
    op.create_index("ix_opendata_version_dataset_id", "opendata_version", ["dataset_id"])
    op.create_table(
        "opendata_row",
        sa.Column(
            "version_id",
            sa.Integer(),
            sa.ForeignKey(
                "opendata_version.id",
                name="fk_opendata_row_version_id_opendata_version",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "row_number", name="pk_opendata_row"),
    )


def downgrade() -> None:
    op.drop_table("opendata_row")
    op.drop_index("ix_opendata_version_dataset_id", table_name="opendata_version")
    op.drop_table("opendata_version")
    op.drop_index("ix_opendata_dataset_updated_at", table_name="opendata_dataset")
    op.drop_index("ix_opendata_dataset_created_at", table_name="opendata_dataset")
    op.drop_table("opendata_dataset")
