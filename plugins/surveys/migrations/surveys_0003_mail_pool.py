"""surveys: invitees' language, reminders, the anonymous responses' holding pool.

Revision ID: surveys_0003
Revises: surveys_0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "surveys_0003"
down_revision: str | Sequence[str] | None = "surveys_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys_invitation") as batch:
        batch.add_column(sa.Column("language", sa.String(5), nullable=True))
    op.create_table(
        "surveys_reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "invitation_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_invitation.id",
                ondelete="CASCADE",
                name="fk_surveys_reminder_invitation_id_surveys_invitation",
            ),
            nullable=False,
        ),
        sa.Column("sent_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_reminder"),
    )
    op.create_index("ix_surveys_reminder_invitation_id", "surveys_reminder", ["invitation_id"])
    op.create_table(
        "surveys_pending_response",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column(
            "survey_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_survey.id",
                ondelete="CASCADE",
                name="fk_surveys_pending_response_survey",
            ),
            nullable=False,
        ),
        sa.Column(
            "question_set_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_question_set.id",
                ondelete="CASCADE",
                name="fk_surveys_pending_response_question_set",
            ),
            nullable=False,
        ),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("answer_rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_pending_response"),
    )
    op.create_index(
        "ix_surveys_pending_response_survey_id", "surveys_pending_response", ["survey_id"]
    )


def downgrade() -> None:
    op.drop_table("surveys_pending_response")
    op.drop_table("surveys_reminder")
    with op.batch_alter_table("surveys_invitation") as batch:
        batch.drop_column("language")
