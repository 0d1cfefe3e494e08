"""Places on the map: where a project, an organisation, an event or a dataset is.

A place is a GeoJSON geometry in WGS 84 (longitude, latitude): a ``Point`` or an area
(``Polygon``, ``MultiPolygon``), optionally with the street address it was entered as and the
commune that address is in. Shapely checks and measures the geometry (valid rings, vertex
count, bounding box, centroid); the bounds an installation accepts are :class:`PlaceLimits`
(settings ``BOCAGE_PLACES_*``, see docs/limits.md).

Each located table keeps, beside the geometry, its bounding box in four plain columns
(``location_west``...): both engines filter on them, and each indexes them its own way
(:func:`spatial_index_ddl`): PostgreSQL with a GiST index on the ``box`` they make, SQLite with
an R*Tree table kept by triggers. Areas are matched by their bounding box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import mapping, shape

from bocage.core.domain.errors import Code, Invalid
from bocage.core.hookspecs import Geocoder

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS = 6_371_008.8
#: Geometry types a place may be: a point, or an area.
GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")
#: Decimal places kept of each coordinate (about 1 cm): a geometry reads back as stored.
PRECISION = 7


@dataclass(frozen=True)
class PlaceLimits:
    """What a place may be (each bound is a setting, see docs/limits.md)."""

    #: ``BOCAGE_PLACES_MAX_VERTICES``: points of a geometry, all rings together.
    max_vertices: int = 10_000
    #: ``BOCAGE_PLACES_BOUNDS``: west, south, east, north every coordinate must lie within.
    bounds: tuple[float, float, float, float] = (-180.0, -90.0, 180.0, 90.0)
    #: ``BOCAGE_PLACES_MAX_EXTENT_KM``: the longest side of an area's bounding box.
    max_extent_km: float = 500.0
    #: ``BOCAGE_PLACES_MAX_ADDRESS_CHARS``: characters of an address.
    max_address_chars: int = 300
    #: ``BOCAGE_PLACES_MAX_DISTANCE_METRES``: the radius of a ``near`` filter.
    max_distance_metres: float = 100_000.0

    @classmethod
    def of(cls, settings: Any) -> PlaceLimits:
        return cls(
            max_vertices=settings.places_max_vertices,
            bounds=settings.places_box,
            max_extent_km=settings.places_max_extent_km,
            max_address_chars=settings.places_max_address_chars,
            max_distance_metres=settings.places_max_distance_metres,
        )


@dataclass(frozen=True)
class Place:
    """A checked geometry and what the tables keep of it."""

    geometry: dict[str, Any]
    west: float
    south: float
    east: float
    north: float

    @property
    def bbox(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]

    def columns(self) -> dict[str, Any]:
        """The values of a located row's columns (see ``bocage.core.models.Located``)."""
        return {
            "location": self.geometry,
            "location_west": self.west,
            "location_south": self.south,
            "location_east": self.east,
            "location_north": self.north,
        }


#: The columns of a row without a place.
NO_PLACE: dict[str, Any] = {
    "location": None,
    "location_west": None,
    "location_south": None,
    "location_east": None,
    "location_north": None,
}


