"""Resolvers that an error made useless end cleanly.

When a non-null field fails, graphql-core cancels the sibling fields still pending
(``graphql.pyutils.gather_with_cancel``). A sibling whose task had not started yet held its
resolver's coroutine unstarted: cancelled, the task dropped it, and Python warned that the
coroutine was never awaited, from wherever the garbage collector next ran (inside a frame
without builtins, that warning itself failed: graphql-core issue 269 describes the same
leak). :func:`gather_with_cancel` below is graphql-core's, except that before it cancels a
task that never ran it closes the coroutines that task was given, so that none is left
behind; :func:`install` puts it in place of graphql-core's in the executor.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

import graphql.execution.executor as executor

#: How deep the coroutines handed to one another are followed (a field's completion holds
#: its resolver's coroutine, which may hold an extension's).
DEPTH = 8


def close_unstarted(value: Any, depth: int = 0) -> None:
    """Close ``value`` if it is a coroutine that never ran, with the unstarted coroutines in
    its arguments and closure (directly, or in the lists and dicts it was given)."""
    if depth > DEPTH:
        return
    if isinstance(value, dict):
        for item in list(value.values()):
            close_unstarted(item, depth + 1)
        return
    if isinstance(value, list | tuple):
        for item in value:
            close_unstarted(item, depth + 1)
        return
    if not inspect.iscoroutine(value) or inspect.getcoroutinestate(value) != "CORO_CREATED":
        return
    if value.cr_frame is not None:
        for item in value.cr_frame.f_locals.values():
            close_unstarted(item, depth + 1)
    value.close()


def _close_unstarted_tasks(futures: list[asyncio.Future[Any]]) -> None:
    for future in futures:
        if not future.done() and isinstance(future, asyncio.Task):
            close_unstarted(future.get_coro())


async def gather_with_cancel(*awaitables: Awaitable[Any]) -> list[Any]:
    """graphql-core's ``gather_with_cancel`` (the first exception is raised at once and the
    pending awaitables are cancelled), closing what never ran before it is cancelled."""
    futures: list[asyncio.Future[Any]] = [asyncio.ensure_future(aw) for aw in awaitables]
    gathering = asyncio.gather(*futures)
    try:
        # Shielded, so that a cancellation from above reaches this function before the
        # tasks: it closes what they never ran, then cancels them.
        return await asyncio.shield(gathering)
    except asyncio.CancelledError:
        _close_unstarted_tasks(futures)
        gathering.cancel()
        raise
    except Exception:
        _close_unstarted_tasks(futures)
        for future in futures:
            if not future.done():
                future.cancel()
        await asyncio.gather(*futures, return_exceptions=True)
        raise


def install() -> None:
    """Use :func:`gather_with_cancel` in graphql-core's executor (idempotent)."""
    executor.gather_with_cancel = gather_with_cancel  # type: ignore[attr-defined]
