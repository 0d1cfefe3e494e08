"""opendata: the territory (GAL) of the GAL's own datasets, for installations of several GALs.

A dataset of a commune belongs to that commune (and through it to its GAL); one of no commune
is a GAL's own: its territory says which GAL's publishers manage it (docs/tenancy.md). Those
uploaded so far belong to the installation's only territory when it holds exactly one, else to
none (then only operators manage them until one is set).

Revision ID: opendata_0004_territory
Revises: opendata_0003_issued
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "opendata_0004_territory"
down_revision: str | Sequence[str] | None = "opendata_0003_issued"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The installation's only live territory, or NULL when it holds none or several.
ONLY_TERRITORY = (
    "(SELECT CASE WHEN COUNT(*) = 1 THEN MIN(id) END FROM territory WHERE deleted_at IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("opendata_dataset") as batch:
        batch.add_column(sa.Column("territory_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_opendata_dataset_territory_id_territory",
            "territory",
            ["territory_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_opendata_dataset_territory_id", ["territory_id"])
    op.execute(
        f"UPDATE opendata_dataset SET territory_id = {ONLY_TERRITORY} WHERE commune_nis IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("opendata_dataset") as batch:
        batch.drop_index("ix_opendata_dataset_territory_id")
        batch.drop_constraint("fk_opendata_dataset_territory_id_territory", type_="foreignkey")
        batch.drop_column("territory_id")
