"""The floor of the benchmark: each reference query answered by one hand-written SQL statement
that builds the JSON, served by Starlette (PostgreSQL: an asyncpg pool; SQLite: the standard
sqlite3 module, called from the event loop). ``bench/run.py`` starts it with uvicorn, one worker:

    FLOOR_DATABASE=postgresql://postgres@127.0.0.1:5432/bocage_bench \\
        .venv/bin/uvicorn floor:app --app-dir bench --port 8001 --log-level warning

``POST /graphql`` takes the same body as Bocage (``{"query", "variables"}``); the document must
be one of :data:`queries.REFERENCES` byte for byte (the floor does not parse GraphQL).
"""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import orjson
from queries import REFERENCES
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DATABASE = os.environ.get("FLOOR_DATABASE", "")
ENGINE = "postgresql" if DATABASE.startswith("postgres") else "sqlite"
POOL_SIZE = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
BY_DOCUMENT = {reference.document: reference for reference in REFERENCES.values()}
JSON = "application/json"

state: dict[str, Any] = {}


def _b64(text: str | None) -> str | None:
    return None if text is None else base64.b64encode(text.encode()).decode()


async def _no_reset(connection: Any) -> None:
    return None


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if ENGINE == "postgresql":
        import asyncpg

        pool = await asyncpg.create_pool(
            DATABASE,
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
            # Events' times are shown in Brussels time: to_char() writes them so.
            server_settings={"timezone": "Europe/Brussels"},
            # Read-only statements leave nothing to reset: skip asyncpg's reset query on release.
            reset=_no_reset,
        )
        state["pool"] = pool
        try:
            yield
        finally:
            await pool.close()
    else:
        connection = sqlite3.connect(DATABASE, check_same_thread=False, isolation_level=None)
        connection.create_function("b64", 1, _b64, deterministic=True)
        state["sqlite"] = connection
        try:
            yield
        finally:
            connection.close()


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    reference = BY_DOCUMENT.get(body.get("query"))
    if reference is None:
        return Response(b'{"errors":[{"message":"not a reference query"}]}', 400, media_type=JSON)
    parameters = reference.floor_parameters(body.get("variables") or {}, ENGINE)
    if ENGINE == "postgresql":
        text = await state["pool"].fetchval(reference.floor_postgresql, *parameters)
    else:
        text = state["sqlite"].execute(reference.floor_sqlite, parameters).fetchone()[0]
    return Response(b'{"data":' + text.encode() + b"}", media_type=JSON)


async def readyz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type=JSON)


app = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["POST"]),
        Route("/readyz", readyz, methods=["GET"]),
    ],
    lifespan=lifespan,
)
