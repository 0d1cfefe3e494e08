"""The public API for plugin authors: import from here, and only from here.

Everything else in ``bocage.core`` is private and may change without notice. See
``docs/plugins.md`` for the hooks and a walkthrough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bocage.core.db import Base, SoftDeletable, Timestamped, personal
from bocage.core.errors import PluginError
from bocage.core.graphql.context import Context
from bocage.core.graphql.errors import BadInput, BocageError, NotFound
from bocage.core.graphql.i18n import Language, Translations, translated
from bocage.core.graphql.nodes import RowType, decode_id
from bocage.core.graphql.pagination import (
    Connection,
    Edge,
    Ordering,
    PageInfo,
    SortKey,
    paginate,
)
from bocage.core.hookspecs import (
    DomainEvent,
    Permission,
    RestRoute,
    Seeder,
    SeedOptions,
    hookimpl,
)
from bocage.core.http import error_response
from bocage.core.settings import PluginSettings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from starlette.requests import Request


def request_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The application's session factory, for REST handlers: ``async with f() as session``."""
    factory: Any = request.app.state.sessionmaker
    return factory


__all__ = [
    "BadInput",
    "Base",
    "BocageError",
    "Connection",
    "Context",
    "DomainEvent",
    "Edge",
    "Language",
    "NotFound",
    "Ordering",
    "PageInfo",
    "Permission",
    "PluginError",
    "PluginSettings",
    "RestRoute",
    "RowType",
    "SeedOptions",
    "Seeder",
    "SoftDeletable",
    "SortKey",
    "Timestamped",
    "Translations",
    "decode_id",
    "error_response",
    "hookimpl",
    "paginate",
    "personal",
    "request_sessionmaker",
    "translated",
]
