"""Tokens of an external OpenID Connect provider, its keys served by a mocked JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bocage.core.auth.keys import KeyStore
from bocage.core.auth.principal import PrincipalKind, Role
from bocage.core.auth.tokens import AuthenticationError, Authenticator
from bocage.core.settings import load_settings

ISSUER = "https://sso.test/realms/gal"


class Provider:
    """A fake Keycloak: discovery document and JWKS over an httpx MockTransport."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {"k1": RSAKey.generate_key(2048, parameters={"kid": "k1"})}
        self.published = ["k1"]
        self.requests: list[str] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if request.url.path == "/realms/gal/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs"},
            )
        if request.url.path == "/realms/gal/protocol/openid-connect/certs":
            keys = [self.keys[kid].as_dict(private=False) for kid in self.published]
            keys.append({"kty": "oct", "kid": "sym", "k": "c2VjcmV0"})  # must be ignored
            return httpx.Response(200, json={"keys": keys})
        return httpx.Response(404)

    @property
    def jwks_fetches(self) -> int:
        return sum(1 for path in self.requests if path.endswith("/certs"))

    def add_key(self, kid: str, key: Any = None) -> None:
        self.keys[kid] = key or RSAKey.generate_key(2048, parameters={"kid": kid})

    def token(self, clock: Any, kid: str = "k1", alg: str = "RS256", **overrides: Any) -> str:
        now = int(clock())
        claims = {
            "iss": ISSUER,
            "aud": ["bocage-api", "account"],
            "sub": "f3c1-keycloak-user",
            "iat": now,
            "exp": now + 300,
            "azp": "gal-frontend",
            "realm_access": {"roles": ["gal-admin", "offline_access", "editor"]},
            "communes": ["64034", "92003"],
            "stakeholders": ["12", 13],
            "scope": "openid profile",
        }
        claims.update(overrides)
        return jwt.encode({"alg": alg, "kid": kid}, claims, self.keys[kid], algorithms=[alg])


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authenticator(provider: Provider, clock: Clock) -> Authenticator:
    settings = load_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        oidc_issuer=ISSUER,
        oidc_audience="bocage-api",
        oidc_roles_claim="realm_access.roles",
        oidc_role_map="gal-admin:territory_admin,editor:commune_editor",
        oidc_jwks_min_refresh_interval=60,
    )
    keys = KeyStore(None, settings, clock=clock)  # type: ignore[arg-type] - not used here
    client = httpx.AsyncClient(transport=provider.transport)
    return Authenticator(settings, keys, http_client=client, clock=clock)


async def test_keys_from_the_discovered_jwks_and_roles_from_a_nested_claim(
    authenticator: Authenticator, provider: Provider, clock: Clock
) -> None:
    principal = await authenticator.verify(provider.token(clock))
    assert principal.kind is PrincipalKind.PERSON
    assert principal.subject == "f3c1-keycloak-user"
    assert principal.roles == {Role.TERRITORY_ADMIN, Role.COMMUNE_EDITOR}  # offline_access: none
    assert principal.communes == {"64034", "92003"}
    assert principal.stakeholders == {12, 13}
    assert principal.scopes == {"openid", "profile"}
    assert provider.requests == [
        "/realms/gal/.well-known/openid-configuration",
        "/realms/gal/protocol/openid-connect/certs",
    ]
    await authenticator.verify(provider.token(clock))
    assert provider.jwks_fetches == 1  # cached


async def test_unknown_kid_refetches_once_then_rate_limits(
    authenticator: Authenticator, provider: Provider, clock: Clock
) -> None:
    await authenticator.verify(provider.token(clock))
    assert provider.jwks_fetches == 1

    # The provider rotates: a new key appears in its JWKS.
    provider.add_key("k2")
    provider.published.append("k2")
    clock.now += 61
    assert (await authenticator.verify(provider.token(clock, kid="k2"))).subject
    assert provider.jwks_fetches == 2

    # Forged kids: no new fetch within the interval...
    provider.add_key("k3")  # never published
    for _ in range(5):
        with pytest.raises(AuthenticationError, match="unknown"):
            await authenticator.verify(provider.token(clock, kid="k3"))
    assert provider.jwks_fetches == 2
    # ...and one after it.
    clock.now += 61
    with pytest.raises(AuthenticationError, match="unknown"):
        await authenticator.verify(provider.token(clock, kid="k3"))
    assert provider.jwks_fetches == 3


