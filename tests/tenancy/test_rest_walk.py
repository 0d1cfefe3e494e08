"""The REST routes, from the app's own OpenAPI document (issue 16, part 1). Those that return
data, read by each GAL's principals: nothing of the other GAL that the public does not get.
Those that write, sent by each of GAL B's principals against GAL A's objects: refused (4xx)
with the database unchanged; then by A's own administrator, who must be allowed the same
request. A route neither tried nor excluded here with a reason fails the test. (The writes
come after the walk: one GAL fixture serves both.)"""

from __future__ import annotations

import gzip
import io
import itertools
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from .conftest import MARKERS, ROLES, Gal, Installation, key_of, post_media
from .test_schema_walk import AREAS, area_of, expect
from .test_write_matrix import INTRUDERS, fingerprint

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
    # A's and B's image on their draft event: their organisers' only.
    "key": of_gals(lambda gal: [str(key_of(gal.ids["media"])[1])]),
    "variant": lambda inst: [("original", None), ("thumbnail", None)],
}

#: GET routes not walked, and why.
EXCLUDED: dict[str, str] = {
    "/graphql": "walked field by field (test_schema_walk)",
    "/openapi.json": "the API's description: no GAL's data",
    "/.well-known/jwks.json": "public keys",
    "/healthz": "liveness",
    "/readyz": "readiness",
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


async def test_a_card_workshops_media_are_its_facilitators_only(two_gals: Installation) -> None:
    """Another GAL's administrator or client (workshops:facilitate, but not at this GAL's
    event) attached images to a GAL's card workshop: the media owner checked only that the
    workshop existed."""
    gal = two_gals.gals["A"]
    for who in ("B.admin", "B.client"):
        refused = await post_media(two_gals, gal.ids["card_workshop"], who, gal.marker)
        assert refused.status_code == 403, (who, refused.text)
    allowed = await post_media(two_gals, gal.ids["card_workshop"], "A.admin", gal.marker)
    assert allowed.status_code == 201, allowed.text


# -- writes --------------------------------------------------------------------------------------

Send = Callable[[Installation, Gal, str], Awaitable[httpx.Response]]


def upload_path(gal: Gal, tail: str = "") -> str:
    return f"/api/opendata/uploads/{gal.ids['upload']}{tail}"


async def _describe(inst: Installation, gal: Gal, who: str) -> httpx.Response:
    return await inst.client.put(
        upload_path(gal),
        json={
            "title": {"fr": f"Bornes {gal.marker} (revu)"},
            "description": {"fr": f"Les bornes {gal.marker}."},
            "commune": gal.nis[0],
            "theme": "TRAN",
        },
        headers=inst.headers(who),
    )


async def _version(inst: Installation, gal: Gal, who: str) -> httpx.Response:
    return await inst.client.post(
        upload_path(gal, "/versions"),
        content=f"nom,puissance_kw\r\nGare {gal.marker},50\r\n".encode(),
        headers={**inst.headers(who), "content-type": "text/csv"},
    )


def _post(tail: str) -> Send:
    async def send(inst: Installation, gal: Gal, who: str) -> httpx.Response:
        return await inst.client.post(upload_path(gal, tail), headers=inst.headers(who))

    return send


async def _delete(inst: Installation, gal: Gal, who: str) -> httpx.Response:
    return await inst.client.delete(upload_path(gal), headers=inst.headers(who))


async def _media(inst: Installation, gal: Gal, who: str) -> httpx.Response:
    """An image on A's draft event (its organisers')."""
    return await post_media(inst, gal.ids["event_draft"], who, gal.marker)


async def _media_of_game(inst: Installation, gal: Gal, who: str) -> httpx.Response:
    """An image on A's card workshop (its facilitators')."""
    return await post_media(inst, gal.ids["card_workshop"], who, gal.marker)


async def _import(inst: Installation, gal: Gal, who: str) -> httpx.Response:
    """Projects in A's commune, from a spreadsheet."""
    rows = f"Référence,Titre,Statut,Axe,Communes\r\nIMP-{gal.marker},Importé {gal.marker},idée,"
    return await inst.client.post(
        "/api/import/projects",
        content=(rows + f"vert,{gal.nis[0]}\r\n").encode(),
        headers={**inst.headers(who), "content-type": "text/csv"},
    )


@dataclass(frozen=True)
class Route:
    """How each writing route is tried: ``sends`` aims requests at GAL A (several ways, in
    order), ``open`` says why B's principals may send it too (then only A's is tried)."""

    sends: tuple[Send, ...] = ()
    open: str = ""


ROUTES: dict[str, Route] = {
    "POST /api/import/{kind}": Route((_import,)),
    "POST /api/media": Route((_media, _media_of_game)),
    # In this order: describe, a new version, publish, unpublish, then remove the draft.
    "PUT /api/opendata/uploads/{identifier}": Route((_describe,)),
    "POST /api/opendata/uploads/{identifier}/versions": Route((_version,)),
    "POST /api/opendata/uploads/{identifier}/publish": Route((_post("/publish"),)),
    "POST /api/opendata/uploads/{identifier}/unpublish": Route((_post("/unpublish"),)),
    "DELETE /api/opendata/uploads/{identifier}": Route((_delete,)),
    "POST /api/voice/confirm": Route(open="the e-mailed token's holder, whoever signs in"),
    "POST /api/voice/unsubscribe": Route(open="the e-mailed token's holder, whoever signs in"),
    "POST /graphql": Route(open="every mutation is tried by test_write_matrix"),
    "POST /oauth/token": Route(open="a client's credentials get its own token"),
}


def writing_routes(spec: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    }


async def test_every_writing_route_is_tried_or_open(two_gals: Installation) -> None:
    spec = (await two_gals.client.get("/openapi.json")).json()
    routes = writing_routes(spec)
    assert routes - set(ROUTES) == set(), (
        f"writing routes missing from the tenancy matrix: {sorted(routes - set(ROUTES))}"
    )
    assert set(ROUTES) - routes == set(), sorted(set(ROUTES) - routes)
    for name, route in ROUTES.items():
        assert bool(route.sends) != bool(route.open), name


async def test_no_principal_of_one_gal_writes_the_others_by_rest(two_gals: Installation) -> None:
    """B's principals are refused and change nothing; A's administrator is then allowed."""
    inst, gal = two_gals, two_gals.gals["A"]
    unexpected: dict[str, list[str]] = {}
    not_allowed: list[str] = []
    for name, route in ROUTES.items():
        area = area_of(name.split(" /api/")[-1])
        for send in route.sends:
            before = await fingerprint(inst)
            for who in INTRUDERS:
                answer = await send(inst, gal, who)
                after = await fingerprint(inst)
                changed = sorted(t for t in before if before[t] != after[t])
                before = after
                if not 400 <= answer.status_code < 500 or changed:
                    unexpected.setdefault(area, []).append(
                        f"{who} {name} ({send.__name__}): {answer.status_code} "
                        f"{answer.text[:200]}; changed {changed}"
                    )
            allowed = await send(inst, gal, "A.admin")
            if allowed.status_code >= 300:
                not_allowed.append(f"{name} ({send.__name__}): {allowed.text[:300]}")
    for area in ("core", "workshops", "opendata", "voice"):
        expect(f"rest-writes:{area}", unexpected.get(area, []))
    assert not not_allowed, not_allowed
