"""The core's own contributions, registered like any plugin's (named ``core``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bocage.core.hookspecs import (
    JobKind,
    MediaOwner,
    Permission,
    PersonalData,
    RestRoute,
    WebhookEventType,
    hookimpl,
)

if TYPE_CHECKING:
    from bocage.core.host_protocol import Host


@hookimpl
def bocage_graphql_query() -> Sequence[type]:
    from bocage.core.graphql.changes import ChangesQuery
    from bocage.core.graphql.jobs import JobQuery
    from bocage.core.graphql.permissions import PermissionQuery
    from bocage.core.graphql.privacy import PrivacyQuery
    from bocage.core.graphql.query import CoreQuery, node_query
    from bocage.core.graphql.sdgs import SdgQuery
    from bocage.core.graphql.viewer import ViewerQuery
    from bocage.core.graphql.webhooks import WebhookQuery

    return [
        CoreQuery,
        PrivacyQuery,
        ChangesQuery,
        WebhookQuery,
        JobQuery,
        PermissionQuery,
        SdgQuery,
        ViewerQuery,
        node_query(),
    ]


@hookimpl
def bocage_compiled_reads() -> object:
    from bocage.core.graphql.compiler.core_types import compiled_reads

    return compiled_reads()


@hookimpl
def bocage_routes(host: Host) -> Sequence[RestRoute]:
    from bocage.core import places_http
    from bocage.core.changes_http import route
    from bocage.core.media_http import routes as media_routes

    return [route(), *media_routes(host.settings), places_http.route()]


@hookimpl
def bocage_graphql_mutation() -> Sequence[type]:
    from bocage.core.graphql.jobs import JobMutations
    from bocage.core.graphql.media import MediaMutations
    from bocage.core.graphql.mutations.projects import ProjectMutations
    from bocage.core.graphql.mutations.stakeholders import StakeholderMutations
    from bocage.core.graphql.mutations.territory import TerritoryMutations
    from bocage.core.graphql.permissions import PermissionMutations
    from bocage.core.graphql.privacy import PrivacyMutations
    from bocage.core.graphql.webhooks import WebhookMutations

    return [
        TerritoryMutations,
        ProjectMutations,
        StakeholderMutations,
        PrivacyMutations,
        WebhookMutations,
        JobMutations,
        PermissionMutations,
        MediaMutations,
    ]


@hookimpl
def bocage_permissions() -> Sequence[Permission]:
    from bocage.core.graphql.mutations.projects import PROJECTS_WRITE
    from bocage.core.graphql.mutations.stakeholders import CONTACTS_WRITE, STAKEHOLDERS_WRITE
    from bocage.core.graphql.personal import CONTACTS_READ
    from bocage.core.graphql.privacy import AUDIT_READ, PERSONAL_DATA_MANAGE
    from bocage.core.webhooks import WEBHOOKS_MANAGE

    return [
        PROJECTS_WRITE,
        STAKEHOLDERS_WRITE,
        CONTACTS_READ,
        CONTACTS_WRITE,
        AUDIT_READ,
        PERSONAL_DATA_MANAGE,
        WEBHOOKS_MANAGE,
    ]


@hookimpl
def bocage_jobs() -> Sequence[JobKind]:
    from bocage.core.mail import job_kind as email_job
    from bocage.core.webhooks.delivery import job_kind as delivery_job

    return [delivery_job(), email_job()]


@hookimpl
def bocage_webhook_events() -> Sequence[WebhookEventType]:
    from bocage.core.webhooks import core_event_types

    return core_event_types()


@hookimpl
def bocage_graphql_types() -> Sequence[type]:
    from bocage.core.graphql.media import Media

    return [Media]


@hookimpl
def bocage_media_owners() -> Sequence[MediaOwner]:
    from bocage.core.media.owners import core_owners

    return core_owners()


@hookimpl
def bocage_personal_data() -> PersonalData:
    from bocage.core.media.privacy import uploads

    return uploads()
