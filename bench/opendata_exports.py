"""Open-data exports against the database's own floor, on the same rows in the same run
(issue 14). A script that prints figures, not a test.

    .venv/bin/python bench/opendata_exports.py [--rows 1000000] [--engines sqlite,postgresql]
        [--formats csv,ndjson,parquet,xlsx] [--repeat 3] [--reuse] [--folder DIR]

For each engine it fills a table ``bench_rows`` (integer key, text, float, date, boolean,
UTC timestamp) with ``--rows`` rows, starts ``bocage``'s app with a plugin that publishes the
table as the dataset ``bench-rows`` under uvicorn (one worker, loopback, a process of its
own), and for each format:

- the **floor**: CSV by ``COPY (...) TO STDOUT`` (asyncpg, PostgreSQL) or by the ``sqlite3``
  command-line shell in ``.mode csv`` (SQLite); Parquet and NDJSON by DuckDB's ``COPY ... TO``
  of the same table in the same database, read by its ``sqlite_scanner`` or
  ``postgres_scanner`` (extensions DuckDB would download, which this machine may not: their
  signed binaries come from PyPI packages pinned to DuckDB's version, ``pip install
  '.[bench]'``). A second figure, **write-only**, is DuckDB writing the rows from its own
  table (loaded first, not timed): no database to read, a bound no export from a database
  reaches, printed beside. XLSX has no floor.
- **Bocage**: ``GET /api/opendata/datasets/bench-rows/export.<format>`` streamed by httpx;
  rows/s, the ratio to the floor, the time to the first byte, and the server's peak RSS
  during the export against its RSS at rest (``VmHWM`` reset through ``/proc/<pid>/clear_refs``
  before each export; sampled ``VmRSS`` when that is refused), and the seconds of CPU the
  server used with the processes it started (the database's own work is not in it); the
  same RSS figures for those processes (SQLite's export readers:
  ``BOCAGE_OPENDATA_EXPORT_READERS``), summed.

``--reuse`` keeps the rows of an earlier run (PostgreSQL's database, SQLite's file in
``--folder``) when the table holds ``--rows`` rows: runs that compare two versions of the
code (``PYTHONPATH`` set to another copy of ``bocage``) read the same table.

Each floor and each export runs ``--repeat`` times (3 by default) and the fastest run counts,
for both: on a shared machine a single run's time moves by half from one minute to the next;
the peak RSS is the highest over the runs, the CPU their mean.

Targets (issue 14): CSV >= 50 % of the floor, Parquet and NDJSON >= 33 % of DuckDB's (the
floor: DuckDB reading the same database), peak RSS within 50 MiB of rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, Date, Float, Integer, MetaData, String, Table, select

from bocage.core.db import UTCDateTime

metadata = MetaData()
rows_table = Table(
    "bench_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100)),
    Column("value", Float),
    Column("day", Date),
    Column("flag", Boolean),
    Column("at", UTCDateTime),
)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "bocage_bench_exports"
COLUMNS = "id, name, value, day, flag, at"


class Bench:
    """The plugin that publishes ``bench_rows`` (loaded by the server process)."""

    BOCAGE_REQUIRES = ">=1.0,<2"

    from bocage.core.api import hookimpl

    @hookimpl(optionalhook=True)
    def bocage_datasets(self):  # type: ignore[no-untyped-def]
        from bocage.core.api import Dataset, DatasetField, FieldType, Theme

        return [
            Dataset(
                identifier="bench-rows",
                title={"fr": "Banc d'essai"},
                description={"fr": "Lignes générées."},
                theme=Theme.TECH,
                fields=(
                    DatasetField("id", FieldType.INTEGER),
                    DatasetField("name", FieldType.STRING),
                    DatasetField("value", FieldType.NUMBER),
                    DatasetField("day", FieldType.DATE),
                    DatasetField("flag", FieldType.BOOLEAN),
                    DatasetField("at", FieldType.DATETIME),
                ),
                query=select(rows_table),
            )
        ]


# -- the data ------------------------------------------------------------------------------


def generated(offset: int, stop: int) -> list[dict[str, Any]]:
    start = dt.date(2020, 1, 1)
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return [
        {
            "id": i + 1,
            "name": f'ligne {i} é, "{i % 13}"' if i % 50 == 0 else f"ligne {i} é",
            "value": i / 7,
            "day": start + dt.timedelta(days=i % 2000),
            "flag": i % 3 == 0,
            "at": moment + dt.timedelta(seconds=i * 37, microseconds=(i % 4) * 250_000),
        }
        for i in range(offset, stop)
    ]


def fill(url: str, count: int) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as connection:
        for offset in range(0, count, 50_000):
            connection.execute(rows_table.insert(), generated(offset, min(count, offset + 50_000)))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE bench_rows")
    engine.dispose()


def filled(url: str, count: int) -> bool:
    """Whether ``bench_rows`` already holds ``count`` rows (``--reuse``)."""
    from sqlalchemy import create_engine, func, inspect

    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("bench_rows"):
            return False
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(rows_table)) == count
    finally:
        engine.dispose()


def create_pg_database(*, reuse: bool = False) -> str:
    from sqlalchemy import create_engine

    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_BENCH}"
    admin = create_engine(PG_ADMIN.replace("postgresql:", "postgresql+psycopg:"))
    if reuse:
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                f"SELECT 1 FROM pg_database WHERE datname = '{PG_BENCH}'"
            ).scalar()
        if exists:
            admin.dispose()
            return url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_BENCH}")
        connection.exec_driver_sql(f"CREATE DATABASE {PG_BENCH}")
    admin.dispose()
    return url


# -- the floors ----------------------------------------------------------------------------


async def pg_copy_floor() -> tuple[float, int]:
    import asyncpg

    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{PG_BENCH}")
    size = 0

    async def count(data: bytes) -> None:
        nonlocal size
        size += len(data)

    started = time.perf_counter()
    await connection.copy_from_query(
        f"SELECT {COLUMNS} FROM bench_rows ORDER BY id", output=count, format="csv", header=True
    )
    elapsed = time.perf_counter() - started
    await connection.close()
    return elapsed, size


def sqlite_cli_floor(path: str) -> tuple[float, int]:
    script = f".headers on\n.mode csv\nSELECT {COLUMNS} FROM bench_rows ORDER BY id;\n"
    started = time.perf_counter()
    done = subprocess.run(["sqlite3", path], input=script.encode(), capture_output=True, check=True)
    return time.perf_counter() - started, len(done.stdout)


#: What DuckDB writes, and how (the same compression as Bocage's Parquet).
DUCKDB_FORMATS = (("parquet", "FORMAT parquet, COMPRESSION zstd"), ("ndjson", "FORMAT json"))


def duckdb_extension(engine: str) -> str | None:
    """The file of DuckDB's scanner of ``engine`` (``sqlite_scanner``, ``postgres_scanner``):
    DuckDB downloads its extensions, which this machine may not, so they come from the
    packages that carry DuckDB's signed binaries (``pip install '.[bench]'``)."""
    import importlib.util

    name = "sqlite_scanner" if engine == "sqlite" else "postgres_scanner"
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob(f"extensions/*/{name}.duckdb_extension"))
    return str(found[-1]) if found else None


