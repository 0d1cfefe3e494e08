"""The per-dataset quality report: completeness, what is missing by name, SHACL results
(built-in DCAT-AP shapes, or a folder of one's own), and staleness against the declared
frequency."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest


async def test_quality_of_a_core_dataset(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/opendata/datasets/communes/quality")
    assert response.status_code == 200
    body = response.json()
    assert body["identifier"] == "communes"
    # issued: its first commune; temporal: from then to its latest change
    assert body["missingRecommended"] == []
    assert body["missingTranslations"]["title"] == []
    assert body["missingTranslations"]["description"] == ["nl", "de"]
    # checked against the built-in shapes without any setting
    assert body["shacl"]["checked"] is True and body["shacl"]["violations"] == []
    warned = {w["property"] for w in body["shacl"]["warnings"]}
    assert warned == {"dct:publisher"}  # an enterprise number, not an EU corporate body
    assert body["freshness"]["frequency"] == "ANNUAL"
    assert body["freshness"]["stale"] is False  # the demo was just seeded
    assert 0 < body["completeness"] < 1
    cached = await client.get(
        "/api/opendata/datasets/communes/quality",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert cached.status_code == 304
    assert (await client.get("/api/opendata/datasets/nope/quality")).status_code == 404


async def test_shapes_of_ones_own_replace_the_built_in_ones(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``BOCAGE_OPENDATA_SHAPES_DIR`` overrides the built-in shapes: a portal demanding a
    property the plugin never emits reports it as a violation."""
    (tmp_path / "portal.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<urn:portal#DatasetShape> a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:provenance ; sh:minCount 1 ; sh:severity sh:Violation ] .
"""
    )
    monkeypatch.setenv("BOCAGE_OPENDATA_SHAPES_DIR", str(tmp_path))
    async with serve_demo() as client:
        body = (await client.get("/api/opendata/datasets/projects/quality")).json()
    assert body["shacl"]["checked"] is True
    assert {v["property"] for v in body["shacl"]["violations"]} == {"dct:provenance"}
    assert body["shacl"]["warnings"] == []  # the built-in recommended shapes are not used


def test_a_shapes_folder_without_shapes_stops_startup(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bocage.core.errors import SettingsError
    from bocage.core.host import PluginHost

    monkeypatch.setenv("BOCAGE_OPENDATA_SHAPES_DIR", str(tmp_path / "nope"))
    with pytest.raises(SettingsError, match="BOCAGE_OPENDATA_SHAPES_DIR.*no SHACL shape file"):
        PluginHost(make_settings("sqlite+aiosqlite:///:memory:"))


def test_staleness_follows_the_frequency(make_settings: Any) -> None:
    from bocage.core.host import PluginHost
    from bocage.plugins.opendata.quality import report
    from bocage.plugins.opendata.registry import catalogue

    cat = catalogue(PluginHost(make_settings("sqlite+aiosqlite:///:memory:")))
    communes = cat.datasets["communes"]  # ANNUAL
    projects = cat.datasets["projects"]  # continuously updated: never stale
    modified = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    later = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert report(cat, communes, modified, now=later)["freshness"]["stale"] is True
    soon = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert report(cat, communes, modified, now=soon)["freshness"]["stale"] is False
    assert report(cat, projects, modified, now=later)["freshness"]["stale"] is None
