"""surveys: respondent segments, quotas, edits until close, published aggregates.

Revision ID: surveys_0002
Revises: surveys_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "surveys_0002"
down_revision: str | Sequence[str] | None = "surveys_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys_survey") as batch:
        batch.add_column(
            sa.Column("allow_edit", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("quotas", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("surveys_question") as batch:
        batch.add_column(sa.Column("segment", sa.String(20), nullable=True))
    op.create_table(
        "surveys_published_cell",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "survey_id",
            sa.Integer(),
            sa.ForeignKey(
                "surveys_survey.id",
                ondelete="CASCADE",
                name="fk_surveys_published_cell_survey_id_surveys_survey",
            ),
            nullable=False,
        ),
        sa.Column("survey_title", sa.Text(), nullable=False),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("question_title", sa.Text(), nullable=False),
        sa.Column("question_type", sa.String(20), nullable=False),
        sa.Column("row", sa.String(40), nullable=True),
        sa.Column("option", sa.String(40), nullable=False),
        sa.Column("option_label", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys_published_cell"),
    )
    op.create_index("ix_surveys_published_cell_survey_id", "surveys_published_cell", ["survey_id"])


def downgrade() -> None:
    op.drop_table("surveys_published_cell")
    with op.batch_alter_table("surveys_question") as batch:
        batch.drop_column("segment")
    with op.batch_alter_table("surveys_survey") as batch:
        batch.drop_column("quotas")
        batch.drop_column("allow_edit")
