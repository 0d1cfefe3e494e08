"""Tokens of a client: one rate-limit count for all of them, refused once it is revoked."""

from __future__ import annotations

from typing import Any

import pytest

from bocage.core.auth.clients import revoke_client
from bocage.core.errors import SettingsError
from bocage.core.settings import load_settings


async def token_of(auth_app: Any, client: Any) -> dict[str, str]:
    response = await auth_app.token_for(client.client_id, client.client_secret)
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['access_token']}"}


async def whoami(auth_app: Any, headers: dict[str, str]) -> Any:
    return await auth_app.client.get("/api/tests/whoami", headers=headers)


async def test_new_tokens_of_a_client_share_its_count(make_auth_app: Any) -> None:
    async with make_auth_app(rate_limit="4/day") as auth_app:
        client, other = await auth_app.new_client(), await auth_app.new_client()
        # Two token requests (counted against the address: no bearer token), then the
        # client's own count: two calls with its first token, two with a second one.
        first, second = await token_of(auth_app, client), await token_of(auth_app, client)
        for headers in (first, first, second, second):
            assert (await whoami(auth_app, headers)).status_code == 200
        third = await token_of(auth_app, client)
        refused = await whoami(auth_app, third)
        assert refused.status_code == 429, refused.text
        assert "per client" in refused.json()["error"]["message"]
        # Another client (its token got from another address) is not affected.
        elsewhere = await auth_app.from_address("192.0.2.77")
        response = await auth_app.token_for(other.client_id, other.client_secret, http=elsewhere)
        headers = {"authorization": f"Bearer {response.json()['access_token']}"}
        assert (await whoami(auth_app, headers)).json()["subject"] == other.client_id


async def assert_invalid_token(auth_app: Any, headers: dict[str, str]) -> None:
    rest = await whoami(auth_app, headers)
    assert rest.status_code == 401, rest.text
    assert rest.json()["error"] == {
        "code": "invalid_token",
        "message": "The token's client has been revoked.",
    }
    graphql = await auth_app.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=headers
    )
    assert graphql.status_code == 401, graphql.text


@pytest.mark.parametrize("rate_limit", ["off", "100/minute"])  # with and without middleware
async def test_a_revoked_clients_tokens_are_refused_within_the_cache_ttl(
    make_auth_app: Any, rate_limit: str
) -> None:
    async with make_auth_app(auth_client_cache_ttl=30, rate_limit=rate_limit) as auth_app:
        client, other = await auth_app.new_client(), await auth_app.new_client()
        headers, other_headers = await token_of(auth_app, client), await token_of(auth_app, other)
        assert (await whoami(auth_app, headers)).status_code == 200  # now cached: active
        async with auth_app.app.state.sessionmaker() as session, session.begin():
            assert await revoke_client(session, client.client_id)
        # Within the documented bound the worker may still accept it...
        auth_app.clock.advance(29)
        assert (await whoami(auth_app, headers)).status_code == 200
        # ...and not after it.
        auth_app.clock.advance(1)
        await assert_invalid_token(auth_app, headers)
        assert (await whoami(auth_app, other_headers)).status_code == 200
        # Person tokens of the same issuer do not depend on any client.
        person = await auth_app.issuer.issue(subject="ana@hannut.be")
        response = await whoami(auth_app, {"authorization": f"Bearer {person.access_token}"})
        assert response.json()["kind"] == "person"


async def test_revoked_with_the_cli_and_no_cache(
    make_auth_app: Any, cli: Any, empty_database_url: str
) -> None:
    async with make_auth_app(auth_client_cache_ttl=0, rate_limit="100/minute") as auth_app:
        client = await auth_app.new_client()
        headers = await token_of(auth_app, client)
        assert (await whoami(auth_app, headers)).status_code == 200
        revoked = cli(
            "clients", "revoke", client.client_id, env={"BOCAGE_DATABASE_URL": empty_database_url}
        )
        assert revoked.returncode == 0, revoked.stderr
        await assert_invalid_token(auth_app, headers)


async def test_a_new_client_is_accepted_at_once(make_auth_app: Any) -> None:
    async with make_auth_app(auth_client_cache_ttl=3600) as auth_app:
        first = await auth_app.new_client()
        assert (await whoami(auth_app, await token_of(auth_app, first))).status_code == 200
        second = await auth_app.new_client()
        response = await whoami(auth_app, await token_of(auth_app, second))
        assert response.json()["subject"] == second.client_id


def test_the_client_cache_ttl_is_checked() -> None:
    assert load_settings(auth_client_cache_ttl=0).auth_client_cache_ttl == 0
    with pytest.raises(SettingsError, match="BOCAGE_AUTH_CLIENT_CACHE_TTL"):
        load_settings(auth_client_cache_ttl=-1)