def point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def check_geometry(value: Any, limits: PlaceLimits, field: str = "location") -> Place:
    """The place ``value`` (a GeoJSON geometry object) describes, or :class:`Invalid` saying
    what to change."""
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise Invalid(
            Code.INVALID,
            'give a GeoJSON geometry object, e.g. {"type": "Point", "coordinates": [4.9, 50.6]}',
            field,
        )
    if value["type"] not in GEOMETRY_TYPES:
        raise Invalid(
            Code.INVALID,
            f"a place is one of {', '.join(GEOMETRY_TYPES)}; got {value['type']!r}",
            field,
        )
    try:
        geometry = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise Invalid(
            Code.INVALID, f"not a valid GeoJSON {value['type']}: {error}", field
        ) from None
    if geometry.is_empty:
        raise Invalid(Code.INVALID, "the geometry has no coordinates", field)
    coordinates = shapely.get_coordinates(geometry, include_z=True)
    if len(coordinates) > limits.max_vertices:
        raise Invalid(
            Code.INVALID,
            f"the geometry has {len(coordinates)} points; at most {limits.max_vertices} "
            "(BOCAGE_PLACES_MAX_VERTICES): simplify it",
            field,
        )
    if not all(math.isfinite(c) for c in coordinates[:, :2].flat):
        raise Invalid(Code.INVALID, "coordinates must be finite numbers", field)
    west, south, east, north = (float(b) for b in geometry.bounds)
    low_x, low_y, high_x, high_y = limits.bounds
    if west < low_x or east > high_x or south < low_y or north > high_y:
        raise Invalid(
            Code.INVALID,
            "coordinates are longitude, latitude in WGS 84 and must lie within "
            f"{low_x},{low_y},{high_x},{high_y} (BOCAGE_PLACES_BOUNDS); got the box "
            f"{west},{south},{east},{north}",
            field,
        )
    extent = extent_km(west, south, east, north)
    if extent > limits.max_extent_km:
        raise Invalid(
            Code.INVALID,
            f"the area spans {extent:.1f} km; at most {limits.max_extent_km:g} km "
            "(BOCAGE_PLACES_MAX_EXTENT_KM)",
            field,
        )
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise Invalid(Code.INVALID, f"the geometry is not valid ({reason}): fix its rings", field)
    rounded = shapely.set_precision(geometry, 10**-PRECISION, mode="pointwise")
    return Place(_plain(mapping(rounded)), west, south, east, north)


def _plain(value: Any) -> Any:
    """GeoJSON with lists (shapely gives tuples) and only two coordinates per position."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(c, float | int) for c in value):
            return [round(float(c), PRECISION) for c in value[:2]]
        return [_plain(item) for item in value]
    return value


def extent_km(west: float, south: float, east: float, north: float) -> float:
    """The longer side of a bounding box, in kilometres."""
    middle = math.radians((south + north) / 2)
    across = math.radians(east - west) * EARTH_RADIUS * math.cos(middle)
    along = math.radians(north - south) * EARTH_RADIUS
    return max(across, along) / 1000


def check_address(value: str | None, limits: PlaceLimits, field: str = "address") -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limits.max_address_chars:
        raise Invalid(
            Code.INVALID,
            f"the address has {len(text)} characters; at most {limits.max_address_chars} "
            "(BOCAGE_PLACES_MAX_ADDRESS_CHARS)",
            field,
        )
    return text


def centroid(geometry: Any) -> dict[str, Any]:
    """The GeoJSON point at the centre of ``geometry`` (itself for a point)."""
    middle = shape(geometry).centroid
    return point(round(middle.x, PRECISION), round(middle.y, PRECISION))


def geometry_wkt(geometry: Any) -> str:
    """``geometry`` (GeoJSON) as WKT."""
    return str(shapely.to_wkt(shape(geometry), rounding_precision=PRECISION, trim=True))


def wkt_summary(geometry: Any) -> tuple[str, str]:
    """The WKT of ``geometry``'s bounding box (a polygon; a point's is the point) and of its
    centroid: DCAT's ``dcat:bbox`` and ``dcat:centroid``."""
    found = shape(geometry)
    west, south, east, north = found.bounds
    box = (
        shapely.Point(west, south) if (west, south) == (east, north) else shapely.box(*found.bounds)
    )
    return (
        shapely.to_wkt(box, rounding_precision=PRECISION, trim=True),
        shapely.to_wkt(found.centroid, rounding_precision=PRECISION, trim=True),
    )


# -- what a writer asks for -----------------------------------------------------------------


def given_geometry(
    longitude: float | None, latitude: float | None, geometry: Any, field: str = "location"
) -> dict[str, Any] | None:
    """The GeoJSON geometry an input gives: its ``longitude`` and ``latitude`` as a point, or
    its ``geometry``; None when it gives neither (checked later by :func:`check_geometry`)."""
    if (longitude is None) != (latitude is None):
        raise Invalid(Code.REQUIRED, "give both `longitude` and `latitude`", field)
    if longitude is not None and latitude is not None:
        if geometry is not None:
            raise Invalid(
                Code.INVALID,
                "give either `longitude` and `latitude` or a `geometry`, not both",
                field,
            )
        return point(longitude, latitude)
    return geometry  # type: ignore[no-any-return]  # a GeoJSON object, checked later


