"""Stopping work whose client has left.

Work that goes on after a request's body is read (validating an upload, importing a file) runs
in worker threads and in chunks; it calls :meth:`Cancellation.check` between rows or chunks,
which raises :class:`ClientDisconnected` once the client has disconnected, so that the thread
ends and the transaction is rolled back. :func:`cancel_on_disconnect` sets it from the ASGI
server's ``http.disconnect`` message.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request


class ClientDisconnected(Exception):  # noqa: N818 - named after what happened, like ConnectionReset
    """The client left before the work was done: it was stopped, and nothing was written."""


class Cancellation:
    """A flag, safe to read from any thread, that stops the work which checks it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`ClientDisconnected` if the work is to stop."""
        if self._event.is_set():
            raise ClientDisconnected("the client disconnected: the work was stopped")


@contextlib.asynccontextmanager
async def cancel_on_disconnect(request: Request) -> AsyncIterator[Cancellation]:
    """A :class:`Cancellation` set when the client of ``request`` disconnects.

    Enter it once the body has been read: it waits for the server's next message, which after
    the body is ``http.disconnect`` (when the client leaves, or once the response is sent).
    """
    cancellation = Cancellation()

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                cancellation.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        yield cancellation
    finally:
        watcher.cancel()
        await asyncio.wait([watcher])  # its end, without swallowing a cancellation of ours
