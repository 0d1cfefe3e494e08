"""The event log: transactional outbox and change feed.

Revision ID: 0004_event_log
Revises: 0003_auth
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0004_event_log"
down_revision: str | Sequence[str] | None = "0003_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("id", BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("permission", sa.String(length=80), nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_log_event_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_log_object", "event_log", ["object_type", "id"])
    op.create_index(op.f("ix_event_log_type"), "event_log", ["type"])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_log_type"), table_name="event_log")
    op.drop_index("ix_event_log_object", table_name="event_log")
    op.drop_table("event_log")