def _duckdb_copies(database: Any, source: str, folder: str, repeat: int) -> dict[str, float]:
    """The fastest of ``repeat`` runs of DuckDB writing ``source``'s rows in key order as
    each of :data:`DUCKDB_FORMATS`."""
    found: dict[str, float] = {}
    for name, options in DUCKDB_FORMATS:
        target = Path(folder) / f"floor.{name}"
        for _ in range(repeat):
            started = time.perf_counter()
            database.execute(f"COPY (SELECT * FROM {source} ORDER BY id) TO '{target}' ({options})")
            found[name] = min(found.get(name, 1e9), time.perf_counter() - started)
            target.unlink()
    return found


def duckdb_floors(
    engine: str, url: str, path: str | None, folder: str, repeat: int
) -> tuple[dict[str, float], dict[str, float]]:
    """DuckDB's Parquet and NDJSON of the rows: read from the same database by its scanner
    (``{}`` when the extension is not installed), and written alone from its own table (the
    rows loaded first, not timed); the fastest of ``repeat`` runs each."""
    try:
        import duckdb
    except ImportError:
        return {}, {}
    import pyarrow as pa
    from sqlalchemy import create_engine

    database = duckdb.connect()
    from_database: dict[str, float] = {}
    extension = duckdb_extension(engine)
    if extension is not None:
        database.execute(f"LOAD '{extension}'")
        if engine == "sqlite":
            database.execute(f"ATTACH '{path}' AS source (TYPE sqlite, READ_ONLY)")
        else:
            database.execute(
                f"ATTACH 'dbname={PG_BENCH} host=127.0.0.1 user=postgres' AS source "
                "(TYPE postgres, READ_ONLY)"
            )
        from_database = _duckdb_copies(database, "source.bench_rows", folder, repeat)
        database.execute("DETACH source")

    source = create_engine(url)
    with source.connect() as connection:
        rows = connection.execute(select(rows_table).order_by(rows_table.c.id)).all()
    source.dispose()
    columns = list(zip(*rows, strict=True))
    del rows
    arrow_rows = pa.table(
        {
            "id": pa.array(columns[0], pa.int64()),
            "name": pa.array(columns[1], pa.string()),
            "value": pa.array(columns[2], pa.float64()),
            "day": pa.array(columns[3], pa.date32()),
            "flag": pa.array(columns[4], pa.bool_()),
            "at": pa.array(columns[5], pa.timestamp("us", tz="UTC")),
        }
    )
    del columns
    database.register("arrow_rows", arrow_rows)
    database.execute("CREATE TABLE bench_rows AS SELECT * FROM arrow_rows")
    database.unregister("arrow_rows")
    del arrow_rows
    write_only = _duckdb_copies(database, "bench_rows", folder, repeat)
    database.close()
    return from_database, write_only


