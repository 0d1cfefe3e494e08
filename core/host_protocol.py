"""What a plugin may ask of the application that loaded it: the :class:`Host` protocol.

Plugins get the host from ``bocage_routes(host)``, ``info.context.host`` in GraphQL resolvers,
``context.host`` in job handlers, ``options.host`` in seeders and :func:`host_of` in REST
handlers; all are typed :class:`Host` in the contract (``bocage.core.api``). The concrete
host (``bocage.core.host.PluginHost``) has more, which is private: a plugin that needs
something else asks for it to be added here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import datetime as dt
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.requests import HTTPConnection

    from bocage.core.datasets import Dataset
    from bocage.core.hookspecs import (
        DomainEvent,
        MediaOwner,
        MediaStorage,
        Permission,
        WebhookEventType,
    )
    from bocage.core.settings import PluginSettings, Settings


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin (the core first): its name, version and module."""

    name: str
    version: str
    module: str
    #: The contract versions the plugin declares it supports (``None``: it does not say).
    requires: str | None = None


@runtime_checkable
class Host(Protocol):
    """The application as a plugin sees it.

    Settings: :attr:`settings` (the core's ``BOCAGE_*`` settings, read-only) and
    :meth:`plugin_settings`. The database: :meth:`session`. Events: :meth:`announce` after a
    commit. Jobs: :meth:`enqueue_job` in the transaction of the change that causes them. What
    the plugins contribute: :attr:`plugins`, :meth:`permissions`, :meth:`event_types`,
    :meth:`datasets`, and :meth:`contributions` for a hook a plugin declares for the others.
    """

    @property
    def settings(self) -> Settings:
        """The core's settings (``BOCAGE_*``): read them, never change them."""
        ...

    def plugin_settings(self, name: str) -> PluginSettings:
        """The validated settings of plugin ``name`` (its ``bocage_settings`` model)."""
        ...

    @property
    def plugins(self) -> Sequence[PluginInfo]:
        """The loaded plugins (the core first), with their versions."""
        ...

    def permissions(self) -> list[Permission]:
        """Every permission the core and the plugins declare."""
        ...

    def event_types(self) -> Mapping[str, WebhookEventType]:
        """Every event type webhook subscribers may receive, by name."""
        ...

    def datasets(self) -> list[tuple[str, Dataset]]:
        """``[(plugin, dataset)]`` of every ``bocage_datasets`` implementation."""
        ...

    def contributions(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """``[(plugin, item)]`` of every implementation of a hook returning sequences, e.g. a
        hook a plugin declares for the others (``pm.add_hookspecs``)."""
        ...

    def media_storage(self) -> MediaStorage:
        """Where media bytes live (a plugin's ``bocage_media_storage``, else a folder)."""
        ...

    def media_owners(self) -> dict[str, MediaOwner]:
        """The kinds of objects media may be attached to (``bocage_media_owners``), by
        GraphQL type name."""
        ...

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A new session on the application's database: ``async with host.session() as s``
        (begin and commit it yourself, then :meth:`announce`)."""
        ...

    def announce(self, session: AsyncSession) -> None:
        """Hand the events ``session`` committed to every plugin's ``bocage_on_event``; call it
        after the commit."""
        ...

    def emit(self, event: DomainEvent) -> list[Exception]:
        """Hand one event to every plugin; failures are returned (and logged), never raised."""
        ...

    async def enqueue_job(
        self,
        session: AsyncSession,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: dt.datetime | None = None,
        max_attempts: int | None = None,
        unless_queued: bool = False,
    ) -> int:
        """Add a job of ``kind`` (a ``bocage_jobs`` kind) to ``session``'s transaction, as
        ``enqueue_job`` does; returns the job's id."""
        ...


def host_of(connection: HTTPConnection) -> Host:
    """The host of the application serving ``connection`` (a REST handler's ``request``)."""
    host: Host = connection.app.state.host
    return host
