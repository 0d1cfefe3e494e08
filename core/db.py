"""Storage kit: the declarative base every table derives from, column helpers, the engine.

Plugins import :class:`Base` (through :mod:`bocage.core.api`) so that their tables share the
naming convention; each plugin creates its tables in its own migration branch.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import JSON, DateTime, Enum, MetaData, event, make_url
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from bocage.core import tracking as _tracking  # noqa: F401 - its session listeners version rows
from bocage.core.sqlite_functions import register_sqlite_functions

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from bocage.core.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Key of ``Column.info`` that marks a column as holding personal data (GDPR).
PERSONAL = "personal"


def utcnow() -> dt.datetime:
    """Now, time-zone aware, in UTC: what every timestamp column stores."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC, time-zone aware; a naive one is taken as UTC already (what SQLite
    gives back from a column that is not ``UTCDateTime``)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned time-zone aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Bocage stores aware UTC timestamps")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


#: JSON on SQLite, JSONB on PostgreSQL (indexable, comparable).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of every Bocage table, core and plugins alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, str]: JSONType}


class Timestamped:
    """``created_at`` and ``updated_at``, set by the application in UTC."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class SoftDeletable:
    """Rows that syncing clients must see disappear are archived, not deleted."""

    # No plain index: SQLite, which keeps no statistics, would pick it for every
    # `deleted_at IS NULL` and sort whole tables (measured in bench/: 10x slower).
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Versioned:
    """A ``version`` that moves one step per transaction that changes the row: clients send it
    back, a stale one is refused (optimistic concurrency), and SQLAlchemy checks it again in
    the UPDATE itself. The step is :mod:`bocage.core.tracking`'s (SQLAlchemy's own would step
    once per flush)."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy's declared_attr
        return {
            "version_id_col": cls.__table__.c.version,  # type: ignore[attr-defined]
            "version_id_generator": False,
        }


def personal(*args: Any, **kwargs: Any) -> Any:
    """A ``mapped_column`` holding personal data: never exposed without the right role."""
    info = {**kwargs.pop("info", {}), PERSONAL: True}
    return mapped_column(*args, info=info, **kwargs)


def create_engine(settings: Settings) -> AsyncEngine:
    """The async engine for ``settings.database_url``, tuned per dialect."""
    kwargs = _options(settings)
    if settings.is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=settings.db_pool_size, pool_pre_ping=True)
    engine = create_async_engine(settings.database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _options(settings: Settings) -> dict[str, Any]:
    return {
        "echo": settings.sql_echo,
        "json_serializer": lambda value: orjson.dumps(value).decode(),
        "json_deserializer": orjson.loads,
    }


def create_read_engine(settings: Settings) -> AsyncEngine | None:
    """PostgreSQL: the engine of the GraphQL fast path's reads (``core/graphql/fast_path.py``):
    its connections read in autocommit (no ``BEGIN`` and ``ROLLBACK`` around a statement:
    under READ COMMITTED each statement reads its own snapshot anyway) and are not pinged on
    checkout, so a read is one round trip instead of six. A connection the database dropped
    fails its statement, which the normal path then answers (on the main engine, pinged), and
    the pool forgets its other connections. Its own pool of ``BOCAGE_DB_POOL_SIZE``
    connections, without overflow: more concurrent reads wait for one (as an asyncpg pool
    does) rather than open and close connections, each a backend to start. SQLite: None (the
    main engine's connections open no transaction to read)."""
    if settings.is_sqlite:
        return None
    return create_async_engine(
        settings.database_url,
        **_options(settings),
        pool_size=settings.db_pool_size,
        max_overflow=0,
        isolation_level="AUTOCOMMIT",
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    register_sqlite_functions(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def StrEnumType(enum_class: type[Any]) -> Enum:  # noqa: N802 - reads like a type
    """Store a ``StrEnum`` as its values in a portable VARCHAR (no native enum to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=40,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def database_label(url: str) -> str:
    """Where a database URL points, said for people: a SQLite file by its absolute path (a
    relative one is read from the current folder), another database by its URL without the
    password."""
    from pathlib import Path

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database
        if not name or name == ":memory:":
            return "an in-memory SQLite database"
        return f"the SQLite database {Path(name).resolve()}"
    return f"the database {parsed.render_as_string(hide_password=True)}"