async def test_cache_expires_after_its_ttl(
    authenticator: Authenticator, provider: Provider, clock: Clock
) -> None:
    await authenticator.verify(provider.token(clock))
    clock.now += 3601
    await authenticator.verify(provider.token(clock))
    assert provider.jwks_fetches == 2


async def test_provider_tokens_are_checked_like_ours(
    authenticator: Authenticator, provider: Provider, clock: Clock
) -> None:
    bad = [
        provider.token(clock, aud="account"),
        provider.token(clock, exp=int(clock()) - 100),
        provider.token(clock, nbf=int(clock()) + 600),
        provider.token(clock, alg="RS512"),  # not in BOCAGE_OIDC_ALGORITHMS
        provider.token(clock, kid="k1", iss="https://sso.test/realms/other"),
    ]
    # HS256 with the provider's public key, and with the ignored symmetric key of its JWKS.
    claims = json.loads(base64.urlsafe_b64decode(provider.token(clock).split(".")[1] + "=="))
    for kid, secret in (
        ("k1", json.dumps(provider.keys["k1"].as_dict(private=False)).encode()),
        ("k1", provider.keys["k1"].as_pem(private=False)),
        ("sym", b"secret"),
    ):
        head = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": kid}).encode())
        body = base64.urlsafe_b64encode(json.dumps(claims).encode())
        signing_input = head.rstrip(b"=") + b"." + body.rstrip(b"=")
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        bad.append((signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode())
    # Signed by a key the provider does not publish, naming a published kid.
    fake = RSAKey.generate_key(2048)
    bad.append(jwt.encode({"alg": "RS256", "kid": "k1"}, claims, fake, algorithms=["RS256"]))
    reasons = []
    for token in bad:
        with pytest.raises(AuthenticationError) as caught:
            await authenticator.verify(token)
        reasons.append(caught.value.message)
    assert reasons == [
        "The token is not meant for this API (audience).",
        "The token has expired.",
        "The token is not valid yet.",
        "The token's algorithm 'RS512' is not accepted.",
        "The token's issuer is not trusted.",
        "The token's algorithm 'HS256' is not accepted.",
        "The token's algorithm 'HS256' is not accepted.",
        "The token's signing key is unknown or expired.",  # the JWKS's 'oct' key is ignored
        "The token's signature is invalid.",
    ]


async def test_ec_keys_and_client_tokens(
    authenticator: Authenticator, provider: Provider, clock: Clock
) -> None:
    provider.add_key("ec", ECKey.generate_key("P-256", parameters={"kid": "ec"}))
    provider.published.append("ec")
    principal = await authenticator.verify(
        provider.token(clock, kid="ec", alg="ES256", client_id="pst-sync", realm_access={})
    )
    assert principal.kind is PrincipalKind.CLIENT and principal.client_id == "pst-sync"
    assert principal.roles == frozenset()


async def test_an_unreachable_provider_means_invalid_tokens_not_crashes(
    clock: Clock, provider: Provider
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down")

    settings = load_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        oidc_issuer=ISSUER,
        oidc_audience="bocage-api",
        oidc_jwks_url=f"{ISSUER}/certs",
    )
    authenticator = Authenticator(
        settings,
        KeyStore(None, settings, clock=clock),  # type: ignore[arg-type]
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(down)),
        clock=clock,
    )
    with pytest.raises(AuthenticationError, match="unknown"):
        await authenticator.verify(provider.token(clock))


def test_settings_refuse_symmetric_algorithms_and_unknown_roles() -> None:
    from bocage.core.errors import SettingsError

    with pytest.raises(SettingsError, match="BOCAGE_OIDC_ALGORITHMS"):
        load_settings(oidc_algorithms="RS256,HS256")
    with pytest.raises(SettingsError, match="BOCAGE_OIDC_ALGORITHMS"):
        load_settings(oidc_algorithms="none")
    with pytest.raises(SettingsError, match="BOCAGE_OIDC_ROLE_MAP"):
        load_settings(oidc_role_map="admin:superuser")
    with pytest.raises(SettingsError, match="BOCAGE_OIDC_AUDIENCE"):
        load_settings(oidc_issuer=ISSUER)
