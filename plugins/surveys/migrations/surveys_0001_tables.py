"""surveys: surveys, versioned question sets, invitations, anonymous responses, answers.

Revision ID: surveys_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "surveys_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("surveys",)
depends_on: str | Sequence[str] | None = "0003_auth"


def upgrade() -> None:
    op.create_table(
        "surveys_survey",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("intro", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("public_key", sa.String(40), nullable=False),
        sa.Column("audience_kinds", sa.JSON(), nullable=False),
        sa.Column("audience_communes", sa.JSON(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_survey"),
        sa.UniqueConstraint("public_key", name="uq_surveys_survey_public_key"),
    )
    op.create_index("ix_surveys_survey_created_at", "surveys_survey", ["created_at"])
    op.create_index("ix_surveys_survey_updated_at", "surveys_survey", ["updated_at"])
    op.create_table(
        "surveys_question_set",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "survey_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_survey.id",
                ondelete="CASCADE",
                name="fk_surveys_question_set_survey_id_surveys_survey",
            ),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_question_set"),
        sa.UniqueConstraint("survey_id", "number", name="uq_surveys_question_set_survey_id"),
    )
    op.create_table(
        "surveys_question",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "question_set_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_question_set.id",
                ondelete="CASCADE",
                name="fk_surveys_question_question_set_id_surveys_question_set",
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("help", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("allow_other", sa.Boolean(), nullable=False),
        sa.Column("min_selected", sa.Integer(), nullable=True),
        sa.Column("max_selected", sa.Integer(), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("show_if", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_question"),
        sa.UniqueConstraint("question_set_id", "key", name="uq_surveys_question_question_set_id"),
    )
    op.create_index("ix_surveys_question_question_set_id", "surveys_question", ["question_set_id"])
    op.create_table(
        "surveys_invitation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "survey_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_survey.id",
                ondelete="CASCADE",
                name="fk_surveys_invitation_survey_id_surveys_survey",
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column(
            "stakeholder_id",
            sa.Integer(),
            sa.ForeignKey(
                "stakeholder.id",
                ondelete="SET NULL",
                name="fk_surveys_invitation_stakeholder_id_stakeholder",
            ),
            nullable=True,
        ),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contact.id", ondelete="SET NULL", name="fk_surveys_invitation_contact_id_contact"
            ),
            nullable=True,
        ),
        sa.Column("draft_answers", sa.JSON(), nullable=True),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_invitation"),
        sa.UniqueConstraint("token_hash", name="uq_surveys_invitation_token_hash"),
    )
    op.create_index("ix_surveys_invitation_survey_id", "surveys_invitation", ["survey_id"])
    op.create_table(
        "surveys_response",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column(
            "survey_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_survey.id",
                ondelete="CASCADE",
                name="fk_surveys_response_survey_id_surveys_survey",
            ),
            nullable=False,
        ),
        sa.Column(
            "question_set_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_question_set.id",
                ondelete="CASCADE",
                name="fk_surveys_response_question_set_id_surveys_question_set",
            ),
            nullable=False,
        ),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_response"),
    )
    op.create_index("ix_surveys_response_survey_id", "surveys_response", ["survey_id"])
    op.create_table(
        "surveys_attribution",
        sa.Column(
            "response_id",
            sa.String(40),
            sa.ForeignKey(
                "surveys_response.id",
                ondelete="CASCADE",
                name="fk_surveys_attribution_response_id_surveys_response",
            ),
            nullable=False,
        ),
        sa.Column(
            "invitation_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_invitation.id",
                ondelete="CASCADE",
                name="fk_surveys_attribution_invitation_id_surveys_invitation",
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("response_id", name="pk_surveys_attribution"),
        sa.UniqueConstraint("invitation_id", name="uq_surveys_attribution_invitation_id"),
    )
    op.create_table(
        "surveys_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "response_id",
            sa.String(40),
            sa.ForeignKey(
                "surveys_response.id",
                ondelete="CASCADE",
                name="fk_surveys_answer_response_id_surveys_response",
            ),
            nullable=False,
        ),
        sa.Column(
            "question_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_question.id",
                ondelete="CASCADE",
                name="fk_surveys_answer_question_id_surveys_question",
            ),
            nullable=False,
        ),
        sa.Column("row_key", sa.String(40), nullable=False),
        sa.Column("choice", sa.String(40), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("free_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_answer"),
    )
    op.create_index("ix_surveys_answer_response_id", "surveys_answer", ["response_id"])
    op.create_index("ix_surveys_answer_question_id", "surveys_answer", ["question_id"])


def downgrade() -> None:
    for table in (
        "surveys_answer",
        "surveys_attribution",
        "surveys_response",
        "surveys_invitation",
        "surveys_question",
        "surveys_question_set",
        "surveys_survey",
    ):
        op.drop_table(table)
