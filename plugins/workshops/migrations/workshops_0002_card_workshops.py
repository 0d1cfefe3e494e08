"""workshops: partner stakeholders of events; the challenge-card workshop (participants,
inventory, cards, group selections, challenges, history).

Revision ID: workshops_0002
Revises: workshops_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "workshops_0002"
down_revision: str | Sequence[str] | None = "workshops_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
        ondelete=ondelete,
    )


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    with op.batch_alter_table("workshops_event") as batch:
        batch.add_column(sa.Column("partner_ids", sa.JSON(), nullable=False, server_default="[]"))
    workshop = "workshops_game"
    op.create_table(
        workshop,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("phase_started_at", TIMESTAMP, nullable=True),
        sa.Column("phase_ends_at", TIMESTAMP, nullable=True),
        sa.Column("durations", sa.JSON(), nullable=False),
        sa.Column("max_cards", sa.Integer(), nullable=False),
        sa.Column("cards_per_hand", sa.Integer(), nullable=False),
        sa.Column("selection_size", sa.Integer(), nullable=False),
        sa.Column("facilitator_subject", sa.String(200), nullable=True),
        *_stamps(),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _fk(workshop, "event_id", "workshops_event", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{workshop}"),
    )
    _index(workshop, "event_id", "created_at", "updated_at")
    table = "workshops_participant"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("person_subject", sa.String(200), nullable=True),
        sa.Column("alias", sa.String(60), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("group_number", sa.Integer(), nullable=True),
        *_stamps(),
        _fk(table, "workshop_id", workshop, "CASCADE"),
        _fk(table, "commune_id", "commune", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("workshop_id", "person_subject", name=f"uq_{table}_workshop_id"),
    )
    _index(table, "workshop_id", "created_at", "updated_at")
    table = "workshops_inventory"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        *_stamps(),
        _fk(table, "workshop_id", workshop, "CASCADE"),
        _fk(table, "participant_id", "workshops_participant", "SET NULL"),
        _fk(table, "commune_id", "commune", "SET NULL"),
        _fk(table, "project_id", "project", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    _index(table, "workshop_id", "created_at", "updated_at")
    table = "workshops_card"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("colour", sa.String(10), nullable=False),
        sa.Column("axis", sa.String(20), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("from_paper", sa.Boolean(), nullable=False),
        *_stamps(),
        _fk(table, "workshop_id", workshop, "CASCADE"),
        _fk(table, "author_id", "workshops_participant", "CASCADE"),
        _fk(table, "holder_id", "workshops_participant", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    _index(table, "workshop_id", "author_id", "created_at", "updated_at")
    table = "workshops_selection"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("group_number", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        _fk(table, "workshop_id", workshop, "CASCADE"),
        _fk(table, "card_id", "workshops_card", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("workshop_id", "group_number", "rank", name=f"uq_{table}_workshop_id"),
        sa.UniqueConstraint("card_id", name=f"uq_{table}_card_id"),
    )
    _index(table, "workshop_id")
    table = "workshops_challenge"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("colour", sa.String(10), nullable=False),
        sa.Column("axis", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("card_ids", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        *_stamps(),
        _fk(table, "workshop_id", workshop, "CASCADE"),
        _fk(table, "project_id", "project", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    _index(table, "workshop_id", "project_id", "created_at", "updated_at")
    table = "workshops_history"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("by_facilitator", sa.Boolean(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _fk(table, "workshop_id", workshop, "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    _index(table, "workshop_id")


def downgrade() -> None:
    for table in (
        "workshops_history",
        "workshops_challenge",
        "workshops_selection",
        "workshops_card",
        "workshops_inventory",
        "workshops_participant",
        "workshops_game",
    ):
        op.drop_table(table)
    with op.batch_alter_table("workshops_event") as batch:
        batch.drop_column("partner_ids")
