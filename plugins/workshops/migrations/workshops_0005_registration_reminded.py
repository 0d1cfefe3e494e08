"""workshops: when a registrant was reminded of the event (a reminder is sent once).

Revision ID: workshops_0005
Revises: workshops_0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workshops_0005"
down_revision: str | Sequence[str] | None = "workshops_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshops_registration") as batch:
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workshops_registration") as batch:
        batch.drop_column("reminded_at")
