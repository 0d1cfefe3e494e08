"""A request ends only once the resolvers it started have ended.

When a non-null field fails while its siblings' resolvers are still pending, graphql-core
answers at once and settles those resolvers in the background. Left so, they ran after the
request had closed its session (and failed there), or never ran at all when the event loop
stopped first: Python then warned of coroutines never awaited, from wherever the garbage
collector happened to run (a flaky failure of the tenancy walk on PostgreSQL). The executor
hands them to the request's context, whose ``close`` waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import warnings
from typing import Any

import graphql.execution.executor as executor
import pytest
import strawberry
from graphql.pyutils import gather_with_cancel as graphql_core_gather_with_cancel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bocage.core.graphql import settling
from bocage.core.graphql.compiler.execute import CompilingExecutionContext
from bocage.core.graphql.context import Context
from bocage.core.settings import load_settings
from bocage.core.testing import engine_name

FINISHED: list[int] = []


@strawberry.type
class Item:
    key: int

    @strawberry.field
    async def slow(self) -> int:
        await asyncio.sleep(0.05)
        FINISHED.append(self.key)
        return self.key

    @strawberry.field
    def refused(self) -> str:
        if self.key == 2:
            raise PermissionError("refused")
        return "ok"


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(key=key) for key in (1, 2, 3)]


SCHEMA = strawberry.Schema(query=Query, execution_context_class=CompilingExecutionContext)


def _context(sessionmaker: Any = None) -> Context:
    """A request's context, without an application (``host``) behind it."""
    host: Any = None
    return Context(settings=load_settings(), host=host, sessionmaker=sessionmaker, language="fr")


async def test_the_request_waits_for_the_resolvers_a_failed_sibling_left_running() -> None:
    FINISHED.clear()
    context = _context()
    result = await SCHEMA.execute("{ items { slow refused } }", context_value=context)
    # The list's non-null item failed: the answer is null with the error, at once.
    assert result.data is None
    assert result.errors and "refused" in result.errors[0].message
    # The resolvers of the items before the failure, and of its own sibling, still run.
    assert FINISHED == []
    assert context._settling
    await context.close()
    assert sorted(FINISHED) == [1, 2]  # the failed item's own sibling too
    assert not context._settling


async def test_a_request_without_failures_has_nothing_to_settle() -> None:
    FINISHED.clear()
    context = _context()
    result = await SCHEMA.execute("{ items { slow } }", context_value=context)
    assert result.errors is None
    assert sorted(FINISHED) == [1, 2, 3]
    assert not context._settling
    await context.close()


async def _cancelled_before_the_tasks_ran(gather: Any) -> list[str]:
    """``gather`` of two fields, each holding its resolver's coroutine unstarted, cancelled
    from above before their tasks ran: the warnings of coroutines never awaited."""

    async def resolver() -> None:
        await asyncio.sleep(1)

    async def completion(resolved: Any) -> Any:
        return await resolved

    async def parent() -> None:
        await gather(completion(resolver()), completion(resolver()))

    async def run() -> None:
        task = asyncio.ensure_future(parent())
        await asyncio.sleep(0)  # the parent ran up to its gather; its tasks did not run yet
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await run()
        await asyncio.sleep(0)
        gc.collect()
    return [str(w.message) for w in caught if "never awaited" in str(w.message)]


async def test_graphql_cores_gather_leaves_coroutines_never_awaited() -> None:
    """What the replacement is for (graphql-core 3.3's own ``gather_with_cancel``)."""
    assert await _cancelled_before_the_tasks_ran(graphql_core_gather_with_cancel)


async def test_fields_cancelled_before_they_ran_leave_nothing_unawaited() -> None:
    assert await _cancelled_before_the_tasks_ran(settling.gather_with_cancel) == []
    assert executor.gather_with_cancel is settling.gather_with_cancel  # installed


async def test_the_first_error_is_raised_and_the_other_fields_cancelled() -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.5)
        finished.append("slow")

    async def failing() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await settling.gather_with_cancel(slow(), failing())
    await asyncio.sleep(0.6)
    assert finished == []
    assert await settling.gather_with_cancel(asyncio.sleep(0, "a"), asyncio.sleep(0, "b")) == [
        "a",
        "b",
    ]


def _slow_statement(seconds: float) -> Any:
    if engine_name() == "postgresql":
        return text(f"SELECT pg_sleep({seconds})")
    rows = int(seconds * 3_000_000)
    return text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
        f"{rows}) SELECT count(*) FROM n"
    )


async def test_a_resolver_cancelled_mid_statement_leaves_the_session_usable(
    demo_database_url: str,
) -> None:
    """graphql-core cancels a sibling's resolver while its statement runs: the statement
    ends, and the request's later statements run on a session still valid (cut short on
    its connection, it made every later one fail with ``PendingRollbackError``)."""
    engine = create_async_engine(demo_database_url)
    context = _context(async_sessionmaker(engine))
    try:
        assert (await context.execute(text("SELECT 1"))).scalar_one() == 1  # in a transaction
        resolver = asyncio.ensure_future(context.execute(_slow_statement(0.3)))
        await asyncio.sleep(0.05)
        resolver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await resolver
        assert (await context.execute(text("SELECT 2"))).scalar_one() == 2
    finally:
        await context.close()
        await engine.dispose()


async def test_abort_stops_the_running_statement(demo_database_url: str) -> None:
    """The request's time is up: its context stops the statement a shield kept running."""
    if engine_name() != "postgresql":
        pytest.skip("PostgreSQL shows its running statements; SQLite's run in a thread")
    engine = create_async_engine(demo_database_url)
    context = _context(async_sessionmaker(engine))
    # In autocommit: within a transaction, pg_stat_activity keeps its first snapshot.
    watcher = create_async_engine(demo_database_url, isolation_level="AUTOCOMMIT")
    running = text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND query = 'SELECT pg_sleep(30)'"
    )
    try:
        resolver = asyncio.ensure_future(context.execute(_slow_statement(30)))
        async with watcher.connect() as connection:
            for _ in range(100):
                if (await connection.execute(running)).scalar_one():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the statement never ran")
            context.abort()
            with pytest.raises(asyncio.CancelledError):
                await resolver
            for _ in range(100):
                if not (await connection.execute(running)).scalar_one():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the statement still runs after abort()")
    finally:
        await context.close()
        await engine.dispose()
        await watcher.dispose()
