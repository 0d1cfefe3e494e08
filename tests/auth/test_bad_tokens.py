"""Every kind of bad token is rejected; key rotation keeps tokens in flight valid."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from bocage.core.auth.principal import ANONYMOUS, PrincipalKind, Role
from bocage.core.auth.tokens import AuthenticationError


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


async def person_token(auth_app: Any, **overrides: Any) -> tuple[str, dict[str, Any]]:
    claims = auth_app.issuer.claims(
        subject="ana", roles=[Role.COMMUNE_EDITOR], communes=["64034"], stakeholders=[7]
    )
    claims.update(overrides)
    signer = await auth_app.keys.signer()
    return auth_app.issuer.sign(signer, claims), claims


async def rejected(auth_app: Any, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        await auth_app.authenticator.verify(token)
    return caught.value.message


async def test_a_good_token_gives_its_principal(auth_app: Any) -> None:
    token, _ = await person_token(auth_app)
    principal = await auth_app.authenticator.verify(token)
    assert principal.kind is PrincipalKind.PERSON
    assert principal.subject == "ana" and principal.client_id is None
    assert principal.roles == {Role.COMMUNE_EDITOR}
    assert principal.communes == {"64034"} and principal.stakeholders == {7}


async def test_alg_none_is_rejected(auth_app: Any) -> None:
    token, claims = await person_token(auth_app)
    kid = (await auth_app.keys.signer()).kid
    for alg in ("none", "None", "NONE"):
        assert "algorithm" in await rejected(
            auth_app, unsigned({"alg": alg, "kid": kid, "typ": "JWT"}, claims) + "."
        )


async def test_hs256_signed_with_the_public_key_is_rejected(auth_app: Any) -> None:
    _, claims = await person_token(auth_app)
    signer = await auth_app.keys.signer()
    public = signer.key.as_dict(private=False)
    secrets = [
        json.dumps(public).encode(),
        signer.key.as_pem(private=False),
        signer.key.as_der(private=False),
    ]
    for secret in secrets:
        signing_input = unsigned({"alg": "HS256", "kid": signer.kid, "typ": "JWT"}, claims)
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert "algorithm" in await rejected(auth_app, f"{signing_input}.{b64(mac)}")


async def test_wrong_issuer_and_wrong_audience(auth_app: Any) -> None:
    token, _ = await person_token(auth_app, iss="https://evil.example")
    assert "issuer" in await rejected(auth_app, token)
    token, _ = await person_token(auth_app, aud="another-api")
    assert "audience" in await rejected(auth_app, token)
    token, _ = await person_token(auth_app, aud=["another-api", "yet-another"])
    assert "audience" in await rejected(auth_app, token)
    token, _ = await person_token(auth_app, aud=["another-api", "bocage-api"])
    assert (await auth_app.authenticator.verify(token)).subject == "ana"


async def test_expiry_and_not_before_with_leeway(auth_app: Any) -> None:
    now = int(auth_app.clock())
    leeway = auth_app.app.state.settings.auth_leeway
    token, _ = await person_token(auth_app, iat=now - 1000, nbf=now - 1000, exp=now - leeway - 1)
    assert "expired" in await rejected(auth_app, token)
    token, _ = await person_token(auth_app, iat=now - 1000, nbf=now - 1000, exp=now - leeway + 5)
    assert (await auth_app.authenticator.verify(token)).subject == "ana"  # within the leeway

    token, _ = await person_token(auth_app, nbf=now + leeway + 60)
    assert "not valid yet" in await rejected(auth_app, token)
    token, _ = await person_token(auth_app, nbf=now + leeway - 5)
    assert (await auth_app.authenticator.verify(token)).subject == "ana"

    token, claims = await person_token(auth_app)
    del claims["exp"]
    signer = await auth_app.keys.signer()
    assert "exp" in await rejected(auth_app, auth_app.issuer.sign(signer, claims))


async def test_unknown_kid_and_missing_kid(auth_app: Any) -> None:
    _, claims = await person_token(auth_app)
    stranger = ECKey.generate_key("P-256")
    token = jwt.encode({"alg": "ES256", "kid": "not-ours"}, claims, stranger, algorithms=["ES256"])
    assert "unknown" in await rejected(auth_app, token)
    # A foreign key that reuses our kid does not verify either.
    kid = (await auth_app.keys.signer()).kid
    token = jwt.encode({"alg": "ES256", "kid": kid}, claims, stranger, algorithms=["ES256"])
    assert "signature" in await rejected(auth_app, token)
    token = jwt.encode({"alg": "ES256"}, claims, stranger, algorithms=["ES256"])
    assert "kid" in await rejected(auth_app, token)


async def test_tampered_payload(auth_app: Any) -> None:
    token, claims = await person_token(auth_app)
    header, _, signature = token.split(".")
    claims["roles"] = ["territory_admin"]
    payload = b64(json.dumps(claims).encode())
    assert "signature" in await rejected(auth_app, f"{header}.{payload}.{signature}")


async def test_garbage(auth_app: Any) -> None:
    for token in ("", "abc", "a.b.c", "a.b", "...."):
        await rejected(auth_app, token)


async def test_rotation_keeps_tokens_valid_for_the_grace_period_only(auth_app: Any) -> None:
    old_token, _ = await person_token(auth_app)
    old_kid = (await auth_app.keys.signer()).kid
    new_kid = await auth_app.keys.rotate(grace=600)
    assert new_kid != old_kid
    assert (await auth_app.keys.signer()).kid == new_kid
    new_token, _ = await person_token(auth_app)

    auth_app.clock.advance(599)
    assert (await auth_app.authenticator.verify(old_token)).subject == "ana"
    auth_app.clock.advance(2)  # the token itself is still unexpired (900 s), its key is not
    assert "unknown or expired" in await rejected(auth_app, old_token)
    assert (await auth_app.authenticator.verify(new_token)).subject == "ana"


async def test_a_long_lived_token_of_a_rotated_out_key_is_rejected(auth_app: Any) -> None:
    token, _ = await person_token(auth_app, exp=int(auth_app.clock()) + 86400)  # valid for a day...
    await auth_app.keys.rotate(grace=60)
    auth_app.clock.advance(30)
    assert (await auth_app.authenticator.verify(token)).subject == "ana"
    auth_app.clock.advance(31)  # ...but its key's grace period is over
    assert "unknown or expired" in await rejected(auth_app, token)


async def test_another_worker_sees_a_rotation_after_its_cache_ttl(auth_app: Any) -> None:
    from bocage.core.auth.keys import KeyStore
    from bocage.core.auth.tokens import Authenticator

    settings = auth_app.app.state.settings
    other_keys = KeyStore(auth_app.app.state.sessionmaker, settings, clock=auth_app.clock)
    other = Authenticator(settings, other_keys, clock=auth_app.clock)
    token, _ = await person_token(auth_app, exp=int(auth_app.clock()) + 86400)
    assert (await other.verify(token)).subject == "ana"  # cached in the other worker

    await auth_app.keys.rotate(grace=10)
    new_token, _ = await person_token(auth_app)
    auth_app.clock.advance(6)  # the other worker reloads on the unknown kid
    assert (await other.verify(new_token)).subject == "ana"
    auth_app.clock.advance(5)
    with pytest.raises(AuthenticationError):
        await other.verify(token)


async def test_no_header_is_anonymous(auth_app: Any) -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    assert await auth_app.authenticator.authenticate(request) is ANONYMOUS
