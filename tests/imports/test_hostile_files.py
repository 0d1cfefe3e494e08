"""The spreadsheet import refuses hostile files with the open-data uploads' bounds (one
implementation, the same settings): too many columns, cells or characters in a cell, zip bombs;
over HTTP (413 for size, 422 for shape, naming the setting) and on the command line. A client
that leaves stops the import, and nothing is written."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import Role

from .conftest import count, spreadsheets, territory


@pytest.fixture
def opened(world: Any, make_settings: Any) -> Callable[..., Any]:
    """``async with opened(**settings) as (client, headers)``: the import as a GAL admin."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
        app = create_app(make_settings(world.settings.database_url, **overrides))
        async with app.router.lifespan_context(app):
            issued = await app.state.issuer.issue(subject="admin", roles=[Role.TERRITORY_ADMIN])
            headers = {"Authorization": f"Bearer {issued.access_token}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                client.app = app  # type: ignore[attr-defined]
                yield client, headers

    return open_client


def refused(response: httpx.Response, status: int, setting: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["setting"] == setting and setting in error["message"]
    return error


async def test_a_million_columns_are_refused_at_once(opened: Any, hostile: Any) -> None:
    async with opened() as (client, admin):
        started = time.perf_counter()
        response = await client.post(
            "/api/import/projects?dry_run=1", content=hostile.wide_csv(1_000_000), headers=admin
        )
        elapsed = time.perf_counter() - started
        error = refused(response, 422, "BOCAGE_SPREADSHEET_MAX_COLUMNS")
        assert error["limit"] == 1000
        # Measured: about 0.02 s (bench/hostile_uploads.py); the bound only catches a parse of
        # the whole file, on a loaded machine (a 10 MB body through the test transport).
        assert elapsed < 10.0, elapsed


async def test_a_zip_bomb_is_refused_before_it_is_expanded(opened: Any, hostile: Any) -> None:
    async with opened() as (client, admin):
        started = time.perf_counter()
        response = await client.post(
            "/api/import/projects?dry_run=1", content=hostile.zip_bomb_xlsx(), headers=admin
        )
        elapsed = time.perf_counter() - started
        refused(response, 413, "BOCAGE_SPREADSHEET_MAX_COMPRESSION_RATIO")
        assert elapsed < 10.0, elapsed


async def test_the_same_bounds_as_uploads(world: Any, opened: Any, hostile: Any) -> None:
    communes, numbers = await territory(world)
    generated = spreadsheets.projects(20, communes, numbers)
    columns = len(generated.headers)  # 14; 21 rows with the header
    for name, fits, over, status in (
        ("max_columns", columns, columns - 1, 422),
        ("max_cells", columns * 21, columns * 21 - 1, 413),
    ):
        setting = f"BOCAGE_SPREADSHEET_{name.upper()}"
        for data in (generated.csv(), generated.xlsx()):
            async with opened(**{f"spreadsheet_{name}": fits}) as (client, admin):
                ok = await client.post(
                    "/api/import/projects?dry_run=1", content=data, headers=admin
                )
                assert ok.status_code == 200, (name, ok.text)
            async with opened(**{f"spreadsheet_{name}": over}) as (client, admin):
                response = await client.post(
                    "/api/import/projects?dry_run=1",
                    files={"file": ("projets", data)},  # multipart as well as a raw body
                    headers=admin,
                )
                refused(response, status, setting)
    async with opened(spreadsheet_max_cell_chars=5) as (client, admin):
        response = await client.post(
            "/api/import/projects", content=b"external_id;title_fr\nP1;Potager\n", headers=admin
        )
        error = refused(response, 422, "BOCAGE_SPREADSHEET_MAX_CELL_CHARS")
        assert "row 1" in error["message"]  # "external_id" is 11 characters


async def test_the_command_line_says_which_setting(
    world: Any, cli: Any, tmp_path: Path, hostile: Any
) -> None:
    wide = tmp_path / "large.csv"
    wide.write_bytes(hostile.wide_csv(2000))
    env = {"BOCAGE_DATABASE_URL": world.settings.database_url, "BOCAGE_RATE_LIMIT": "off"}
    result = cli("import", "projects", str(wide), env=env)
    assert result.returncode == 1
    assert "BOCAGE_SPREADSHEET_MAX_COLUMNS" in result.stderr, result.stderr
    allowed = cli(
        "import",
        "projects",
        str(wide),
        "--dry-run",
        env={**env, "BOCAGE_SPREADSHEET_MAX_COLUMNS": "2000"},
    )
    assert "BOCAGE_SPREADSHEET_MAX_COLUMNS" not in allowed.stderr, allowed.stderr


async def test_a_client_that_leaves_stops_the_import(
    world: Any, opened: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client disconnects while the rows are checked: nothing is written."""
    from bocage.core.imports.projects import ProjectKind

    communes, numbers = await territory(world)
    data = spreadsheets.projects(50, communes, numbers).csv()
    left = anyio.Event()
    real_plan = ProjectKind.plan
    planned = []

    async def plan(self: Any, session: Any, rows: Any, context: Any) -> Any:
        left.set()  # the client leaves now; wait until the app has heard it
        await anyio.wait_all_tasks_blocked()
        planned.append(len(rows))
        return await real_plan(self, session, rows, context)

    monkeypatch.setattr(ProjectKind, "plan", plan)
    before = await count(world, m.Project)
    async with opened() as (client, admin):
        body = [data]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if body:
                return {"type": "http.request", "body": body.pop(), "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/import/projects",
            "raw_path": b"/api/import/projects",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"t"),
                (b"content-type", b"text/csv"),
                (b"authorization", admin["Authorization"].encode()),
            ],
            "client": ("127.0.0.1", 1),
            "server": ("t", 80),
        }
        await client.app(scope, receive, send)  # type: ignore[attr-defined]
    assert planned == [50]
    assert await count(world, m.Project) == before


async def test_the_sniffer_sees_a_bounded_sample(
    opened: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """csv.Sniffer's time is quadratic in its sample on some files: 64 KB of one quoted
    column took 23 s of the import's event loop. It now sees 4 KiB."""
    import csv

    seen: list[int] = []
    sniff = csv.Sniffer.sniff

    def recording(self: Any, sample: str, delimiters: Any = None) -> Any:
        seen.append(len(sample))
        return sniff(self, sample, delimiters)

    monkeypatch.setattr(csv.Sniffer, "sniff", recording)
    async with opened() as (client, admin):
        data = b'"a"\n' * 16_000
        response = await client.post("/api/import/projects?dry_run=1", content=data, headers=admin)
        assert response.status_code == 422, response.text  # no external_id column
    assert seen and max(seen) <= 4096, seen
