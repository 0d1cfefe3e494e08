"""Background jobs, the event-log relay's cursor, webhook subscriptions and their delivery log.

Revision ID: 0005_jobs_webhooks
Revises: 0004_event_log
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0005_jobs_webhooks"
down_revision: str | Sequence[str] | None = "0004_event_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("run_at", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("locked_by", sa.String(length=120), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_job_due", "job", ["status", "run_at"])
    op.create_table(
        "job_cursor",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("position", BIG_KEY, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_cursor")),
    )
    # The webhook relay starts after the events that exist now (no subscription exists yet).
    op.execute(
        "INSERT INTO job_cursor (name, position) "
        "SELECT 'webhooks', COALESCE(MAX(id), 0) FROM event_log"
    )
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", TIMESTAMP, nullable=True),
        sa.Column("owner_subject", sa.String(length=200), nullable=True),
        sa.Column("owner_client_id", sa.String(length=100), nullable=True),
        sa.Column("permissions", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    op.create_index(
        op.f("ix_webhook_subscription_created_at"), "webhook_subscription", ["created_at"]
    )
    op.create_index(
        op.f("ix_webhook_subscription_updated_at"), "webhook_subscription", ["updated_at"]
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_log_id", BIG_KEY, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("job_id", BIG_KEY, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_response", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint(
            "subscription_id", "event_log_id", name=op.f("uq_webhook_delivery_subscription_id")
        ),
    )
    op.create_index(
        "ix_webhook_delivery_subscription", "webhook_delivery", ["subscription_id", "id"]
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("delivery_id", BIG_KEY, nullable=False),
        sa.Column("attempted_at", TIMESTAMP, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index("ix_webhook_attempt_delivery", "webhook_attempt", ["delivery_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_delivery", table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_delivery_subscription", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index(op.f("ix_webhook_subscription_updated_at"), table_name="webhook_subscription")
    op.drop_index(op.f("ix_webhook_subscription_created_at"), table_name="webhook_subscription")
    op.drop_table("webhook_subscription")
    op.drop_table("job_cursor")
    op.drop_index("ix_job_due", table_name="job")
    op.drop_table("job")
