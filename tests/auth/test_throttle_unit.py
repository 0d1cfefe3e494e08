"""FailureThrottle against a storage that suspends on every call, as Redis does."""

from __future__ import annotations

import asyncio
from typing import Any

from limits.aio.storage import MemoryStorage

from bocage.core.auth.throttle import FailureThrottle
from bocage.core.settings import load_settings


class RemoteStorage(MemoryStorage):
    """Memory storage whose every call gives the event loop a turn (a network round trip)."""

    async def get(self, key: str) -> int:
        await asyncio.sleep(0)
        return await super().get(key)

    async def get_sliding_window(self, key: str, expiry: int) -> Any:
        await asyncio.sleep(0)
        return await super().get_sliding_window(key, expiry)

    async def acquire_sliding_window_entry(self, *args: Any, **kwargs: Any) -> bool:
        await asyncio.sleep(0)
        return await super().acquire_sliding_window_entry(*args, **kwargs)


async def test_a_concurrent_burst_gets_no_more_checks_than_the_limit() -> None:
    settings = load_settings(
        auth_failure_limit="10/minute",
        auth_failure_address_limit="1000/minute",
        auth_failure_client_limit="1000/minute",
    )
    throttle = FailureThrottle(settings, RemoteStorage())
    checked = 0

    async def wrong_secret() -> None:
        nonlocal checked
        async with throttle.attempt(["bcl_victim"], "198.51.100.1") as attempt:
            if attempt.retry_after is None:
                checked += 1
                await asyncio.sleep(0.01)  # the secret check, in a thread
                attempt.failed = True

    await asyncio.gather(*(wrong_secret() for _ in range(50)))
    assert checked == 10
    # And afterwards the window is exhausted by the counted failures.
    await wrong_secret()
    assert checked == 10
