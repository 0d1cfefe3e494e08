"""A value a worker reads from the database and keeps for a number of seconds.

The authenticator keeps a few such values (the roles' grants, the territories and their
communes): each is read at most once per period, on the first request after it expired or
was forgotten, by one request while the others that arrive meanwhile wait for that read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Expiring(Generic[T]):
    """What ``read()`` last returned, for ``ttl()`` seconds of ``clock`` (``ttl`` is asked at
    each look, so a setting changed in place applies at once; 0 reads for every look)."""

    def __init__(
        self,
        read: Callable[[], Awaitable[T]],
        ttl: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self._read_value = read
        self._ttl = ttl
        self._clock = clock
        self._kept: tuple[T, float] | None = None
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """Read the value again at the next look (after a change committed)."""
        self._kept = None

    def _fresh(self) -> tuple[T] | None:
        if self._kept is None:
            return None
        value, read_at = self._kept
        if self._clock() - read_at >= self._ttl():
            return None
        return (value,)

    async def get(self) -> T:
        fresh = self._fresh()
        if fresh is None:
            async with self._lock:  # one read per expiry, not one per waiting request
                fresh = self._fresh()
                if fresh is None:
                    value = await self._read_value()
                    self._kept = (value, self._clock())
                    return value
        return fresh[0]
