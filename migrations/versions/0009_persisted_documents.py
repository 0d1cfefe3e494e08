"""Persisted GraphQL documents: automatic persisted queries shared by every worker, and the
trusted documents operators register with `bocage documents register`.

Revision ID: 0009_persisted_documents
Revises: 0008_event_scope
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0009_persisted_documents"
down_revision: str | Sequence[str] | None = "0008_event_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persisted_document",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("trusted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_persisted_document")),
    )


def downgrade() -> None:
    op.drop_table("persisted_document")
