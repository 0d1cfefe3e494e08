"""The open-data plugin, registered under the ``bocage`` entry-point group as ``opendata``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bocage.core.api import (
    CompiledReads,
    DeployFinding,
    Host,
    Permission,
    PluginSettings,
    RestRoute,
    WebhookEventType,
    hookimpl,
)
from bocage.plugins.opendata.permissions import OPENDATA_PUBLISH
from bocage.plugins.opendata.routes import routes
from bocage.plugins.opendata.settings import (
    MAX_UPLOAD_SETTING,
    OpendataSettings,
    opendata_settings,
)
from bocage.plugins.opendata.upload_routes import UPLOAD_LIMITED

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    return OpendataSettings


@hookimpl
def bocage_routes(host: Host) -> list[RestRoute]:
    # Files are larger than the core's body limit (sized for GraphQL): the upload route has
    # its own, BOCAGE_OPENDATA_MAX_UPLOAD_BYTES.
    upload_limit = opendata_settings(host).max_upload_bytes
    return [
        RestRoute(
            name=name,
            route=route,
            openapi=doc,
            max_body_bytes=upload_limit if name in UPLOAD_LIMITED else None,
            max_body_setting=MAX_UPLOAD_SETTING if name in UPLOAD_LIMITED else None,
        )
        for name, route, doc in routes()
    ]


@hookimpl
def bocage_webhook_events() -> Sequence[WebhookEventType]:
    from bocage.plugins.opendata.events import EVENT_TYPES

    return EVENT_TYPES


@hookimpl
def bocage_graphql_query() -> list[type]:
    from bocage.plugins.opendata.graphql import OpendataQuery

    return [OpendataQuery]


@hookimpl
def bocage_compiled_reads() -> CompiledReads:
    """``opendataDatasets`` in one statement (see ``compiled.py``)."""
    from bocage.plugins.opendata.compiled import compiled_reads

    return compiled_reads()


@hookimpl
def bocage_permissions() -> Sequence[Permission]:
    return [OPENDATA_PUBLISH]


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_startup_check(host: Host) -> None:
    """Build the catalogue now: two plugins publishing one identifier stop startup, rather
    than the catalogue's first request. Warn of the placeholder defaults every DCAT document
    would publish (the quality reports list them too)."""
    from bocage.plugins.opendata.registry import catalogue, logger

    found = catalogue(host)
    placeholders = found.settings.placeholders()
    if placeholders:
        logger.warning(
            "the open-data catalogue publishes placeholders (a publisher, contact or base URL "
            "that are not yours): set %s",
            ", ".join(placeholders),
        )


@hookimpl
def bocage_deploy_checks(host: Host) -> Sequence[DeployFinding]:
    """The catalogue's placeholders (publisher, contact) and its public base URL."""
    from bocage.plugins.opendata.settings import deploy_findings

    return deploy_findings(opendata_settings(host))
