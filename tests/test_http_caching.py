"""Every REST GET route follows the caching rules of bocage.core.cache_control: public data to
anonymous callers is public (max-age and stale-while-revalidate from settings) with an ETag and
304 on If-None-Match; authenticated callers and personal data get ``private, no-store``; every
answer varies on Accept-Language, Authorization and Origin. GET /graphql: tests/graphql/
test_http_cache.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.cache_control import etag_matches
from bocage.core.settings import load_settings

PUBLIC = "public, max-age=90, stale-while-revalidate=15"
PRIVATE = "private, no-store"
VARY = ["accept-language", "authorization", "origin"]

#: Public data, by route: a URL of the demo data. ``{event}``: a published event's key.
PUBLIC_ROUTES = {
    "/api/changes": "/api/changes?limit=5",
    "/api/opendata": "/api/opendata",
    "/api/opendata/catalog": "/api/opendata/catalog",
    "/api/opendata/catalog.{ext}": "/api/opendata/catalog.ttl",
    "/api/opendata/datasets": "/api/opendata/datasets?q=projets",
    "/api/opendata/datasets/{identifier}": "/api/opendata/datasets/communes",
    "/api/opendata/datasets/{identifier}/dcat": "/api/opendata/datasets/communes/dcat",
    "/api/opendata/datasets/{identifier}/dcat.{ext}": "/api/opendata/datasets/communes/dcat.ttl",
    "/api/opendata/datasets/{identifier}/export.{format}": (
        "/api/opendata/datasets/communes/export.csv"
    ),
    "/api/opendata/datasets/{identifier}/distributions/{format}": (
        "/api/opendata/datasets/communes/distributions/csv"
    ),
    "/api/opendata/datasets/{identifier}/quality": "/api/opendata/datasets/communes/quality",
    "/api/opendata/datasets/{identifier}/records": (
        "/api/opendata/datasets/communes/records?limit=3"
    ),
    "/api/opendata/datasets/{identifier}/schema.json": (
        "/api/opendata/datasets/communes/schema.json"
    ),
    "/api/workshops/communes/{nis_code}/calendar.ics": (
        "/api/workshops/communes/64034/calendar.ics"
    ),
    "/api/workshops/events/{event_id}.ics": "/api/workshops/events/{event}.ics",
    "/api/workshops/series/{series}/calendar.ics": (
        "/api/workshops/series/Midis du Smart/calendar.ics"
    ),
    "/api/workshops/territories/{slug}/calendar.ics": (
        "/api/workshops/territories/gal-hesbaye-meuse/calendar.ics"
    ),
    "/openapi.json": "/openapi.json",
    "/api/places/projects.geojson": "/api/places/projects.geojson",
}

#: Personal data, or answers no cache may keep, whoever asks.
PRIVATE_ROUTES = {
    "/api/opendata/uploads": "/api/opendata/uploads",
    "/api/opendata/uploads/{identifier}": "/api/opendata/uploads/nothing",
    "/api/surveys/{survey_id}/responses.csv": "/api/surveys/1/responses.csv",
    "/api/workshops/events/{event_id}/attendance.csv": "/api/workshops/events/1/attendance.csv",
    "/api/workshops/events/{event_id}/attendance.pdf": "/api/workshops/events/1/attendance.pdf",
    "/api/workshops/events/{event_id}/attendance.xlsx": ("/api/workshops/events/1/attendance.xlsx"),
    "/api/surveys/{survey_id}/responses.xlsx": "/api/surveys/1/responses.xlsx",
    "/api/surveys/{survey_id}/results.csv": "/api/surveys/1/results.csv",
    "/api/surveys/{survey_id}/results.xlsx": "/api/surveys/1/results.xlsx",
    "/healthz": "/healthz",
    # a subscriber's signed link (answers 404 to a forged one: what matters is no cache keeps it)
    "/api/voice/confirm": "/api/voice/confirm?token=1.nonce.forged",
    "/api/voice/unsubscribe": "/api/voice/unsubscribe?token=1.nonce.forged",
    "/readyz": "/readyz",
}

#: Routes whose rules are checked elsewhere, and where.
ELSEWHERE = {
    "/graphql": "tests/graphql/test_http_cache.py",
    "/.well-known/jwks.json": "test_the_key_set_is_public_for_its_own_time below",
    "/api/opendata/datasets/{identifier}/versions/{number}/{file}": (
        "tests/plugins/opendata/test_uploads.py (content-addressed: immutable)"
    ),
    "/api/media/{key}/{variant}": (
        "tests/media/test_upload.py (public), tests/plugins/workshops/test_media.py (a draft's)"
    ),
}


@pytest.fixture(scope="module")
async def rest(demo_database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A worker with the caching settings under test, and an admin's Authorization header."""
    settings = load_settings(
        database_url=demo_database_url,
        rate_limit="off",
        http_cache_max_age=90,
        http_cache_stale_while_revalidate=15,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            c.app = app  # type: ignore[attr-defined]
            issued = await app.state.issuer.issue(subject="admin", roles=[Role.TERRITORY_ADMIN])
            yield c, {"Authorization": f"Bearer {issued.access_token}"}


def vary(response: httpx.Response) -> list[str]:
    return [v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()]


async def url_of(client: httpx.AsyncClient, url: str) -> str:
    if "{event}" not in url:
        return url
    from bocage.plugins.workshops.models import Event

    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        key = (
            await session.execute(
                select(Event.id).where(Event.status == "published").order_by(Event.id).limit(1)
            )
        ).scalar_one()
    return url.format(event=key)


def test_every_get_route_has_a_rule(app: Any) -> None:
    paths = {path for path, operations in app.state.openapi["paths"].items() if "get" in operations}
    assert paths == set(PUBLIC_ROUTES) | set(PRIVATE_ROUTES) | set(ELSEWHERE)


@pytest.mark.parametrize("route", sorted(PUBLIC_ROUTES))
async def test_public_data_is_public_to_anonymous_callers(
    rest: tuple[httpx.AsyncClient, dict[str, str]], route: str
) -> None:
    client, bearer = rest
    url = await url_of(client, PUBLIC_ROUTES[route])
    headers = {"Accept": "text/turtle"} if route == "/api/opendata/catalog" else {}
    first = await client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == PUBLIC
    assert vary(first)[-3:] == VARY
    etag = first.headers["etag"]
    again = await client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == PUBLIC
    assert vary(again) == vary(first)
    signed_in = await client.get(url, headers={**headers, **bearer})
    assert signed_in.status_code == 200
    assert signed_in.headers["cache-control"] == PRIVATE
    assert vary(signed_in) == vary(first)


@pytest.mark.parametrize("route", sorted(PRIVATE_ROUTES))
async def test_personal_data_is_never_kept(
    rest: tuple[httpx.AsyncClient, dict[str, str]], route: str
) -> None:
    client, bearer = rest
    for headers in ({}, bearer):
        response = await client.get(PRIVATE_ROUTES[route], headers=headers)
        assert response.headers["cache-control"] == PRIVATE, response.status_code
        assert vary(response) == VARY
        assert "etag" not in response.headers


async def test_the_key_set_is_public_for_its_own_time(
    rest: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    """Verifiers may keep the public keys for BOCAGE_AUTH_KEY_CACHE_TTL (at most 5 minutes),
    which key rotation relies on, not for the data's max-age."""
    client, _ = rest
    response = await client.get("/.well-known/jwks.json")
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert response.headers["cache-control"] != PUBLIC
    again = await client.get(
        "/.well-known/jwks.json", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_a_changed_answer_has_another_etag(
    rest: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, _ = rest
    one = await client.get("/api/workshops/territories/gal-hesbaye-meuse/calendar.ics")
    other = await client.get("/api/workshops/territories/gal-hesbaye-meuse/calendar.ics?lang=nl")
    assert one.content != other.content
    assert one.headers["etag"] != other.headers["etag"]
    refreshed = await client.get(
        "/api/workshops/territories/gal-hesbaye-meuse/calendar.ics?lang=nl",
        headers={"If-None-Match": one.headers["etag"]},
    )
    assert refreshed.status_code == 200 and refreshed.content == other.content


@pytest.mark.parametrize(
    ("header", "etag", "matches"),
    [
        (None, '"a"', False),
        ('"a"', '"a"', True),
        ('W/"a"', '"a"', True),
        ('"a"', 'W/"a"', True),
        ('"b", "a"', '"a"', True),
        ('"b"', '"a"', False),
        ("*", '"a"', True),
        ('"ab"', '"a"', False),
    ],
)
def test_if_none_match_comparison(header: str | None, etag: str, matches: bool) -> None:
    assert etag_matches(header, etag) is matches
