"""The per-dataset quality report: completeness, what is missing by name, SHACL results
when shapes are configured, and staleness against the declared frequency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from .shacl import SHAPES


async def test_quality_of_a_core_dataset(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/opendata/datasets/communes/quality")
    assert response.status_code == 200
    body = response.json()
    assert body["identifier"] == "communes"
    # the core cannot know when its live datasets were first issued nor the period they cover
    assert set(body["missingRecommended"]) == {"dct:issued", "dct:temporal"}
    assert body["missingTranslations"]["title"] == []
    assert body["missingTranslations"]["description"] == ["nl", "de"]
    assert body["shacl"] == {"checked": False}
    assert body["freshness"]["frequency"] == "ANNUAL"
    assert body["freshness"]["stale"] is False  # the demo was just seeded
    assert 0 < body["completeness"] < 1
    cached = await client.get(
        "/api/opendata/datasets/communes/quality",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert cached.status_code == 304
    assert (await client.get("/api/opendata/datasets/nope/quality")).status_code == 404


async def test_shacl_results_in_the_report(
    serve_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOCAGE_OPENDATA_SHAPES_DIR", str(SHAPES.resolve()))
    async with serve_demo() as client:
        body = (await client.get("/api/opendata/datasets/projects/quality")).json()
    assert body["shacl"]["checked"] is True
    assert body["shacl"]["violations"] == []
    warned = sorted({w["property"] for w in body["shacl"]["warnings"]})
    print(f"projects: {len(body['shacl']['warnings'])} recommended-shape warnings on {warned}")
    assert set(warned) <= {"dct:publisher", "dct:issued", "dct:temporal"}


def test_staleness_follows_the_frequency(make_settings: Any) -> None:
    from bocage.core.host import PluginHost
    from bocage.plugins.opendata.quality import report
    from bocage.plugins.opendata.registry import catalogue

    cat = catalogue(PluginHost(make_settings("sqlite+aiosqlite:///:memory:")))
    communes = cat.datasets["communes"]  # ANNUAL
    projects = cat.datasets["projects"]  # continuously updated: never stale
    modified = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    later = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert report(cat, "http://x", communes, modified, now=later)["freshness"]["stale"] is True
    soon = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert report(cat, "http://x", communes, modified, now=soon)["freshness"]["stale"] is False
    assert report(cat, "http://x", projects, modified, now=later)["freshness"]["stale"] is None
