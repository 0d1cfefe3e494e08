"""surveys: sealed invitations (their token only ever e-mailed), and which pending anonymous
responses came through one (only those complete a batch of each other).

Revision ID: surveys_0004
Revises: surveys_0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "surveys_0004"
down_revision: str | Sequence[str] | None = "surveys_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing invitations and pending responses are not sealed: their tokens were returned
    # to the manager who made them.
    for table in ("surveys_invitation", "surveys_pending_response"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("sealed", sa.Boolean(), nullable=False, server_default=sa.false())
            )


def downgrade() -> None:
    for table in ("surveys_pending_response", "surveys_invitation"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("sealed")
