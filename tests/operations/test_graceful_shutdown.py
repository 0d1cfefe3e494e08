"""SIGTERM under load: `bocage serve` stops accepting, finishes every request it accepted,
closes WebSocket subscriptions with 1012 (service restart: clients reconnect), and the job
worker hands the jobs it was running back to the queue, where a new worker completes them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bocage.core.db import create_engine, sessionmaker
from bocage.core.host import PluginHost
from bocage.core.jobs import enqueue_job, list_jobs
from bocage.core.testing import settings_for

SLOW_CHUNKS = 8
QUERY = json.dumps({"query": "{ __typename }"}).encode()


async def _slow_body(started: asyncio.Event, release: asyncio.Event) -> AsyncIterator[bytes]:
    """The body of a request in flight: its first bytes now, the rest once ``release`` is
    set (after the SIGTERM), a little at a time."""
    step = len(QUERY) // SLOW_CHUNKS + 1
    chunks = [QUERY[i : i + step] for i in range(0, len(QUERY), step)]
    yield chunks[0]
    started.set()
    await release.wait()
    for chunk in chunks[1:]:
        await asyncio.sleep(0.1)
        yield chunk


def _post_slow(
    client: httpx.AsyncClient, started: asyncio.Event, release: asyncio.Event
) -> asyncio.Task[httpx.Response]:
    return asyncio.create_task(
        client.post(
            "/graphql",
            content=_slow_body(started, release),
            headers={"content-type": "application/json"},
        )
    )


async def _enqueue(url: str, markers: list[Path], gate: Path) -> None:
    settings = settings_for(url)
    engine = create_engine(settings)
    PluginHost(settings)  # the plugins' job kinds are known to the queue
    try:
        async with sessionmaker(engine)() as session, session.begin():
            for marker in markers:
                await enqueue_job(session, "ops.slow", {"marker": str(marker), "gate": str(gate)})
    finally:
        await engine.dispose()


async def _jobs(url: str) -> list[Any]:
    engine = create_engine(settings_for(url))
    try:
        async with sessionmaker(engine)() as session:
            return await list_jobs(session, kind="ops.slow", limit=100)
    finally:
        await engine.dispose()


async def _wait_for(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.1)


def _refused(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.ConnectError:
        return True
    return False


async def test_sigterm_under_load_loses_no_request_and_no_job(
    processes: Any, port: int, opsplugin_dir: Path, empty_database_url: str, tmp_path: Path
) -> None:
    env = {
        "BOCAGE_DATABASE_URL": empty_database_url,
        "BOCAGE_RATE_LIMIT": "off",
        "BOCAGE_JOBS_SHUTDOWN_TIMEOUT_SECONDS": "1",
        "BOCAGE_JOBS_CONCURRENCY": "2",
        "BOCAGE_JOBS_POLL_INTERVAL": "0.2",
        "PYTHONPATH": str(opsplugin_dir),
    }
    server = processes.serve(port, env)  # migrates the new database (development default)
    postgres = not empty_database_url.startswith("sqlite")
    worker = processes.start("worker", env=env) if postgres else server

    # Jobs: two run at SIGTERM (concurrency 2), one waits in the queue.
    markers = [tmp_path / f"job-{n}.txt" for n in range(3)]
    gate = tmp_path / "gate"
    gate.touch()
    await _enqueue(empty_database_url, markers, gate)
    await _wait_for(lambda: sum(m.exists() for m in markers) == 2, "two jobs to start")

    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        # Load before the signal: every one answered.
        quick = await asyncio.gather(*(client.get("/healthz") for _ in range(40)))
        assert [r.status_code for r in quick] == [200] * 40

        # A subscription connection, acknowledged.
        socket = await connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"

        # Requests in flight: accepted, their bodies still arriving when SIGTERM comes.
        release = asyncio.Event()
        started = [asyncio.Event() for _ in range(10)]
        slow = [_post_slow(client, event, release) for event in started]
        await asyncio.gather(*(event.wait() for event in started))
        await asyncio.sleep(0.5)  # the server has read their headers

        server.send_signal(15)
        if postgres:
            worker.send_signal(15)
        # It stops accepting while the requests in flight still run...
        await _wait_for(lambda: _refused(port), "new connections to be refused")
        release.set()
        answers = await asyncio.gather(*slow, return_exceptions=True)

        # ... and every request it had accepted gets its answer: 0 failed.
        failed = [a for a in answers if not isinstance(a, httpx.Response) or a.status_code != 200]
        assert failed == []
        assert {json.dumps(a.json()) for a in answers} == {'{"data": {"__typename": "Query"}}'}

        # The subscription is closed with 1012, "service restart": clients reconnect.
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012

    # uvicorn re-raises the SIGTERM once shut down: the status of a process ended by it,
    # which systemd and Docker take for a clean stop.
    assert server.wait(60) in (0, -15), processes.log(server)
    assert "Application shutdown complete" in processes.log(server)
    if postgres:
        assert worker.wait(60) == 0, processes.log(worker)

    # The jobs running at SIGTERM went back to the queue, none lost, none dead.
    assert sorted(job.status for job in await _jobs(empty_database_url)) == ["queued"] * 3
    started_twice = [m for m in markers if m.exists()]
    assert [m.read_text() for m in started_twice] == ["start 1\n"] * 2

    # A new worker completes all three; the interrupted attempt was not counted.
    gate.unlink()
    again = processes.start("worker", "--burst", env=env)
    assert again.wait(120) == 0, processes.log(again)
    jobs = await _jobs(empty_database_url)
    assert sorted(job.status for job in jobs) == ["succeeded"] * 3
    assert sorted(m.read_text() for m in markers) == [
        "start 1\ndone\n",
        "start 1\nstart 1\ndone\n",
        "start 1\nstart 1\ndone\n",
    ]


async def test_a_request_outlasting_the_shutdown_timeout_is_cut(
    processes: Any, port: int, empty_database_url: str
) -> None:
    """BOCAGE_SHUTDOWN_TIMEOUT_SECONDS bounds the wait: a request still in flight when it ends
    is cut (here the server would otherwise wait for ever), one ending within it answered."""
    env = {
        "BOCAGE_DATABASE_URL": empty_database_url,
        "BOCAGE_SHUTDOWN_TIMEOUT_SECONDS": "2",
        "BOCAGE_JOBS_IN_PROCESS": "off",
    }
    server = processes.serve(port, env)
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120
    ) as client:
        within, beyond = asyncio.Event(), asyncio.Event()
        started = [asyncio.Event(), asyncio.Event()]
        requests = [
            _post_slow(client, event, gate)
            for event, gate in zip(started, (within, beyond), strict=True)
        ]
        await asyncio.gather(*(event.wait() for event in started))
        await asyncio.sleep(0.5)  # the server has read their headers
        server.send_signal(15)
        await _wait_for(lambda: _refused(port), "new connections to be refused")
        within.set()  # this one ends now; the other sends the rest once the server is gone
        answered = await requests[0]
        status = await asyncio.to_thread(server.wait, 60)
        beyond.set()
        cut = (await asyncio.gather(requests[1], return_exceptions=True))[0]
    assert isinstance(answered, httpx.Response) and answered.status_code == 200
    assert isinstance(cut, httpx.TransportError), cut
    assert status in (0, -15)
    assert "timeout graceful shutdown exceeded" in processes.log(server)
