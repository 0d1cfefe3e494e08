"""Typed twelve-factor settings: ``BOCAGE_*`` environment variables, optionally from ``.env``.

Every setting has a default and a help text; :func:`load_settings` validates them all at once
and raises :class:`SettingsError` with one line per problem, naming the variable to fix.
Plugin settings live under the plugin's name (``BOCAGE_<PLUGIN>_<FIELD>``), see
:class:`PluginSettings`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bocage.core.errors import SettingsError

Language = Literal["fr", "nl", "de", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "nl", "de", "en")

ENV_PREFIX = "BOCAGE_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///bocage.db"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """The host's settings. Each field is read from ``BOCAGE_<FIELD NAME IN CAPITALS>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the database. The default is an SQLite file in the "
        "working directory; for production use postgresql+asyncpg://user:pass@host/db.",
    )
    auto_migrate: bool = Field(
        True,
        description="Create the database and apply pending migrations when the server starts.",
    )
    environment: Literal["development", "production"] = Field(
        "development",
        description="'production' hides GraphiQL unless BOCAGE_GRAPHIQL says otherwise.",
    )
    graphiql: bool | None = Field(
        None,
        description="Serve GraphiQL to browsers at /graphql (default: on except in production).",
    )
    default_language: Language = Field(
        "fr",
        description="Language of multilingual fields when neither the query nor "
        "Accept-Language asks for one (fr, nl, de or en).",
    )
    page_size_default: int = Field(
        20, ge=1, description="Items per page of a connection when `first` is not given."
    )
    page_size_max: int = Field(
        100, ge=1, description="Largest `first` a client may ask for on a connection."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"],
        description="Comma-separated origins allowed to call the API from a browser ('*' for any).",
    )
    disabled_plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated names of installed plugins to leave out.",
    )
    db_pool_size: int = Field(
        10, ge=1, description="Connections kept open per worker (PostgreSQL only)."
    )
    sql_echo: bool = Field(False, description="Log every SQL statement (for debugging).")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Logging level of the server."
    )

    @field_validator("cors_origins", "disabled_plugins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @model_validator(mode="after")
    def _page_sizes(self) -> Settings:
        if self.page_size_default > self.page_size_max:
            raise ValueError(
                f"BOCAGE_PAGE_SIZE_DEFAULT ({self.page_size_default}) must not exceed "
                f"BOCAGE_PAGE_SIZE_MAX ({self.page_size_max})"
            )
        return self

    @property
    def graphiql_enabled(self) -> bool:
        if self.graphiql is not None:
            return self.graphiql
        return self.environment != "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class PluginSettings(BaseSettings):
    """Base class of a plugin's settings, returned by its ``bocage_settings`` hook.

    Fields are read from ``BOCAGE_<PLUGIN NAME>_<FIELD>``; give each a default (or none, to
    make it required) and a ``description``.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")


def describe_validation_error(error: ValidationError, prefix: str) -> str:
    """One line per invalid setting, naming the environment variable."""
    lines = []
    for item in error.errors():
        field = "_".join(str(part) for part in item["loc"]).upper()
        variable = f"{prefix}{field}" if field else prefix.rstrip("_")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but not set"
        lines.append(f"  {variable}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; raise :class:`SettingsError` saying what to fix."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(
            "Invalid Bocage settings:\n" + describe_validation_error(error, ENV_PREFIX)
        ) from None


def load_plugin_settings(plugin: str, model: type[PluginSettings]) -> PluginSettings:
    """Instantiate a plugin's settings model from ``BOCAGE_<PLUGIN>_*`` variables."""
    prefix = f"{ENV_PREFIX}{plugin.upper().replace('-', '_')}_"
    bound = type(
        model.__name__, (model,), {"model_config": {**model.model_config, "env_prefix": prefix}}
    )
    try:
        return bound()
    except ValidationError as error:
        raise SettingsError(
            f"Invalid settings for plugin {plugin!r}:\n" + describe_validation_error(error, prefix)
        ) from None
