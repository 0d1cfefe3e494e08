"""``bocage check --deploy``: what is unsafe or unfinished for production.

The core's findings come from its settings (below); each plugin adds its own through the
``bocage_deploy_checks`` hook (the open-data plugin: the catalogue's placeholder publisher and
contact, its public base URL). A finding an operator has decided to live with is left out by
naming its id in ``BOCAGE_DEPLOY_CHECKS_SILENCED``. Nothing here connects to the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bocage.core.hookspecs import DeployFinding

if TYPE_CHECKING:
    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings

#: Passwords that ship in examples and installers, refused whatever their length.
DEFAULT_SECRETS = frozenset(
    {"", "admin", "bocage", "changeme", "change-me", "password", "postgres", "secret", "test"}
)
#: Shortest password taken for a real one.
MIN_SECRET_LENGTH = 12


def weak_secret(value: str) -> bool:
    """A password from an example, or too short to resist guessing."""
    return value.lower() in DEFAULT_SECRETS or len(value) < MIN_SECRET_LENGTH


def _secret(setting: str, value: str | None, what: str) -> Iterator[DeployFinding]:
    if value is not None and weak_secret(value):
        yield DeployFinding(
            f"core.weak_secret.{setting.removeprefix('BOCAGE_').lower()}",
            f"{setting}: the {what} is a default or weak one: use a random one of at least "
            f"{MIN_SECRET_LENGTH} characters (e.g. `openssl rand -base64 24`), given by the "
            "secret store, never committed",
        )


def core_findings(settings: Settings) -> Iterator[DeployFinding]:
    """The core's findings, from its settings alone."""
    if settings.environment != "production":
        yield DeployFinding(
            "core.environment",
            "BOCAGE_ENVIRONMENT is 'development': set it to 'production' (GraphiQL and "
            "introspection off, no development tokens, no migration on start)",
        )
    if settings.graphiql_enabled:
        yield DeployFinding(
            "core.graphiql", "GraphiQL is served at /graphql: unset BOCAGE_GRAPHIQL (or false)"
        )
    if settings.graphql_introspection_enabled:
        yield DeployFinding(
            "core.introspection",
            "GraphQL introspection is on: unset BOCAGE_GRAPHQL_INTROSPECTION (or false); "
            "front-end developers read openapi/schema.graphql instead",
        )
    if "*" in settings.cors_origins:
        yield DeployFinding(
            "core.cors_any",
            "BOCAGE_CORS_ORIGINS is '*': any web site may call the API from its visitors' "
            "browsers; list the front-ends' origins (https://www.commune.be,...) or silence "
            "core.cors_any for a deliberately open read API",
        )
    if not settings.smtp_host:
        yield DeployFinding(
            "core.smtp_unset",
            "BOCAGE_SMTP_HOST is unset: e-mails (registrations, survey invitations) are never "
            "sent; set the SMTP relay (and BOCAGE_SMTP_USERNAME, BOCAGE_SMTP_PASSWORD)",
        )
    if settings.mail_from.endswith("@localhost>") or settings.mail_from.endswith("@localhost"):
        yield DeployFinding(
            "core.mail_from",
            "BOCAGE_MAIL_FROM is the placeholder noreply@localhost: set the GAL's sender, "
            "e.g. 'GAL Condroz <noreply@gal.be>'",
        )
    if settings.is_sqlite:
        if settings.workers > 1:
            yield DeployFinding(
                "core.sqlite_workers",
                f"BOCAGE_WORKERS is {settings.workers} on SQLite, which takes one writer at a "
                "time: writes wait and time out; use PostgreSQL (BOCAGE_DATABASE_URL) or one "
                "worker",
            )
        yield DeployFinding(
            "core.sqlite",
            "the database is SQLite: fine for one small server; PostgreSQL for several "
            "workers, `bocage worker` processes and online backups with pg_dump",
            level="warning",
        )
    else:
        url = make_url(settings.database_url)
        yield from _secret("BOCAGE_DATABASE_URL", url.password, "database password")
    yield from _secret("BOCAGE_SMTP_PASSWORD", settings.smtp_password, "SMTP password")
    if settings.rate_limit_storage.startswith(("redis://", "rediss://")):
        password = make_url(settings.rate_limit_storage).password
        yield from _secret("BOCAGE_RATE_LIMIT_STORAGE", password, "Redis password")
    if settings.webhooks_allow_private_targets:
        yield DeployFinding(
            "core.webhooks_private_targets",
            "BOCAGE_WEBHOOKS_ALLOW_PRIVATE_TARGETS is on: subscribers can make the server "
            "call internal addresses (SSRF); turn it off",
        )
    if settings.sql_echo:
        yield DeployFinding(
            "core.sql_echo",
            "BOCAGE_SQL_ECHO is on: every statement and its parameters (personal data) go to "
            "the logs; turn it off",
        )
    if settings.rate_limit == "off":
        yield DeployFinding(
            "core.rate_limit_off",
            "BOCAGE_RATE_LIMIT is off: one client can take every worker; set e.g. 300/minute",
        )
    elif settings.workers > 1 and settings.rate_limit_storage.startswith("memory://"):
        yield DeployFinding(
            "core.rate_limit_per_worker",
            f"the rate limit is counted per worker ({settings.workers}): a client gets "
            "that many times BOCAGE_RATE_LIMIT; share the counts with "
            "BOCAGE_RATE_LIMIT_STORAGE=redis://...",
            level="warning",
        )
    if settings.forwarded_allow_ips and "*" in settings.forwarded_allow_ips.split(","):
        yield DeployFinding(
            "core.forwarded_any",
            "BOCAGE_FORWARDED_ALLOW_IPS is '*': any client can claim any address in "
            "X-Forwarded-For (and escape the rate limit) unless only the proxy reaches the "
            "server; name the proxy's address",
            level="warning",
        )
    if settings.environment == "production" and settings.auto_migrate:
        yield DeployFinding(
            "core.auto_migrate",
            "BOCAGE_AUTO_MIGRATE is on in production: every instance migrates when it starts; "
            "run `bocage db upgrade` once per release instead (docs/deploy.md)",
            level="warning",
        )
    if settings.log_level == "debug":
        yield DeployFinding(
            "core.log_debug", "BOCAGE_LOG_LEVEL is debug: use info", level="warning"
        )


def deploy_findings(settings: Settings, host: PluginHost) -> list[DeployFinding]:
    """The core's and every enabled plugin's findings, errors first, silenced ones left out."""
    found = [
        *core_findings(settings),
        *(item for _, item in host.contributions("bocage_deploy_checks", host=host)),
    ]
    silenced = set(settings.deploy_checks_silenced)
    kept = [finding for finding in found if finding.id not in silenced]
    return sorted(kept, key=lambda finding: finding.level != "error")
