"""The surveys plugin's hook implementations (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from bocage.core.api import (
    LIMIT,
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

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"


class SurveysSettings(PluginSettings):
    min_cell_size: int = Field(
        5,
        ge=1,
        description="Public results withhold any count under this many respondents (k).",
        json_schema_extra=LIMIT,
    )
    anonymous_batch_size: int = Field(
        5,
        ge=1,
        description="Anonymous responses wait in a holding pool until at least this many can "
        "be stored together, shuffled (k): closing included, fewer are never shown, and a "
        "batch needs this many through sealed (e-mailed) invitations, or none of them.",
        json_schema_extra=LIMIT,
    )
    pool_sweep_minutes: float = Field(
        10,
        gt=0,
        description="How often an open anonymous survey's holding pool is swept (moved into "
        "the results once it holds at least the batch size): results lag by up to this.",
    )
    answer_url: str = Field(
        "http://localhost:8000/surveys/answer?token={token}",
        description="The respondents' answer page of your front-end, with `{token}` where the "
        "invitation token goes: the personal link in invitation and reminder e-mails.",
    )
    reminder_interval_hours: float = Field(
        72,
        ge=0,
        description="Minimum time between two reminder e-mails to the same invitee.",
        json_schema_extra=LIMIT,
    )

    @field_validator("answer_url")
    @classmethod
    def _has_token(cls, value: str) -> str:
        if "{token}" not in value:
            raise ValueError("put {token} where the invitation token goes in the URL")
        return value


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    return SurveysSettings


@hookimpl
def bocage_permissions() -> list[Permission]:
    return [SURVEYS_MANAGE]


@hookimpl
def bocage_jobs() -> list[JobKind]:
    from bocage.plugins.surveys.lifecycle import job_kinds

    return job_kinds()


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
