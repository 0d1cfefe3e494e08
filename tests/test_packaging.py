"""The card's folders are installed under the ``bocage.`` namespace, and nowhere else."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generic_top_level_names_are_not_importable() -> None:
    assert importlib.util.find_spec("core") is None
    assert importlib.util.find_spec("plugins") is None
    assert importlib.util.find_spec("migrations") is None


def test_bocage_namespace_is_importable_from_anywhere(tmp_path: Path) -> None:
    script = (
        "import importlib.util, bocage.core, bocage.plugins, bocage.migrations;"
        "assert importlib.util.find_spec('core') is None;"
        "print(bocage.core.__version__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    failing = subprocess.run(
        [sys.executable, "-c", "import core"], cwd=tmp_path, capture_output=True, text=True
    )
    assert failing.returncode != 0
    assert "No module named 'core'" in failing.stderr


def test_no_conftest_at_repository_root() -> None:
    assert not (ROOT / "conftest.py").exists()


def test_dependencies_are_pinned_to_compatible_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for requirement in requirements:
        assert ">=" in requirement, f"{requirement} has no lower bound"
    for requirement in project["dependencies"]:
        assert "<" in requirement, f"{requirement} has no upper bound"


def test_source_never_imports_the_folders_by_their_generic_names() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "TID251",
            "core",
            "plugins",
            "migrations",
            "tests",
            "bench",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
