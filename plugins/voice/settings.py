"""The voice plugin's settings, read from ``BOCAGE_VOICE_<FIELD>``."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from bocage.core.api import LIMIT, Host, PluginSettings


class VoiceSettings(PluginSettings):
    # The prefix is set here too so that code without the host (the GDPR erasure) reads the
    # same values.
    model_config = SettingsConfigDict(
        **{**PluginSettings.model_config, "env_prefix": "BOCAGE_VOICE_"}
    )

    comment_max_length: int = Field(
        default=2000,
        ge=1,
        le=20000,
        description="Longest comment, in characters; longer ones are refused.",
        json_schema_extra=LIMIT,
    )
    max_depth: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Deepest level of a comment thread: 1 is a comment, 2 a reply to it...; a "
        "reply deeper than this is refused.",
        json_schema_extra=LIMIT,
    )
    comments_per_hour: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Comments one person may post in any hour (replies included); beyond, "
        "refused (INVALID on `body`, naming this setting) until an hour after the oldest.",
        json_schema_extra=LIMIT,
    )
    edit_minutes: int = Field(
        default=15,
        ge=0,
        le=1440,
        description="Minutes during which the author may edit a comment after posting it; 0: "
        "never.",
        json_schema_extra=LIMIT,
    )
    subscriptions_per_hour: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Subscriptions one person may make in any hour (each sends a confirmation "
        "e-mail, to an address they typed); beyond, refused until an hour after the oldest.",
        json_schema_extra=LIMIT,
    )
    digest_max_items: int = Field(
        default=50,
        ge=1,
        le=500,
        description="Most changes listed in one digest e-mail; the rest are counted in one "
        "line ('and N more').",
        json_schema_extra=LIMIT,
    )
    digest_hours: int = Field(
        default=24,
        ge=1,
        le=168,
        description="Hours between two digests to the same subscriber (the digest job runs "
        "this often).",
    )
    consent_version: str = Field(
        default="2026-12",
        min_length=1,
        max_length=40,
        description="Version of the consent wording a subscriber accepts (recorded with the "
        "subscription); change it with the wording.",
    )
    base_url: str = Field(
        default="http://localhost:8000",
        description="Public base URL of the API, for the one-click unsubscribe links of the "
        "digests (e.g. https://api.gal.be).",
    )

    signing_key: str = Field(
        default="",
        description="Secret that signs the confirmation and one-click unsubscribe links of the "
        "digests (32 characters or more); empty: a development key, refused by `bocage check "
        "--deploy`. Changing it breaks the links already sent.",
    )

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


def voice_settings(host: Host) -> VoiceSettings:
    """The plugin's settings, as the host loaded them from :class:`VoiceSettings`."""
    settings = host.plugin_settings("voice")
    if not isinstance(settings, VoiceSettings):
        raise TypeError(f"the voice plugin's settings are a {type(settings).__name__}")
    return settings