# -- the server ----------------------------------------------------------------------------


def serve(url: str, port: int) -> None:
    """The server process: Bocage's app with the bench plugin, under uvicorn."""
    import uvicorn

    from bocage.core.app import create_app
    from bocage.core.host import PluginHost
    from bocage.core.settings import load_settings

    settings = load_settings(database_url=url, auto_migrate=False, rate_limit="off")
    app = create_app(settings, host=PluginHost(settings, extra=[("bench", Bench())]))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024  # MiB
    return 0


def _cpu(pid: int) -> float:
    """Seconds of CPU the process has used (user and system): a figure that the other
    processes of a busy machine change less than the time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (the export's reader processes), still running."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


def children_rss(pid: int, key: str = "VmRSS") -> int:
    """MiB of the processes ``pid`` started (``key``: ``VmRSS``, or their peaks)."""
    total = 0
    for child in children(pid):
        with contextlib.suppress(OSError):
            total += _status(child, key)
    return total


def _cpu_all(pid: int) -> float:
    """:func:`_cpu` of the server and of the processes it started."""
    total = _cpu(pid)
    for child in children(pid):
        with contextlib.suppress(OSError):
            total += _cpu(child)
    return total


class Peak:
    """The server's peak RSS during a block: ``VmHWM`` after a reset, else samples; and its
    reader processes' (``children``, summed)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampled = 0
        self.running = False

    def __enter__(self) -> Peak:
        try:
            for pid in (self.pid, *children(self.pid)):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            self.reset = True
        except OSError:
            self.reset = False
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self) -> None:
        while self.running:
            self.sampled = max(self.sampled, _status(self.pid, "VmRSS"))
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()
        self.children_peak = children_rss(self.pid, "VmHWM" if self.reset else "VmRSS")

    @property
    def peak(self) -> int:
        return max(self.sampled, _status(self.pid, "VmHWM") if self.reset else 0)


def fetch(port: int, export_format: str) -> tuple[float, float, int]:
    """(seconds to the first byte, seconds in all, bytes) of one export over HTTP."""
    import httpx

    url = f"http://127.0.0.1:{port}/api/opendata/datasets/bench-rows/export.{export_format}"
    size = 0
    first = None
    started = time.perf_counter()
    with httpx.Client(timeout=None) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():  # as received: the first byte is the first byte
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
    return first or 0.0, time.perf_counter() - started, size


def fastest(measure: Any, repeat: int) -> tuple[float, int]:
    """The fastest of ``repeat`` runs of ``measure`` (seconds, bytes)."""
    return min(measure() for _ in range(repeat))


