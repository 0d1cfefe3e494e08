"""`bocage check --deploy` flags each unsafe or unfinished item, says which setting fixes it,
exits 1 while an error remains, 0 once everything is set (or silenced)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bocage.core.api import DeployFinding, hookimpl
from bocage.core.deploy_check import deploy_findings
from bocage.core.host import PluginHost
from bocage.core.testing import settings_for

BOCAGE = str(Path(sys.executable).with_name("bocage"))
STRONG = "k8Jq2-vX9mLr4TzW"

#: A production configuration with nothing to report.
READY = {
    "database_url": f"postgresql+asyncpg://bocage:{STRONG}@db.internal/bocage",
    "environment": "production",
    "cors_origins": ["https://www.hannut.be", "https://agenda.andenne.be"],
    "smtp_host": "smtp.gal.be",
    "smtp_password": STRONG,
    "mail_from": "GAL Burdinale Mehaigne <noreply@gal-bm.be>",
    "rate_limit": "300/minute",
}
OPENDATA_READY = {
    "BOCAGE_OPENDATA_BASE_URL": "https://api.gal-bm.be",
    "BOCAGE_OPENDATA_PUBLISHER_NAME": "GAL Burdinale Mehaigne",
    "BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER": "0456789123",
    "BOCAGE_OPENDATA_CONTACT_EMAIL": "opendata@gal-bm.be",
}
VOICE_READY = {
    "BOCAGE_VOICE_BASE_URL": "https://api.gal-bm.be",
    "BOCAGE_VOICE_SIGNING_KEY": STRONG * 2,
}


def _findings(
    monkeypatch: pytest.MonkeyPatch, opendata: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    for name, value in {**OPENDATA_READY, **VOICE_READY, **(opendata or {})}.items():
        monkeypatch.setenv(name, value)
    merged = {**READY, **overrides}
    settings = settings_for(merged.pop("database_url"), **merged)
    return {f.id: f for f in deploy_findings(settings, PluginHost(settings))}


def test_a_ready_configuration_has_nothing_to_report(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _findings(monkeypatch) == {}


@pytest.mark.parametrize(
    ("overrides", "opendata", "finding", "level", "fix"),
    [
        (
            {"environment": "development", "graphiql": False, "graphql_introspection": False},
            {},
            "core.environment",
            "error",
            "BOCAGE_ENVIRONMENT",
        ),
        ({"graphiql": True}, {}, "core.graphiql", "error", "BOCAGE_GRAPHIQL"),
        (
            {"graphql_introspection": True},
            {},
            "core.introspection",
            "error",
            "BOCAGE_GRAPHQL_INTROSPECTION",
        ),
        ({"cors_origins": ["*"]}, {}, "core.cors_any", "error", "BOCAGE_CORS_ORIGINS"),
        ({"smtp_host": None}, {}, "core.smtp_unset", "error", "BOCAGE_SMTP_HOST"),
        (
            {"mail_from": "Bocage <noreply@localhost>"},
            {},
            "core.mail_from",
            "error",
            "BOCAGE_MAIL_FROM",
        ),
        (
            {"database_url": "postgresql+asyncpg://bocage:postgres@db/bocage"},
            {},
            "core.weak_secret.database_url",
            "error",
            "BOCAGE_DATABASE_URL",
        ),
        (
            {"database_url": "postgresql+asyncpg://bocage:short1@db/bocage"},
            {},
            "core.weak_secret.database_url",
            "error",
            "BOCAGE_DATABASE_URL",
        ),
        (
            {"smtp_password": "changeme"},
            {},
            "core.weak_secret.smtp_password",
            "error",
            "BOCAGE_SMTP_PASSWORD",
        ),
        (
            {"rate_limit_storage": "redis://:secret@redis:6379"},
            {},
            "core.weak_secret.rate_limit_storage",
            "error",
            "BOCAGE_RATE_LIMIT_STORAGE",
        ),
        (
            {"database_url": "sqlite+aiosqlite:///bocage.db", "workers": 4},
            {},
            "core.sqlite_workers",
            "error",
            "BOCAGE_WORKERS",
        ),
        (
            {"database_url": "sqlite+aiosqlite:///bocage.db"},
            {},
            "core.sqlite",
            "warning",
            "PostgreSQL",
        ),
        (
            {"webhooks_allow_private_targets": True},
            {},
            "core.webhooks_private_targets",
            "error",
            "BOCAGE_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
        ),
        ({"sql_echo": True}, {}, "core.sql_echo", "error", "BOCAGE_SQL_ECHO"),
        ({"rate_limit": "off"}, {}, "core.rate_limit_off", "error", "BOCAGE_RATE_LIMIT"),
        (
            {"workers": 4},
            {},
            "core.rate_limit_per_worker",
            "warning",
            "BOCAGE_RATE_LIMIT_STORAGE",
        ),
        (
            {"forwarded_allow_ips": "*"},
            {},
            "core.forwarded_any",
            "warning",
            "BOCAGE_FORWARDED_ALLOW_IPS",
        ),
        ({"auto_migrate": True}, {}, "core.auto_migrate", "warning", "bocage db upgrade"),
        ({"log_level": "debug"}, {}, "core.log_debug", "warning", "BOCAGE_LOG_LEVEL"),
        (
            {},
            {"BOCAGE_OPENDATA_PUBLISHER_NAME": "Groupe d'Action Locale"},
            "opendata.placeholder_publisher_name",
            "error",
            "BOCAGE_OPENDATA_PUBLISHER_NAME",
        ),
        (
            {},
            {"BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER": "0000000000"},
            "opendata.placeholder_publisher_enterprise_number",
            "error",
            "BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER",
        ),
        (
            {},
            {"BOCAGE_OPENDATA_CONTACT_EMAIL": "data@example.com"},
            "opendata.placeholder_contact_email",
            "error",
            "BOCAGE_OPENDATA_CONTACT_EMAIL",
        ),
        (
            {},
            {"BOCAGE_OPENDATA_BASE_URL": ""},
            "opendata.base_url",
            "error",
            "BOCAGE_OPENDATA_BASE_URL",
        ),
        (
            {},
            {"BOCAGE_OPENDATA_BASE_URL": "http://api.gal-bm.be"},
            "opendata.base_url_http",
            "warning",
            "https://",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and "." in value else "",
)
def test_each_item_is_flagged(
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, Any],
    opendata: dict[str, str],
    finding: str,
    level: str,
    fix: str,
) -> None:
    found = _findings(monkeypatch, opendata, **overrides)
    assert finding in found, sorted(found)
    assert found[finding].level == level
    assert fix in found[finding].message
    # Only what the change caused (and what SQLite brings with it).
    assert set(found) - {"core.sqlite", "core.rate_limit_per_worker"} <= {finding}


def test_a_silenced_finding_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _findings(monkeypatch, cors_origins=["*"], deploy_checks_silenced=["core.cors_any"])
    assert found == {}


def _check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOCAGE_")}
    return subprocess.run(
        [BOCAGE, "check", "--deploy"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_the_command_exits_1_until_everything_is_set(tmp_path: Path) -> None:
    default = _check({}, tmp_path)
    assert default.returncode == 1
    for item in ("core.environment", "core.cors_any", "opendata.placeholder_contact_email"):
        assert f"error {item}:" in default.stdout

    ready = {
        **{f"BOCAGE_{name.upper()}": str(value) for name, value in READY.items()},
        "BOCAGE_CORS_ORIGINS": ",".join(READY["cors_origins"]),
        **OPENDATA_READY,
        **VOICE_READY,
    }
    done = _check(ready, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready for production: nothing to fix" in done.stdout

    warned = _check({**ready, "BOCAGE_LOG_LEVEL": "debug"}, tmp_path)
    assert warned.returncode == 0 and "warning core.log_debug:" in warned.stdout


class _Reporter:
    """A third-party plugin reporting a finding of its own."""

    BOCAGE_REQUIRES = ">=1.0,<2"

    @staticmethod
    @hookimpl
    def bocage_deploy_checks(host: Any) -> list[DeployFinding]:
        assert host.settings.environment == "production"
        return [DeployFinding("reporter.token", "BOCAGE_REPORTER_TOKEN is unset", "warning")]


def test_plugins_add_their_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**OPENDATA_READY, **VOICE_READY}.items():
        monkeypatch.setenv(name, value)
    ready = dict(READY)
    settings = settings_for(ready.pop("database_url"), **ready)
    host = PluginHost(settings, extra=[("reporter", _Reporter)])
    (finding,) = deploy_findings(settings, host)
    assert (finding.id, finding.level) == ("reporter.token", "warning")
    silenced = settings.model_copy(update={"deploy_checks_silenced": ["reporter.token"]})
    assert deploy_findings(silenced, host) == []
