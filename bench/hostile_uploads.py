"""Time the refusal of hostile spreadsheets, and the server's peak memory meanwhile.

A script that prints figures, not a test. Each case runs in a fresh child process (so that each
peak RSS is its own) holding the app on an SQLite database, migrated, with the demo GAL's
communes; the parent reads the child's peak RSS (``VmHWM``) and stops it after ``--timeout``
seconds. The cases post, as a territory administrator, straight through the ASGI app:

- ``opendata-wide-csv``: a 9.9 MB CSV of 1,000,000 columns as an open-data upload (dry run);
- ``opendata-zip-bomb``: an XLSX of 55 KB whose sheet expands to 21 MB (800,000 rows);
- ``import-wide-csv`` and ``import-zip-bomb``: the same files to ``POST /api/import/projects``.

    .venv/bin/python bench/hostile_uploads.py                  # every case, 120 s each at most
    .venv/bin/python bench/hostile_uploads.py opendata-wide-csv --timeout 30
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CASES = ("opendata-wide-csv", "opendata-zip-bomb", "import-wide-csv", "import-zip-bomb")


def _builders() -> Any:
    """tests/hostile_files.py: the files the tests build."""
    path = Path(__file__).resolve().parent.parent / "tests" / "hostile_files.py"
    spec = importlib.util.spec_from_file_location("hostile_files", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run_case(case: str, folder: str) -> None:
    import httpx

    from bocage.core.api import Principal, PrincipalKind, Role
    from bocage.core.app import create_app
    from bocage.core.settings import load_settings

    files = _builders()
    body = files.wide_csv(1_000_000) if case.endswith("wide-csv") else files.zip_bomb_xlsx()
    media = "text/csv" if case.endswith("wide-csv") else XLSX
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{folder}/hostile.db", auto_migrate=True, rate_limit="off"
    )
    app = create_app(settings)
    admin = Principal(
        kind=PrincipalKind.PERSON, subject="bench", roles=frozenset({Role.TERRITORY_ADMIN})
    )

    class Admin:
        async def authenticate(self, request: object) -> Principal:
            return admin

        async def aclose(self) -> None:
            return None

    async with app.router.lifespan_context(app):
        app.state.authenticator = Admin()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=None
        ) as client:
            if case.startswith("opendata"):
                meta = {"title": {"fr": "Banc"}, "description": {"fr": "Banc."}, "theme": "TECH"}
                await client.put("/api/opendata/uploads/banc", json=meta)
                path = "/api/opendata/uploads/banc/versions?dry_run=true"
            else:
                path = "/api/import/projects?dry_run=1"
            print(f"{case}: {len(body) / 1e6:.3f} MB sent", flush=True)
            started = time.perf_counter()
            response = await client.post(path, content=body, headers={"Content-Type": media})
            elapsed = time.perf_counter() - started
    error = response.json().get("error", {}) if response.content else {}
    print(
        f"{case}: status {response.status_code} in {elapsed:.3f} s "
        f"({error.get('setting') or error.get('code')}: {str(error.get('message'))[:120]})",
        flush=True,
    )


def peak_rss(pid: int) -> int:
    """The process's peak resident memory in KiB (VmHWM), 0 once it has ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help=f"among {', '.join(CASES)} (default: all)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; use {', '.join(CASES)}")
    for case in args.cases or CASES:
        with tempfile.TemporaryDirectory() as folder:
            child = subprocess.Popen([sys.executable, __file__, "--child", case, folder])
            started, peak = time.monotonic(), 0
            while child.poll() is None:
                peak = max(peak, peak_rss(child.pid))
                if time.monotonic() - started > args.timeout:
                    child.kill()
                    print(f"{case}: still running after {args.timeout:.0f} s: stopped")
                    break
                time.sleep(0.05)
            child.wait()
            print(f"{case}: peak RSS {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        asyncio.run(run_case(sys.argv[2], sys.argv[3]))
    else:
        main()
