"""The columns of a row that has a place on the map (see :mod:`bocage.core.domain.places`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import JSONType


class Located:
    """A GeoJSON geometry (WGS 84) and its bounding box, which the spatial index covers."""

    #: The geometry, as GeoJSON: a Point, a Polygon or a MultiPolygon.
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    location_west: Mapped[float | None] = mapped_column(Float, default=None)
    location_south: Mapped[float | None] = mapped_column(Float, default=None)
    location_east: Mapped[float | None] = mapped_column(Float, default=None)
    location_north: Mapped[float | None] = mapped_column(Float, default=None)


class Addressed(Located):
    """A place entered as a street address in a commune (geocoded, or given as coordinates)."""

    location_address: Mapped[str | None] = mapped_column(String(300), default=None)

    #: The commune the address is in. No foreign key: communes are archived, never deleted,
    #: and SQLite cannot drop a column that has one without rebuilding the table.
    location_commune_id: Mapped[int | None] = mapped_column(default=None)
