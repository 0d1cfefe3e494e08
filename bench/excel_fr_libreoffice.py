"""Open the ``excel-fr`` CSV of every published dataset in LibreOffice Calc, French locale, and
check that every column the Table Schema calls ``string`` stays text (issue 14, D2). A script,
not a test: it needs LibreOffice (``apt-get install libreoffice-calc-nogui``), which CI has not.

    .venv/bin/python bench/excel_fr_libreoffice.py [--database-url URL]

Without ``--database-url`` it makes a demo database in a temporary folder (``bocage db
upgrade`` and ``bocage seed demo``). Each CSV is converted by ``soffice --headless
--convert-to xlsx`` with the import options of a French user (``;``, UTF-8, language 1036,
special numbers such as dates detected); the workbook's cells are then compared with the
dataset's JSON export: a string cell that became a number, a date or a boolean is reported,
and the script exits with status 1 if there is any.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: CSV import options: separator ``;`` (59), text delimiter ``"`` (34), UTF-8 (76), from line
#: 1, standard columns, French (1036), quoted fields not forced to text, special numbers
#: (dates, times, scientific notation) detected.
INFILTER = "CSV:59,34,76,1,,1036,false,true"


def demo_database(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder}/demo.db"
    env = {**os.environ, "BOCAGE_DATABASE_URL": url}
    bocage = str(Path(sys.executable).with_name("bocage"))
    subprocess.run([bocage, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([bocage, "seed", "demo"], env=env, check=True, capture_output=True)
    return url


async def download(url: str, folder: Path) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Each dataset's excel-fr CSV written to ``folder``; its string fields and JSON rows."""
    import httpx

    from bocage.core.app import create_app
    from bocage.core.settings import load_settings

    app = create_app(load_settings(database_url=url, rate_limit="off"))
    found = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage") as client:
            listed = (await client.get("/api/opendata/datasets", params={"limit": "100"})).json()
            for item in listed["items"]:
                identifier = item["identifier"]
                base = f"/api/opendata/datasets/{identifier}"
                schema = (await client.get(f"{base}/schema.json")).json()
                strings = [f["name"] for f in schema["fields"] if f["type"] == "string"]
                csv = await client.get(f"{base}/export.csv", params={"dialect": "excel-fr"})
                (folder / f"{identifier}.csv").write_bytes(csv.content)
                rows = (await client.get(f"{base}/export.json")).json()
                found[identifier] = (strings, rows)
    return found


def check(path: Path, strings: list[str], rows: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """(string cells read, problems) of one converted workbook."""
    from openpyxl import load_workbook

    sheet = load_workbook(path, data_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    header = [str(v) for v in lines[0]]
    problems = []
    cells = 0
    if len(lines) - 1 != len(rows):
        problems.append(f"{len(lines) - 1} rows in LibreOffice, {len(rows)} in the JSON export")
    for number, (line, row) in enumerate(zip(lines[1:], rows, strict=False), start=2):
        for name in strings:
            value, expected = line[header.index(name)], row[name]
            if expected in (None, ""):
                continue
            cells += 1
            if not isinstance(value, str):
                problems.append(f"row {number}, {name}: {expected!r} became {value!r}")
    return cells, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = args.database_url or demo_database(folder)
        datasets = asyncio.run(download(url, folder))
        csvs = [str(folder / f"{identifier}.csv") for identifier in datasets]
        subprocess.run(
            ["soffice", "--headless", f"--infilter={INFILTER}", "--convert-to", "xlsx",
             "--outdir", str(folder / "xlsx"), *csvs],
            check=True,
            capture_output=True,
        )  # fmt: skip
        failed = False
        for identifier, (strings, rows) in datasets.items():
            cells, problems = check(folder / "xlsx" / f"{identifier}.xlsx", strings, rows)
            state = "ok" if not problems else f"{len(problems)} cells NOT text"
            print(
                f"{identifier:24} {len(rows):6} rows, {len(strings):2} string columns, "
                f"{cells:6} string cells: {state}"
            )
            for problem in problems[:10]:
                print(f"    {problem}")
            failed = failed or bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