@dataclass(frozen=True)
class PlaceRequest:
    """A place as a client enters it: coordinates (a point), a geometry, or an address in a
    commune; the address and commune are kept either way. ``commune`` is the commune's global
    ID. An address alone is placed by :func:`geocode` before the write's transaction opens;
    ``geocoded`` is the geometry the geocoder answered (None: it placed nothing)."""

    longitude: float | None = None
    latitude: float | None = None
    geometry: dict[str, Any] | None = None
    address: str | None = None
    commune: Any = None
    limits: PlaceLimits = PlaceLimits()
    geocoded: dict[str, Any] | None = None

    @property
    def needs_geocoding(self) -> bool:
        """It gives an address and neither coordinates nor a geometry."""
        return (
            self.longitude is None
            and self.latitude is None
            and self.geometry is None
            and bool((self.address or "").strip())
        )


#: The columns of a row whose place was removed (``location: null``).
NO_ADDRESS: dict[str, Any] = {**NO_PLACE, "location_address": None, "location_commune_id": None}


async def geocode(
    sessionmaker: Any, request: PlaceRequest, geocoder: Geocoder | None
) -> PlaceRequest:
    """``request`` with what ``geocoder`` answers for its address, asked before the write's
    transaction opens: a geocoder may call a service over the network, and no transaction
    (its locks, its pooled connection) waits on it. The commune's code and names are read in
    a short session of their own, closed before the call. A request that needs no geocoding,
    or that is wrong (what :func:`place_columns` reports in the transaction), comes back as
    it is; so does every request when there is no geocoder."""
    from bocage.core import models as m
    from bocage.core.domain.ids import key_of

    if geocoder is None or not request.needs_geocoding or request.commune is None:
        return request
    try:
        address = check_address(request.address, request.limits)
        key = key_of(request.commune, "Commune", "commune")[1]
    except Invalid:
        return request
    async with sessionmaker() as session:
        commune = await session.get(m.Commune, key)
        if address is None or commune is None or commune.deleted_at is not None:
            return request
        nis_code, names = commune.nis_code, dict(commune.name)
    return replace(request, geocoded=await geocoder(address, nis_code, names))


async def place_columns(
    session: Any, request: PlaceRequest, field: str = "location"
) -> dict[str, Any]:
    """The values of an addressed row's place columns (:class:`bocage.core.models.Addressed`)
    for ``request``, or :class:`Invalid` saying what to change. An address alone takes the
    geometry :func:`geocode` found for it: none is ``ADDRESS_NOT_FOUND``."""
    from bocage.core import models as m
    from bocage.core.domain.changes import load_live
    from bocage.core.domain.ids import key_of

    geometry = given_geometry(request.longitude, request.latitude, request.geometry, field)
    address = check_address(request.address, request.limits, f"{field}.address")
    commune = None
    if request.commune is not None:
        key = key_of(request.commune, "Commune", f"{field}.commune")[1]
        commune = await load_live(session, m.Commune, key, f"{field}.commune")
    if address is not None and commune is None:
        raise Invalid(
            Code.REQUIRED,
            "an address needs its commune (`commune`: the commune's ID)",
            f"{field}.commune",
        )
    if geometry is not None:
        place = check_geometry(geometry, request.limits, f"{field}.geometry")
    elif address is not None and commune is not None:
        if request.geocoded is None:
            name = next(iter(commune.name.values()), commune.nis_code)
            raise Invalid(
                Code.ADDRESS_NOT_FOUND,
                f"{address!r} could not be placed in {name}: give its coordinates "
                "(`longitude` and `latitude`) or a `geometry` with the address",
                f"{field}.address",
            )
        place = check_geometry(request.geocoded, request.limits, f"{field}.address")
    else:
        raise Invalid(
            Code.REQUIRED,
            "give coordinates (`longitude` and `latitude`), a `geometry`, or an `address` "
            "and its `commune`",
            field,
        )
    return {
        **place.columns(),
        "location_address": address,
        "location_commune_id": commune.id if commune is not None else None,
    }


