"""Several GALs on one installation: the history of the GALs each commune belonged to
(``territory_membership``, started from each commune's current territory), the territories
an OAuth client acts for, and the territory of an event about a row of no commune.

Revision ID: 0016_tenancy
Revises: 0015_sdg_targets
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_tenancy"
down_revision: str | Sequence[str] | None = "0015_sdg_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "territory_membership",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "commune_id",
            sa.Integer(),
            sa.ForeignKey("commune.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "territory_id",
            sa.Integer(),
            sa.ForeignKey("territory.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
    )
    op.create_index(
        "ix_territory_membership_commune", "territory_membership", ["commune_id", "joined_on"]
    )
    op.create_index(
        "ix_territory_membership_territory_id", "territory_membership", ["territory_id"]
    )
    op.execute(
        "INSERT INTO territory_membership (commune_id, territory_id) "
        "SELECT id, territory_id FROM commune WHERE territory_id IS NOT NULL"
    )
    # Plain ADD COLUMN (SQLite too): a batch rebuild would lose the tables' AUTOINCREMENT.
    op.add_column(
        "oauth_client",
        sa.Column("territories", JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("event_log", sa.Column("scope_territory_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("event_log", "scope_territory_id")
    op.drop_column("oauth_client", "territories")
    op.drop_index("ix_territory_membership_territory_id", "territory_membership")
    op.drop_index("ix_territory_membership_commune", "territory_membership")
    op.drop_table("territory_membership")
