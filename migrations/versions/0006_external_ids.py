"""Stable external IDs for the spreadsheet import: re-importing a file updates, never duplicates.

Each imported table gets ``external_source`` (the namespace: a system's name, a commune's NIS
code) and ``external_id`` (the row's key in that system), unique together.

Revision ID: 0006_external_ids
Revises: 0005_jobs_webhooks
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_external_ids"
# Re-chained onto 0004 when the branches are merged.
down_revision: str | Sequence[str] | None = "0005_jobs_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "project",
    "stakeholder",
    "contact",
    "strategic_plan",
    "strategic_objective",
    "operational_objective",
    "pst_action",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("external_source", sa.String(100), nullable=True))
            batch.add_column(sa.Column("external_id", sa.String(200), nullable=True))
        op.create_index(
            f"uq_{table}_external", table, ["external_source", "external_id"], unique=True
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"uq_{table}_external", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("external_id")
            batch.drop_column("external_source")
