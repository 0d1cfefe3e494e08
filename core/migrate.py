"""Database migrations across the core and every plugin's alembic branch.

The core's revisions live in ``bocage.migrations.versions`` (branch label ``core``); each
plugin's folder comes from its ``bocage_migration_locations`` hook and forms a branch labelled
with the plugin's name. ``upgrade()`` goes to all heads, so installing a plugin and running
``bocage db upgrade`` creates its tables.

Startup checks each plugin's revisions (``check_branches``): its own branch, labelled with
its name, and ``depends_on`` naming revisions that exist. Before migrating or reading the
state, a database at a revision no installed plugin provides (a plugin uninstalled while its
tables remain) is refused with what to do. On SQLite the migrations run in one transaction
too (``BEGIN`` is issued by hand: the driver would run DDL outside any), so that a revision
that fails half-way leaves the database as it was, as on PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import bocage.migrations
from bocage.core.errors import PluginError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bocage.core.host import PluginHost

CORE_BRANCH = "core"
MIGRATIONS_DIR = Path(bocage.migrations.__file__).parent
CORE_VERSIONS = MIGRATIONS_DIR / "versions"


def alembic_config(host: PluginHost) -> Config:
    """An alembic ``Config`` that knows the core's and every enabled plugin's revisions."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    plugin_locations = {**host.disabled_migration_locations(), **host.migration_locations()}
    locations = [str(CORE_VERSIONS), *(str(p) for p in plugin_locations.values())]
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


async def _run(engine: AsyncEngine, host: PluginHost, fn: Any, *args: Any, **kw: Any) -> Any:
    config = alembic_config(host)

    def run(connection: Connection) -> Any:
        config.attributes["connection"] = connection
        return fn(config, *args, **kw)

    async with engine.begin() as connection:
        await _refuse_unknown_revisions(connection, host)
        if connection.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction unless one is begun explicitly: without
            # it, a revision failing half-way keeps the tables it created and blocks every
            # later upgrade. SQLite's DDL is transactional: the commit or rollback of this
            # block then covers the whole upgrade.
            await connection.exec_driver_sql("BEGIN")
        return await connection.run_sync(run)


def enabled_branches(host: PluginHost) -> list[str]:
    """The core's branch and those of enabled plugins that have migrations."""
    return [CORE_BRANCH, *host.migration_locations()]


def _upgrade_enabled(config: Config, revision: str, branches: list[str]) -> None:
    if revision != "heads":
        command.upgrade(config, revision)
        return
    for branch in branches:
        command.upgrade(config, f"{branch}@head")


async def upgrade(engine: AsyncEngine, host: PluginHost, revision: str = "heads") -> None:
    """Apply migrations up to ``revision``; the default, ``heads``, means the head of the
    core's branch and of every *enabled* plugin's branch (disabled plugins stay as they are)."""
    await _run(engine, host, _upgrade_enabled, revision, enabled_branches(host))


