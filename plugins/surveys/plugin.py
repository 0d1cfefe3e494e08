"""The surveys plugin's hook implementations (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from pathlib import Path

from bocage.core.api import (
    CompiledReads,
    Dataset,
    JobKind,
    Permission,
    PersonalData,
    PluginSettings,
    RestRoute,
    Seeder,
    WebhookEventType,
    hookimpl,
)
from bocage.plugins.surveys.answering import SurveyAnsweringMutation
from bocage.plugins.surveys.mutations import SurveyMutation
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE
from bocage.plugins.surveys.queries import SurveyQuery
from bocage.plugins.surveys.settings import SurveysSettings

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    return SurveysSettings


@hookimpl
def bocage_permissions() -> list[Permission]:
    return [SURVEYS_MANAGE]


@hookimpl
def bocage_jobs() -> list[JobKind]:
    from bocage.plugins.surveys import reminders
    from bocage.plugins.surveys.lifecycle import job_kinds

    return [*job_kinds(), reminders.JOB]


@hookimpl
def bocage_webhook_events() -> list[WebhookEventType]:
    from bocage.plugins.surveys.lifecycle import webhook_event_types

    return webhook_event_types()


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_graphql_query() -> list[type]:
    return [SurveyQuery]


@hookimpl
def bocage_compiled_reads() -> CompiledReads:
    """The public surveys list, answered in SQL (see compiled.py)."""
    from bocage.plugins.surveys.compiled import compiled_reads

    return compiled_reads()


@hookimpl
def bocage_graphql_mutation() -> list[type]:
    return [SurveyMutation, SurveyAnsweringMutation]


@hookimpl
def bocage_routes() -> list[RestRoute]:
    from bocage.plugins.surveys.exports import ROUTES

    return list(ROUTES)


@hookimpl
def bocage_seed() -> Seeder:
    from bocage.plugins.surveys.seed import seed

    return seed


@hookimpl
def bocage_personal_data() -> PersonalData:
    """Invitations, drafts and attributed answers, by the invitee's address (privacy.py)."""
    from bocage.plugins.surveys.privacy import PART

    return PART


@hookimpl
def bocage_datasets() -> list[Dataset]:
    """The suppressed results of closed surveys, in the open-data catalogue (only called when
    a plugin publishing datasets, the bundled open-data one, is loaded)."""
    from bocage.plugins.surveys.publication import survey_datasets

    return list(survey_datasets())
