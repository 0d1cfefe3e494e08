"""Places on the map: projects and organisations get a GeoJSON geometry, its bounding box (the
spatial index's columns: a GiST index on PostgreSQL, an R*Tree table on SQLite), and the
address and commune it was entered as. See docs/places.md.

Revision ID: 0013_places
Revises: 0012_trace_context
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bocage.core.domain.places import drop_spatial_index_ddl, spatial_index_ddl

revision: str = "0013_places"
down_revision: str | Sequence[str] | None = "0012_trace_context"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TABLES = ("project", "stakeholder")
BOX = ("location_west", "location_south", "location_east", "location_north")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        # Plain ADD COLUMN (SQLite too): a batch rebuild would drop the full-text triggers.
        op.add_column(table, sa.Column("location", JSON, nullable=True))
        for name in BOX:
            op.add_column(table, sa.Column(name, sa.Float(), nullable=True))
        op.add_column(table, sa.Column("location_address", sa.String(300), nullable=True))
        op.add_column(table, sa.Column("location_commune_id", sa.Integer(), nullable=True))
        for statement in spatial_index_ddl(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in drop_spatial_index_ddl(table, dialect):
            op.execute(statement)
        for name in ("location", *BOX, "location_address", "location_commune_id"):
            # in place on SQLite 3.35+ (a batch rebuild would drop the full-text triggers)
            op.drop_column(table, name)
