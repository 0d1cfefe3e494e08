"""voice: when supports were withdrawn (nobody's), for the open-data dataset's last change.

Revision ID: voice_0002
Revises: voice_0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "voice_0002"
down_revision: str | Sequence[str] | None = "voice_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_support_withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_key", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_support_withdrawal")),
    )
    op.create_index(
        op.f("ix_voice_support_withdrawal_withdrawn_at"),
        "voice_support_withdrawal",
        ["withdrawn_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_voice_support_withdrawal_withdrawn_at"), table_name="voice_support_withdrawal"
    )
    op.drop_table("voice_support_withdrawal")
