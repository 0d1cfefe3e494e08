"""Places on the map in GraphQL: the ``GeoJSON`` scalar, the ``Location`` of a row, how a
client enters one (``LocationInput``) and the ``within`` / ``near`` filters of lists.
See docs/places.md and :mod:`bocage.core.domain.places`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, NewType

import strawberry
from strawberry.types import Info

from bocage.core.domain import places
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.work import authorise
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.limits import cost

if TYPE_CHECKING:
    from bocage.core.graphql.types import Commune
    from bocage.core.hookspecs import Permission

#: A GeoJSON geometry object (the ``GeoJSON`` scalar, registered in the schema's scalar map).
GeoJSON = NewType("GeoJSON", object)

#: The scalars of this module, for ``StrawberryConfig(scalar_map=...)``.
SCALARS: dict[object, Any] = {
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON geometry object (RFC 7946), coordinates as longitude, latitude "
        'in WGS 84: {"type": "Point", "coordinates": [5.07, 50.67]}, or a Polygon, a '
        "MultiPolygon.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc7946",
        serialize=lambda value: value,
        parse_value=lambda value: value,
    )
}


@strawberry.type(description="Where something is: a point or an area, in WGS 84.")
class Location:
    row: strawberry.Private[Any]
    geometry: GeoJSON = strawberry.field(description="The point or the area, as GeoJSON.")
    bbox: list[float] = strawberry.field(
        description="Its bounding box: west, south, east, north (degrees)."
    )

    @strawberry.field(description="Its centre (the point itself for a point), as GeoJSON.")
    def centroid(self) -> GeoJSON:
        return GeoJSON(places.centroid(self.geometry))

    @strawberry.field(description="The street address it was entered as, if one was.")
    def address(self) -> str | None:
        return getattr(self.row, "location_address", None) or getattr(self.row, "address", None)

    @strawberry.field(description="The commune of the address, if one was given.", metadata=cost(1))
    async def commune(
        self, info: Info
    ) -> Annotated[Commune, strawberry.lazy("bocage.core.graphql.types")] | None:
        from bocage.core.graphql.nodes import load_one
        from bocage.core.graphql.types import Commune

        key = getattr(self.row, "location_commune_id", getattr(self.row, "commune_id", None))
        return await load_one(info, Commune, key)


def location_of(row: Any) -> Location | None:
    """The ``Location`` of a located row, or None when it has no place."""
    geometry = getattr(row, "location", None)
    if geometry is None:
        return None
    bbox = [row.location_west, row.location_south, row.location_east, row.location_north]
    return Location(row=row, geometry=geometry, bbox=bbox)


@strawberry.input(
    description="A place: `longitude` and `latitude` for a point, or a GeoJSON `geometry` "
    "(a point or an area), or an `address` and its `commune` placed by the installation's "
    "geocoder (`ADDRESS_NOT_FOUND` when it cannot: then give coordinates with the address)."
)
class LocationInput:
    longitude: float | None = None
    latitude: float | None = None
    geometry: GeoJSON | None = None
    address: str | None = strawberry.field(default=None, description="Street and number.")
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="The commune the address is in."
    )

    def request(self, info: Info) -> places.PlaceRequest:
        """What the domain needs to place it (with the settings' bounds); checked by
        :func:`places.place_columns` in the mutation's transaction."""
        return places.PlaceRequest(
            longitude=self.longitude,
            latitude=self.latitude,
            geometry=self.geometry,  # type: ignore[arg-type]  # the GeoJSON scalar's value
            address=self.address,
            commune=self.commune,
            limits=places.PlaceLimits.of(info.context.settings),
        )


def located_columns(
    settings: Any,
    geometry: Any = None,
    *,
    longitude: float | None = None,
    latitude: float | None = None,
    field: str = "location",
    required: bool = False,
) -> dict[str, Any]:
    """The values of a located row's columns (``Located``) for the place a client sends:
    ``longitude`` and ``latitude`` (a point) or a GeoJSON ``geometry``, checked against the
    installation's bounds (``BOCAGE_PLACES_*``, from ``settings``). Sending neither is no
    place (every column None), or ``REQUIRED`` when ``required``. A problem is an
    :class:`Invalid` naming ``field`` (the coordinates) or ``<field>.geometry``."""
    given = places.given_geometry(longitude, latitude, geometry, field)
    if given is None:
        if required:
            raise Invalid(Code.REQUIRED, "give `longitude` and `latitude`, or a `geometry`", field)
        return dict(places.NO_PLACE)
    limits = places.PlaceLimits.of(settings)
    return places.check_geometry(given, limits, f"{field}.geometry").columns()


async def geocoded(info: Info, value: Any, permission: Permission) -> Any:
    """The place a mutation's ``location`` input asks for (unset and null as they are), an
    address alone placed by the installation's geocoder now, before :func:`mutate` opens the
    transaction (:func:`places.geocode`)."""
    if value is None or value is strawberry.UNSET:
        return value
    return await _geocoded(info, value.request(info), permission)


async def geocode_address(
    info: Info, address: str | None, commune: Any, permission: Permission
) -> dict[str, Any] | None:
    """What the installation's geocoder answers for ``address`` in ``commune`` (its global
    ID): a GeoJSON geometry, to check with ``check_geometry``; None when it places nothing,
    when the address or commune is wrong, or without a geocoder. Call it before
    :func:`mutate`: no transaction waits on the geocoder (docs/places.md)."""
    if commune is None or commune is strawberry.UNSET or not isinstance(address, str):
        return None
    request = places.PlaceRequest(
        address=address, commune=commune, limits=places.PlaceLimits.of(info.context.settings)
    )
    return (await _geocoded(info, request, permission)).geocoded


async def _geocoded(
    info: Info, request: places.PlaceRequest, permission: Permission
) -> places.PlaceRequest:
    """``request`` geocoded (:func:`places.geocode`), on behalf of a caller with the
    mutation's ``permission`` only (the unit of work refuses the others anyway)."""
    geocoder = installed_geocoder(info.context.host)
    if geocoder is None or not request.needs_geocoding:
        return request
    try:
        authorise(info.context.principal, permission)
    except Invalid:
        return request
    return await places.geocode(info.context.sessionmaker, request, geocoder)


async def set_location(session: Any, row: Any, request: Any) -> None:
    """Give ``row`` (an addressed row) the place an update asks for (:func:`geocoded`; unset:
    unchanged; null: none); the audit and the event see the changed columns."""
    if request is strawberry.UNSET:
        return
    columns = places.NO_ADDRESS if request is None else await places.place_columns(session, request)
    places.set_place(row, columns)


def installed_geocoder(host: Any) -> places.Geocoder | None:
    """The first geocoder of the plugins' ``bocage_geocoders``, if any plugin has one."""
    for _plugin, found in host.contributions("bocage_geocoders"):
        return found  # type: ignore[no-any-return]  # checked against the hookspec
    return None


@strawberry.input(description="A bounding box in degrees, WGS 84.")
class BoundingBoxInput:
    west: float
    south: float
    east: float
    north: float

    def box(self, field: str = "within") -> places.Box:
        if not (-180 <= self.west <= self.east <= 180 and -90 <= self.south <= self.north <= 90):
            raise BadInput(
                f"{field}: west <= east within -180..180 and south <= north within -90..90",
                field=field,
            )
        return places.Box(self.west, self.south, self.east, self.north)


@strawberry.input(description="Within a distance of a point (an area: of its bounding box).")
class NearInput:
    longitude: float
    latitude: float
    metres: float

    def near(self, settings: Any, field: str = "near") -> places.Near:
        limit = settings.places_max_distance_metres
        if not (-180 <= self.longitude <= 180 and -90 <= self.latitude <= 90):
            raise BadInput(f"{field}: longitude within -180..180, latitude -90..90", field=field)
        if not 0 < self.metres <= limit:
            raise BadInput(
                f"{field}.metres must be above 0 and at most {limit:g} "
                "(BOCAGE_PLACES_MAX_DISTANCE_METRES)",
                field=field,
            )
        return places.Near(self.longitude, self.latitude, self.metres)


def place_filters(context: Any, model: Any, within: Any, near: Any) -> list[Any]:
    """The conditions of a list's ``within`` and ``near`` filters (unset or null: none)."""
    conditions = []
    if within is not None and within is not strawberry.UNSET:
        conditions.append(within.box().overlaps(model, context.dialect))
    if near is not None and near is not strawberry.UNSET:
        conditions.append(near.near(context.settings).reaches(model, context.dialect))
    return conditions


def location_spec(address: str = "location_address", commune: str = "location_commune_id") -> Any:
    """The read compiler's declaration of a located row's ``location`` field (its twin of
    :func:`location_of`): ``address`` and ``commune`` name the row's columns of the address
    and of its commune's key. ``centroid`` is computed by shapely: a document asking for it
    is answered by the resolvers."""
    from sqlalchemy import case, func, null

    from bocage.core.graphql.compiler.build import NotCompilable
    from bocage.core.graphql.compiler.spec import Custom

    def compute(b: Any, level: Any, selection: Any) -> Any:
        rows = level.rows.c
        box = (rows.location_west, rows.location_south, rows.location_east, rows.location_north)

        def value(name: str, sub: Any) -> Any:
            match name:
                case "geometry":
                    return b.json.stored_json(rows.location)
                case "bbox":
                    return func.json_build_array(*box) if b.json.pg else func.json_array(*box)
                case "address":
                    return rows[address]
                case "commune":
                    return b.one("Commune", commune, level, sub)
            raise NotCompilable(f"Location.{name}")

        located = b.object_of(selection, value, "Location")
        return case((rows.location.is_(None), null()), else_=located)

    names = ("location", "location_west", "location_south", "location_east", "location_north")
    return Custom(compute, columns=(*names, address, commune))
