"""Throttling of failed client authentications at ``POST /oauth/token``.

Each failure (``invalid_client``: wrong secret, unknown or revoked client id, no credentials)
counts against three sliding windows, kept in the rate limit's storage
(``BOCAGE_RATE_LIMIT_STORAGE``: per worker in memory, shared by every worker with Redis):

- the client id *from that address* (``BOCAGE_AUTH_FAILURE_LIMIT``): a misconfigured or
  guessing caller is slowed down without touching the client's other addresses;
- the address, all client ids together (``BOCAGE_AUTH_FAILURE_ADDRESS_LIMIT``): inventing a
  new client id for each attempt gets no fresh allowance;
- the client id, all addresses together (``BOCAGE_AUTH_FAILURE_CLIENT_LIMIT``): a ceiling on
  the guesses against one client from a whole botnet.

A request over any of them is refused (429, ``Retry-After``) *before* its secret is checked,
even when the secret is right: that is what keeps the hashing cost of an attack bounded.
Successes are not counted.

The trade-off is the third window: an attacker with many addresses can exhaust a client's
ceiling and so deny it new tokens, for as long as it keeps failing. To keep that from locking
a client out, an address the client got a token from within the last 2 x
``BOCAGE_AUTH_TOKEN_TTL`` is exempt from the ceiling (a client renews its token about once a
token lifetime, so its usual addresses stay exempt); only its own (client, address) window
applies there. A client moving to a new address during such an attack waits until the attack
stops (the window slides).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from limits.aio.storage import Storage

    from bocage.core.settings import Settings


def _digest(client_id: str) -> str:
    """A bounded storage key for a client id the caller chose (any length, any text)."""
    return hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class FailureThrottle:
    """The three failure windows of the token endpoint (see the module's docstring)."""

    def __init__(self, settings: Settings, storage: Storage | None) -> None:
        def item(rate: str) -> RateLimitItem | None:
            return None if rate == "off" or storage is None else parse(rate)

        self.pair = item(settings.auth_failure_limit)
        self.address = item(settings.auth_failure_address_limit)
        self.client = item(settings.auth_failure_client_limit)
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(storage) if storage is not None else None
        #: How long a success from an address exempts it from the client's ceiling.
        self.trust_seconds = 2 * settings.auth_token_ttl
        self.trust = RateLimitItemPerSecond(1, self.trust_seconds)
        #: Attempts of this worker still being checked, by window key.
        self._pending: Counter[str] = Counter()

    def _windows(
        self, client_ids: Iterable[str], address: str, trusted: set[str]
    ) -> list[tuple[RateLimitItem, str]]:
        windows: list[tuple[RateLimitItem, str]] = []
        if self.address is not None:
            windows.append((self.address, f"auth-failures:address:{address}"))
        for client_id in client_ids:
            digest = _digest(client_id)
            if self.pair is not None:
                windows.append((self.pair, f"auth-failures:pair:{digest}:{address}"))
            if self.client is not None and client_id not in trusted:
                windows.append((self.client, f"auth-failures:client:{digest}"))
        return windows

    def _trust_key(self, client_id: str, address: str) -> str:
        return self.trust.key_for("auth-trusted", _digest(client_id), address)

    async def _trusted(self, client_ids: Iterable[str], address: str) -> set[str]:
        if self.client is None or self.storage is None:
            return set()
        return {
            client_id
            for client_id in client_ids
            if await self.storage.get(self._trust_key(client_id, address)) > 0
        }

    @contextlib.asynccontextmanager
    async def attempt(self, client_ids: Iterable[str], address: str) -> AsyncIterator[Attempt]:
        """One authentication attempt of ``client_ids`` (none, or the one the request names)
        from ``address``: its ``retry_after`` says whether it may go on; the caller sets its
        outcome, counted on leaving."""
        attempt = Attempt()
        if self.limiter is None:
            yield attempt
            return
        client_ids = list(client_ids)
        trusted = await self._trusted(client_ids, address)
        windows = self._windows(client_ids, address, trusted)
        keys = [key for _, key in windows]
        # Attempts of this worker still being checked count as failures-to-be, or a
        # concurrent burst would all pass before the first failure is counted. Reserved
        # (and the costs taken) with no await in between, so that concurrent attempts see
        # each other whatever the storage's round trips.
        self._pending.update(keys)
        costs = [self._pending[key] for key in keys]
        try:
            for (item, key), cost in zip(windows, costs, strict=True):
                if not await self.limiter.test(item, key, cost=cost):
                    stats = await self.limiter.get_window_stats(item, key)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    attempt.retry_after = max(attempt.retry_after or 1, wait)
            yield attempt
            if attempt.retry_after is not None:
                return
            if attempt.failed:
                for item, key in windows:  # counted before the reservation ends
                    await self.limiter.hit(item, key)
            elif attempt.issued_to is not None:
                await self._trust(attempt.issued_to, address)
        finally:
            self._pending.subtract(keys)
            for key in keys:
                if self._pending[key] <= 0:
                    del self._pending[key]

    async def _trust(self, client_id: str, address: str) -> None:
        """Exempt ``address`` from the client's ceiling for the next while."""
        if self.client is None or self.storage is None:
            return
        key = self._trust_key(client_id, address)
        await self.storage.clear(key)  # restart the period from now
        await self.storage.incr(key, self.trust_seconds)


@dataclass
class Attempt:
    """What :meth:`FailureThrottle.attempt` decided, and what the caller saw."""

    #: Seconds to wait when refused; None when the attempt may go on.
    retry_after: int | None = None
    #: The credentials were refused (``invalid_client``).
    failed: bool = False
    #: The client a token was issued to.
    issued_to: str | None = None
