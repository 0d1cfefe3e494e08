"""Events carry the scope of their row, so that they reach only those who may read it.

``event_log.scoped`` and ``scope_stakeholder_id``, and ``event_scope_commune`` (the row's
communes' NIS codes); ``webhook_subscription.reach``, the rows the subscriber reached when it
saved the subscription. Existing contact events get their contact's organisation and its
communes as they are now (a contact that no longer exists: no organisation, no commune, so only
administrators and integrators restricted to no commune learn of it). Existing subscriptions
get no reach: they receive no event about a scoped row until saved again.

Revision ID: 0008_event_scope
Revises: 0007_procrastinate
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0008_event_scope"
down_revision: str | Sequence[str] | None = "0007_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite too): a batch rebuild would lose the table's AUTOINCREMENT.
    op.add_column(
        "event_log",
        sa.Column("scoped", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("event_log", sa.Column("scope_stakeholder_id", sa.Integer(), nullable=True))
    op.create_table(
        "event_scope_commune",
        sa.Column("event_log_id", BIG_KEY, nullable=False),
        sa.Column("nis_code", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_log_id"],
            ["event_log.id"],
            name=op.f("fk_event_scope_commune_event_log_id_event_log"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_log_id", "nis_code", name=op.f("pk_event_scope_commune")),
    )
    op.add_column("webhook_subscription", sa.Column("reach", JSON, nullable=True))
    # The contacts' events recorded so far: their organisation and its communes, as now.
    op.execute(
        "UPDATE event_log SET scoped = true, scope_stakeholder_id = "
        "(SELECT contact.stakeholder_id FROM contact WHERE contact.id = event_log.object_id) "
        "WHERE object_type = 'Contact'"
    )
    op.execute(
        "INSERT INTO event_scope_commune (event_log_id, nis_code) "
        "SELECT DISTINCT event_log.id, commune.nis_code FROM event_log "
        "JOIN stakeholder_commune "
        "ON stakeholder_commune.stakeholder_id = event_log.scope_stakeholder_id "
        "JOIN commune ON commune.id = stakeholder_commune.commune_id "
        "WHERE event_log.object_type = 'Contact'"
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.drop_column("reach")
    op.drop_table("event_scope_commune")
    # SQLite rebuilds the table to drop columns: keep its AUTOINCREMENT (ids never reused).
    with op.batch_alter_table("event_log", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("scope_stakeholder_id")
        batch.drop_column("scoped")
