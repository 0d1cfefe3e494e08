"""The ``bocage_datasets`` hook: declared by the core (its types in the contract), consumed by
the open-data plugin through the host, checked when the catalogue is built."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import literal, select

from bocage.core.api import Dataset, DatasetField, FieldType, PluginError, Theme, hookimpl
from bocage.core.host import PluginHost
from bocage.plugins.opendata.registry import catalogue

CORE_DATASETS = {"communes", "projects", "stakeholders", "indicator-values"}


def one_row(identifier: str, **overrides: Any) -> Dataset:
    values: dict[str, Any] = {
        "identifier": identifier,
        "title": {"fr": "Un jeu de test"},
        "description": {"fr": "Une ligne."},
        "theme": Theme.TECH,
        "fields": (DatasetField("id", FieldType.INTEGER),),
        "query": select(literal(1).label("id")),
    }
    values.update(overrides)
    return Dataset(**values)


class Publishes:
    """A plugin publishing the given datasets."""

    def __init__(self, *datasets: Dataset) -> None:
        self.datasets = datasets

    @hookimpl(optionalhook=True)
    def bocage_datasets(self) -> list[Dataset]:
        return list(self.datasets)


def test_the_core_publishes_its_datasets(make_settings: Any) -> None:
    host = PluginHost(make_settings("sqlite+aiosqlite:///:memory:"))
    cat = catalogue(host)
    assert CORE_DATASETS <= set(cat.datasets)  # bundled plugins publish theirs too
    assert {cat.owners[name] for name in CORE_DATASETS} == {"core"}
    assert not cat.rejected


def test_stakeholders_never_publish_contacts(make_settings: Any) -> None:
    cat = catalogue(PluginHost(make_settings("sqlite+aiosqlite:///:memory:")))
    names = {f.name for f in cat.datasets["stakeholders"].fields}
    assert not names & {"given_name", "family_name", "email", "phone", "job_title", "contacts"}


def test_the_core_depends_on_no_plugin() -> None:
    """The core's datasets are built by the plugin: no core module imports a plugin."""
    import ast
    from pathlib import Path

    import bocage.core

    offenders = []
    for path in Path(bocage.core.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("bocage.plugins")]
    assert offenders == []


def test_the_core_runs_without_the_plugin(make_settings: Any) -> None:
    """With the plugin disabled: no routes, no catalogue, and nothing fails at startup."""
    host = PluginHost(make_settings("sqlite+aiosqlite:///:memory:", disabled_plugins=["opendata"]))
    assert "opendata" not in host.infos
    assert not [name for name, _ in host.routes() if name.startswith("opendata")]


def test_a_misspelled_hook_still_stops_startup(make_settings: Any) -> None:
    class Misspelled:
        @hookimpl
        def bocage_datasetz(self) -> list[Dataset]:
            return []

    with pytest.raises(PluginError, match="bocage_datasetz"):
        PluginHost(make_settings("sqlite+aiosqlite:///:memory:"), extra=[("bad", Misspelled())])


def test_two_plugins_cannot_publish_one_identifier(make_settings: Any) -> None:
    """Refused at startup (``bocage_startup_check``), not by the catalogue's first request."""
    with pytest.raises(PluginError, match="'projects' is published by both 'core' and 'twin'"):
        PluginHost(
            make_settings("sqlite+aiosqlite:///:memory:"),
            extra=[("twin", Publishes(one_row("projects")))],
        )


async def test_a_dataset_that_would_not_conform_is_not_published(serve_demo: Any) -> None:
    broken = one_row("sans-titre", title={"en": "No French title"})
    async with serve_demo(("broken", Publishes(broken, one_row("valide")))) as client:
        listed = (await client.get("/api/opendata/datasets")).json()
        identifiers = {item["identifier"] for item in listed["items"]}
        assert "valide" in identifiers and "sans-titre" not in identifiers
        response = await client.get("/api/opendata/datasets/sans-titre/records")
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "not_publishable"
        assert "dct:title" in error["message"]
        records = (await client.get("/api/opendata/datasets/valide/records")).json()
        assert records["items"] == [{"id": 1}]


def test_problems_name_each_property() -> None:
    dataset = one_row("Bad Id", description={}, key="nope")
    problems = " | ".join(dataset.problems())
    assert "dct:identifier" in problems
    assert "dct:description" in problems
    assert "key: 'nope'" in problems
    missing = one_row("ok", fields=(DatasetField("other", FieldType.STRING),), key="other")
    assert any("no column other" in p for p in missing.problems())
