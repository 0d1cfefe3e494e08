"""Settings: typed, defaulted, read from BOCAGE_* variables, and validated with useful errors."""

from __future__ import annotations

import pytest
from pydantic import Field

from bocage.core.errors import SettingsError
from bocage.core.settings import (
    DEFAULT_DATABASE_URL,
    PluginSettings,
    Settings,
    load_plugin_settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("BOCAGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_no_environment() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite
    assert settings.graphiql_enabled
    assert settings.cors_origins == ["*"]


def test_environment_variables_and_comma_separated_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOCAGE_DISABLED_PLUGINS", "surveys, opendata")
    monkeypatch.setenv("BOCAGE_CORS_ORIGINS", "https://hannut.be,https://andenne.be")
    monkeypatch.setenv("BOCAGE_PAGE_SIZE_MAX", "250")
    settings = load_settings()
    assert settings.disabled_plugins == ["surveys", "opendata"]
    assert settings.cors_origins == ["https://hannut.be", "https://andenne.be"]
    assert settings.page_size_max == 250


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("BOCAGE_DEFAULT_LANGUAGE=nl\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().default_language == "nl"


def test_plain_postgresql_url_gets_the_async_driver() -> None:
    settings = load_settings(database_url="postgresql://bocage@db/bocage")
    assert settings.database_url == "postgresql+asyncpg://bocage@db/bocage"


def test_production_hides_graphiql_unless_asked() -> None:
    assert not load_settings(environment="production").graphiql_enabled
    assert load_settings(environment="production", graphiql=True).graphiql_enabled


def test_invalid_values_name_the_variable_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOCAGE_PAGE_SIZE_MAX", "lots")
    monkeypatch.setenv("BOCAGE_DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "BOCAGE_PAGE_SIZE_MAX" in message
    assert "BOCAGE_DATABASE_URL" in message and "postgresql+asyncpg://" in message


def test_default_page_size_cannot_exceed_the_maximum() -> None:
    with pytest.raises(SettingsError, match="BOCAGE_PAGE_SIZE_DEFAULT"):
        load_settings(page_size_default=50, page_size_max=10)


def test_every_setting_has_a_description() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help text"


class NeedsKey(PluginSettings):
    api_key: str = Field(description="Key of the remote service.")
    retries: int = Field(3, description="How often to retry.")


def test_plugin_settings_are_read_under_the_plugin_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOCAGE_MYPLUGIN_API_KEY", "s3cret")
    monkeypatch.setenv("BOCAGE_MYPLUGIN_RETRIES", "5")
    settings = load_plugin_settings("myplugin", NeedsKey)
    assert settings.api_key == "s3cret"  # type: ignore[attr-defined]
    assert settings.retries == 5  # type: ignore[attr-defined]


def test_missing_plugin_setting_names_the_variable() -> None:
    with pytest.raises(SettingsError) as error:
        load_plugin_settings("myplugin", NeedsKey)
    assert "BOCAGE_MYPLUGIN_API_KEY: is required but not set" in str(error.value)
