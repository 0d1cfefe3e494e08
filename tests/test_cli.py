"""The ``bocage`` command line, run as a user runs it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ACCEPTANCE = (
    "{ communes(first: 5) { edges { node { name nisCode "
    "projects(first: 3) { edges { node { title status focus } } } } } } }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_demo_on_a_fresh_directory(tmp_path: Path) -> None:
    """The README's first command: a new SQLite file, migrated and seeded, then served."""
    port = _free_port()
    bocage = Path(sys.executable).with_name("bocage")
    env = {"PATH": str(bocage.parent), "HOME": str(tmp_path), "BOCAGE_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [str(bocage), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.3)
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": ACCEPTANCE}, timeout=10
        )
        body = response.json()
        assert "errors" not in body, body
        communes = body["data"]["communes"]["edges"]
        assert len(communes) == 5
        assert all(c["node"]["projects"]["edges"] for c in communes)
        assert (tmp_path / "bocage.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_seed_demo_refuses_to_duplicate(cli: Any, empty_database_url: str) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    assert cli("db", "upgrade", env=env).returncode == 0
    first = cli("seed", "demo", "--scale", "0.1", env=env)
    assert first.returncode == 0, first.stderr
    second = cli("seed", "demo", "--scale", "0.1", env=env)
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert "already" in second.stderr


def test_seed_demo_migrates_a_new_database_first(cli: Any, empty_database_url: str) -> None:
    """As `serve` and `token` do (it was a traceback: no such table)."""
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    done = cli("seed", "demo", "--scale", "0.1", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "demo data loaded" in done.stdout + done.stderr


def test_territory_create_from_nis_codes(cli: Any, empty_database_url: str) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    assert cli("db", "upgrade", env=env).returncode == 0
    ok = cli(
        "territory",
        "create",
        "gal-test",
        "--name",
        "GAL test",
        "--commune",
        "64034",
        "--commune",
        "92003",
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    bad = cli(
        "territory", "create", "gal-test", "--name", "GAL test", "--commune", "99999", env=env
    )
    assert bad.returncode == 2
    assert "99999" in bad.stderr and "Traceback" not in bad.stderr


def test_invalid_settings_stop_the_cli_with_the_variable_name(cli: Any) -> None:
    result = cli("db", "current", env={"BOCAGE_PAGE_SIZE_MAX": "-3"})
    assert result.returncode == 2
    assert "BOCAGE_PAGE_SIZE_MAX" in result.stderr and "Traceback" not in result.stderr


def test_db_current_reports_pending_then_head(cli: Any, empty_database_url: str) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    pending = cli("db", "current", env=env)
    assert pending.returncode == 1 and ": pending" in pending.stdout
    assert cli("db", "upgrade", env=env).returncode == 0
    current = cli("db", "current", env=env)
    assert current.returncode == 0 and "core: " in current.stdout
    assert ": applied" in current.stdout and ": pending" not in current.stdout


def test_db_revision_writes_a_file_on_the_branch(cli: Any, tmp_path: Path) -> None:
    result = cli("db", "revision", "-m", "x", "--branch", "nosuchplugin")
    assert result.returncode == 2 and "unknown branch" in result.stderr


def test_schema_export_matches_the_committed_files(cli: Any, tmp_path: Path) -> None:
    result = cli("schema", "export", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    root = Path(__file__).resolve().parent.parent / "openapi"
    for name in ("schema.graphql", "openapi.json"):
        assert (tmp_path / name).read_text() == (root / name).read_text()
