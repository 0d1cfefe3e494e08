"""The surveys plugin's hook implementations (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from bocage.core.api import Permission, PluginSettings, RestRoute, Seeder, hookimpl
from bocage.plugins.surveys.answering import SurveyAnsweringMutation
from bocage.plugins.surveys.mutations import SurveyMutation
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE
from bocage.plugins.surveys.queries import SurveyQuery


class SurveysSettings(PluginSettings):
    min_cell_size: int = Field(
        5,
        ge=1,
        description="Public results withhold any count under this many respondents (k).",
    )


@hookimpl
def bocage_settings() -> type[PluginSettings]:
    return SurveysSettings


@hookimpl
def bocage_permissions() -> list[Permission]:
    return [SURVEYS_MANAGE]


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_graphql_query() -> list[type]:
    return [SurveyQuery]


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


@hookimpl(optionalhook=True)
def bocage_datasets() -> list[object]:
    """The suppressed results of closed surveys, in the open-data catalogue (only called when
    the open-data plugin is loaded)."""
    from bocage.plugins.surveys.publication import survey_datasets

    return list(survey_datasets())