def run_engine(
    engine: str, count: int, formats: list[str], folder: str, reuse: bool, repeat: int
) -> None:
    if engine == "sqlite":
        path = str(Path(folder) / "bench.db")
        sync_url, url = f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}"
    else:
        sync_url = create_pg_database(reuse=reuse)
        url = sync_url.replace("+psycopg", "+asyncpg")
    started = time.perf_counter()
    if reuse and filled(sync_url, count):
        print(f"\n## {engine}: {count:,} rows (reused)")
    else:
        fill(sync_url, count)
        print(f"\n## {engine}: {count:,} rows (filled in {time.perf_counter() - started:.0f} s)")

    floors: dict[str, float] = {}
    if "csv" in formats:
        if engine == "sqlite":
            floors["csv"], size = fastest(lambda: sqlite_cli_floor(path), repeat)
            print(
                f"floor csv     sqlite3 CLI .mode csv: {floors['csv']:.2f} s, {size / 1e6:.0f} MB"
            )
        else:
            floors["csv"], size = fastest(lambda: asyncio.run(pg_copy_floor()), repeat)
            print(f"floor csv     COPY TO STDOUT: {floors['csv']:.2f} s, {size / 1e6:.0f} MB")
    write_only: dict[str, float] = {}
    if {"parquet", "ndjson"} & set(formats):
        path_ = path if engine == "sqlite" else None
        from_database, write_only = duckdb_floors(engine, sync_url, path_, folder, repeat)
        scanner = "sqlite_scanner" if engine == "sqlite" else "postgres_scanner"
        for name, seconds in from_database.items():
            floors[name] = seconds
            print(f"floor {name:8}DuckDB COPY TO from the database ({scanner}): {seconds:.2f} s")
        for name, seconds in write_only.items():
            print(f"      {name:8}DuckDB COPY TO from its own table (write only): {seconds:.2f} s")
        if not write_only:
            print("floor parquet/ndjson: DuckDB is not installed (pip install '.[bench]')")
        elif not from_database:
            print(f"floor parquet/ndjson: DuckDB's {scanner} is not installed: write only")
            floors.update(write_only)

    print(
        f"{'format':8} {'rows/s':>10} {'floor rows/s':>13} {'ratio':>6} {'write-only':>10} "
        f"{'first byte':>11} {'MB':>6} {'RSS at rest':>11} {'peak RSS':>9} {'over rest':>9} "
        f"{'server CPU':>10} {'readers at rest':>15} {'over rest':>9}"
    )
    for name in formats:
        with running(url) as (pid, port):
            fetch(port, f"{name}?id=1")  # warm: imports, the catalogue, the first sessions
            rest = _status(pid, "VmRSS")
            readers_rest = children_rss(pid)
            cpu = _cpu_all(pid)
            with Peak(pid) as peak:
                runs = [fetch(port, name) for _ in range(repeat)]
            first, seconds, size = min(runs, key=lambda run: run[1])  # the fastest
            top = peak.peak
            cpu = (_cpu_all(pid) - cpu) / repeat
            readers_over = peak.children_peak - readers_rest
        floor = floors.get(name)
        ratio = f"{floor / seconds:6.0%}" if floor else "     -"
        alone = write_only.get(name)
        alone_ratio = f"{alone / seconds:10.0%}" if alone else f"{'-':>10}"
        floor_rate = f"{count / floor:13,.0f}" if floor else f"{'-':>13}"
        print(
            f"{name:8} {count / seconds:10,.0f} {floor_rate} {ratio} {alone_ratio} {first:10.3f}s "
            f"{size / 1e6:6.0f} {rest:7} MiB {top:5} MiB {top - rest:5} MiB {cpu:9.2f}s "
            f"{readers_rest:11} MiB {readers_over:5} MiB"
        )


@contextlib.contextmanager
def running(url: str) -> Iterator[tuple[int, int]]:
    """A fresh server process (each format's peak RSS is its own): its pid and port."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", url, str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.1)
        yield server.pid, port
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--formats", default="csv,ndjson,parquet,xlsx")
    parser.add_argument(
        "--folder", help="where the SQLite file is kept (a temporary folder by default)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each floor and each export: the fastest counts (CPU: their mean)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the rows of an earlier run when the table holds --rows rows",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.folder or temporary
        for engine in args.engines.split(","):
            run_engine(engine, args.rows, args.formats.split(","), folder, args.reuse, args.repeat)


if __name__ == "__main__":
    main()