def set_place(row: Any, columns: dict[str, Any]) -> None:
    for name, value in columns.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


# -- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A bounding box in degrees (west, south, east, north, as OGC API - Features orders it)."""

    west: float
    south: float
    east: float
    north: float

    def overlaps(self, model: Any, dialect: str | None) -> ColumnElement[bool]:
        """Rows of ``model`` (a located table) whose bounding box meets this one. ``dialect``
        None: ``model`` is any rows with the four box columns (a subquery's ``c``), which no
        spatial index serves: the exact test alone."""
        return _overlap_clause(model, self, dialect)


@dataclass(frozen=True)
class Near:
    """Places within ``metres`` of a point: a point's distance, an area's from the nearest
    point of its bounding box. The distance is computed on the plane tangent to the sphere at
    the midpoint's latitude (a second-order series of its cosine): plain arithmetic, the same
    on both engines; at 100 km it is within 2 m of the great-circle distance around 50°N."""

    longitude: float
    latitude: float
    metres: float

    def box(self) -> Box:
        """A box around the circle (the spatial index's first cut)."""
        spread = math.degrees(self.metres / EARTH_RADIUS) * 1.01
        widest = min(abs(self.latitude) + spread, 89.0)
        across = spread / math.cos(math.radians(widest))
        return Box(
            max(self.longitude - across, -180.0),
            max(self.latitude - spread, -90.0),
            min(self.longitude + across, 180.0),
            min(self.latitude + spread, 90.0),
        )

    def within(self, longitude: Any, latitude: Any) -> ColumnElement[bool]:
        """SQL: the point (``longitude``, ``latitude``) is within the distance."""
        from sqlalchemy import Float, cast

        x, y = cast(longitude, Float), cast(latitude, Float)
        per_degree = math.radians(1) * EARTH_RADIUS
        phi = math.radians(self.latitude)
        cos0, sin0 = math.cos(phi), math.sin(phi)
        half = (y - _number(self.latitude)) * _number(math.radians(1) / 2)
        cos_mid = _number(cos0) - _number(sin0) * half - _number(cos0 / 2) * half * half
        dx = (x - _number(self.longitude)) * _number(per_degree) * cos_mid
        dy = (y - _number(self.latitude)) * _number(per_degree)
        return dx * dx + dy * dy <= _number(self.metres * self.metres)

    def reaches(self, model: Any, dialect: str | None) -> ColumnElement[bool]:
        """Rows of ``model`` whose bounding box has a point within the distance (``dialect``
        None: rows without a spatial index, as :meth:`Box.overlaps`)."""
        from sqlalchemy import and_

        x = _clamp(_number(self.longitude), model.location_west, model.location_east)
        y = _clamp(_number(self.latitude), model.location_south, model.location_north)
        return and_(_overlap_clause(model, self.box(), dialect), self.within(x, y))


def _clamp(value: Any, low: Any, high: Any) -> Any:
    from sqlalchemy import case

    return case((value < low, low), (value > high, high), else_=value)


def _number(value: float) -> Any:
    from sqlalchemy import Float, literal

    return literal(float(value), Float)


def _overlap_clause(model: Any, box: Box, dialect: str | None) -> ColumnElement[bool]:
    """The boxes overlap, written so that ``dialect``'s spatial index answers it first."""
    from sqlalchemy import and_, func, literal_column, select, table

    exact = and_(
        model.location_west <= _number(box.east),
        model.location_east >= _number(box.west),
        model.location_south <= _number(box.north),
        model.location_north >= _number(box.south),
    )
    if dialect is None:
        return exact
    if dialect == "postgresql":
        stored = func.box(
            func.point(model.location_west, model.location_south),
            func.point(model.location_east, model.location_north),
        )
        wanted = func.box(
            func.point(_number(box.west), _number(box.south)),
            func.point(_number(box.east), _number(box.north)),
        )
        return and_(stored.op("&&")(wanted), exact)
    rtree = table(
        rtree_name(model.__table__.name),
        *(literal_column(c) for c in ("id", "west", "east", "south", "north")),
    )
    return and_(
        model.id.in_(
            select(rtree.c.id).where(
                rtree.c.west <= _number(box.east),
                rtree.c.east >= _number(box.west),
                rtree.c.south <= _number(box.north),
                rtree.c.north >= _number(box.south),
            )
        ),
        exact,
    )


