"""Events about a row that belongs to one client or person (a webhook subscription) reach only
that owner and administrators: ``event_log.scope_owner`` (``client:<id>`` or
``subject:<sub>``). The subscriptions' lifecycle events recorded so far get an owner no reader
has (their subscription may be gone, and SQLite reuses a deleted row's key): only
administrators learn of them.

Revision ID: 0011_event_owner
Revises: 0010_permission_grants
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_event_owner"
down_revision: str | Sequence[str] | None = "0010_permission_grants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite too): a batch rebuild would lose the table's AUTOINCREMENT.
    op.add_column("event_log", sa.Column("scope_owner", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE event_log SET scope_owner = 'unknown:' WHERE object_type = 'WebhookSubscription'"
    )


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column: keep its AUTOINCREMENT (ids never reused).
    with op.batch_alter_table("event_log", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("scope_owner")
