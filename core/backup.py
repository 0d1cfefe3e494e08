"""``bocage backup`` and ``bocage restore``: a consistent snapshot of the database, taken while
the server runs, and bringing it back.

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies the file page by page
from one read transaction, so writers carry on and the copy holds every committed change up to
one moment. The backup is itself an SQLite database (open it with ``sqlite3``).

PostgreSQL: ``pg_dump -Fc`` (one repeatable-read transaction: a consistent snapshot, writers not
blocked), restored with ``pg_restore``. Both must be installed, of the server's major version or
newer (Debian: ``apt install postgresql-client-<major>``).

A restore refuses a database that holds rows unless ``force`` is given: it replaces the tables
the backup has. Stop the servers and workers before restoring.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.engine import URL, make_url

#: The first bytes of each kind of backup file.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says what to do."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's major "
            "version or newer (Debian: apt install postgresql-client-<major>), or back up with "
            "your provider's snapshots"
        )
    return found


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for ``url``: the password never shows in the process list."""
    env = dict(os.environ)
    for variable, value in {
        "PGHOST": url.host,
        "PGPORT": url.port,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }.items():
        if value is not None:
            env[variable] = str(value)
    return env


def _pg_run(command: list[str], url: URL) -> None:
    done = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def backup(database_url: str, target: Path) -> None:
    """Write a consistent snapshot of the database to ``target`` (replaced if it exists)."""
    url = make_url(database_url)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupError(f"no database at {source_path}: nothing to back up")
            with (
                _closing(sqlite3.connect(source_path)) as source,
                _closing(sqlite3.connect(partial)) as copy,
            ):
                source.backup(copy)
        else:
            _pg_run([_pg_tool("pg_dump"), "--format=custom", f"--file={partial}"], url)
        partial.replace(target)  # never half a backup under the name asked for
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, source: Path, *, force: bool = False) -> None:
    """Bring back the backup ``source`` into the database; refuse one holding rows unless
    ``force``."""
    url = make_url(database_url)
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    sqlite = url.get_backend_name() == "sqlite"
    expected, kind = (SQLITE_MAGIC, "an SQLite") if sqlite else (PG_DUMP_MAGIC, "a pg_dump -Fc")
    if not head.startswith(expected):
        raise BackupError(
            f"{source} is not {kind} backup: restore a backup made by `bocage backup` from a "
            f"database of the same engine as {url.render_as_string()}"
        )
    if not force:
        filled = filled_tables(database_url)
        if filled:
            raise BackupError(
                f"the database {url.render_as_string()} is not empty ({len(filled)} tables hold "
                f"rows, e.g. {', '.join(filled[:3])}): restore into an empty database, or add "
                "--force to replace its content"
            )
    if sqlite:
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        with (
            _closing(sqlite3.connect(source)) as backup_db,
            _closing(sqlite3.connect(target_path)) as target,
        ):
            backup_db.backup(target)
        return
    _pg_run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url.database}",
            str(source),
        ],
        url,
    )


class _closing:
    """``sqlite3`` connections as context managers that close (theirs only commit)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


# -- reading a database back, to compare -------------------------------------------------------


def _sync_url(database_url: str) -> URL:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url.set(drivername="postgresql+psycopg")


def _reflect(database_url: str) -> tuple[Any, MetaData]:
    from sqlalchemy import create_engine

    engine = create_engine(_sync_url(database_url))
    metadata = MetaData()
    metadata.reflect(engine)
    return engine, metadata


def filled_tables(database_url: str) -> list[str]:
    """The tables holding rows (alembic's bookkeeping aside); none for a missing database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return []
    engine, metadata = _reflect(database_url)
    try:
        with engine.connect() as connection:
            return [
                name
                for name, table in sorted(metadata.tables.items())
                if name != "alembic_version"
                and connection.execute(select(1).select_from(table).limit(1)).first()
            ]
    finally:
        engine.dispose()


def table_digests(database_url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 of its rows (in a fixed order): two databases
    with the same digests hold the same data."""
    engine, metadata = _reflect(database_url)
    digests = {}
    try:
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                rows = sorted(
                    json.dumps(list(row), default=str, sort_keys=True)
                    for row in connection.execute(select(table))
                )
                digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
                digests[name] = (len(rows), digest)
    finally:
        engine.dispose()
    return digests
