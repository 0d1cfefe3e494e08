"""The open-data plugin, registered under the ``bocage`` entry-point group as ``opendata``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bocage.core.api import Permission, PluginSettings, RestRoute, hookimpl
from bocage.plugins.opendata.permissions import OPENDATA_PUBLISH
from bocage.plugins.opendata.routes import routes
from bocage.plugins.opendata.settings import OpendataSettings


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    return OpendataSettings


@hookimpl
def bocage_routes() -> list[RestRoute]:
    return [RestRoute(name=name, route=route, openapi=doc) for name, route, doc in routes()]


@hookimpl
def bocage_graphql_query() -> list[type]:
    from bocage.plugins.opendata.graphql import OpendataQuery

    return [OpendataQuery]


@hookimpl
def bocage_permissions() -> Sequence[Permission]:
    return [OPENDATA_PUBLISH]


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]
