"""``bocage plugins new``: the package it writes imports only the contract, is clean, and passes
its own tests in a fresh virtual environment on both engines, without editing."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bocage.core.scaffold import ScaffoldError, check_name, generate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("scaffold") / "bocage-local-markets"
    generate("local_markets", target)
    return target


def test_the_command_writes_the_package(cli: Any, tmp_path: Path) -> None:
    result = cli("plugins", "new", "markets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    package = tmp_path / "bocage-markets"
    assert (package / "bocage_markets" / "plugin.py").is_file()
    assert (package / "bocage_markets" / "migrations" / "markets_0001_items.py").is_file()
    assert (package / "tests" / "test_markets.py").is_file()
    again = cli("plugins", "new", "markets", cwd=tmp_path)  # the folder is not empty now
    assert again.returncode == 2 and "not an empty folder" in again.stderr


@pytest.mark.parametrize("name", ["Markets", "2markets", "local-markets", "a__b", "x_", "m" * 31])
def test_names_that_cannot_prefix_everything_are_refused(name: str) -> None:
    with pytest.raises(ScaffoldError, match="lower-case letters and digits"):
        check_name(name)


def test_generated_code_imports_nothing_of_bocage_but_the_contract(generated: Path) -> None:
    imported: dict[str, set[str]] = {}
    for path in generated.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module}
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            else:
                continue
            for name in names:
                if name.split(".")[0] == "bocage":
                    imported.setdefault(name, set()).add(path.name)
    assert set(imported) == {"bocage.core.api"}, imported


def test_generated_code_is_lint_clean_and_formatted(generated: Path) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        done = subprocess.run([*ruff, *command], cwd=generated, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_no_placeholder_is_left(generated: Path) -> None:
    for path in generated.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), path


@pytest.mark.venv
def test_the_generated_package_passes_its_tests_in_a_fresh_venv(tmp_path: Path) -> None:
    """What a plugin author does: ``bocage plugins new``, a plain virtual environment (no
    system site-packages, so no missing dependency hides), ``pip install -e``, ``pytest``,
    on the engine under test: PostgreSQL when ``BOCAGE_TEST_DATABASE_URL`` is set, SQLite
    otherwise (CI runs the suite on both; each engine's run checks its own)."""
    package = tmp_path / "bocage-markets"
    generate("markets", package)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BOCAGE_") and k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS"}
    }
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]", "-e", str(package)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    server = os.environ.get("BOCAGE_TEST_DATABASE_URL")
    if server:
        engines = {"postgresql": {**env, "BOCAGE_TEST_DATABASE_URL": server}}
    else:
        engines = {"sqlite": env}
    for engine, engine_env in engines.items():
        done = subprocess.run(
            [
                python,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
            ],  # not -q: the header names the engine
            cwd=package,
            env=engine_env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{engine}:\n{output}"
        assert f"bocage database engine: {engine}" in output
        summary = output.strip().splitlines()[-1]
        assert re.fullmatch(r"=* ?\d+ passed in .*", summary), f"{engine}: {summary}"


def test_the_dataset_is_written_once_the_contract_has_its_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bocage.core import api
    from bocage.plugins.opendata import datasets

    for name in ("Dataset", "DatasetField", "FieldType", "Theme"):
        monkeypatch.setattr(api, name, getattr(datasets, name), raising=False)
    generate("markets", tmp_path / "with")
    plugin = (tmp_path / "with" / "bocage_markets" / "plugin.py").read_text()
    assert "def bocage_datasets()" in plugin and "from bocage.core.api import Dataset" in plugin
    tests = (tmp_path / "with" / "tests" / "test_markets.py").read_text()
    assert "async def test_the_dataset_is_in_the_catalogue(" in tests
    test_generated_code_is_lint_clean_and_formatted(tmp_path / "with")


def test_the_contract_versions_supported_are_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bocage.core import api

    monkeypatch.setattr(api, "CONTRACT_VERSION", "2.3")
    generate("markets", tmp_path / "markets")
    plugin = (tmp_path / "markets" / "bocage_markets" / "plugin.py").read_text()
    assert 'BOCAGE_REQUIRES = ">=2.3,<3"' in plugin
    test_generated_code_is_lint_clean_and_formatted(tmp_path / "markets")
