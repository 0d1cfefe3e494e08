"""Searching the catalogue ignores accents and case, and every word must be found (D10)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numerique", {"projects"}),
        ("NUMÉRIQUE", {"projects"}),
        ("Numérique", {"projects"}),
        ("indicateurs mesures", {"indicator-values"}),
        ("mesures indicateurs", {"indicator-values"}),
        ('"leurs mesures"', {"indicator-values"}),
        ('"mesures leurs"', set()),
        ("indicateurs introuvable", set()),
    ],
)
async def test_catalogue_search_folds_accents_and_needs_every_word(
    client: httpx.AsyncClient, text: str, expected: set[str]
) -> None:
    body = (await client.get("/api/opendata/datasets", params={"q": text})).json()
    core = {"communes", "projects", "stakeholders", "indicator-values"}
    assert {d["identifier"] for d in body["items"]} & core == expected
