"""workshops: an event's place on the map (its venue as a GeoJSON point or area, WGS 84) and
its bounding box, under the engine's spatial index (docs/places.md).

Revision ID: workshops_0006
Revises: workshops_0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bocage.core.api import drop_spatial_index_ddl, spatial_index_ddl

revision: str = "workshops_0006"
down_revision: str | Sequence[str] | None = "workshops_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "workshops_event"
BOX = ("location_west", "location_south", "location_east", "location_north")


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column(TABLE, sa.Column("location", json, nullable=True))
    for name in BOX:
        op.add_column(TABLE, sa.Column(name, sa.Float(), nullable=True))
    for statement in spatial_index_ddl(TABLE, op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_spatial_index_ddl(TABLE, op.get_bind().dialect.name):
        op.execute(statement)
    for name in ("location", *BOX):
        op.drop_column(TABLE, name)
