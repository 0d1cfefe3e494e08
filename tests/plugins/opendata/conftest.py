"""Fixtures of the open-data tests: the demo app, and apps with extra dataset contributions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bocage.core.app import create_app
from bocage.core.host import PluginHost


class As:
    """The app's authenticator, answering with whoever the test says."""

    def __init__(self, principal: Any = None) -> None:
        self.principal = principal

    async def authenticate(self, request: Any) -> Any:
        from bocage.core.api import ANONYMOUS

        return self.principal or ANONYMOUS

    async def aclose(self) -> None:
        return None


@asynccontextmanager
async def serve(settings: Any, *extra: tuple[str, object]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose host also registers the ``extra`` plugins."""
    host = PluginHost(settings, extra=list(extra))
    application = create_app(settings, host=host)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            c.app = application  # type: ignore[attr-defined]
            yield c


@pytest.fixture
def serve_demo(demo_database_url: str, make_settings: Callable[..., Any]) -> Callable[..., Any]:
    """``async with serve_demo(*extra, **settings) as client``: the shared demo database, read
    only, behind an app with extra plugins or settings."""

    def open_client(*extra: tuple[str, object], **overrides: Any) -> Any:
        return serve(make_settings(demo_database_url, **overrides), *extra)

    return open_client


@pytest.fixture(scope="module")
async def writable_url(databases: Any, small_demo_url: str) -> str:
    """A copy of the small demo GAL, for the tests of this module that write."""
    return str(await databases.clone(small_demo_url))
