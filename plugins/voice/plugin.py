"""The voice plugin's hook implementations (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bocage.core.api import (
    Dataset,
    DeployFinding,
    Host,
    JobKind,
    Permission,
    PersonalData,
    PluginSettings,
    RestRoute,
    WebhookEventType,
    hookimpl,
)
from bocage.plugins.voice.permissions import ALL, VOICE_MODERATE

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"

#: The plugin's event types: public, with no personal data (a comment's ID, the names of the
#: fields that changed), but reports, which moderators alone learn of.
WEBHOOK_EVENTS = [
    WebhookEventType("comment.created", "A comment or a reply was posted (data: its ID)."),
    WebhookEventType("comment.edited", "Its author edited a comment."),
    WebhookEventType("comment.hidden", "A moderator hid a comment (its reason is shown)."),
    WebhookEventType("comment.shown", "A moderator showed a hidden comment again."),
    WebhookEventType(
        "comment.reported", "Someone reported a comment (data: the reason).", VOICE_MODERATE.code
    ),
    WebhookEventType("support.created", "Someone supported an object (never who)."),
    WebhookEventType("support.withdrawn", "Someone withdrew their support (never who)."),
]


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    from bocage.plugins.voice.settings import VoiceSettings

    return VoiceSettings


@hookimpl
def bocage_permissions() -> list[Permission]:
    return list(ALL)


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_graphql_query() -> list[type]:
    from bocage.plugins.voice.graphql import VoiceQuery

    return [VoiceQuery]


@hookimpl
def bocage_graphql_mutation() -> list[type]:
    from bocage.plugins.voice.graphql import VoiceMutation

    return [VoiceMutation]


@hookimpl
def bocage_routes() -> list[RestRoute]:
    from bocage.plugins.voice.routes import ROUTES

    return list(ROUTES)


@hookimpl
def bocage_jobs() -> list[JobKind]:
    from bocage.plugins.voice.digest import JOB

    return [JOB]


@hookimpl
def bocage_webhook_events() -> list[WebhookEventType]:
    return list(WEBHOOK_EVENTS)


@hookimpl
def bocage_personal_data() -> Sequence[PersonalData]:
    from bocage.plugins.voice.privacy import PARTS

    return PARTS


@hookimpl
def bocage_deploy_checks(host: Host) -> list[DeployFinding]:
    from bocage.plugins.voice.settings import voice_settings

    settings = voice_settings(host)
    findings = []
    if len(settings.signing_key) < 32:
        findings.append(
            DeployFinding(
                "voice.signing_key",
                "BOCAGE_VOICE_SIGNING_KEY is empty or shorter than 32 characters: anyone could "
                "forge the digests' unsubscribe links; set a long random secret.",
            )
        )
    if "localhost" in settings.base_url or "127.0.0.1" in settings.base_url:
        findings.append(
            DeployFinding(
                "voice.base_url",
                "BOCAGE_VOICE_BASE_URL points at this machine: the digests' links would not "
                "reach anyone; set the API's public URL.",
                level="warning",
            )
        )
    return findings


@hookimpl
def bocage_datasets() -> list[Dataset]:
    """Comments and supports counted per object and month, in the open-data catalogue (only
    called when a plugin publishing datasets, the bundled open-data one, is loaded)."""
    from bocage.plugins.voice.publication import voice_datasets

    return voice_datasets()
