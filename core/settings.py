"""Typed twelve-factor settings: ``BOCAGE_*`` environment variables, optionally from ``.env``.

Every setting has a default and a help text; :func:`load_settings` validates them all at once
and raises :class:`SettingsError` with one line per problem, naming the variable to fix.
Plugin settings live under the plugin's name (``BOCAGE_<PLUGIN>_<FIELD>``), see
:class:`PluginSettings`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bocage.core.errors import SettingsError

Language = Literal["fr", "nl", "de", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "nl", "de", "en")

ENV_PREFIX = "BOCAGE_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///bocage.db"


#: Marks a setting that bounds what a request, a client or the server may use (size, count,
#: time, rate): docs/limits.md lists each one with its default (a test checks).
LIMIT: dict[str, Any] = {"limit": True}


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


#: Request headers browser pages of other origins may send by default: what the API reads
#: (the token, JSON, the language, conditional requests) and W3C Trace Context's headers.
DEFAULT_CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-None-Match",
    "If-Modified-Since",
    "traceparent",
    "tracestate",
)


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
    auto_migrate: bool | None = Field(
        None,
        description="Create the database and apply pending migrations when the server (or a "
        "command) starts (default: on except with BOCAGE_ENVIRONMENT=production, where "
        "`bocage db upgrade` migrates and a server on an out-of-date database refuses to start).",
    )
    environment: Literal["development", "production"] = Field(
        "development",
        description="'production' hides GraphiQL unless BOCAGE_GRAPHIQL says otherwise.",
    )
    graphiql: bool | None = Field(
        None,
        description="Serve GraphiQL to browsers at /graphql (default: on except in production).",
    )
    graphiql_cdn: bool = Field(
        False,
        description="Load GraphiQL's scripts and styles from unpkg.com instead of from Bocage "
        "itself (/graphiql/...; they are bundled, so GraphiQL works offline).",
    )
    default_language: Language = Field(
        "fr",
        description="Language of multilingual fields when neither the query nor "
        "Accept-Language asks for one (fr, nl, de or en).",
    )
    page_size_default: int = Field(
        20,
        ge=1,
        description="Items per page of a connection when neither `first` nor `last` is given.",
    )
    page_size_max: int = Field(
        100,
        ge=1,
        description="Largest `first` or `last` a client may ask for on a connection.",
        json_schema_extra=LIMIT,
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"],
        description="Comma-separated origins allowed to call the API from a browser ('*' for any).",
    )
    cors_allow_headers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_CORS_ALLOW_HEADERS),
        description="Comma-separated request headers a browser page of another origin may "
        "send (CORS preflight); the default adds W3C Trace Context's traceparent and "
        "tracestate to what the API reads.",
    )
    disabled_plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated names of installed plugins to leave out.",
    )
    db_pool_size: int = Field(
        10,
        ge=1,
        description="Connections kept open per worker (PostgreSQL only), in each of its two "
        "pools: one for writes and resolvers (up to 10 more when busy), one for the GraphQL "
        "fast path's reads (BOCAGE_GRAPHQL_FAST_PATH; no more).",
        json_schema_extra=LIMIT,
    )
    sql_echo: bool = Field(False, description="Log every SQL statement (for debugging).")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Logging level of the server."
    )

    # -- protective limits (bocage.core.graphql.limits, bocage.core.middleware) -------------
    graphql_max_depth: int = Field(
        12,
        ge=1,
        description="Deepest nesting of fields a GraphQL query may have.",
        json_schema_extra=LIMIT,
    )
    graphql_max_aliases: int = Field(
        30,
        ge=1,
        description="Most aliases (`a: field`) a GraphQL document may use.",
        json_schema_extra=LIMIT,
    )
    graphql_max_tokens: int = Field(
        3000,
        ge=1,
        description="Most tokens (names, values, punctuation) a GraphQL document "
        "may have; longer ones are refused before parsing ends.",
        json_schema_extra=LIMIT,
    )
    graphql_max_cost: int = Field(
        5000,
        ge=1,
        description="Highest cost of a GraphQL query: each field's cost times the items of the "
        "lists around it (`first`, else the default page size).",
        json_schema_extra=LIMIT,
    )
    graphql_max_fields: int = Field(
        2000,
        ge=1,
        description="Most fields a GraphQL query may select once its fragments are expanded "
        "(a fragment spread twice counts twice).",
        json_schema_extra=LIMIT,
    )
    graphql_max_nodes: int = Field(
        50_000,
        ge=1,
        description="Most values the answer to a GraphQL query may hold: each field, times the "
        "items of the lists around it (`first`, else the default page size).",
        json_schema_extra=LIMIT,
    )
    graphql_max_response_bytes: int = Field(
        5_000_000,
        ge=1,
        description="Largest GraphQL answer in bytes; a larger one is replaced by the error "
        "RESPONSE_TOO_LARGE.",
        json_schema_extra=LIMIT,
    )
    graphql_ws_recheck_seconds: int = Field(
        60,
        ge=1,
        le=3600,
        description="Seconds between two checks of the token an open WebSocket was "
        "authenticated with: a subscription closes at the latest this long after its client "
        "is revoked (4403), and when its token expires (4401), with or without an event.",
        json_schema_extra=LIMIT,
    )
    graphql_compile: bool = Field(
        True,
        description="Answer the public lists and objects of queries with one SQL statement per "
        "root field that builds the JSON (the read compiler); off: every field by its resolver.",
    )
    graphql_compile_check: bool = Field(
        False,
        description="Debugging aid: answer compiled root fields by their resolvers as well and "
        "fail the query when the two answers differ (the test suite runs so).",
    )
    graphql_compile_cache_size: int = Field(
        256,
        ge=0,
        description="Compiled statements kept per worker, by document, variables and language; "
        "as many fast-path plans (BOCAGE_GRAPHQL_FAST_PATH) besides.",
        json_schema_extra=LIMIT,
    )
    graphql_fast_path: bool = Field(
        True,
        description="Answer a query whose every root field was compiled on an earlier request "
        "with the same document, variables, language and caller by its statements alone, "
        "without parsing, validating and executing it again (same answer, less CPU).",
    )
    graphql_fast_path_loop_ms: float = Field(
        2.0,
        ge=0,
        description="SQLite: milliseconds of CPU time a fast-path statement may hold the event "
        "loop (it runs in the loop's thread, without a hand-off to another); a longer one is "
        "stopped and runs again on a worker thread, and after two such runs its plan's "
        "requests start there. 0 runs every one on a worker thread.",
        json_schema_extra=LIMIT,
    )
    # -- persisted queries and trusted documents (bocage.core.graphql.persisted) -----------
    graphql_trusted_documents: Literal["off", "except-authenticated", "strict"] = Field(
        "off",
        description="Which GraphQL documents run: 'off': any document; 'except-authenticated': "
        "anonymous callers only documents registered with `bocage documents register`, callers "
        "with a token any; 'strict': registered documents only, for every caller.",
    )
    graphql_apq_max_documents: int = Field(
        10_000,
        ge=0,
        description="Most documents automatic persisted queries keep in the database (all "
        "workers together); beyond, the oldest are forgotten. 0: no automatic persisted "
        "queries (clients are told PersistedQueryNotSupported).",
        json_schema_extra=LIMIT,
    )
    graphql_apq_max_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Most bytes of documents automatic persisted queries keep in the database; "
        "beyond, the oldest are forgotten.",
        json_schema_extra=LIMIT,
    )
    graphql_documents_cache_size: int = Field(
        1000,
        ge=0,
        description="Persisted documents each worker keeps in memory (0: read the database "
        "every time).",
        json_schema_extra=LIMIT,
    )
    graphql_documents_cache_bytes: int = Field(
        10_000_000,
        ge=0,
        description="Bytes of persisted documents each worker keeps in memory.",
        json_schema_extra=LIMIT,
    )
    graphql_documents_cache_ttl: float = Field(
        60.0,
        ge=0,
        description="Seconds a worker keeps a persisted document in memory before reading it "
        "again (a removed document stops running on every worker within this time).",
        json_schema_extra=LIMIT,
    )
    # -- HTTP caching of public reads (bocage.core.cache_control, ...graphql.response_cache) --
    http_cache_max_age: int = Field(
        60,
        ge=0,
        description="`max-age` in seconds of the public answers to anonymous GET requests "
        "(GraphQL and REST): how long browsers and shared caches may reuse them unasked; also "
        "the longest an answer stays in the in-process response cache.",
    )
    http_cache_stale_while_revalidate: int = Field(
        60,
        ge=0,
        description="`stale-while-revalidate` in seconds of the public answers: how long after "
        "`max-age` a cache may still answer with its copy while it asks for a fresh one.",
    )
    graphql_response_cache_entries: int = Field(
        1000,
        ge=0,
        description="Answers to anonymous GET /graphql queries each worker keeps in memory "
        "(0: none); any committed domain event invalidates them on every worker.",
        json_schema_extra=LIMIT,
    )
    graphql_response_cache_bytes: int = Field(
        50_000_000,
        ge=0,
        description="Bytes the in-process response cache may hold per worker (each answer "
        "counts its body and its query string); least recently used answers go first.",
        json_schema_extra=LIMIT,
    )
    graphql_response_cache_entry_bytes: int = Field(
        1_000_000,
        ge=0,
        description="Largest answer (body and query string, in bytes) the in-process response "
        "cache keeps; larger ones are still public for HTTP caches.",
        json_schema_extra=LIMIT,
    )
    graphql_limits_cache_size: int = Field(
        256,
        ge=0,
        description="Measures of GraphQL documents (depth, aliases, fields, cost, answer size) "
        "kept per worker, by document, operation and variables; 0 measures every request.",
        json_schema_extra=LIMIT,
    )
    graphql_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A GraphQL query running longer is stopped (error TIMEOUT).",
        json_schema_extra=LIMIT,
    )
    graphql_introspection: bool | None = Field(
        None,
        description="Answer introspection queries (default: on except in production).",
    )
    max_body_bytes: int = Field(
        100_000,
        ge=1,
        description="Largest request body in bytes; larger ones get a 413.",
        json_schema_extra=LIMIT,
    )
    import_max_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Largest spreadsheet in bytes that POST /api/import/{kind} accepts.",
        json_schema_extra=LIMIT,
    )
    # -- spreadsheet files read (bocage.core.spreadsheets): open-data uploads, the import -----
    spreadsheet_max_columns: int = Field(
        1000,
        ge=1,
        description="Most columns a row of an uploaded or imported spreadsheet may have (422 "
        "above); checked on the first line before any parser reads the file.",
        json_schema_extra=LIMIT,
    )
    spreadsheet_max_cells: int = Field(
        5_000_000,
        ge=1,
        description="Most cells an uploaded or imported spreadsheet may hold, header included "
        "(413 above); for XLSX, each sheet's rows times its columns, as readers fill them in.",
        json_schema_extra=LIMIT,
    )
    spreadsheet_max_cell_chars: int = Field(
        32_767,
        ge=1,
        description="Longest cell, in characters, of an uploaded or imported spreadsheet (422 "
        "above; 32,767 is Excel's own limit).",
        json_schema_extra=LIMIT,
    )
    spreadsheet_max_uncompressed_bytes: int = Field(
        200_000_000,
        ge=1,
        description="Largest size an XLSX file (a ZIP archive) may expand to, from the sizes its "
        "members declare, checked before anything is extracted (413 above).",
        json_schema_extra=LIMIT,
    )
    spreadsheet_max_compression_ratio: float = Field(
        100.0,
        gt=0,
        description="Most times an XLSX file may expand (its members' sizes over the file's): "
        "ordinary workbooks expand 5 to 25 times, zip bombs a thousand (413 above).",
        json_schema_extra=LIMIT,
    )
    spreadsheet_max_zip_members: int = Field(
        1000,
        ge=1,
        description="Most files (members) an XLSX archive may hold, counted before it is opened "
        "(422 above).",
        json_schema_extra=LIMIT,
    )
    rate_limit: str = Field(
        "300/minute",
        description="Requests allowed per client (the client id or person of a valid bearer "
        "token, else the IP address) and per worker, e.g. '300/minute' or '20/second'; 'off' "
        "disables the limit.",
        json_schema_extra=LIMIT,
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where request counts and failed client authentications are kept: memory:// "
        "(per worker) or redis://host:port (shared by every worker; needs "
        "`pip install limits[async-redis]`).",
    )

    # -- authentication (bocage.core.auth) ---------------------------------------------------
    auth_issuer: str = Field(
        "bocage", min_length=1, description="`iss` of the tokens the built-in OAuth2 server signs."
    )
    auth_audience: str = Field(
        "bocage-api",
        min_length=1,
        description="`aud` of the built-in server's tokens (and the audience it accepts).",
    )
    auth_token_ttl: int = Field(
        900,
        ge=60,
        le=86400,
        description="Lifetime in seconds of the built-in server's tokens.",
        json_schema_extra=LIMIT,
    )
    auth_leeway: int = Field(
        30, ge=0, le=300, description="Clock skew in seconds tolerated on `exp`, `nbf` and `iat`."
    )
    auth_signing_algorithm: Literal["ES256", "RS256", "PS256"] = Field(
        "ES256", description="Algorithm of the signing keys the built-in server creates."
    )
    auth_key_cache_ttl: int = Field(
        30,
        ge=0,
        description="Seconds each worker keeps the built-in signing keys before reading them "
        "again from the database (a rotation reaches every worker within this time).",
        json_schema_extra=LIMIT,
    )
    auth_client_cache_ttl: int = Field(
        30,
        ge=0,
        description="Seconds each worker trusts its record that a client is active: the tokens "
        "of a revoked client are refused within this time (0: check every request).",
        json_schema_extra=LIMIT,
    )
    auth_grants_cache_ttl: int = Field(
        30,
        ge=0,
        description="Seconds each worker keeps the permissions administrators granted to roles "
        "before reading them again: a grant or revocation reaches the other workers within this "
        "time (0: read them for every request of a commune editor or stakeholder member).",
        json_schema_extra=LIMIT,
    )
    auth_tenancy_cache_ttl: int = Field(
        30,
        ge=0,
        description="Seconds each worker keeps the territories (GALs) and the communes that "
        "belong to them before reading them again: a commune moved to another GAL changes who "
        "reaches it on every worker within this time (0: read them for every signed-in "
        "request).",
        json_schema_extra=LIMIT,
    )
    role_permissions: Annotated[dict[str, list[str | dict[str, Any]]], NoDecode] = Field(
        default_factory=dict,
        description="Permissions granted to roles by configuration, as JSON: "
        '{"commune_editor": ["workshops:organise", {"permission": "workshops:facilitate", '
        '"communes": ["64034"]}], "stakeholder_member": ["workshops:check_in"]}. Roles: '
        "commune_editor (per commune with `communes`, for permissions declared per commune) "
        "and stakeholder_member; an unknown role or permission stops startup.",
    )
    auth_token_max_fields: int = Field(
        20,
        ge=4,
        description="Most form fields a POST /oauth/token body may have (the grant needs at most "
        "4); more, or a repeated one, is an invalid_request.",
        json_schema_extra=LIMIT,
    )
    auth_failure_limit: str = Field(
        "10/minute",
        description="Failed client authentications at /oauth/token allowed per client id from "
        "one address; beyond, 429 with Retry-After, even for the right secret. 'off' disables it.",
        json_schema_extra=LIMIT,
    )
    auth_failure_address_limit: str = Field(
        "30/minute",
        description="Failed client authentications allowed per address, all client ids together "
        "('off' disables it).",
        json_schema_extra=LIMIT,
    )
    auth_failure_client_limit: str = Field(
        "100/minute",
        description="Failed client authentications allowed per client id, all addresses "
        "together; an address the client got a token from in the last 2 x BOCAGE_AUTH_TOKEN_TTL "
        "is exempt ('off' disables it).",
        json_schema_extra=LIMIT,
    )
    auth_hash_concurrency: int = Field(
        1,
        ge=1,
        le=64,
        description="Client secrets checked at once per worker, in threads of their own (scrypt: "
        "~16 MiB and tens of ms each); further token requests wait their turn.",
        json_schema_extra=LIMIT,
    )
    oidc_issuer: str | None = Field(
        None,
        description="Issuer (`iss`) of an external OpenID Connect provider whose tokens are "
        "accepted, e.g. https://sso.example.be/realms/gal (unset: none).",
    )
    oidc_audience: str | None = Field(
        None, description="`aud` the provider's tokens must carry (required with the issuer)."
    )
    oidc_jwks_url: str | None = Field(
        None,
        description="URL of the provider's JWKS (default: `jwks_uri` of "
        "<issuer>/.well-known/openid-configuration).",
    )
    oidc_algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["RS256", "ES256", "PS256"],
        description="Comma-separated signature algorithms accepted from the provider "
        "(asymmetric only).",
    )
    oidc_jwks_cache_ttl: int = Field(
        3600, ge=0, description="Seconds the provider's keys are cached."
    )
    oidc_jwks_min_refresh_interval: int = Field(
        60,
        ge=0,
        description="Shortest time in seconds between two fetches of the provider's keys "
        "(a token with an unknown `kid` triggers one).",
        json_schema_extra=LIMIT,
    )
    oidc_roles_claim: str = Field(
        "roles",
        description="Claim holding the provider's role names; a dotted path reads nested "
        "claims (Keycloak: realm_access.roles).",
    )
    oidc_role_map: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Provider roles to Bocage roles, e.g. 'gal-admin:territory_admin,"
        "editor:commune_editor'; roles not listed are ignored.",
    )
    oidc_communes_claim: str = Field(
        "communes", description="Claim listing the NIS codes of a commune editor's communes."
    )
    oidc_stakeholders_claim: str = Field(
        "stakeholders",
        description="Claim listing the ids of the organisations a stakeholder member belongs to.",
    )
    oidc_territories_claim: str = Field(
        "territories",
        description="Claim listing the slugs of the territories (GALs) a person acts for: once "
        "the installation holds several, everyone but an operator is confined to theirs "
        "(docs/tenancy.md).",
    )

    # -- background jobs, webhooks, e-mail (bocage.core.jobs, .webhooks, .mail) --------------
    jobs_in_process: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Run the job worker inside `bocage serve` ('auto': on SQLite only; on "
        "PostgreSQL run `bocage worker` next to the server).",
    )
    jobs_concurrency: int = Field(
        4, ge=1, le=100, description="Jobs a worker runs at once.", json_schema_extra=LIMIT
    )
    jobs_poll_interval: float = Field(
        1.0, gt=0, description="Seconds an idle worker waits before looking for due jobs again."
    )
    jobs_lease_seconds: float = Field(
        300.0,
        gt=0,
        description="Seconds a job may run; after that (or when its worker died) another worker "
        "takes it again.",
        json_schema_extra=LIMIT,
    )
    jobs_max_attempts: int = Field(
        5,
        ge=1,
        description="Attempts of a job (of a kind that sets none) before it is dead.",
        json_schema_extra=LIMIT,
    )
    jobs_retry_base_seconds: float = Field(
        30.0,
        ge=0,
        description="Delay before the first retry; it doubles after each failure (exponential "
        "backoff, with jitter).",
    )
    jobs_retry_max_seconds: float = Field(
        3600.0,
        ge=0,
        description="Longest delay between two attempts of a job.",
        json_schema_extra=LIMIT,
    )
    jobs_retention_days: int = Field(
        14,
        ge=1,
        description="Days succeeded jobs and finished webhook deliveries (with their attempts) "
        "are kept; dead jobs stay until replayed.",
        json_schema_extra=LIMIT,
    )
    webhooks_max_attempts: int = Field(
        10,
        ge=1,
        le=30,
        description="Attempts of a webhook delivery before it fails (with the default delays: "
        "about 4 hours of retries).",
        json_schema_extra=LIMIT,
    )
    webhooks_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="Timeout of one webhook request (connect, send, read).",
        json_schema_extra=LIMIT,
    )
    webhooks_allow_private_targets: bool = Field(
        False,
        description="Development only: allow webhook URLs on loopback, private, link-local and "
        "other non-public addresses, and plain http://.",
    )
    webhooks_secret_grace_seconds: int = Field(
        86400,
        ge=0,
        description="Default time during which the previous secret still signs deliveries "
        "after a secret rotation.",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server that sends e-mails (unset: e-mail jobs fail and retry)."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_tls: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="'starttls' (port 587), 'tls' (implicit TLS, port 465) or 'none' "
        "(local relays only).",
    )
    smtp_username: str | None = Field(None, description="SMTP login (unset: no login).")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(
        30.0, gt=0, description="Timeout of an SMTP session.", json_schema_extra=LIMIT
    )
    # -- operations: shutdown, proxies, the deployment check (docs/deploy.md) ---------------
    workers: int = Field(
        1,
        ge=1,
        description="Worker processes of `bocage serve` when --workers is not given (about one "
        "per core on PostgreSQL; SQLite takes one writer at a time: keep 1).",
    )
    shutdown_timeout_seconds: int = Field(
        30,
        ge=1,
        description="On SIGTERM, seconds `bocage serve` lets requests in flight finish before "
        "cutting them (new connections are refused at once; subscriptions are closed with "
        "1012).",
        json_schema_extra=LIMIT,
    )
    jobs_shutdown_timeout_seconds: float = Field(
        20.0,
        ge=0,
        description="On SIGTERM, seconds a job worker lets its running jobs finish; those still "
        "running then are cancelled and handed back to the queue, due at once, with their "
        "attempt not counted.",
        json_schema_extra=LIMIT,
    )
    forwarded_allow_ips: str | None = Field(
        None,
        description="Comma-separated addresses of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto `bocage serve` trusts ('*': any; unset: uvicorn's "
        "FORWARDED_ALLOW_IPS, else 127.0.0.1 only).",
    )
    deploy_checks_silenced: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated ids of `bocage check --deploy` findings to leave out "
        "(e.g. core.cors_any for a deliberately public API).",
    )
    mail_from: str = Field(
        "Bocage <noreply@localhost>",
        description="`From` of the e-mails sent, e.g. 'GAL Condroz <noreply@gal.be>'.",
    )

    # -- observability (bocage.core.observability): metrics, traces, logs ----------------------
    metrics_enabled: bool = Field(
        False,
        description="Expose Prometheus metrics (docs/observability.md lists every series): at "
        "GET /metrics behind BOCAGE_METRICS_TOKEN, or on BOCAGE_METRICS_PORT; one of the two "
        "is required.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token a scraper must send to GET /metrics ('Authorization: Bearer "
        "<token>'); unset: /metrics is not served on the API's port.",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve the metrics on this separate port (at any path, without a token) "
        "instead of /metrics: keep it off the public network.",
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="Interface of BOCAGE_METRICS_PORT (0.0.0.0: every interface, for a scraper "
        "on another machine or container).",
    )
    metrics_max_operations: int = Field(
        200,
        ge=1,
        description="Distinct GraphQL operation names a worker labels its metrics with; later "
        "names are counted under 'other' (so that clients cannot grow the series without bound).",
        json_schema_extra=LIMIT,
    )
    tracing_enabled: bool = Field(
        False,
        description="Send OpenTelemetry traces (HTTP requests, SQL statements, webhook "
        "requests, jobs) over OTLP/HTTP.",
    )
    tracing_otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP URL the traces are sent to, e.g. http://collector:4318/v1/traces "
        "(unset: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT, else "
        "http://localhost:4318/v1/traces).",
    )
    tracing_service_name: str = Field(
        "bocage", min_length=1, description="`service.name` of the traces' resource."
    )
    tracing_sample_ratio: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of new traces recorded (0 to 1); a request that arrives with a "
        "sampled `traceparent` is always recorded.",
    )
    log_format: Literal["auto", "text", "json"] = Field(
        "auto",
        description="Logs of `bocage serve`: 'json' (one JSON object per line), 'text', or "
        "'auto': text on a terminal, JSON otherwise (a container, systemd, a file).",
    )
    log_personal_data: bool = Field(
        False,
        description="Add the caller's IP address, person (`sub`) or client id to the access log "
        "lines; off: only the kind of caller (anonymous, person, client).",
    )

    # -- media: images and documents attached to objects (bocage.core.media, docs/media.md) --
    media_dir: str = Field(
        "media",
        min_length=1,
        description="Folder of the default (file system) media storage, created if missing; "
        "relative to the working directory. Unused when a plugin provides the storage "
        "(bocage_media_storage).",
    )
    media_max_image_bytes: int = Field(
        10_000_000,
        ge=1,
        description="Largest image in bytes that POST /api/media accepts (413 above).",
        json_schema_extra=LIMIT,
    )
    media_max_document_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Largest document (PDF) in bytes that POST /api/media accepts (413 above).",
        json_schema_extra=LIMIT,
    )
    media_max_pixels: int = Field(
        40_000_000,
        ge=1,
        description="Most pixels (width times height) of an uploaded image, read from its "
        "header before it is decoded: a decompression bomb is refused (413), never expanded.",
        json_schema_extra=LIMIT,
    )
    media_image_max_side: int = Field(
        2048,
        ge=16,
        description="Longest side in pixels of the image variant served as `original` "
        "(larger uploads are scaled down).",
        json_schema_extra=LIMIT,
    )
    media_thumbnail_side: int = Field(
        400,
        ge=16,
        description="Longest side in pixels of the `thumbnail` variant of an image.",
    )
    media_processing_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="Uploaded files checked and re-encoded at once per worker, in threads of "
        "their own (an image takes up to about 8 bytes per pixel while it is re-encoded); "
        "further uploads wait their turn.",
        json_schema_extra=LIMIT,
    )
    media_max_per_object: int = Field(
        50,
        ge=1,
        description="Most media attached to one object (409 above: remove one first).",
        json_schema_extra=LIMIT,
    )
    # -- places on the map (bocage.core.domain.places, docs/places.md) ---------------------
    places_max_vertices: int = Field(
        10_000,
        ge=1,
        description="Points a place's GeoJSON geometry may have, all rings together.",
        json_schema_extra=LIMIT,
    )
    places_bounds: str = Field(
        "-180,-90,180,90",
        description="west,south,east,north (degrees, WGS 84) every coordinate of a place must "
        "lie within; narrow it to your region (e.g. '2.5,49.4,6.5,51.6' for Belgium) to catch "
        "swapped longitudes and latitudes.",
        json_schema_extra=LIMIT,
    )
    places_max_extent_km: float = Field(
        500.0,
        gt=0,
        description="Longest side, in kilometres, of the bounding box of a place.",
        json_schema_extra=LIMIT,
    )
    places_max_address_chars: int = Field(
        300,
        ge=1,
        le=300,
        description="Characters of a place's address.",
        json_schema_extra=LIMIT,
    )
    places_max_distance_metres: float = Field(
        100_000.0,
        gt=0,
        description="Largest radius of a `near` filter on places, in metres.",
        json_schema_extra=LIMIT,
    )
    places_feed_max_features: int = Field(
        5000,
        ge=1,
        description="Features one answer of the projects' GeoJSON feed holds (`limit`); a "
        "`next` link gives the rest.",
        json_schema_extra=LIMIT,
    )

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _asymmetric_algorithms(cls, value: Any) -> Any:
        value = _split_list(value)
        allowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}
        allowed |= {"ES512", "EdDSA", "Ed25519"}
        if isinstance(value, list):
            wrong = [item for item in value if item not in allowed]
            if wrong:
                raise ValueError(
                    f"{', '.join(wrong)} not accepted; use asymmetric algorithms among "
                    f"{', '.join(sorted(allowed))}"
                )
            if not value:
                raise ValueError("name at least one algorithm")
        return value

    @field_validator("role_permissions", mode="before")
    @classmethod
    def _role_permissions(cls, value: Any) -> Any:
        from bocage.core.auth.grants import parse_setting

        return parse_setting(value)

    @field_validator("oidc_role_map", mode="before")
    @classmethod
    def _role_map(cls, value: Any) -> Any:
        from bocage.core.auth.principal import Role

        if isinstance(value, str):
            pairs = {}
            for item in _split_list(value):
                name, sep, role = item.rpartition(":")
                if not sep or not name.strip():
                    raise ValueError(f"{item!r} is not 'provider-role:bocage-role'")
                pairs[name.strip()] = role.strip()
            value = pairs
        if isinstance(value, dict):
            known = [role.value for role in Role]
            wrong = sorted({role for role in value.values() if role not in known})
            if wrong:
                raise ValueError(
                    f"unknown Bocage role {', '.join(wrong)}; roles are {', '.join(known)}"
                )
        return value

    @model_validator(mode="after")
    def _oidc(self) -> Settings:
        if self.oidc_issuer:
            if not self.oidc_audience:
                raise ValueError("BOCAGE_OIDC_AUDIENCE is required with BOCAGE_OIDC_ISSUER")
            if self.oidc_issuer == self.auth_issuer:
                raise ValueError("BOCAGE_OIDC_ISSUER must differ from BOCAGE_AUTH_ISSUER")
        return self

    @field_validator(
        "cors_origins",
        "cors_allow_headers",
        "disabled_plugins",
        "deploy_checks_silenced",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("places_bounds")
    @classmethod
    def _places_bounds(cls, value: str) -> str:
        try:
            west, south, east, north = (float(v) for v in value.split(","))
        except ValueError:
            raise ValueError("give four numbers: west,south,east,north") from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError(
                "west < east within -180..180 and south < north within -90..90 (degrees)"
            )
        return value

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

    @field_validator(
        "rate_limit",
        "auth_failure_limit",
        "auth_failure_address_limit",
        "auth_failure_client_limit",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        value = value.strip()
        if value.lower() == "off":
            return "off"
        from limits import parse

        try:
            amount = parse(value).amount
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate; write it as '300/minute' (second, minute, hour or "
                "day), or 'off'"
            ) from None
        if amount < 1:
            raise ValueError("the rate must allow at least 1 request, or be 'off'")
        return value

    @model_validator(mode="after")
    def _auto_migrate(self) -> Settings:
        if self.auto_migrate is None:
            self.auto_migrate = self.environment != "production"
        return self

    @model_validator(mode="after")
    def _metrics_protected(self) -> Settings:
        if self.metrics_enabled and self.metrics_token is None and self.metrics_port is None:
            raise ValueError(
                "BOCAGE_METRICS_ENABLED needs BOCAGE_METRICS_TOKEN (a bearer token for GET "
                "/metrics) or BOCAGE_METRICS_PORT (a port of their own): metrics are never public"
            )
        return self

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
    def graphql_introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return self.environment != "production"

    @property
    def places_box(self) -> tuple[float, float, float, float]:
        """``places_bounds`` as numbers: west, south, east, north."""
        west, south, east, north = (float(v) for v in self.places_bounds.split(","))
        return west, south, east, north

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def jobs_run_in_process(self) -> bool:
        if self.jobs_in_process == "auto":
            return self.is_sqlite
        return self.jobs_in_process == "on"


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
