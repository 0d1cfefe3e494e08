"""The built-in OAuth2 server: ``POST /oauth/token`` (client credentials) and the JWKS.

Built on authlib's RFC 6749 server classes (:class:`AuthorizationServer`,
:class:`ClientCredentialsGrant`, :class:`ClientMixin`) with the Starlette glue written here
(authlib ships none for Starlette servers).

Async design: authlib's server code is synchronous, and the database is asynchronous. So the
endpoint works in two phases:

1. *async, on the event loop*: read the form once and parse it with a bounded number of
   fields (``BOCAGE_AUTH_TOKEN_MAX_FIELDS``; repeated parameters, more than one way of
   authenticating and text that is not UTF-8 are an ``invalid_request``), find the client id
   the request names (HTTP Basic or ``client_id`` in the body), refuse it with 429 if its
   recent failures are too many (:mod:`bocage.core.auth.throttle`), load the client from the
   database through the app's async sessionmaker, and load the current signing key (creating
   it on first need);
2. *sync, in a worker thread*: a per-request :class:`BocageAuthorizationServer` that holds
   only that preloaded, plain data runs authlib's flow (client authentication, grant and
   scope checks, token generation and signing, error responses). It never touches the
   database. The threads come from a limiter of their own, ``BOCAGE_AUTH_HASH_CONCURRENCY``
   wide (not anyio's shared pool), so that a flood of secrets to check (scrypt: tens of ms
   and ~16 MiB each) neither starves the event loop of CPU nor takes the threads other work
   needs: the flood waits its turn.

An unknown or revoked client is answered exactly like a wrong secret (``invalid_client``,
401), after a hash check of the same cost, so the endpoint does not reveal which client ids
exist. Error descriptions are fixed texts: nothing of the request is quoted back. Tokens are
self-contained JWTs (nothing is stored); the tokens of a revoked client are refused by
:class:`~bocage.core.auth.tokens.Authenticator` within ``BOCAGE_AUTH_CLIENT_CACHE_TTL``.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list
from starlette.responses import JSONResponse

from bocage.core.auth.clients import get_client
from bocage.core.auth.principal import Role
from bocage.core.auth.secrets import dummy_hash, verify_secret
from bocage.core.cache_control import public_caching
from bocage.core.nul import NUL, nul_at, nul_message

if TYPE_CHECKING:
    from starlette.requests import Request

    from bocage.core.auth.keys import Signer
    from bocage.core.auth.models import OAuthClient
    from bocage.core.auth.throttle import FailureThrottle
    from bocage.core.auth.tokens import TokenIssuer
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.auth")

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
FORM = "application/x-www-form-urlencoded"
#: The parameters of the grant; a repeated one is named in the error, any other is not.
PARAMETERS = frozenset({"grant_type", "scope", "client_id", "client_secret"})

#: ``error_description`` of each error authlib raises, whatever authlib's own text: fixed
#: texts, so that no part of the request (grant type, scopes, client id) is ever quoted back.
DESCRIPTIONS = {
    "invalid_client": "Client authentication failed: send the client id and secret of an "
    "active client, with HTTP Basic or as client_id and client_secret in the body.",
    "unsupported_grant_type": "The only grant type is client_credentials.",
    "invalid_scope": "The request asks for scopes the client was not granted: ask for some "
    "of its scopes (`bocage clients list` shows them), or for none to get them all.",
    "unauthorized_client": "The client may not use this grant type.",
}


class Client(ClientMixin):
    """authlib's view of a client: plain data loaded beforehand, no database session."""

    def __init__(
        self,
        client_id: str,
        secret_hash: str,
        scopes: list[str],
        communes: list[str],
        territories: list[str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.secret_hash = secret_hash
        self.scopes = list(scopes)
        self.communes = list(communes)
        self.territories = list(territories or [])

    @classmethod
    def from_row(cls, row: OAuthClient) -> Client:
        return cls(
            row.client_id,
            row.secret_hash,
            row.scopes or [],
            row.communes or [],
            row.territories or [],
        )

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = scope_to_list(scope) or []
        return " ".join(s for s in requested if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class TooManyFailures(OAuth2Error):
    """429: too many failed authentications of these credentials lately (see
    :mod:`bocage.core.auth.throttle`)."""

    error = "too_many_requests"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            description=f"Too many failed client authentications. Retry after {retry_after} s, "
            "with the right client id and secret."
        )
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


class UnknownClient(Client):
    """Stands for a client id that does not exist (or is revoked): its secret never matches,
    after the same amount of hashing as a real check."""

    def __init__(self, client_id: str) -> None:
        super().__init__(client_id, dummy_hash(), [], [])

    def check_client_secret(self, client_secret: str) -> bool:
        verify_secret(client_secret, self.secret_hash)
        return False


class FormPayload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data = dict(pairs)
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """An authlib request built from a Starlette request whose body was already read."""

    def __init__(self, request: Request, pairs: list[tuple[str, str]], *, uri: str) -> None:
        super().__init__(method=request.method, uri=uri, headers=request.headers)
        self.payload = FormPayload(pairs)
        self._query = dict(request.query_params)

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data  # type: ignore[no-any-return]


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        """The requested scopes must all be the client's (no escalation)."""
        requested = set(scope_to_list(self.request.payload.scope) or [])
        if requested - set(self.client.scopes):
            raise InvalidScopeError(description=DESCRIPTIONS["invalid_scope"])


class BocageAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """One per request, holding that request's preloaded clients and the signing key."""

    def __init__(self, clients: dict[str, Client], signer: Signer, issuer: TokenIssuer) -> None:
        super().__init__()
        self.clients = clients
        self.signer = signer
        self.issuer = issuer
        self.register_grant(ClientCredentialsGrant)
        self.register_token_generator("default", self._generate_token)
        #: The outcome of client authentication, for the failure throttle.
        self.client_failed = False
        self.issued_to: str | None = None

    def query_client(self, client_id: str) -> Client:
        return self.clients.get(client_id) or UnknownClient(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to store: the tokens are self-contained signed JWTs."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        logger.debug("oauth2 signal %s", name)

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # built by the endpoint, with the form already read

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> JSONResponse:
        if isinstance(error, InvalidClientError):
            self.client_failed = True
        # invalid_request texts are authlib's or ours, and fixed; the others may quote input.
        error.description = DESCRIPTIONS.get(error.error) or (
            error.description or error.get_error_description()
        )
        return super().handle_error_response(request, error)  # type: ignore[no-any-return]

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        scopes = scope_to_list(scope) if scope else list(client.scopes)
        claims = self.issuer.claims(
            subject=client.client_id,
            client_id=client.client_id,
            roles=[Role.INTEGRATOR],
            communes=client.communes,
            scopes=scopes,
            territories=client.territories,
        )
        self.issued_to = client.client_id
        return {
            "access_token": self.issuer.sign(self.signer, claims),
            "token_type": "Bearer",
            "expires_in": claims["exp"] - claims["iat"],
            "scope": claims["scope"],
        }


def _error(error: OAuth2Error) -> JSONResponse:
    status_code, body, headers = error()
    return JSONResponse(body, status_code=status_code, headers=dict(headers))


def parse_form(body: bytes, max_fields: int) -> list[tuple[str, str]]:
    """The pairs of an ``application/x-www-form-urlencoded`` body, at most ``max_fields``
    of them, each parameter once; :class:`InvalidRequestError` otherwise."""
    try:
        pairs = parse_qsl(
            body.decode(),
            keep_blank_values=True,
            max_num_fields=max_fields,  # counted before splitting: linear in the body
            errors="strict",
        )
    except UnicodeDecodeError:
        raise InvalidRequestError(
            description="The body is not UTF-8 (percent-encoded bytes included)."
        ) from None
    except ValueError:
        raise InvalidRequestError(
            description=f"Send at most {max_fields} form parameters; the grant needs "
            "grant_type, scope, client_id and client_secret at most."
        ) from None
    if (where := nul_at(dict(pairs))) is not None:
        # PostgreSQL can neither store nor compare it: the client lookup would fail.
        # (authlib refuses a backslash in a description: a NUL in a name is shown as NUL)
        name = where.replace("\\u0000", "NUL")
        raise InvalidRequestError(description=nul_message(f"The parameter {name}"))
    repeated = sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
    if repeated:
        ours = [key for key in repeated if key in PARAMETERS]
        raise InvalidRequestError(
            description=f"Repeated parameter: {', '.join(ours)}; send each parameter once."
            if ours
            else "A parameter is repeated; send each parameter once."
        )
    return pairs


def _client_ids(request: Request, pairs: list[tuple[str, str]]) -> list[str]:
    """The client id the request authenticates as (HTTP Basic, or ``client_id`` of the
    body); :class:`InvalidRequestError` for malformed or doubled credentials."""
    try:
        basic_id, basic_secret = extract_basic_authorization(request.headers)
    except UnicodeDecodeError:  # authlib decodes the Basic credentials as strict UTF-8
        raise InvalidRequestError(description="The HTTP Basic credentials are not UTF-8.") from None
    if NUL in (basic_id or "") + (basic_secret or ""):
        raise InvalidRequestError(description=nul_message("The HTTP Basic credentials"))
    form = dict(pairs)
    if basic_id is not None and "client_secret" in form:
        # RFC 6749 §2.3: one authentication method per request (and one secret to check).
        raise InvalidRequestError(
            description="Authenticate once: with HTTP Basic or with client_secret in the "
            "body, not both."
        )
    if basic_id is not None:
        return [basic_id]
    return [form["client_id"]] if form.get("client_id") else []


class TokenEndpoint:
    """``POST /oauth/token``: the client-credentials grant (RFC 6749 §4.4); one per app."""

    def __init__(self, settings: Settings, throttle: FailureThrottle) -> None:
        self.settings = settings
        self.throttle = throttle
        #: The threads authlib's flow (and so the secret check) runs in: its own, few.
        self.limiter = anyio.CapacityLimiter(settings.auth_hash_concurrency)
        dummy_hash()  # made now (once per process), not during the first unknown client's check

    async def handle(self, request: Request) -> JSONResponse:
        """The Starlette endpoint."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM:
            return _error(InvalidRequestError(description=f"Send the parameters as {FORM}."))
        try:
            pairs = parse_form(await request.body(), self.settings.auth_token_max_fields)
            client_ids = _client_ids(request, pairs)
        except InvalidRequestError as error:
            return _error(error)
        address = request.client.host if request.client else "unknown"
        async with self.throttle.attempt(client_ids, address) as attempt:
            if attempt.retry_after is not None:
                return _error(TooManyFailures(attempt.retry_after))
            response, server = await self._respond(request, pairs, client_ids)
            attempt.failed = server.client_failed
            attempt.issued_to = server.issued_to
        return response

    async def _respond(
        self, request: Request, pairs: list[tuple[str, str]], client_ids: list[str]
    ) -> tuple[JSONResponse, BocageAuthorizationServer]:
        state = request.app.state
        # Phase 1 (async): load what authlib will need.
        clients: dict[str, Client] = {}
        if client_ids:
            async with state.sessionmaker() as session:
                for client_id in client_ids:
                    row = await get_client(session, client_id)
                    if row is not None:
                        clients[client_id] = Client.from_row(row)
        signer = await state.keys.signer()

        # Phase 2 (sync, in one of our threads): authlib's flow on the preloaded data.
        uri = str(request.url)
        if self.settings.environment != "production" and request.url.scheme == "http":
            uri = str(request.url.replace(scheme="https"))  # plain HTTP is fine in development
        server = BocageAuthorizationServer(clients, signer, state.issuer)
        try:
            oauth_request = StarletteOAuth2Request(request, pairs, uri=uri)
        except InsecureTransportError as error:
            error.description = "Call the token endpoint over HTTPS."
            return _error(error), server
        response: JSONResponse = await anyio.to_thread.run_sync(
            server.create_token_response, oauth_request, limiter=self.limiter
        )
        return response, server


async def jwks_endpoint(request: Request) -> JSONResponse:
    """``GET /.well-known/jwks.json``: public keys of the built-in issuer (RFC 7517)."""
    keys = request.app.state.keys
    await keys.signer()  # the first key is created on first need, publishing included
    document = await keys.jwks()
    # Verifiers keep the keys as long as rotation allows, not for the data's max-age.
    max_age = max(0, min(300, keys.settings.auth_key_cache_ttl))
    return JSONResponse(
        document,
        media_type="application/jwk-set+json",
        headers=public_caching(request, max_age=max_age),
    )
