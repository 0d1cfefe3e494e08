"""Geographic filters on datasets whose records are points (``Dataset.coordinates``).

``bbox=west,south,east,north`` keeps the points inside a box (degrees, WGS 84, as OGC API -
Features orders it); ``near=longitude,latitude,metres`` those within a distance of a point.
The distance is computed on the plane tangent to the sphere at the midpoint's latitude, whose
cosine is a second-order series around the point: plain arithmetic, the same on both engines
(no PostGIS, no SQLite extension). At the bounded radius (``BOCAGE_OPENDATA_MAX_DISTANCE_METRES``,
100 km) it differs from the great-circle distance by at most 2 m around latitude 50° (4 m at
60°, 9 m at 70°).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, and_, cast, literal

from bocage.core.api import Near as PlaceNear
from bocage.core.api import parse_numbers

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

__all__ = ["Box", "Near", "parse_numbers"]


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def clause(self, longitude: Any, latitude: Any) -> ColumnElement[bool]:
        x, y = cast(longitude, Float), cast(latitude, Float)
        return and_(
            x >= _number(self.west),
            x <= _number(self.east),
            y >= _number(self.south),
            y <= _number(self.north),
        )


@dataclass(frozen=True)
class Near(PlaceNear):
    """The points within ``metres`` of a point: the places' distance (``bocage.core.api.Near``)
    on a record's two number fields."""

    def clause(self, longitude: Any, latitude: Any) -> ColumnElement[bool]:
        around = self.box()
        box = Box(around.west, around.south, around.east, around.north)
        return and_(box.clause(longitude, latitude), self.within(longitude, latitude))


def _number(value: float) -> Any:
    return literal(float(value), Float)
