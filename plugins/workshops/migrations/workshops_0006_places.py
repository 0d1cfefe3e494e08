"""workshops: an event's place on the map (its venue as a GeoJSON point or area, WGS 84) and
its bounding box, under the engine's spatial index (docs/places.md).

Revision ID: workshops_0006
Revises: workshops_0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from bocage.core.api import LocatedTable

revision: str = "workshops_0006"
down_revision: str | Sequence[str] | None = "workshops_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = LocatedTable("workshops_event")


def upgrade() -> None:
    EVENTS.add()


def downgrade() -> None:
    EVENTS.drop()
