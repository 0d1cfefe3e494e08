"""The value the authenticator's caches keep (the roles' grants, the territories): read once
per period, again once forgotten, and once for every request that waits for the same read."""

from __future__ import annotations

import asyncio

from bocage.core.auth.expiring import Expiring


class Reads:
    def __init__(self) -> None:
        self.count = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> list[int]:
        self.count += 1
        await self.gate.wait()
        return [] if self.count == 1 else [self.count]  # a falsy value is kept like any other


async def test_a_value_is_read_once_per_period_and_again_once_forgotten() -> None:
    now, ttl = [1000.0], [30.0]
    reads = Reads()
    kept = Expiring(reads, lambda: ttl[0], lambda: now[0])
    assert await kept.get() == [] and await kept.get() == []
    assert reads.count == 1
    now[0] += 29.5
    assert await kept.get() == [] and reads.count == 1
    now[0] += 0.5
    assert await kept.get() == [2] and reads.count == 2
    kept.forget()
    assert await kept.get() == [3] and reads.count == 3
    ttl[0] = 0  # the period is asked at each look: none keeps nothing
    assert await kept.get() == [4] and await kept.get() == [5]


async def test_requests_that_arrive_during_a_read_share_it() -> None:
    reads = Reads()
    kept = Expiring(reads, lambda: 30.0, lambda: 1000.0)
    reads.gate.clear()
    waiting = [asyncio.create_task(kept.get()) for _ in range(5)]
    for _ in range(3):  # every task runs up to its wait: the read, or the lock
        await asyncio.sleep(0)
    assert reads.count == 1
    reads.gate.set()
    assert await asyncio.gather(*waiting) == [[]] * 5
    assert reads.count == 1
