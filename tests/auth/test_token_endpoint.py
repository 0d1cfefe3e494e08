"""POST /oauth/token (client credentials), the JWKS, and the tokens on /graphql and REST."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.requests import Request

from bocage.core.app import create_app
from bocage.core.auth.clients import revoke_client
from bocage.core.auth.principal import PrincipalKind, Role


def bearer_request(token: str | None) -> Request:
    headers = [] if token is None else [(b"authorization", f"Bearer {token}".encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


async def test_basic_auth_gets_a_token_that_authenticates(auth_app: Any) -> None:
    client = await auth_app.new_client(communes=("64034",))
    response = await auth_app.token_for(client.client_id, client.client_secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "tests:read tests:write"  # none asked: all of the client's
    assert response.headers["cache-control"] == "no-store"

    principal = await auth_app.authenticator.authenticate(bearer_request(body["access_token"]))
    assert principal.kind is PrincipalKind.CLIENT
    assert principal.client_id == principal.subject == client.client_id
    assert principal.roles == {Role.INTEGRATOR}
    assert principal.scopes == {"tests:read", "tests:write"}
    assert principal.communes == {"64034"}


async def test_post_auth_with_a_subset_of_the_scopes(auth_app: Any) -> None:
    client = await auth_app.new_client()
    response = await auth_app.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "scope": "tests:read",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "tests:read"
    principal = await auth_app.authenticator.verify(response.json()["access_token"])
    assert principal.scopes == {"tests:read"}


async def test_wrong_secret_unknown_and_revoked_clients_are_invalid_client(auth_app: Any) -> None:
    client = await auth_app.new_client()
    wrong = await auth_app.token_for(client.client_id, client.client_secret + "x")
    unknown = await auth_app.token_for("bcl_nobody", client.client_secret)
    async with auth_app.app.state.sessionmaker() as session, session.begin():
        assert await revoke_client(session, client.client_id)
    revoked = await auth_app.token_for(client.client_id, client.client_secret)
    for response in (wrong, unknown, revoked):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic ")
        assert "access_token" not in response.json()
    # The three answers are the same: they do not tell which client ids exist.
    assert wrong.json() == unknown.json() == revoked.json()


async def test_post_auth_with_a_wrong_secret_is_invalid_client(auth_app: Any) -> None:
    client = await auth_app.new_client()
    response = await auth_app.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": "nope",
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_scope_escalation_is_refused(auth_app: Any) -> None:
    client = await auth_app.new_client(scopes=("tests:read",))
    response = await auth_app.token_for(
        client.client_id, client.client_secret, scope="tests:read tests:admin"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    # A fixed text: the request's values are never quoted back.
    assert "tests:admin" not in response.json()["error_description"]


async def test_unsupported_grant_and_malformed_requests(auth_app: Any) -> None:
    client = await auth_app.new_client()
    password = await auth_app.client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "a", "password": "b"},
        auth=(client.client_id, client.client_secret),
    )
    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"
    assert "client_credentials" in password.json()["error_description"]

    as_json = await auth_app.client.post(
        "/oauth/token",
        json={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"

    repeated = await auth_app.client.post(
        "/oauth/token",
        content="grant_type=client_credentials&scope=tests:read&scope=tests:write",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=(client.client_id, client.client_secret),
    )
    assert repeated.status_code == 400
    assert repeated.json()["error"] == "invalid_request"

    assert (await auth_app.client.get("/oauth/token")).status_code == 405


async def test_production_requires_https(make_settings: Any, auth_app: Any) -> None:
    settings = make_settings(auth_app.app.state.settings.database_url, environment="production")
    app = create_app(settings, host=auth_app.app.state.host)
    client = await auth_app.new_client()
    async with app.router.lifespan_context(app):
        for base, status in (("http://bocage.test", 400), ("https://bocage.test", 200)):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=base) as http:
                response = await http.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(client.client_id, client.client_secret),
                )
            assert response.status_code == status, response.text


async def test_the_token_is_accepted_by_graphql_and_rest(auth_app: Any) -> None:
    client = await auth_app.new_client()
    token = (await auth_app.token_for(client.client_id, client.client_secret)).json()[
        "access_token"
    ]
    query = {"query": "{ __typename }"}
    ok = await auth_app.client.post(
        "/graphql", json=query, headers={"authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}

    who = await auth_app.client.get(
        "/api/tests/whoami", headers={"authorization": f"Bearer {token}"}
    )
    assert who.json() == {
        "kind": "client",
        "subject": client.client_id,
        "scopes": ["tests:read", "tests:write"],
    }
    anonymous = await auth_app.client.get("/api/tests/whoami")
    assert anonymous.json()["kind"] == "anonymous"


async def test_a_bad_token_is_a_401_on_graphql_and_rest(auth_app: Any) -> None:
    client = await auth_app.new_client()
    token = (await auth_app.token_for(client.client_id, client.client_secret)).json()[
        "access_token"
    ]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    for method, path, kwargs in (
        ("POST", "/graphql", {"json": {"query": "{ __typename }"}}),
        ("GET", "/graphql?query=%7B__typename%7D", {}),
        ("GET", "/api/tests/whoami", {}),
    ):
        for value in (f"Bearer {forged}", "Bearer not-a-jwt", "Basic abc"):
            response = await auth_app.client.request(
                method, path, headers={"authorization": value}, **kwargs
            )
            assert response.status_code == 401, (path, value, response.text)
            body = response.json()
            if path.startswith("/graphql"):  # the GraphQL error shape there
                assert body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
            else:
                assert body["error"]["code"] == "invalid_token"
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith('Bearer error="invalid_token", error_description="')


async def test_jwks_publishes_public_keys_only(auth_app: Any) -> None:
    response = await auth_app.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    assert response.headers["cache-control"].startswith("public, max-age=")
    (key,) = response.json()["keys"]
    assert key["kty"] == "EC" and key["alg"] == "ES256" and key["use"] == "sig"
    assert "d" not in key
    signer = await auth_app.keys.signer()
    assert key["kid"] == signer.kid

    await auth_app.keys.rotate(grace=100)
    kids = [k["kid"] for k in (await auth_app.client.get("/.well-known/jwks.json")).json()["keys"]]
    assert len(kids) == 2 and signer.kid in kids
    auth_app.clock.advance(101)
    kids = [k["kid"] for k in (await auth_app.client.get("/.well-known/jwks.json")).json()["keys"]]
    assert len(kids) == 1 and signer.kid not in kids
