"""Fixtures of the GraphQL tests that need a real server: a browser or a Node.js program
talks to it over loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from bocage.core.app import create_app
from bocage.core.graphql.context import Context
from bocage.core.testing import settings_for


@pytest.fixture(scope="session")
def live_server(demo_database_url: str) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:<port>``) of a server on the demo database, run by
    uvicorn in a thread of its own (its own event loop) for the session."""
    app = create_app(settings_for(demo_database_url))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def slow_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every statement takes 0.3 s more, after it has run (the session holds a connection)."""
    execute = Context.execute

    async def slow(self: Context, statement: Any) -> Any:
        result = await execute(self, statement)
        await asyncio.sleep(0.3)
        return result

    monkeypatch.setattr(Context, "execute", slow)
