"""Time the spreadsheet import of a generated projects file, and count its SQL statements.

A script that prints figures, not a test. For each engine it creates a fresh database (an
SQLite file in a temporary folder; the PostgreSQL database ``bocage_bench_import``, dropped and
recreated), migrates it and loads the demo GAL, generates ``--rows`` projects (CSV, the French
Excel variant, or XLSX with ``--xlsx``), then runs: a dry run, the import, and a re-import of the
same file (which must change nothing).

    .venv/bin/python bench/import_projects.py                      # 10,000 rows, both engines
    .venv/bin/python bench/import_projects.py --engine sqlite --rows 50000 --xlsx
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bocage.core import migrate
from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.db import create_engine, sessionmaker
from bocage.core.host import PluginHost
from bocage.core.imports.runner import run_import
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_bench_import"
ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="bench", roles=frozenset({Role.TERRITORY_ADMIN})
)


def _generator() -> Any:
    path = ROOT / "tests" / "imports" / "spreadsheets.py"
    spec = importlib.util.spec_from_file_location("import_spreadsheets", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def _database(engine_name: str, pg_url: str, folder: Path) -> str:
    if engine_name == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    url = make_url(pg_url)
    if not (url.database or "").startswith("bocage_bench"):
        raise SystemExit("--pg-url: the database name must start with bocage_bench (it is dropped)")
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    await admin.dispose()
    return pg_url


async def bench(engine_name: str, rows: int, xlsx: bool, pg_url: str) -> None:
    generator = _generator()
    with tempfile.TemporaryDirectory() as folder:
        url = await _database(engine_name, pg_url, Path(folder))
        settings = load_settings(database_url=url)
        host = PluginHost(settings)
        engine = create_engine(settings)
        await migrate.upgrade(engine, host)
        await seed_all(engine, host)
        factory = sessionmaker(engine)
        async with factory() as session:
            communes = sorted((await session.execute(select(m.Commune.nis_code))).scalars())
            numbers = sorted(
                {
                    n
                    for n in (
                        await session.execute(select(m.Stakeholder.enterprise_number))
                    ).scalars()
                    if n
                }
            )
        generated = generator.projects(rows, communes, numbers)
        data = generated.xlsx() if xlsx else generated.csv()
        print(
            f"{engine_name}: {rows} projects, "
            f"{'XLSX' if xlsx else 'CSV'} of {len(data) / 1e6:.1f} MB"
        )
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        for label, dry_run in (("dry run", True), ("import", False), ("re-import", False)):
            statements.clear()
            started = time.perf_counter()
            report = await run_import(factory, ADMIN, "projects", data, dry_run=dry_run)
            seconds = time.perf_counter() - started
            assert not report.errors, report.errors[:3]
            print(
                f"  {label:10} {seconds:6.2f} s  {len(statements):5} statements  "
                f"created {report.created}, updated {report.updated}, "
                f"unchanged {report.unchanged}"
            )
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--xlsx", action="store_true", help="Generate XLSX instead of CSV.")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine_name in engines:
        asyncio.run(bench(engine_name, args.rows, args.xlsx, args.pg_url))


if __name__ == "__main__":
    main()
