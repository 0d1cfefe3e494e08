"""testplugin: notes table

Revision ID: tp_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "tp_0001"
down_revision = None
branch_labels = ("testplugin",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "testplugin_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("commune_id", sa.Integer(), sa.ForeignKey("commune.id", ondelete="CASCADE")),
        sa.Column("text", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("testplugin_note")
