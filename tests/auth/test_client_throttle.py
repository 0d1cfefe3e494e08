"""Failed client authentication at POST /oauth/token: throttled, and hashed off the event loop."""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import Any

import httpx
import pytest

from bocage.core.auth import server
from bocage.core.errors import SettingsError
from bocage.core.settings import load_settings

#: Limits high enough not to interfere with the one a test is about.
HIGH = "1000/minute"
BURST = 200


@pytest.fixture(autouse=True)
async def _clear_of_a_minute_boundary() -> None:
    """The windows are sliding-window counters (``limits``): just after a minute boundary the
    previous minute's failures count pro rata (4 failures at 10:00:59 weigh 3.97 at 10:01:00),
    so a test that straddles a boundary sees one failure less and fails once in a while under
    load. Each test starts at least 20 s before the next boundary."""
    left = 60 - time.time() % 60
    if left < 20:
        await asyncio.sleep(left + 0.05)


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "too_many_requests"
    assert "Retry after" in body["error_description"]
    assert response.headers["cache-control"] == "no-store"
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    return retry_after


async def test_failures_per_client_and_address(make_auth_app: Any) -> None:
    async with make_auth_app(
        auth_failure_limit="3/minute",
        auth_failure_address_limit=HIGH,
        auth_failure_client_limit=HIGH,
    ) as auth_app:
        client = await auth_app.new_client()
        other = await auth_app.new_client()
        a, b = await auth_app.from_address("192.0.2.1"), await auth_app.from_address("192.0.2.2")
        for _ in range(3):
            wrong = await auth_app.token_for(client.client_id, "wrong", http=a)
            assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        assert_throttled(await auth_app.token_for(client.client_id, "wrong", http=a))
        # Refused before the secret is checked, so even the right one waits for the window.
        assert_throttled(await auth_app.token_for(client.client_id, client.client_secret, http=a))
        # The same client from another address, another client from the same address: fine.
        ok = await auth_app.token_for(client.client_id, client.client_secret, http=b)
        assert ok.status_code == 200, ok.text
        ok = await auth_app.token_for(other.client_id, other.client_secret, http=a)
        assert ok.status_code == 200, ok.text
        # A secret sent in the body counts against the same client id.
        posted = await b.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": other.client_id,
                "client_secret": "wrong",
            },
        )
        assert posted.status_code == 401


async def test_successes_are_not_counted(make_auth_app: Any) -> None:
    async with make_auth_app(auth_failure_limit="2/minute") as auth_app:
        client = await auth_app.new_client()
        for _ in range(5):
            ok = await auth_app.token_for(client.client_id, client.client_secret)
            assert ok.status_code == 200, ok.text
        for _ in range(2):
            assert (await auth_app.token_for(client.client_id, "wrong")).status_code == 401
        assert_throttled(await auth_app.token_for(client.client_id, "wrong"))


async def test_failures_per_address_across_client_ids(make_auth_app: Any) -> None:
    async with make_auth_app(
        auth_failure_limit=HIGH,
        auth_failure_address_limit="4/minute",
        auth_failure_client_limit=HIGH,
    ) as auth_app:
        client = await auth_app.new_client()
        mallory = await auth_app.from_address("198.51.100.7")
        for n in range(4):  # a new invented client id each time
            response = await auth_app.token_for(f"bcl_guess{n}", "x", http=mallory)
            assert response.status_code == 401
        assert_throttled(await auth_app.token_for("bcl_guess4", "x", http=mallory))
        # Requests without any client id count against the address too.
        no_id = await mallory.post("/oauth/token", data={"grant_type": "client_credentials"})
        assert_throttled(no_id)
        other = await auth_app.from_address("198.51.100.8")
        ok = await auth_app.token_for(client.client_id, client.client_secret, http=other)
        assert ok.status_code == 200


async def test_a_distributed_attack_cannot_lock_out_a_client_that_has_its_address(
    make_auth_app: Any,
) -> None:
    async with make_auth_app(
        auth_failure_limit=HIGH,
        auth_failure_address_limit=HIGH,
        auth_failure_client_limit="3/minute",
    ) as auth_app:
        client = await auth_app.new_client()
        home = await auth_app.from_address("203.0.113.1")
        ok = await auth_app.token_for(client.client_id, client.client_secret, http=home)
        assert ok.status_code == 200
        for n in range(3):  # three attacking addresses, one failure each
            attacker = await auth_app.from_address(f"198.51.100.{n + 10}")
            response = await auth_app.token_for(client.client_id, "wrong", http=attacker)
            assert response.status_code == 401
        attacker = await auth_app.from_address("198.51.100.99")
        assert_throttled(await auth_app.token_for(client.client_id, "wrong", http=attacker))
        # The client's ceiling is reached: a new address must wait, even with the secret...
        elsewhere = await auth_app.from_address("203.0.113.2")
        assert_throttled(
            await auth_app.token_for(client.client_id, client.client_secret, http=elsewhere)
        )
        # ...but the address it got a token from recently still gets one.
        ok = await auth_app.token_for(client.client_id, client.client_secret, http=home)
        assert ok.status_code == 200, ok.text
        # Its own failures from there still count against (client, address).
        wrong = await auth_app.token_for(client.client_id, "wrong", http=home)
        assert wrong.status_code == 401


