"""Database migrations across the core and every plugin's alembic branch.

The core's revisions live in ``bocage.migrations.versions`` (branch label ``core``); each
plugin's folder comes from its ``bocage_migration_locations`` hook and forms a branch labelled
with the plugin's name. ``upgrade()`` goes to all heads, so installing a plugin and running
``bocage db upgrade`` creates its tables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import bocage.migrations

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
