"""surveys: the territory (GAL) a survey belongs to, for installations of several GALs.

A survey belongs to no commune (its audience may name some, to whom it is addressed): its
territory says which GAL's managers run it, read its drafts, results and responses
(docs/tenancy.md). The surveys made so far belong to the installation's only territory when it
holds exactly one, else to none (then only operators manage them until one is set).

Revision ID: surveys_0005
Revises: surveys_0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "surveys_0005"
down_revision: str | Sequence[str] | None = "surveys_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The installation's only live territory, or NULL when it holds none or several.
ONLY_TERRITORY = (
    "(SELECT CASE WHEN COUNT(*) = 1 THEN MIN(id) END FROM territory WHERE deleted_at IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("surveys_survey") as batch:
        batch.add_column(sa.Column("territory_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_surveys_survey_territory_id_territory",
            "territory",
            ["territory_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_surveys_survey_territory_id", ["territory_id"])
    op.execute(f"UPDATE surveys_survey SET territory_id = {ONLY_TERRITORY}")


def downgrade() -> None:
    with op.batch_alter_table("surveys_survey") as batch:
        batch.drop_index("ix_surveys_survey_territory_id")
        batch.drop_constraint("fk_surveys_survey_territory_id_territory", type_="foreignkey")
        batch.drop_column("territory_id")
