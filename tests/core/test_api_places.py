"""The places part of the plugin contract (docs/plugins.md, docs/places.md): the few names a
plugin needs, and the old ones still served with a DeprecationWarning (docs/compatibility.md)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import bocage.core.api as api
from bocage.core.domain.errors import Invalid

#: Names the places section no longer exports, each still served until contract 2.0.
DEPRECATED = (
    "spatial_index_ddl",
    "drop_spatial_index_ddl",
    "installed_geocoder",
    "given_geometry",
    "NO_PLACE",
    "Place",
    "Box",
    "geojson_point",
    "place_centroid",
)


@pytest.mark.parametrize("name", DEPRECATED)
def test_a_deprecated_name_still_works_and_says_what_to_use(name: str) -> None:
    assert name not in api.__all__
    with pytest.warns(DeprecationWarning, match=f"bocage.core.api.{name} is deprecated.*use "):
        value = getattr(api, name)
    assert value is not None
    with pytest.warns(DeprecationWarning):
        exec(f"from bocage.core.api import {name}", {})


def test_the_exported_names_give_no_warning_and_unknown_ones_are_refused() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for name in api.__all__:
            getattr(api, name)
    with pytest.raises(AttributeError, match="no attribute 'spatial_index'"):
        api.spatial_index  # noqa: B018  # the lookup is the test


class _Settings:
    places_max_vertices = 10_000
    places_box = (2.5, 49.4, 6.5, 51.6)
    places_max_extent_km = 500.0
    places_max_address_chars = 300
    places_max_distance_metres = 100_000.0


def test_located_columns() -> None:
    settings: Any = _Settings()
    point = api.located_columns(settings, longitude=5.0784, latitude=50.6713)
    assert point["location"] == {"type": "Point", "coordinates": [5.0784, 50.6713]}
    assert point["location_west"] == point["location_east"] == 5.0784
    nothing = api.located_columns(settings)
    assert set(nothing) == set(point) and set(nothing.values()) == {None}
    for kwargs, field, code in [
        ({"required": True}, "location", "REQUIRED"),
        ({"longitude": 5.0}, "location", "REQUIRED"),
        (
            {"longitude": 5.0, "latitude": 50.0, "geometry": {"type": "Point"}},
            "location",
            "INVALID",
        ),
        # Paris, outside the Belgian bounds of these settings
        ({"longitude": 2.35, "latitude": 48.85}, "location.geometry", "INVALID"),
    ]:
        with pytest.raises(Invalid) as refused:
            api.located_columns(settings, **kwargs)
        assert (refused.value.field, refused.value.code.name) == (field, code)