async def downgrade(engine: AsyncEngine, host: PluginHost, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` reverts everything)."""
    await _run(engine, host, command.downgrade, revision)


@dataclass(frozen=True)
class MigrationState:
    """``current``: the revisions alembic stores; ``applied``: those and everything they
    depend on; ``heads``: what the code expects."""

    current: frozenset[str]
    applied: frozenset[str]
    heads: frozenset[str]

    @property
    def at_head(self) -> bool:
        return self.heads <= self.applied

    @property
    def pending(self) -> frozenset[str]:
        return self.heads - self.applied


async def state(engine: AsyncEngine, host: PluginHost) -> MigrationState:
    """Which revisions the database is at, and which it should be at."""
    script = ScriptDirectory.from_config(alembic_config(host))

    def read(connection: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as connection:
        await _refuse_unknown_revisions(connection, host)
        current = await connection.run_sync(read)
    applied: set[str] = set()
    for revision in current:
        if script.get_revision(revision) is None:
            continue  # a revision of a plugin that is no longer enabled
        applied.update(r.revision for r in script.iterate_revisions(revision, "base"))
    heads = {
        rev.revision
        for branch in enabled_branches(host)
        for rev in script.get_revisions(f"{branch}@head")
        if rev is not None
    }
    return MigrationState(current=current, applied=frozenset(applied), heads=frozenset(heads))


def describe(host: PluginHost, revisions: frozenset[str]) -> list[str]:
    """``branch: revision (message)`` lines for display."""
    script = ScriptDirectory.from_config(alembic_config(host))
    lines = []
    for rev_id in sorted(revisions):
        rev = script.get_revision(rev_id)
        if rev is None:
            lines.append(f"?: {rev_id} (unknown revision)")
            continue
        branch = ",".join(sorted(rev.branch_labels)) or _branch_of(script, rev_id)
        title = (rev.doc or "").strip().splitlines()[0] if rev.doc else ""
        lines.append(f"{branch}: {rev.revision} ({title})")
    return lines


def _branch_of(script: ScriptDirectory, rev_id: str) -> str:
    for rev in script.iterate_revisions(rev_id, "base"):
        if rev.branch_labels:
            return ",".join(sorted(rev.branch_labels))
    return "?"


def new_revision(host: PluginHost, message: str, branch: str = CORE_BRANCH) -> str:
    """Write an empty revision on ``branch`` (the core or a plugin) and return its path."""
    config = alembic_config(host)
    script = ScriptDirectory.from_config(config)
    locations = {CORE_BRANCH: CORE_VERSIONS, **host.migration_locations()}
    if branch not in locations:
        raise ValueError(f"unknown branch {branch!r}: choose one of {', '.join(sorted(locations))}")
    has_branch = any(branch in rev.branch_labels for rev in script.walk_revisions())
    kwargs: dict[str, Any] = {"message": message}
    if has_branch:
        kwargs["head"] = f"{branch}@head"
    else:
        kwargs.update(head="base", branch_label=branch, version_path=str(locations[branch]))
        core_heads = [r for r in script.get_revisions("core@head")] if branch != CORE_BRANCH else []
        if core_heads:
            kwargs["depends_on"] = core_heads[0].revision
    rev = command.revision(config, **kwargs)
    assert rev is not None and not isinstance(rev, list)
    return str(rev.path)


# -- what startup checks ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Revision:
    """What a revision file declares, read without alembic (whose revision map fails with a
    bare ``KeyError`` on an unknown ``depends_on``)."""

    file: str
    revision: str
    down: tuple[str, ...]
    labels: tuple[str, ...]
    depends_on: tuple[str, ...]


_read: dict[tuple[str, int], _Revision | None] = {}


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _revisions_in(folder: Path) -> list[_Revision]:
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        key = (str(path), path.stat().st_mtime_ns)
        if key not in _read:
            spec = importlib.util.spec_from_file_location(f"_bocage_revision_{path.stem}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            revision = getattr(module, "revision", None)
            _read[key] = (
                _Revision(
                    file=path.name,
                    revision=revision,
                    down=_tuple(getattr(module, "down_revision", None)),
                    labels=_tuple(getattr(module, "branch_labels", None)),
                    depends_on=_tuple(getattr(module, "depends_on", None)),
                )
                if isinstance(revision, str)
                else None
            )
        if (read := _read[key]) is not None:
            found.append(read)
    return found


def _branches(host: PluginHost) -> dict[str, list[_Revision]]:
    """The revisions of the core and of every installed plugin (enabled or not), by branch."""
    folders: dict[str, list[Path]] = {CORE_BRANCH: [CORE_VERSIONS]}
    for plugin, folder in [
        *host.disabled_migration_locations().items(),
        *host.migration_locations().items(),
    ]:
        folders.setdefault(plugin, []).append(folder)
    return {
        branch: [rev for folder in paths for rev in _revisions_in(folder)]
        for branch, paths in folders.items()
    }


def check_branches(host: PluginHost) -> None:
    """Refuse a plugin whose revisions do not form its own branch, labelled with its name, or
    whose ``depends_on`` names a revision that does not exist."""
    revisions = _branches(host)
    owner: dict[str, str] = {}
    for branch, revs in revisions.items():
        for rev in revs:
            if rev.revision in owner:
                raise PluginError(
                    f"plugin {branch!r}: migration {rev.file} has the revision id "
                    f"{rev.revision!r} of a revision of {owner[rev.revision]!r}; revision ids "
                    f"must be unique: prefix yours with the plugin's name ({branch}_0001)"
                )
            owner[rev.revision] = branch
    core_head = max((r.revision for r in revisions[CORE_BRANCH]), default="0001_core")
    for branch, revs in revisions.items():
        if branch == CORE_BRANCH:
            continue
        for rev in revs:
            where = f"plugin {branch!r}: migration {rev.file} (revision {rev.revision!r})"
            if not rev.down and branch not in rev.labels:
                raise PluginError(
                    f"{where} starts a branch without the plugin's label: set branch_labels = "
                    f"({branch!r},) in its first revision"
                )
            foreign = [d for d in rev.down if owner.get(d) != branch]
            if foreign:
                whose = owner.get(foreign[0])
                raise PluginError(
                    f"{where} has down_revision = {foreign[0]!r}, "
                    + (f"a revision of {whose!r}: " if whose else "which does not exist: ")
                    + "a plugin's revisions form their own branch; its first revision has "
                    f"down_revision = None, branch_labels = ({branch!r},) and depends_on the "
                    f"core revision it needs (e.g. {core_head!r})"
                )
            other = [label for label in rev.labels if label != branch]
            if other:
                raise PluginError(
                    f"{where} labels its branch {other[0]!r}: a plugin's branch is labelled "
                    f"with the plugin's name, branch_labels = ({branch!r},)"
                )
            for dependency in rev.depends_on:
                if dependency not in owner and dependency not in revisions:
                    raise PluginError(
                        f"{where} has depends_on = {dependency!r}, which is no revision of the "
                        f"core or of an installed plugin: name the revision your tables need "
                        f"(the core's latest is {core_head!r})"
                    )


async def _refuse_unknown_revisions(connection: Any, host: PluginHost) -> None:
    """A database at a revision nothing installed provides: a plugin was uninstalled while
    its tables remain. Alembic would fail with a bare traceback; say what to do instead."""

    def read(sync: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(sync).get_current_heads())

    known = {rev.revision for revs in _branches(host).values() for rev in revs}
    unknown = sorted(await connection.run_sync(read) - known)
    if not unknown:
        return
    tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    import bocage.core.models  # noqa: F401 - the core's tables, to tell them from a plugin's
    from bocage.core.db import Base

    installed = {CORE_BRANCH, *host.infos, *host.disabled}
    # Not a plugin's: the core's and alembic's tables, those they derive (full-text search's
    # ``project_fts...``), SQLite's and procrastinate's own.
    known_prefixes = tuple(f"{name}_" for name in Base.metadata.tables)
    left = sorted(
        name
        for name in tables - set(Base.metadata.tables)
        if name.split("_")[0] not in installed
        and name != "alembic_version"
        and not name.startswith(("sqlite_", "procrastinate_", *known_prefixes))
    )
    prefixes = sorted({name.split("_")[0] for name in left})
    plugin = prefixes[0] if len(prefixes) == 1 else "<plugin>"
    revisions = ", ".join(repr(r) for r in unknown)
    listed = ", ".join(left) if left else "none found by name"
    raise PluginError(
        f"the database is at revision {revisions}, which neither the core nor any installed "
        f"plugin provides: plugin {plugin!r} was uninstalled while its tables remain (tables "
        f"no installed plugin declares: {listed}). Reinstall it, then keep it (disable it with "
        f"BOCAGE_DISABLED_PLUGINS={plugin} if you wish) or remove its tables with `bocage db "
        f"downgrade {plugin}@base` before uninstalling it again; or drop those tables and "
        f"`DELETE FROM alembic_version WHERE version_num IN ({revisions})`"
    )


async def is_set_up(engine: AsyncEngine) -> bool:
    """Whether Bocage's migrations have run on the database (a server has used it). A SQLite
    file that does not exist is not created by asking."""
    from pathlib import Path

    from sqlalchemy import inspect

    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).exists():  # type: ignore[arg-type]
            return False
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
