"""workshops: the language of a registration (its e-mails).

Revision ID: workshops_0003
Revises: workshops_0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workshops_0003"
down_revision: str | Sequence[str] | None = "workshops_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshops_registration") as batch:
        batch.add_column(sa.Column("language", sa.String(2), nullable=False, server_default="fr"))


def downgrade() -> None:
    with op.batch_alter_table("workshops_registration") as batch:
        batch.drop_column("language")
