"""The workshops plugin's settings, read from ``BOCAGE_WORKSHOPS_<FIELD>``."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from bocage.core.api import Host, PluginSettings


class WorkshopsSettings(PluginSettings):
    # Defaults are given as `default=`: type checkers then know `WorkshopsSettings()` (read
    # from the environment alone) needs no argument.
    # The host reads them with this prefix too; set here so that code without the host (the
    # GDPR erasure) reads the same values.
    model_config = SettingsConfigDict(
        **{**PluginSettings.model_config, "env_prefix": "BOCAGE_WORKSHOPS_"}
    )

    base_url: str = Field(
        default="",
        description="Public base URL of the API, for the calendar (.ics) links in e-mails to "
        "registrants and the URLs GraphQL gives (icalUrl, attendanceSheetUrl), e.g. "
        "https://api.gal.be; empty: the URL of the request.",
    )
    cancel_url: str = Field(
        default="",
        description="The page of the GAL's site where a registration is cancelled, with "
        "`{token}` where the secret token goes (e.g. https://gal.be/annuler?token={token}); "
        "empty: the e-mails give the token itself.",
    )
    reply_to: str = Field(
        default="", description="`Reply-To` of the e-mails to registrants (empty: none)."
    )
    reminder_hours: int = Field(
        default=24,
        ge=0,
        le=720,
        description="How many hours before an event its registrants holding a seat get a "
        "reminder e-mail (once each); 0: no reminders. At most 720 (30 days).",
    )

    @field_validator("base_url", "cancel_url")
    @classmethod
    def _http(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("cancel_url")
    @classmethod
    def _token(cls, value: str) -> str:
        if value and "{token}" not in value:
            raise ValueError("must contain {token}, where the secret token goes")
        return value


def workshops_settings(host: Host) -> WorkshopsSettings:
    """The plugin's settings, as the host loaded them from :class:`WorkshopsSettings`."""
    settings = host.plugin_settings("workshops")
    if not isinstance(settings, WorkshopsSettings):
        raise TypeError(f"the workshops plugin's settings are a {type(settings).__name__}")
    return settings
