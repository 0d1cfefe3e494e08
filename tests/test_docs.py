"""Documentation that cannot drift: hooks, settings, SDL, OpenAPI and the README's commands."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bocage.core import hookspecs
from bocage.core.exports import openapi_text, sdl_text
from bocage.core.host import PluginHost
from bocage.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLUGIN_DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def _bundled_host(make_settings: Any) -> PluginHost:
    """The host as shipped: the core and the bundled plugins (no test plugin)."""
    return PluginHost(make_settings("sqlite+aiosqlite:///:memory:"))


def test_every_hook_is_documented_and_tested() -> None:
    tests = "".join(p.read_text() for p in (ROOT / "tests").rglob("*.py"))
    testplugin = (ROOT / "tests/testplugin/bocage_testplugin/plugin.py").read_text()
    for name in hookspecs.HOOK_NAMES:
        assert f"`{name}" in PLUGIN_DOCS, f"hook {name} is not documented in docs/plugins.md"
        assert name in tests or f"def {name}" in testplugin, f"hook {name} has no test"


def test_every_setting_is_documented_in_the_readme() -> None:
    for name, field in Settings.model_fields.items():
        variable = f"BOCAGE_{name.upper()}"
        assert f"`{variable}`" in README, f"{variable} is missing from the README's settings table"
        assert field.description


def _shown(default: Any) -> str:
    """A default as the docs write it: ``true``, ``10`` for 10.0."""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_every_limit_is_in_the_limits_table(make_settings: Any) -> None:
    """docs/limits.md lists every setting marked ``LIMIT`` (core and bundled plugins), with
    its default; and nothing it lists as a setting is unknown."""
    limits = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(BOCAGE_[A-Z0-9_]+)` \| `([^`]*)` \|", limits, re.MULTILINE))
    models = [("BOCAGE_", Settings)] + [
        (f"BOCAGE_{plugin.upper()}_", model)
        for plugin, model in _bundled_host(make_settings).collect("bocage_settings")
        if model is not None
    ]
    marked = {}
    known = set()
    for prefix, model in models:
        for name, field in model.model_fields.items():
            variable = f"{prefix}{name.upper()}"
            known.add(variable)
            if (field.json_schema_extra or {}).get("limit"):  # type: ignore[union-attr]
                marked[variable] = _shown(field.default)
    assert marked, "no setting is marked LIMIT"
    for variable, default in marked.items():
        assert variable in rows, f"{variable} is missing from docs/limits.md's table"
        assert rows[variable] == default, f"{variable}: the table says {rows[variable]!r}"
    assert set(rows) <= known, f"unknown settings in the table: {set(rows) - known}"
    assert set(rows) == set(marked), f"not marked LIMIT: {set(rows) - set(marked)}"


def test_committed_graphql_sdl_matches_the_served_schema(make_settings: Any) -> None:
    committed = (ROOT / "openapi" / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl_text(_bundled_host(make_settings)), (
        "openapi/schema.graphql is stale: run `bocage schema export` and commit it"
    )


def test_committed_openapi_matches_the_served_document(make_settings: Any) -> None:
    committed = (ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(openapi_text(_bundled_host(make_settings))), (
        "openapi/openapi.json is stale: run `bocage schema export` and commit it"
    )


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command.strip() in ci


def test_readme_has_exactly_two_setup_commands() -> None:
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"```sh\n", setup)) == 2
