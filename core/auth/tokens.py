"""Bearer tokens: who is calling, proved by a JWT from the built-in issuer or an OIDC provider.

:class:`Authenticator` turns a request's ``Authorization: Bearer <jwt>`` header into a
:class:`~bocage.core.auth.principal.Principal` (no header: ``ANONYMOUS``). The token's ``iss``
chooses where its key comes from: ``BOCAGE_AUTH_ISSUER`` for the built-in issuer (keys in the
database, see :mod:`bocage.core.auth.keys`), ``BOCAGE_OIDC_ISSUER`` for the external provider
(keys from its JWKS, see :mod:`bocage.core.auth.oidc`). Then, with joserfc: the ``alg`` must be
one of that source's asymmetric algorithms (never ``none``, never HMAC), the key is the one
named by ``kid``, the signature must verify, and ``iss``, ``aud``, ``exp`` and ``nbf`` are
checked with ``BOCAGE_AUTH_LEEWAY`` seconds of clock skew; a built-in token of a client that
has been revoked is refused (:class:`~bocage.core.auth.clients.ActiveClients`: within
``BOCAGE_AUTH_CLIENT_CACHE_TTL`` seconds of the revocation). Anything wrong raises
:class:`AuthenticationError`, which every endpoint answers with HTTP 401 (RFC 6750).

:class:`Authentication` (middleware) authenticates each HTTP request once, before the rate
limiter, which then counts the request against its client or person
(:func:`bocage.core.middleware.client_key`); :func:`request_principal` reads the result.

:class:`TokenIssuer` mints the built-in issuer's tokens (token endpoint, ``bocage token``).
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from joserfc import jws
from joserfc import jwt as jose_jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from bocage.core.auth.clients import ActiveClients
from bocage.core.auth.grants import RoleGrants
from bocage.core.auth.keys import KeyStore, Signer
from bocage.core.auth.oidc import RemoteKeySet
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from bocage.core.auth.tenancy import Tenancy
from bocage.core.rest_errors import error_response

if TYPE_CHECKING:
    from joserfc.jwk import Key
    from starlette.requests import HTTPConnection, Request
    from starlette.types import ASGIApp, Receive, Scope, Send

    from bocage.core.settings import Settings

Clock = Callable[[], float]

#: Keys of the request state (``scope["state"]``) where :class:`Authentication` leaves the
#: caller, or the reason its token was refused.
PRINCIPAL_STATE = "bocage_principal"
ERROR_STATE = "bocage_authentication_error"


class AuthenticationError(Exception):
    """The request carries a token that cannot be trusted (answered with HTTP 401)."""

    code = "invalid_token"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def response(self) -> JSONResponse:
        return unauthorized(self.message)


def unauthorized(message: str) -> JSONResponse:
    """HTTP 401 with Bocage's error body and an RFC 6750 ``WWW-Authenticate`` challenge."""
    description = message.replace("\\", "").replace('"', "'")
    return error_response(
        401,
        "invalid_token",
        message,
        **{
            "WWW-Authenticate": (
                f'Bearer error="invalid_token", error_description="{description}"'
            ),
            "Cache-Control": "no-store",
        },
    )


async def authentication_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette exception handler: REST routes may let :class:`AuthenticationError` rise."""
    assert isinstance(exc, AuthenticationError)
    return exc.response()


async def request_principal(request: HTTPConnection) -> Principal:
    """The caller of ``request`` (authenticated once per request, then kept on its state);
    :class:`AuthenticationError` if its token is not valid."""
    state = request.scope.setdefault("state", {})
    principal: Principal | None = state.get(PRINCIPAL_STATE)
    if principal is None:
        if (message := state.get(ERROR_STATE)) is not None:
            raise AuthenticationError(message)
        principal = await request.app.state.authenticator.authenticate(request)
        state[PRINCIPAL_STATE] = principal
    return principal


class Authentication:
    """Authenticates each HTTP request that carries an Authorization header, before the rate
    limiter (which counts requests per client or person, see
    :func:`bocage.core.middleware.client_key`). It refuses nothing itself: it leaves the
    principal, or the reason the token is not valid, in the request state for
    :func:`request_principal`, so that only the routes that need a caller answer 401."""

    def __init__(self, app: ASGIApp, *, skip: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.skip:
            header = Headers(scope=scope).get("authorization")
            if header is not None:
                # The app's authenticator, read per request (tests replace it).
                authenticator: Authenticator = scope["app"].state.authenticator
                state = scope.setdefault("state", {})
                try:
                    state[PRINCIPAL_STATE] = await authenticator.authorization(header)
                except AuthenticationError as error:
                    state[ERROR_STATE] = error.message
        await self.app(scope, receive, send)


# -- claims -> principal ------------------------------------------------------------------------


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item for item in value.replace(",", " ").split() if item]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int) and str(item)]
    return []


def _integers(value: Any) -> list[int]:
    result = []
    for item in value if isinstance(value, list | tuple) else _strings(value):
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            result.append(item)
        elif isinstance(item, str) and item.isdigit():
            result.append(int(item))
    return result


@dataclass(frozen=True)
class ClaimsMapping:
    """How a source's claims become a principal."""

    roles_claim: str
    role_map: Mapping[str, Role]
    communes_claim: str
    stakeholders_claim: str
    territories_claim: str = "territories"

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        roles = {
            self.role_map[name]
            for name in _strings(claim_at(claims, self.roles_claim))
            if name in self.role_map
        }
        scope = claims.get("scope")
        scopes = _strings(scope) if isinstance(scope, str) else _strings(claims.get("scp"))
        client_id = claims.get("client_id") if isinstance(claims.get("client_id"), str) else None
        return Principal(
            kind=PrincipalKind.CLIENT if client_id else PrincipalKind.PERSON,
            subject=claims.get("sub"),
            client_id=client_id,
            roles=frozenset(roles),
            communes=frozenset(_strings(claim_at(claims, self.communes_claim))),
            stakeholders=frozenset(_integers(claim_at(claims, self.stakeholders_claim))),
            scopes=frozenset(scopes),
            territories=frozenset(_strings(claim_at(claims, self.territories_claim))),
        )


