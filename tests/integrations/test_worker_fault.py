"""Fault test: a `bocage worker` process is killed (SIGKILL) while it delivers webhooks, more
changes happen while it is down, a new worker starts: every event reaches the receiver, none is
lost; the few in flight at the kill arrive twice, with the same `webhook-id`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

EVENTS_BEFORE = 40
EVENTS_WHILE_DOWN = 10
CONCURRENCY = 4


def _start_worker(url: str) -> subprocess.Popen[bytes]:
    executable = Path(sys.executable).with_name("bocage")
    env = {
        **os.environ,
        "BOCAGE_DATABASE_URL": url,
        "BOCAGE_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "BOCAGE_JOBS_LEASE_SECONDS": "2",
        "BOCAGE_JOBS_POLL_INTERVAL": "0.1",
        "BOCAGE_JOBS_RETRY_BASE_SECONDS": "0.1",
        "BOCAGE_JOBS_CONCURRENCY": str(CONCURRENCY),
    }
    return subprocess.Popen(
        [str(executable), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


async def _exit_code(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    for _ in range(int(timeout * 20)):
        code = process.poll()
        if code is not None:
            return code
        await asyncio.sleep(0.05)
    process.kill()
    raise AssertionError("the worker did not stop")


async def test_killed_worker_loses_no_event(
    hooks: Any, gql_as: Any, receiver: Any, kit: Any
) -> None:
    receiver.delay = 0.1  # each delivery takes a while: the kill lands mid-way
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created"])
    for i in range(EVENTS_BEFORE):
        await kit.create_project(gql_as, hooks, f"Avant {i}")

    first = _start_worker(hooks.url)
    try:
        await kit.wait_for(lambda: len(receiver.requests) >= 10, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
    assert await _exit_code(first) == -signal.SIGKILL
    delivered_before_restart = set(receiver.ids())
    assert len(delivered_before_restart) < EVENTS_BEFORE  # killed mid-way indeed

    for i in range(EVENTS_WHILE_DOWN):  # changes keep coming while no worker runs
        await kit.create_project(gql_as, hooks, f"Pendant {i}")
    expected = await kit.event_ids(hooks, "project.created")
    assert len(expected) == EVENTS_BEFORE + EVENTS_WHILE_DOWN

    second = _start_worker(hooks.url)
    try:
        await kit.wait_for(lambda: set(receiver.ids()) >= set(expected), timeout=90)

        async def all_succeeded() -> bool:
            deliveries = await hooks.deliveries()
            return len(deliveries) == len(expected) and all(
                d.status == "succeeded" for d in deliveries
            )

        await kit.wait_for(all_succeeded, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
    assert await _exit_code(second) == 0  # SIGTERM: running jobs finish, then it exits

    # The jobs the killed worker held were taken again (its lease ran out on SQLite; on
    # PostgreSQL its heartbeat stopped and procrastinate's stalled jobs were retried): a second
    # attempt, since the receiver never fails here.
    retaken = [j for j in await hooks.jobs(kind="webhook.deliver") if j.attempts > 1]
    assert 1 <= len(retaken) <= CONCURRENCY
    assert all(j.status == "succeeded" for j in retaken)

    received = Counter(receiver.ids())
    assert set(received) == set(expected)  # none lost, nothing else
    duplicates = {event_id: n for event_id, n in received.items() if n > 1}
    # Only deliveries in flight at the kill may come twice (at least once, same webhook-id).
    assert len(duplicates) <= CONCURRENCY
    verifier = Webhook(sub["secret"])
    for request in receiver.requests:
        verifier.verify(request.body, request.headers)
