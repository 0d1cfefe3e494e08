"""The built-in issuer's signing keys, kept in the ``signing_key`` table.

The newest key that is not retired signs. ``bocage keys rotate`` makes a new key the signing
key and retires the others: they still verify until their grace period ends (``expires_at``),
so tokens in flight stay valid, and are rejected afterwards. The key set is created on first
need. Each process caches the keys for ``BOCAGE_AUTH_KEY_CACHE_TTL`` seconds and reloads them
early when a token names a key it does not know (at most once per few seconds).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from joserfc.jwk import ECKey, Key, RSAKey, import_key
from sqlalchemy import or_, select, update

from bocage.core.auth.models import SigningKey

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.settings import Settings

Clock = Callable[[], float]

#: Algorithms the built-in issuer can sign with (asymmetric only).
SIGNING_ALGORITHMS = ("ES256", "RS256", "PS256")
#: Shortest time between two reloads caused by tokens naming an unknown key.
RELOAD_INTERVAL = 5.0


def to_datetime(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def generate_key(algorithm: str) -> Key:
    """A new private key for ``algorithm``, its ``kid`` set to its RFC 7638 thumbprint."""
    parameters: dict[str, Any] = {"alg": algorithm, "use": "sig"}
    key: Key
    if algorithm == "ES256":
        key = ECKey.generate_key("P-256", parameters=parameters)  # type: ignore[arg-type]
    elif algorithm in ("RS256", "PS256"):
        key = RSAKey.generate_key(2048, parameters=parameters)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}")
    key.ensure_kid()
    return key


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Key
    #: Unix time after which the key no longer verifies (None: no end yet).
    expires_at: float | None

    def valid_at(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at

    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False, alg=self.algorithm, use="sig", kid=self.kid))


@dataclass(frozen=True)
class Signer:
    kid: str
    algorithm: str
    key: Key


class KeyStore:
    """Loads, creates and rotates the signing keys; caches them per process."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Clock = time.time,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self._lock = asyncio.Lock()
        self._verifying: dict[str, VerificationKey] = {}
        self._signer: Signer | None = None
        self._loaded_at: float | None = None

    # -- reading -------------------------------------------------------------------------------

    def _stale(self) -> bool:
        return (
            self._loaded_at is None
            or self.clock() - self._loaded_at >= self.settings.auth_key_cache_ttl
        )

    async def _load(self) -> None:
        now = self.clock()
        async with self.sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(SigningKey)
                    .where(
                        or_(
                            SigningKey.expires_at.is_(None),
                            SigningKey.expires_at > to_datetime(now),
                        )
                    )
                    .order_by(SigningKey.created_at, SigningKey.kid)
                )
            ).all()
        verifying: dict[str, VerificationKey] = {}
        signer: Signer | None = None
        for row in rows:
            private = import_key(row.private_jwk)
            public = import_key(private.as_dict(private=False))
            verifying[row.kid] = VerificationKey(
                kid=row.kid,
                algorithm=row.algorithm,
                key=public,
                expires_at=row.expires_at.timestamp() if row.expires_at else None,
            )
            if row.retired_at is None:
                signer = Signer(kid=row.kid, algorithm=row.algorithm, key=private)  # newest wins
        self._verifying, self._signer, self._loaded_at = verifying, signer, now

    async def refresh(self) -> None:
        """Forget the cache: the next use reads the table again."""
        self._loaded_at = None

    async def verification_key(self, kid: str) -> VerificationKey | None:
        """The key named ``kid`` if it still verifies now, else None."""
        async with self._lock:
            if self._stale() or (
                kid not in self._verifying
                and self._loaded_at is not None
                and self.clock() - self._loaded_at >= RELOAD_INTERVAL
            ):
                await self._load()
        key = self._verifying.get(kid)
        if key is None or not key.valid_at(self.clock()):
            return None
        return key

    async def verification_keys(self) -> list[VerificationKey]:
        """Every key that verifies now: the signing key and the retired keys in their grace."""
        async with self._lock:
            if self._stale():
                await self._load()
        now = self.clock()
        return [key for key in self._verifying.values() if key.valid_at(now)]

    async def jwks(self) -> dict[str, Any]:
        """The public JWK Set (RFC 7517) of :meth:`verification_keys`."""
        return {"keys": [key.public_jwk() for key in await self.verification_keys()]}

    async def signer(self) -> Signer:
        """The current signing key, created if there is none."""
        async with self._lock:
            if self._stale():
                await self._load()
            if self._signer is None:
                await self._create(self.settings.auth_signing_algorithm)
                await self._load()
        assert self._signer is not None
        return self._signer

    # -- writing -------------------------------------------------------------------------------

    async def _create(self, algorithm: str, session: AsyncSession | None = None) -> str:
        key = generate_key(algorithm)
        row = SigningKey(
            kid=key.kid,
            algorithm=algorithm,
            private_jwk=dict(key.as_dict(private=True)),
            created_at=to_datetime(self.clock()),
        )
        if session is not None:
            session.add(row)
            return row.kid
        async with self.sessionmaker() as new_session, new_session.begin():
            new_session.add(row)
        return row.kid

    def default_grace(self) -> int:
        """Longest life of a token signed by this issuer, plus the clock leeway."""
        return self.settings.auth_token_ttl + self.settings.auth_leeway

    async def rotate(self, grace: float | None = None) -> str:
        """Make a new key the signing key; the others verify for ``grace`` more seconds."""
        grace = self.default_grace() if grace is None else grace
        now = self.clock()
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(SigningKey)
                .where(SigningKey.retired_at.is_(None))
                .values(retired_at=to_datetime(now), expires_at=to_datetime(now + grace))
            )
            kid = await self._create(self.settings.auth_signing_algorithm, session)
        await self.refresh()
        return kid

    async def list(self) -> list[SigningKey]:
        async with self.sessionmaker() as session:
            return list(
                (await session.scalars(select(SigningKey).order_by(SigningKey.created_at))).all()
            )
