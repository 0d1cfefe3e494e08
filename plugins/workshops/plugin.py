"""The workshops plugin's hook implementations (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bocage.core.api import (
    CommuneFollower,
    CompiledReads,
    DiscussionTarget,
    JobKind,
    MediaOwner,
    Permission,
    PersonalData,
    PluginSettings,
    RecipientSource,
    RestRoute,
    Seeder,
    WebhookEventType,
    hookimpl,
)
from bocage.plugins.workshops.graphql import (
    calendars,
    card_live,
    card_mutations,
    card_queries,
    event_mutations,
    event_queries,
    events,
    registration_mutations,
    registrations,
)
from bocage.plugins.workshops.permissions import (
    ALL,
    WORKSHOPS_FACILITATE,
    WORKSHOPS_ORGANISE,
)

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"

ORGANISE = WORKSHOPS_ORGANISE.code
FACILITATE = WORKSHOPS_FACILITATE.code

#: The plugin's event types, each with the permission its events are recorded with.
WEBHOOK_EVENTS = [
    WebhookEventType("event.created", "A workshops event was created (a draft).", ORGANISE),
    WebhookEventType(
        "event.updated",
        "A workshops event, its agenda or its speakers changed (a draft's changes reach "
        "only subscribers with workshops:organise).",
    ),
    WebhookEventType("event.published", "A workshops event was published."),
    WebhookEventType(
        "event.cancelled",
        "A workshops event was cancelled (a draft's cancellation reaches only subscribers "
        "with workshops:organise).",
    ),
    WebhookEventType("registration.confirmed", "A registration took a seat.", ORGANISE),
    WebhookEventType(
        "registration.waitlisted", "A registration joined an event's waiting list.", ORGANISE
    ),
    WebhookEventType(
        "registration.promoted",
        "A registration moved up from the waiting list to a seat.",
        ORGANISE,
    ),
    WebhookEventType("registration.cancelled", "A registration was cancelled.", ORGANISE),
    WebhookEventType(
        "registration.checked_in", "An attendee was checked in at the door.", ORGANISE
    ),
    WebhookEventType(
        "event.attendance_exported",
        "An organiser downloaded an event's attendance sheet (data: format, names).",
        ORGANISE,
    ),
    *(
        WebhookEventType(f"workshop.{action}", what, FACILITATE)
        for action, what in (
            ("created", "A challenge-card workshop was created."),
            ("settings_changed", "A workshop's durations or limits changed."),
            ("phase_changed", "A workshop moved to its next phase (data: from, to)."),
            ("joined", "Someone joined a workshop."),
            ("participants_added", "The facilitator typed in paper participants."),
            ("inventory_added", "An entry was added to a workshop's inventory."),
            ("inventory_linked", "An inventory entry was linked to a project."),
            ("inventory_turned_into_project", "An inventory entry became a project."),
            ("cards_written", "Challenge cards were written (or typed in from paper)."),
            ("card_swapped", "A participant swapped a card with the table."),
            ("groups_assigned", "A workshop's groups were formed."),
            ("challenges_selected", "A group selected its challenges."),
            ("challenges_merged", "The facilitator merged challenges."),
            ("challenge_promoted", "A challenge became a project (data: challenge, project)."),
        )
    ),
]


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    from bocage.plugins.workshops.settings import WorkshopsSettings

    return WorkshopsSettings


@hookimpl
def bocage_jobs() -> list[JobKind]:
    from bocage.plugins.workshops.reminders import JOB

    return [JOB]


@hookimpl
def bocage_recipient_sources() -> list[RecipientSource]:
    from bocage.plugins.workshops.recipients import SOURCES

    return list(SOURCES)


@hookimpl
def bocage_webhook_events() -> list[WebhookEventType]:
    return list(WEBHOOK_EVENTS)


@hookimpl
def bocage_permissions() -> list[Permission]:
    return list(ALL)


@hookimpl
def bocage_commune_followers() -> list[CommuneFollower]:
    """Events in a commune, and the card workshops held at them, follow it to another GAL."""
    from bocage.plugins.workshops.store import COMMUNE_FOLLOWER

    return [COMMUNE_FOLLOWER]


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_graphql_types() -> list[type]:
    return [events.WorkshopsEvent, registrations.WorkshopsRegistration]


@hookimpl
def bocage_graphql_query() -> list[type]:
    return [event_queries.WorkshopsQuery, card_queries.CardWorkshopQuery, calendars.CalendarQuery]


@hookimpl
def bocage_compiled_reads() -> CompiledReads:
    """The public events list, answered in SQL (see compiled.py)."""
    from bocage.plugins.workshops.compiled import compiled_reads

    return compiled_reads()


@hookimpl
def bocage_graphql_mutation() -> list[type]:
    # The schema lists the parts' fields last part first (the committed SDL keeps its order).
    return [
        registration_mutations.WorkshopsRegistrationMutation,
        event_mutations.WorkshopsEventMutation,
        card_mutations.CardWorkshopMutation,
    ]


@hookimpl
def bocage_graphql_subscription() -> list[type]:
    return [card_live.CardWorkshopSubscription]


@hookimpl
def bocage_routes() -> list[RestRoute]:
    from bocage.plugins.workshops import attendance_sheet, ical

    return [*ical.ROUTES, *attendance_sheet.ROUTES]


@hookimpl
def bocage_seed() -> Seeder:
    from bocage.plugins.workshops.seed import seed

    return seed


@hookimpl
def bocage_personal_data() -> Sequence[PersonalData]:
    from bocage.plugins.workshops.privacy import PARTS

    return PARTS


@hookimpl
def bocage_media_owners() -> Sequence[MediaOwner]:
    from bocage.plugins.workshops.media import media_owners

    return media_owners()


@hookimpl
def bocage_discussion_targets() -> list[DiscussionTarget]:
    """A workshop's challenges, open for comments and supports once it closed."""
    from bocage.plugins.workshops.discussion import TARGETS

    return list(TARGETS)
