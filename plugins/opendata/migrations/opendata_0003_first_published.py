"""opendata: an uploaded dataset keeps the date it was first published (``dct:issued``).

Withdrawing a dataset clears ``published_at``; republishing it set a new one, which moved its
``dct:issued`` forward. ``first_published_at`` is set once, at the first publication, and
never changes; the datasets published so far start from their current date.

Revision ID: opendata_0003_issued
Revises: opendata_0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "opendata_0003_issued"
down_revision: str | Sequence[str] | None = "opendata_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("opendata_dataset") as batch:
        batch.add_column(sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE opendata_dataset SET first_published_at = published_at")


def downgrade() -> None:
    with op.batch_alter_table("opendata_dataset") as batch:
        batch.drop_column("first_published_at")