BUILTIN_MAPPING = ClaimsMapping(
    roles_claim="roles",
    role_map={role.value: role for role in Role},
    communes_claim="communes",
    stakeholders_claim="stakeholders",
)


# -- the authenticator --------------------------------------------------------------------------


class TokenEnded(enum.Enum):
    """Why a token a connection was opened with no longer stands: the WebSocket close code
    and reason it ends with."""

    EXPIRED = (4401, "token expired")
    REVOKED = (4403, "client revoked")

    @property
    def code(self) -> int:
        return int(self.value[0])

    @property
    def reason(self) -> str:
        return str(self.value[1])


@dataclass(frozen=True)
class Credential:
    """A verified token as a long-lived connection (a WebSocket) keeps it: its principal, when
    it expires (Unix seconds, leeway included; ``None``: anonymous) and the built-in issuer's
    client whose revocation ends it (:meth:`Authenticator.ended`)."""

    principal: Principal
    expires_at: float | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class _Source:
    name: str
    issuer: str
    audience: str
    mapping: ClaimsMapping


class Authenticator:
    """Validates bearer tokens; one per app, shared by every request (``app.state``)."""

    def __init__(
        self,
        settings: Settings,
        keys: KeyStore,
        *,
        http_client: httpx.AsyncClient | None = None,
        clients: ActiveClients | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self.clients = clients or ActiveClients(keys.sessionmaker, settings, clock=clock)
        #: The permissions granted to roles, added to each principal of those roles.
        self.grants = RoleGrants(keys.sessionmaker, settings, clock=clock)
        #: The territories each principal is confined to (several GALs on one installation).
        self.tenancy = Tenancy(keys.sessionmaker, settings, clock=clock)
        self.builtin = _Source(
            "built-in issuer", settings.auth_issuer, settings.auth_audience, BUILTIN_MAPPING
        )
        self.oidc: _Source | None = None
        self.remote_keys: RemoteKeySet | None = None
        if settings.oidc_issuer:
            assert settings.oidc_audience  # checked by the settings
            self.oidc = _Source(
                "OpenID Connect provider",
                settings.oidc_issuer,
                settings.oidc_audience,
                ClaimsMapping(
                    roles_claim=settings.oidc_roles_claim,
                    role_map={name: Role(role) for name, role in settings.oidc_role_map.items()},
                    communes_claim=settings.oidc_communes_claim,
                    stakeholders_claim=settings.oidc_stakeholders_claim,
                    territories_claim=settings.oidc_territories_claim,
                ),
            )
            self.remote_keys = RemoteKeySet(settings, client=http_client, clock=clock)

    async def aclose(self) -> None:
        if self.remote_keys is not None:
            await self.remote_keys.aclose()

    async def authenticate(self, request: HTTPConnection) -> Principal:
        """The caller: ``ANONYMOUS`` without an Authorization header, else the token's."""
        return await self.authorization(request.headers.get("authorization"))

    async def authorization(self, header: str | None) -> Principal:
        """The principal of an Authorization value (``Bearer <token>``): ``ANONYMOUS`` for
        ``None``, :class:`AuthenticationError` for anything else that is not a valid token.
        A WebSocket keeps its :meth:`credential` instead, to check it again later."""
        return (await self.credential(header)).principal

    async def credential(self, header: str | None) -> Credential:
        """:meth:`authorization`, with what a long-lived connection must check again later:
        when the token expires and which client's revocation ends it (see :meth:`ended`)."""
        if header is None:
            return Credential(ANONYMOUS)
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("The Authorization header must be 'Bearer <access token>'.")
        principal, claims, source = await self._verify(token)
        exp = claims.get("exp")
        return Credential(
            principal,
            expires_at=float(exp) + self.settings.auth_leeway
            if isinstance(exp, int | float)
            else None,
            client_id=principal.client_id if source is self.builtin else None,
        )

    async def ended(self, credential: Credential) -> TokenEnded | None:
        """Why ``credential`` no longer stands (its token expired, its client was revoked:
        within ``BOCAGE_AUTH_CLIENT_CACHE_TTL``), or ``None`` while it does."""
        if credential.expires_at is not None and self.clock() >= credential.expires_at:
            return TokenEnded.EXPIRED
        if credential.client_id is not None and not await self.clients.is_active(
            credential.client_id
        ):
            return TokenEnded.REVOKED
        return None

    async def verify(self, token: str) -> Principal:
        """The principal of a valid ``token``; :class:`AuthenticationError` otherwise."""
        principal, _claims, _source = await self._verify(token)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, dict[str, Any], _Source]:
        try:
            signed = jws.extract_compact(token.encode())
            header = signed.headers()
            claims = json.loads(signed.payload)
        except (JoseError, ValueError, TypeError):
            raise AuthenticationError("The token is not a signed JWT.") from None
        if not isinstance(claims, dict):
            raise AuthenticationError("The token's payload is not a JSON object.")

        issuer = claims.get("iss")
        if issuer == self.builtin.issuer:
            source = self.builtin
        elif self.oidc is not None and issuer == self.oidc.issuer:
            source = self.oidc
        else:
            raise AuthenticationError("The token's issuer is not trusted.")

        algorithm, kid = header.get("alg"), header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("The token names no signing key (kid).")
        key, allowed = await self._key(source, kid)
        if key is None:
            raise AuthenticationError("The token's signing key is unknown or expired.")
        if algorithm not in allowed or (key.alg is not None and key.alg != algorithm):
            raise AuthenticationError(f"The token's algorithm {algorithm!r} is not accepted.")
        try:
            valid = jws.validate_compact(signed, key, algorithms=[algorithm])
        except JoseError:
            valid = False
        if not valid:
            raise AuthenticationError("The token's signature is invalid.")

        registry = jose_jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock()),
            leeway=self.settings.auth_leeway,
            iss={"essential": True, "value": source.issuer},
            aud={"essential": True, "value": source.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise AuthenticationError("The token has expired.") from None
        except MissingClaimError as error:
            raise AuthenticationError(f"The token lacks claims: {error.claim}.") from None
        except InvalidClaimError as error:
            reason = {
                "aud": "The token is not meant for this API (audience).",
                "nbf": "The token is not valid yet.",
                "iat": "The token was issued in the future.",
            }.get(error.claim, f"The token's '{error.claim}' claim is invalid.")
            raise AuthenticationError(reason) from None
        principal = source.mapping.principal(claims)
        if (
            source is self.builtin
            and principal.client_id is not None
            and not await self.clients.is_active(principal.client_id)
        ):
            raise AuthenticationError("The token's client has been revoked.")
        principal = await self.tenancy.apply(principal)
        return await self.grants.apply(principal), claims, source

    async def _key(self, source: _Source, kid: str) -> tuple[Key | None, tuple[str, ...]]:
        if source is self.builtin:
            found = await self.keys.verification_key(kid)
            return (found.key, (found.algorithm,)) if found else (None, ())
        assert self.remote_keys is not None
        return await self.remote_keys.get(kid), tuple(self.settings.oidc_algorithms)


# -- the built-in issuer ------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    claims: dict[str, Any]
    #: The signing key's ID (the JWT header's ``kid``).
    kid: str = ""


class TokenIssuer:
    """Mints the built-in issuer's access tokens, signed with the current signing key."""

    def __init__(self, settings: Settings, keys: KeyStore, *, clock: Clock = time.time) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock

    def claims(
        self,
        *,
        subject: str,
        roles: Iterable[Role] = (),
        communes: Iterable[str] = (),
        stakeholders: Iterable[int] = (),
        scopes: Iterable[str] = (),
        client_id: str | None = None,
        ttl: int | None = None,
        territories: Iterable[str] = (),
    ) -> dict[str, Any]:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.settings.auth_issuer,
            "aud": self.settings.auth_audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl or self.settings.auth_token_ttl),
            "jti": uuid.uuid4().hex,
            "roles": sorted(Role(role).value for role in roles),
            "communes": sorted(set(communes)),
            "stakeholders": sorted(set(stakeholders)),
            "scope": " ".join(sorted(set(scopes))),
        }
        if territories := sorted(set(territories)):
            claims["territories"] = territories
        if client_id is not None:
            claims["client_id"] = client_id
        return claims

    @staticmethod
    def sign(signer: Signer, claims: Mapping[str, Any]) -> str:
        """A compact JWS of ``claims`` (pure computation: safe to call from a thread)."""
        return jose_jwt.encode(
            {"alg": signer.algorithm, "kid": signer.kid, "typ": "at+jwt"},
            dict(claims),
            signer.key,
            algorithms=[signer.algorithm],
        )

    async def issue(self, **kwargs: Any) -> IssuedToken:
        """Sign a token for the given subject (see :meth:`claims` for the arguments)."""
        claims = self.claims(**kwargs)
        signer = await self.keys.signer()
        token = self.sign(signer, claims)
        return IssuedToken(token, claims["exp"] - claims["iat"], claims, kid=signer.kid)
