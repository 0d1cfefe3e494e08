"""Keys of an external OpenID Connect provider (Keycloak, ...), fetched from its JWKS URL.

The JWKS URL is ``BOCAGE_OIDC_JWKS_URL`` or, when unset, the ``jwks_uri`` of the provider's
discovery document (``<issuer>/.well-known/openid-configuration``). Keys are cached for
``BOCAGE_OIDC_JWKS_CACHE_TTL`` seconds; a token naming an unknown ``kid`` (the provider rotated
its keys) triggers a refetch, at most once per ``BOCAGE_OIDC_JWKS_MIN_REFRESH_INTERVAL``
seconds, so that forged ``kid`` values cannot make Bocage hammer the provider.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from joserfc.jwk import Key, import_key

if TYPE_CHECKING:
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.auth")

Clock = Callable[[], float]


class RemoteKeySet:
    """The provider's signing keys by ``kid``."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock = time.time,
    ) -> None:
        assert settings.oidc_issuer
        self.settings = settings
        self.issuer: str = settings.oidc_issuer
        self.clock = clock
        self._client = client
        self._jwks_url: str | None = settings.oidc_jwks_url
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._attempted_at = -math.inf
        self._lock = asyncio.Lock()
        #: Number of JWKS fetches attempted (for tests and metrics).
        self.fetches = 0

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def get(self, kid: str) -> Key | None:
        """The provider's key ``kid``, fetching the key set when stale or when ``kid`` is new."""
        async with self._lock:
            now = self.clock()
            stale = (
                self._fetched_at is None
                or now - self._fetched_at >= self.settings.oidc_jwks_cache_ttl
            )
            may_refetch = now - self._attempted_at >= self.settings.oidc_jwks_min_refresh_interval
            if (stale or kid not in self._keys) and may_refetch:
                await self._fetch()
        return self._keys.get(kid)

    async def _jwks_uri(self) -> str:
        if self._jwks_url is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = await self.client.get(url)
            response.raise_for_status()
            document = response.json()
            if document.get("issuer") != self.issuer:
                raise ValueError(
                    f"discovery document at {url} names issuer {document.get('issuer')!r}, "
                    f"not BOCAGE_OIDC_ISSUER={self.issuer!r}"
                )
            jwks_uri = document.get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise ValueError(f"discovery document at {url} has no jwks_uri")
            self._jwks_url = jwks_uri
        return self._jwks_url

    async def _fetch(self) -> None:
        self._attempted_at = self.clock()
        self.fetches += 1
        try:
            response = await self.client.get(await self._jwks_uri())
            response.raise_for_status()
            keys = self._parse(response.json())
        except (httpx.HTTPError, ValueError) as error:
            # Keep the keys we have: a provider hiccup must not log everybody out.
            logger.warning("could not fetch the OIDC provider's keys: %r", error)
            return
        self._keys = keys
        self._fetched_at = self._attempted_at

    @staticmethod
    def _parse(document: Any) -> dict[str, Key]:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("the JWKS is not an object with a 'keys' list")
        keys: dict[str, Key] = {}
        for item in document["keys"]:
            if not isinstance(item, dict) or not item.get("kid") or item.get("use") == "enc":
                continue
            if item.get("kty") not in ("RSA", "EC", "OKP"):
                continue  # never a symmetric key from a public document
            try:
                keys[item["kid"]] = import_key(item)
            except Exception as error:  # one odd key must not hide the others
                logger.warning("ignoring OIDC key %r: %r", item.get("kid"), error)
        return keys