@pytest.mark.parametrize(
    "name", ["auth_failure_limit", "auth_failure_address_limit", "auth_failure_client_limit"]
)
async def test_each_window_can_be_turned_off(make_auth_app: Any, name: str) -> None:
    off = dict.fromkeys(
        ["auth_failure_limit", "auth_failure_address_limit", "auth_failure_client_limit"], "off"
    )
    async with make_auth_app(**off) as auth_app:
        for _ in range(3):
            assert (await auth_app.token_for("bcl_nobody", "x")).status_code == 401
    async with make_auth_app(**{**off, name: "2/minute"}) as auth_app:
        for _ in range(2):
            assert (await auth_app.token_for("bcl_nobody", "x")).status_code == 401
        assert_throttled(await auth_app.token_for("bcl_nobody", "x"))


@pytest.mark.parametrize(
    "name", ["auth_failure_limit", "auth_failure_address_limit", "auth_failure_client_limit"]
)
@pytest.mark.parametrize(("value", "message"), [("0/minute", "at least 1"), ("many", "not a rate")])
def test_failure_limits_are_checked(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"BOCAGE_{name.upper()}: .*{message}"):
        load_settings(**{name: value})


def test_hash_concurrency_is_checked() -> None:
    with pytest.raises(SettingsError, match="BOCAGE_AUTH_HASH_CONCURRENCY"):
        load_settings(auth_hash_concurrency=0)
    assert load_settings(auth_hash_concurrency=1).auth_hash_concurrency == 1


class CheckRecorder:
    """Stands for verify_secret: records how many checks run at once (never the loop's
    thread), and can wait until ``meet`` of them run together."""

    def __init__(self, meet: int = 0) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.threads: set[int] = set()
        self.barrier = threading.Barrier(meet, timeout=5) if meet else None

    def __call__(self, secret: str, stored: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.get_ident())
        try:
            if self.barrier is not None:
                self.barrier.wait()
            else:
                time.sleep(0.02)
            return False
        finally:
            with self.lock:
                self.running -= 1


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_secret_checks_run_in_threads_at_most_n_at_once(
    make_auth_app: Any, monkeypatch: pytest.MonkeyPatch, concurrency: int
) -> None:
    recorder = CheckRecorder(meet=concurrency if concurrency > 1 else 0)
    monkeypatch.setattr(server, "verify_secret", recorder)
    async with make_auth_app(
        auth_hash_concurrency=concurrency, auth_failure_limit="off"
    ) as auth_app:
        client = await auth_app.new_client()
        responses = await asyncio.gather(
            *(auth_app.token_for(client.client_id, "wrong") for _ in range(concurrency * 3))
        )
    assert {r.status_code for r in responses} == {401}
    assert recorder.most == concurrency
    assert threading.get_ident() not in recorder.threads


async def test_an_unknown_client_id_costs_a_secret_check(
    auth_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = server.verify_secret
    monkeypatch.setattr(server, "verify_secret", lambda s, h: checked.append(h) or real(s, h))
    client = await auth_app.new_client()
    assert (await auth_app.token_for("bcl_nobody", "x")).status_code == 401
    assert (await auth_app.token_for(client.client_id, "x")).status_code == 401
    unknown, known = checked
    # Same scheme and cost parameters: the same time, so answers do not reveal ids.
    assert unknown.split("$")[:4] == known.split("$")[:4]


async def test_a_burst_of_wrong_secrets_does_not_stall_other_requests(auth_app: Any) -> None:
    """A concurrent burst of wrong secrets from one address (default settings): the throttle
    lets a few through to the hash, one at a time in a thread of their own, and the event loop
    keeps serving everyone else."""
    client = await auth_app.new_client()
    burst = asyncio.gather(*(auth_app.token_for(client.client_id, "wrong") for _ in range(BURST)))
    latencies = []
    await asyncio.sleep(0.05)
    while not burst.done():
        start = time.perf_counter()
        response = await auth_app.client.post("/graphql", json={"query": "{ __typename }"})
        latencies.append(time.perf_counter() - start)
        assert response.status_code == 200
        await asyncio.sleep(0.02)
    statuses = collections.Counter(r.status_code for r in await burst)
    latencies.sort()
    print(
        f"\n{statuses}; /graphql during the burst: n={len(latencies)} "
        f"p50={latencies[len(latencies) // 2] * 1000:.0f} ms max={latencies[-1] * 1000:.0f} ms"
    )
    # Coarse bound: measured 9 to 13 ms at most (p50 1 ms); 215 to 243 ms before the fix,
    # when all 200 were hashed at once in anyio's shared pool of 40 threads.
    assert latencies[-1] < 0.1, latencies[-5:]
