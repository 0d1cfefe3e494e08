"""The surveys plugin's settings (``BOCAGE_SURVEYS_*``), and how its modules read them."""

from __future__ import annotations

from pydantic import Field, field_validator

from bocage.core.api import LIMIT, Host, PluginSettings


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
    closing_reminder_hours: int = Field(
        48,
        ge=0,
        le=720,
        description="How many hours before an open survey closes (the end of its closing "
        "day, UTC) its invited contacts who have not answered get a reminder e-mail, unless "
        "reminded within BOCAGE_SURVEYS_REMINDER_INTERVAL_HOURS; 0: none. At most 720 "
        "(30 days).",
    )

    @field_validator("answer_url")
    @classmethod
    def _has_token(cls, value: str) -> str:
        if "{token}" not in value:
            raise ValueError("put {token} where the invitation token goes in the URL")
        return value


def surveys_settings(host: Host) -> SurveysSettings:
    """The plugin's settings, as the host loaded them from :class:`SurveysSettings`."""
    settings = host.plugin_settings("surveys")
    if not isinstance(settings, SurveysSettings):
        raise TypeError(f"the surveys plugin's settings are a {type(settings).__name__}")
    return settings
