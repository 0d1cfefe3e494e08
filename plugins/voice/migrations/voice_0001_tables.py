"""voice: comments (threads), supports, reports, the moderation log, digest subscriptions.

Revision ID: voice_0001
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "voice_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("voice",)
# Digests read the event log (0004); nothing here refers to the core's tables.
depends_on: str | Sequence[str] | None = "0004_event_log"


def upgrade() -> None:
    op.create_table(
        "voice_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_key", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("author_subject", sa.String(length=200), nullable=True),
        sa.Column("alias", sa.String(length=60), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_at", TIMESTAMP, nullable=True),
        sa.Column("hidden_at", TIMESTAMP, nullable=True),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["voice_comment.id"],
            name=op.f("fk_voice_comment_parent_id_voice_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_comment")),
    )
    op.create_index(
        op.f("ix_voice_comment_author_subject"), "voice_comment", ["author_subject"], unique=False
    )
    op.create_index(
        op.f("ix_voice_comment_created_at"), "voice_comment", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_voice_comment_parent_id"), "voice_comment", ["parent_id"], unique=False
    )
    op.create_index(
        "ix_voice_comment_target",
        "voice_comment",
        ["target_type", "target_key", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_voice_comment_updated_at"), "voice_comment", ["updated_at"], unique=False
    )
    op.create_table(
        "voice_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_subject", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("scope_key", sa.Integer(), nullable=False),
        sa.Column("consent_at", TIMESTAMP, nullable=False),
        sa.Column("consent_version", sa.String(length=40), nullable=False),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("unsubscribed_at", TIMESTAMP, nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("last_digest_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_subscription")),
        sa.UniqueConstraint(
            "owner_subject", "scope", "scope_key", name=op.f("uq_voice_subscription_owner_subject")
        ),
    )
    op.create_index(
        op.f("ix_voice_subscription_created_at"), "voice_subscription", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_voice_subscription_owner_subject"),
        "voice_subscription",
        ["owner_subject"],
        unique=False,
    )
    op.create_index(
        op.f("ix_voice_subscription_updated_at"), "voice_subscription", ["updated_at"], unique=False
    )
    op.create_table(
        "voice_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_key", sa.Integer(), nullable=False),
        sa.Column("supporter_subject", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_support")),
        sa.UniqueConstraint(
            "target_type",
            "target_key",
            "supporter_subject",
            name=op.f("uq_voice_support_target_type"),
        ),
    )
    op.create_index(
        op.f("ix_voice_support_supporter_subject"),
        "voice_support",
        ["supporter_subject"],
        unique=False,
    )
    op.create_table(
        "voice_moderation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("moderator_subject", sa.String(length=200), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["voice_comment.id"],
            name=op.f("fk_voice_moderation_comment_id_voice_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_moderation")),
    )
    op.create_index(
        op.f("ix_voice_moderation_comment_id"), "voice_moderation", ["comment_id"], unique=False
    )
    op.create_index(
        op.f("ix_voice_moderation_moderator_subject"),
        "voice_moderation",
        ["moderator_subject"],
        unique=False,
    )
    op.create_table(
        "voice_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("reporter_subject", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("details", sa.String(length=500), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["voice_comment.id"],
            name=op.f("fk_voice_report_comment_id_voice_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_report")),
        sa.UniqueConstraint(
            "comment_id", "reporter_subject", name=op.f("uq_voice_report_comment_id")
        ),
    )
    op.create_index(
        op.f("ix_voice_report_comment_id"), "voice_report", ["comment_id"], unique=False
    )
    op.create_index(
        op.f("ix_voice_report_reporter_subject"), "voice_report", ["reporter_subject"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_voice_report_reporter_subject"), table_name="voice_report")
    op.drop_index(op.f("ix_voice_report_comment_id"), table_name="voice_report")
    op.drop_table("voice_report")
    op.drop_index(op.f("ix_voice_moderation_moderator_subject"), table_name="voice_moderation")
    op.drop_index(op.f("ix_voice_moderation_comment_id"), table_name="voice_moderation")
    op.drop_table("voice_moderation")
    op.drop_index(op.f("ix_voice_support_supporter_subject"), table_name="voice_support")
    op.drop_table("voice_support")
    op.drop_index(op.f("ix_voice_subscription_updated_at"), table_name="voice_subscription")
    op.drop_index(op.f("ix_voice_subscription_owner_subject"), table_name="voice_subscription")
    op.drop_index(op.f("ix_voice_subscription_created_at"), table_name="voice_subscription")
    op.drop_table("voice_subscription")
    op.drop_index(op.f("ix_voice_comment_updated_at"), table_name="voice_comment")
    op.drop_index("ix_voice_comment_target", table_name="voice_comment")
    op.drop_index(op.f("ix_voice_comment_parent_id"), table_name="voice_comment")
    op.drop_index(op.f("ix_voice_comment_created_at"), table_name="voice_comment")
    op.drop_index(op.f("ix_voice_comment_author_subject"), table_name="voice_comment")
    op.drop_table("voice_comment")
