"""A job that waits while its gate file exists: a worker stopped while it waits must hand
it back, and the next worker completes it once the gate is gone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bocage.core.api import JobContext, JobKind, hookimpl

BOCAGE_REQUIRES = ">=1.0,<2"


async def slow(context: JobContext, payload: dict[str, Any]) -> None:
    marker, gate = Path(payload["marker"]), Path(payload["gate"])
    with marker.open("a") as file:
        file.write(f"start {context.attempt}\n")
    while gate.exists():
        await asyncio.sleep(0.05)
    with marker.open("a") as file:
        file.write("done\n")


@hookimpl
def bocage_jobs() -> Sequence[JobKind]:
    return [JobKind(name="ops.slow", handler=slow, description="Waits for its gate.")]
