"""workshops: the territory (GAL) a challenge-card workshop belongs to, for installations of
several GALs (docs/tenancy.md).

A card workshop held at an event belongs to the event's territory; one held without an event
belonged to no GAL, so that on an installation of several GALs every GAL's facilitators ran
it. The workshops made so far take their event's territory, else the installation's only
territory when it holds exactly one, else none (then only operators run them until one is set).

Revision ID: workshops_0007
Revises: workshops_0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workshops_0007"
down_revision: str | Sequence[str] | None = "workshops_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The installation's only live territory, or NULL when it holds none or several.
ONLY_TERRITORY = (
    "(SELECT CASE WHEN COUNT(*) = 1 THEN MIN(id) END FROM territory WHERE deleted_at IS NULL)"
)
EVENT_TERRITORY = (
    "(SELECT e.territory_id FROM workshops_event e WHERE e.id = workshops_game.event_id)"
)


def upgrade() -> None:
    with op.batch_alter_table("workshops_game") as batch:
        batch.add_column(sa.Column("territory_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_workshops_game_territory_id_territory",
            "territory",
            ["territory_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_workshops_game_territory_id", ["territory_id"])
    op.execute(
        f"UPDATE workshops_game SET territory_id = COALESCE({EVENT_TERRITORY}, {ONLY_TERRITORY})"
    )


def downgrade() -> None:
    with op.batch_alter_table("workshops_game") as batch:
        batch.drop_index("ix_workshops_game_territory_id")
        batch.drop_constraint("fk_workshops_game_territory_id_territory", type_="foreignkey")
        batch.drop_column("territory_id")
