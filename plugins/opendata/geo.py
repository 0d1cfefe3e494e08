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

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, and_, cast, literal

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS = 6_371_008.8


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
class Near:
    longitude: float
    latitude: float
    metres: float

    def box(self) -> Box:
        """A box around the circle (cheap to test first)."""
        spread = math.degrees(self.metres / EARTH_RADIUS) * 1.01
        widest = min(abs(self.latitude) + spread, 89.0)
        across = spread / math.cos(math.radians(widest))
        return Box(
            max(self.longitude - across, -180.0),
            max(self.latitude - spread, -90.0),
            min(self.longitude + across, 180.0),
            min(self.latitude + spread, 90.0),
        )

    def clause(self, longitude: Any, latitude: Any) -> ColumnElement[bool]:
        x, y = cast(longitude, Float), cast(latitude, Float)
        per_degree = math.radians(1) * EARTH_RADIUS
        phi = math.radians(self.latitude)
        cos0, sin0 = math.cos(phi), math.sin(phi)
        # half the latitude difference, in radians: the midpoint's offset from the point
        half = (y - _number(self.latitude)) * _number(math.radians(1) / 2)
        cos_mid = _number(cos0) - _number(sin0) * half - _number(cos0 / 2) * half * half
        dx = (x - _number(self.longitude)) * _number(per_degree) * cos_mid
        dy = (y - _number(self.latitude)) * _number(per_degree)
        return and_(
            self.box().clause(longitude, latitude),
            dx * dx + dy * dy <= _number(self.metres * self.metres),
        )


def _number(value: float) -> Any:
    return literal(float(value), Float)


def parse_numbers(text: str, count: int) -> list[float] | None:
    """``count`` finite numbers separated by commas, or None."""
    parts = text.split(",")
    if len(parts) != count:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None
