"""SDG targets on projects: the official codes (``11.3``, ``1.a``) of the UN's 169 targets a
project serves, beside the goals it already had (``sdgs``). Existing projects get none.

Revision ID: 0015_sdg_targets
Revises: 0014_media
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_sdg_targets"
down_revision: str | Sequence[str] | None = "0014_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite too): a batch rebuild would lose the table's AUTOINCREMENT.
    op.add_column(
        "project",
        sa.Column("sdg_targets", JSON, nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ too): a batch rebuild of the table would lose its
    # full-text search triggers.
    op.drop_column("project", "sdg_targets")