def parse_numbers(text: str, count: int) -> list[float] | None:
    """``count`` finite numbers separated by commas (a query string's ``bbox``...), or None."""
    parts = text.split(",")
    if len(parts) != count:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def rtree_name(table_name: str) -> str:
    return f"{table_name}_place_rtree"


def gist_name(table_name: str) -> str:
    return f"ix_{table_name}_place_box"


# -- the spatial index, for migrations ------------------------------------------------------------


def spatial_index_ddl(table_name: str, dialect: str) -> list[str]:
    """Statements creating ``table_name``'s spatial index (run by its migration)."""
    if dialect == "postgresql":
        return [
            f"CREATE INDEX {gist_name(table_name)} ON {table_name} USING gist "
            "(box(point(location_west, location_south), point(location_east, location_north)))"
        ]
    rtree = rtree_name(table_name)
    values = "new.id, new.location_west, new.location_east, new.location_south, new.location_north"
    placed = "new.location_west IS NOT NULL"
    return [
        f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, west, east, south, north)",
        f"INSERT INTO {rtree} SELECT id, location_west, location_east, location_south, "
        f"location_north FROM {table_name} WHERE location_west IS NOT NULL",
        f"CREATE TRIGGER {rtree}_insert AFTER INSERT ON {table_name} WHEN {placed} BEGIN "
        f"INSERT INTO {rtree} VALUES ({values}); END",
        f"CREATE TRIGGER {rtree}_update AFTER UPDATE OF location_west, location_east, "
        f"location_south, location_north ON {table_name} BEGIN "
        f"DELETE FROM {rtree} WHERE id = old.id; "
        f"INSERT INTO {rtree} SELECT {values} WHERE {placed}; END",
        f"CREATE TRIGGER {rtree}_delete AFTER DELETE ON {table_name} BEGIN "
        f"DELETE FROM {rtree} WHERE id = old.id; END",
    ]


def drop_spatial_index_ddl(table_name: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {gist_name(table_name)}"]
    rtree = rtree_name(table_name)
    return [
        *(f"DROP TRIGGER IF EXISTS {rtree}_{what}" for what in ("insert", "update", "delete")),
        f"DROP TABLE IF EXISTS {rtree}",
    ]


#: The columns of a located row's bounding box.
BOX_COLUMNS = ("location_west", "location_south", "location_east", "location_north")


@dataclass(frozen=True)
class LocatedTable:
    """A table with a place (the columns of ``bocage.core.models.Located``) in an alembic
    migration: ``LocatedTable("my_table").add()`` in ``upgrade()`` adds the GeoJSON column,
    its bounding box and the engine's spatial index (:func:`spatial_index_ddl`);
    ``.drop()`` in ``downgrade()`` removes them."""

    name: str

    def add(self) -> None:
        import sqlalchemy as sa
        from alembic import op
        from sqlalchemy.dialects import postgresql

        json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
        op.add_column(self.name, sa.Column("location", json, nullable=True))
        for column in BOX_COLUMNS:
            op.add_column(self.name, sa.Column(column, sa.Float(), nullable=True))
        for statement in spatial_index_ddl(self.name, op.get_bind().dialect.name):
            op.execute(statement)

    def drop(self) -> None:
        from alembic import op

        for statement in drop_spatial_index_ddl(self.name, op.get_bind().dialect.name):
            op.execute(statement)
        for column in ("location", *BOX_COLUMNS):
            op.drop_column(self.name, column)
