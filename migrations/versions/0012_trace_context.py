"""The W3C trace context (``traceparent``...) kept with each job and each event when tracing is
on (``BOCAGE_TRACING_ENABLED``), so that a job's run and an event's webhook deliveries continue
the trace of the request that caused them. On PostgreSQL jobs are procrastinate's and keep it
in their ``args``.

Revision ID: 0012_trace_context
Revises: 0011_event_owner
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_trace_context"
down_revision: str | Sequence[str] | None = "0011_event_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite too): a batch rebuild would lose the tables' AUTOINCREMENT.
    op.add_column("job", sa.Column("trace_context", JSON, nullable=True))
    op.add_column("event_log", sa.Column("trace_context", JSON, nullable=True))


def downgrade() -> None:
    # SQLite rebuilds a table to drop a column: keep its AUTOINCREMENT (ids never reused).
    for table in ("event_log", "job"):
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("trace_context")
