"""SQLite's fast path routes each statement by its measured cost (``fast_path.Route``): in the
event loop's thread while it fits the loop's share, on worker threads otherwise; a run that
outlasts the share in the loop's thread is stopped there and runs again on a worker thread.

No timed assertion: where each run ran (the loop's thread or a worker's) and whether it was
stopped, on statements whose cost is far from the share either way (a recursive CTE of a few
hundred thousand rows against one of ten, for a share of one millisecond).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from bocage.core.graphql import fast_path
from bocage.core.graphql.fast_path import (
    COST_WEIGHT,
    LOOP_FIT,
    SLOW_SHARES,
    RawStatement,
    Route,
    SqliteReads,
)

#: Counts up to the number in ``size``: slow or fast as the table says, the same statement.
COUNT = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < (SELECT n FROM size)) SELECT count(*) FROM n"
)
SLOW, FAST = 400_000, 10
SHARE = 0.001  # a millisecond of the loop thread's CPU time


def _resize(path: Path, n: int) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE size SET n = ?", (n,))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "routing.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE size (n INTEGER)")
    connection.execute("INSERT INTO size VALUES (?)", (SLOW,))
    connection.commit()
    connection.close()
    return path


@pytest.fixture
async def runs(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[SqliteReads, list[tuple[str, str]]]]:
    """An ``SqliteReads`` with a share of ``SHARE``, and the record of each statement run:
    (``loop`` or ``worker``, ``done`` or ``stopped``)."""
    ran: list[tuple[str, str]] = []
    fetch = fast_path._Reader.fetch

    def recorded(self: Any, statement: RawStatement, deadline: float, share: float = 0.0) -> Any:
        where = "loop" if threading.current_thread() is threading.main_thread() else "worker"
        try:
            value = fetch(self, statement, deadline, share)
        except sqlite3.OperationalError:
            ran.append((where, "stopped"))
            raise
        ran.append((where, "done"))
        return value

    monkeypatch.setattr(fast_path._Reader, "fetch", recorded)
    reads = SqliteReads(create_engine("sqlite://").dialect, str(database), SHARE, threads=2)
    try:
        yield reads, ran
    finally:
        await reads.close()


async def test_a_statement_that_overruns_moves_to_worker_threads_and_back_when_fast(
    database: Path, runs: tuple[SqliteReads, list[tuple[str, str]]]
) -> None:
    reads, ran = runs
    statement = RawStatement(COUNT, ())
    deadline = float("inf")

    # First run: tried in the loop's thread, stopped at the share, run again on a worker.
    assert await reads.text(statement, deadline) == SLOW
    assert ran == [("loop", "stopped"), ("worker", "done")]
    assert statement.route.overruns == 1
    assert not statement.route.in_loop(SHARE)

    # Known to be slow: straight to a worker thread, no attempt in the loop's.
    ran.clear()
    assert await reads.text(statement, deadline) == SLOW
    assert ran == [("worker", "done")]

    # Fast now: measured on the workers, it comes back to the loop's thread, and stays.
    _resize(database, FAST)
    ran.clear()
    for _ in range(20):
        assert await reads.text(statement, deadline) == FAST
        if ran[-1][0] == "loop":
            break
    assert ran[-1] == ("loop", "done")
    assert all(where == "worker" for where, _ in ran[:-1])
    ran.clear()
    for _ in range(5):
        assert await reads.text(statement, deadline) == FAST
    assert ran == [("loop", "done")] * 5

    # Slow again: stopped in the loop's thread once, then on the workers.
    _resize(database, SLOW)
    ran.clear()
    assert await reads.text(statement, deadline) == SLOW
    assert await reads.text(statement, deadline) == SLOW
    assert ran == [("loop", "stopped"), ("worker", "done"), ("worker", "done")]
    assert statement.route.overruns == 2


async def test_a_slow_statement_never_holds_the_event_loop_past_the_share(
    runs: tuple[SqliteReads, list[tuple[str, str]]],
) -> None:
    """While a slow statement's request waits, the event loop serves the others: its run in
    the loop's thread was stopped, and the rest ran on a worker thread."""
    reads, ran = runs
    ticks = 0
    stop = asyncio.Event()

    async def other_requests() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_requests())
    await asyncio.sleep(0)
    try:
        before = ticks
        value = await reads.text(RawStatement(COUNT, ()), float("inf"))
        during = ticks - before
    finally:
        stop.set()
        await ticker
    assert value == SLOW
    assert ran == [("loop", "stopped"), ("worker", "done")]
    assert during > 0  # the loop ran the other task while the worker counted


async def test_a_fast_statement_stays_in_the_event_loops_thread(
    database: Path, runs: tuple[SqliteReads, list[tuple[str, str]]]
) -> None:
    reads, ran = runs
    _resize(database, FAST)
    statement = RawStatement(COUNT, ())
    for _ in range(5):
        assert await reads.text(statement, float("inf")) == FAST
    assert ran == [("loop", "done")] * 5
    assert statement.route.overruns == 0


async def test_no_share_runs_every_statement_on_a_worker_thread(
    database: Path, runs: tuple[SqliteReads, list[tuple[str, str]]]
) -> None:
    """``BOCAGE_GRAPHQL_FAST_PATH_LOOP_MS=0``."""
    reads, ran = runs
    _resize(database, FAST)
    reads.loop_seconds = 0.0
    statement = RawStatement(COUNT, ())
    for _ in range(3):
        assert await reads.text(statement, float("inf")) == FAST
    assert ran == [("worker", "done")] * 3


def test_route_arithmetic() -> None:
    """The moving average: unknown, a statement is tried in the loop; an overrun sends it to
    the workers; a run counts at most ``SLOW_SHARES`` shares, so that a slow statement turned
    fast is back within a bounded number of runs; ``LOOP_FIT`` just under and just over."""
    share = 1.0
    route = Route()
    assert route.in_loop(share)
    assert not route.in_loop(0.0)
    route.overran(share)
    assert not route.in_loop(share)
    route.ran(1000.0, share)  # counted as SLOW_SHARES shares
    assert route.cost == pytest.approx(share + (SLOW_SHARES - 1) * COST_WEIGHT)
    back = 0
    while not route.in_loop(share):
        route.ran(0.0, share)
        back += 1
    # From at most SLOW_SHARES shares, down by (1 - COST_WEIGHT) per run, to under LOOP_FIT.
    bound = 0
    cost = SLOW_SHARES * share
    while cost >= LOOP_FIT * share:
        cost *= 1 - COST_WEIGHT
        bound += 1
    assert 0 < back <= bound
    fitting, too_long = Route(), Route()
    fitting.ran(LOOP_FIT * share * 0.999, share)
    too_long.ran(LOOP_FIT * share, share)
    assert fitting.in_loop(share)
    assert not too_long.in_loop(share)
