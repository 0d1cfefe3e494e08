"""workshops: events, agenda items, speakers, registrations.

Revision ID: workshops_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "workshops_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("workshops",)
depends_on: str | Sequence[str] | None = "0003_auth"


def upgrade() -> None:
    op.create_table(
        "workshops_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(120), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("online_url", sa.String(500), nullable=True),
        sa.Column("organiser_id", sa.Integer(), nullable=True),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("series", sa.String(120), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["commune.id"],
            name="fk_workshops_event_commune_id_commune",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name="fk_workshops_event_territory_id_territory",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["stakeholder.id"],
            name="fk_workshops_event_organiser_id_stakeholder",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_workshops_event"),
        sa.UniqueConstraint("uid", name="uq_workshops_event_uid"),
    )
    for column in ("starts_at", "commune_id", "territory_id", "series", "created_at", "updated_at"):
        op.create_index(f"ix_workshops_event_{column}", "workshops_event", [column])
    op.create_table(
        "workshops_speaker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=True),
        sa.Column("stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["workshops_event.id"],
            name="fk_workshops_speaker_event_id_workshops_event",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name="fk_workshops_speaker_stakeholder_id_stakeholder",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_workshops_speaker"),
    )
    op.create_index("ix_workshops_speaker_event_id", "workshops_speaker", ["event_id"])
    op.create_table(
        "workshops_agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("speaker_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["workshops_event.id"],
            name="fk_workshops_agenda_item_event_id_workshops_event",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"],
            ["workshops_speaker.id"],
            name="fk_workshops_agenda_item_speaker_id_workshops_speaker",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_workshops_agenda_item"),
    )
    op.create_index("ix_workshops_agenda_item_event_id", "workshops_agenda_item", ["event_id"])
    op.create_table(
        "workshops_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("registrant_subject", sa.String(200), nullable=True),
        sa.Column("attendee_name", sa.String(200), nullable=True),
        sa.Column("attendee_email", sa.String(320), nullable=True),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(40), nullable=True),
        sa.Column("cancel_token_hash", sa.String(64), nullable=False),
        sa.Column("check_in_code", sa.String(12), nullable=False),
        sa.Column("checked_in_at", TIMESTAMP, nullable=True),
        sa.Column("promoted_at", TIMESTAMP, nullable=True),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["workshops_event.id"],
            name="fk_workshops_registration_event_id_workshops_event",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["commune.id"],
            name="fk_workshops_registration_commune_id_commune",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_workshops_registration"),
        sa.UniqueConstraint(
            "cancel_token_hash", name="uq_workshops_registration_cancel_token_hash"
        ),
        sa.UniqueConstraint("event_id", "check_in_code", name="uq_workshops_registration_event_id"),
    )
    for column in ("event_id", "created_at", "updated_at"):
        op.create_index(f"ix_workshops_registration_{column}", "workshops_registration", [column])


def downgrade() -> None:
    op.drop_table("workshops_registration")
    op.drop_table("workshops_agenda_item")
    op.drop_table("workshops_speaker")
    op.drop_table("workshops_event")
