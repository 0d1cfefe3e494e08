"""The REST routes that return data, from the app's own OpenAPI document, read by each GAL's
principals: nothing of the other GAL that the public does not get (issue 16, part 1). A GET
route neither walked nor excluded here with a reason fails the test."""

from __future__ import annotations

import gzip
import io
import itertools
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import MARKERS, ROLES, Installation, key_of
from .test_schema_walk import AREAS, area_of, expect

#: Values of each path parameter, with the GAL they name (None: no GAL's).
Values = Callable[[Installation], list[tuple[str, str | None]]]


def of_gals(make: Callable[[Any], list[str]]) -> Values:
    return lambda inst: [(value, gal.name) for gal in inst.gals.values() for value in make(gal)]


def surveys(gal: Any) -> list[str]:
    keys = ("survey_anonymous", "survey_named", "survey_draft")
    return [str(key_of(gal.ids[key])[1]) for key in keys]


PARAMETERS: dict[str, Values] = {
    "identifier": lambda inst: [
        ("projects", None),
        *((gal.ids["upload"], gal.name) for gal in inst.gals.values()),
    ],
    # Every format and serialisation is served by one authorisation: one text, one binary.
    "ext": lambda inst: [("ttl", None)],
    "format": lambda inst: [("csv", None), ("xlsx", None)],
    "number": lambda inst: [("1", None)],
    "file": lambda inst: [("resource.json", None), ("schema.json", None)],
    "survey_id": of_gals(surveys),
    "event_id": of_gals(
        lambda gal: [gal.ids[k] for k in ("event_commune", "event_territory", "event_draft")]
    ),
    "nis_code": of_gals(lambda gal: list(gal.nis)),
    "slug": of_gals(lambda gal: [gal.slug]),
    "series": lambda inst: [("Midis", None)],
}

#: GET routes not walked, and why.
EXCLUDED: dict[str, str] = {
    "/graphql": "walked field by field (test_schema_walk)",
    "/openapi.json": "the API's description: no GAL's data",
    "/.well-known/jwks.json": "public keys",
    "/healthz": "liveness",
    "/readyz": "readiness",
    "/api/media/{key}/{variant}": "the fixture holds no media (uploads have their own tests)",
    "/api/voice/confirm": "answers the holder of an e-mailed token, whoever signs in",
    "/api/voice/unsubscribe": "answers the holder of an e-mailed token, whoever signs in",
}

PRINCIPALS = [f"{gal}.{role}" for gal in ("A", "B") for role in ROLES]


def text_of(content: bytes) -> str:
    """The text a response carries: inside a zip (XLSX) or gzip too."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "ignore") for name in archive.namelist()
            )
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    return content.decode("utf-8", "ignore")


async def urls(inst: Installation) -> list[tuple[str, str, set[str]]]:
    """(route, URL, GALs it names) for every GET route walked."""
    spec = (await inst.client.get("/openapi.json")).json()
    found = []
    for route, operations in spec["paths"].items():
        if "get" not in operations or route in EXCLUDED:
            continue
        names = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "path"]
        choices = [PARAMETERS[name](inst) for name in names]
        for combination in itertools.product(*choices):
            url = route
            for name, (value, _) in zip(names, combination, strict=True):
                url = url.replace("{" + name + "}", value)
            found.append((route, url, {gal for _, gal in combination if gal}))
    return found


async def test_every_get_route_is_walked_or_excluded(two_gals: Installation) -> None:
    spec = (await two_gals.client.get("/openapi.json")).json()
    for route, operations in spec["paths"].items():
        if "get" not in operations or route in EXCLUDED:
            continue
        for parameter in operations["get"].get("parameters", []):
            assert parameter["in"] != "path" or parameter["name"] in PARAMETERS, (
                f"{route}: no values for its parameter {parameter['name']}: add them to "
                "PARAMETERS (both GALs' objects), or the route to EXCLUDED with the reason"
            )
    assert not set(EXCLUDED) - set(spec["paths"]), sorted(set(EXCLUDED) - set(spec["paths"]))


async def _walk(inst: Installation) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for route, url, named in await urls(inst):
        public = await inst.client.get(url)
        public_text = text_of(public.content) if public.status_code == 200 else ""
        for who in PRINCIPALS:
            other = "B" if who.startswith("A.") else "A"
            answer = await inst.client.get(url, headers=inst.headers(who))
            area = area_of(route.split("/")[2] if route.startswith("/api/") else "")
            if answer.status_code >= 500:
                found.setdefault(area, []).append(f"{who} GET {url}: {answer.status_code}")
                continue
            if answer.status_code != 200:
                continue
            if other in named and public.status_code != 200:
                found.setdefault(area, []).append(
                    f"{who} GET {url}: 200 where the public gets {public.status_code}"
                )
                continue
            marker = MARKERS[other]
            text = text_of(answer.content)
            if marker in text.lower() and text.lower().count(marker) > public_text.lower().count(
                marker
            ):
                found.setdefault(area, []).append(f"{who} GET {url}: reads {marker}")
    return found


_RESULTS: dict[str, dict[str, list[str]]] = {}


@pytest.mark.parametrize("area", AREAS)
async def test_no_route_gives_a_gal_the_others_data(two_gals: Installation, area: str) -> None:
    if two_gals.url not in _RESULTS:
        _RESULTS[two_gals.url] = await _walk(two_gals)
    expect(f"rest:{area}", _RESULTS[two_gals.url].get(area, []))
