"""The contract is strictly typed, and the core's host is a ``Host`` for mypy too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bocage.core

ROOT = Path(bocage.core.__file__).resolve().parents[1]

#: Checked with the strict options of ``[tool.mypy]`` in pyproject.toml.
CONTRACT = (
    "bocage.core.api",
    "bocage.core.datasets",
    "bocage.core.hookspecs",
    "bocage.core.host",
    "bocage.core.host_protocol",
    "bocage.core.domain",
    "bocage.core.domain.changes",
    "bocage.core.domain.errors",
    "bocage.core.domain.external",
    "bocage.core.domain.ids",
    "bocage.core.domain.permissions",
    "bocage.core.domain.projects",
    "bocage.core.domain.rules",
    "bocage.core.domain.sdgs",
    "bocage.core.domain.work",
)


def _mypy(tmp_path: Path, *modules: str) -> list[str]:
    """mypy's errors on ``modules``, checked by their import names. The editable install hides
    ``bocage`` from type checkers: a folder holding a ``bocage`` link to the repository (and any
    probe module written there) stands in for it."""
    path = tmp_path / "path"
    path.mkdir(exist_ok=True)
    if not (path / "bocage").exists():
        (path / "bocage").symlink_to(ROOT, target_is_directory=True)
    arguments = [a for m in modules for a in ("-m", m)]
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--follow-imports=silent"),
            *("--cache-dir", str(tmp_path / "cache"), *arguments),
        ],
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2: mypy itself failed
    return [line for line in result.stdout.splitlines() if ": error:" in line]


def test_the_contract_is_strictly_typed_and_the_core_host_is_a_host(tmp_path: Path) -> None:
    """``mypy`` with the project's configuration (strict on the contract) finds nothing in the
    contract, and tells a ``Host`` from what is not one: the core's host passes where a
    ``Host`` is expected, an object with only ``plugin_settings`` does not."""
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "probe_host.py").write_text(
        "from bocage.core.api import Host\n"
        "from bocage.core.host import PluginHost\n"
        "\n"
        "class Partial:\n"
        "    def plugin_settings(self, name: str) -> object:\n"
        "        return None\n"
        "\n"
        "def need(host: Host) -> None: ...\n"
        "\n"
        "def use(real: PluginHost, partial: Partial) -> None:\n"
        "    need(real)\n"
        "    need(partial)\n",
        encoding="utf-8",
    )
    errors = _mypy(tmp_path, *CONTRACT, "probe_host")
    assert len(errors) == 1 and "probe_host.py:12" in errors[0], errors
