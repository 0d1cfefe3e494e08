"""Permissions administrators grant to roles (grantPermission), globally or per commune.

Revision ID: 0010_permission_grants
Revises: 0009_persisted_documents
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0010_permission_grants"
down_revision: str | Sequence[str] | None = "0009_persisted_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "permission_grant",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["commune.id"],
            name=op.f("fk_permission_grant_commune_id_commune"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permission_grant")),
    )
    op.create_index("ix_permission_grant_role", "permission_grant", ["role", "permission"])


def downgrade() -> None:
    op.drop_index("ix_permission_grant_role", table_name="permission_grant")
    op.drop_table("permission_grant")
