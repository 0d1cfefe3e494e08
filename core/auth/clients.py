"""OAuth2 clients of the built-in server: created, listed and revoked by ``bocage clients``."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets as _secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bocage.core.auth.models import OAuthClient
from bocage.core.auth.secrets import hash_secret, new_secret
from bocage.core.auth.tenancy import TERRITORY
from bocage.core.db import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.settings import Settings


class UnknownScope(ValueError):
    """A scope that no enabled plugin declares as a permission."""


class UnknownTerritory(ValueError):
    """A territory slug that names no live territory."""


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str
    """Shown once: only its hash is stored."""
    name: str
    scopes: tuple[str, ...]
    communes: tuple[str, ...]
    territories: tuple[str, ...] = ()


def check_scopes(scopes: Iterable[str], known: Iterable[str]) -> list[str]:
    """``scopes`` deduplicated and sorted; :class:`UnknownScope` names the unknown ones."""
    known_set = set(known)
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in known_set]
    if unknown:
        raise UnknownScope(
            f"unknown scope {', '.join(unknown)}; known scopes: "
            f"{', '.join(sorted(known_set)) or '(none: no plugin declares permissions)'}"
        )
    return wanted


async def create_client(
    session: AsyncSession,
    *,
    name: str,
    scopes: Sequence[str],
    known_scopes: Iterable[str],
    communes: Sequence[str] = (),
    territories: Sequence[str] = (),
) -> NewClient:
    """Add a client; the returned secret is the only copy in clear. ``territories`` (slugs)
    are the GALs it acts for on an installation of several (docs/tenancy.md)."""
    checked = check_scopes(scopes, known_scopes)
    slugs = sorted(set(territories))
    if slugs:
        known = set(
            (
                await session.scalars(
                    select(TERRITORY.c.slug).where(
                        TERRITORY.c.slug.in_(slugs), TERRITORY.c.deleted_at.is_(None)
                    )
                )
            ).all()
        )
        if unknown := [slug for slug in slugs if slug not in known]:
            raise UnknownTerritory(f"no territory {', '.join(unknown)}")
    client_id = "bcl_" + _secrets.token_urlsafe(12)
    secret = new_secret()
    session.add(
        OAuthClient(
            client_id=client_id,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=checked,
            communes=sorted(set(communes)),
            territories=slugs,
        )
    )
    await session.flush()
    return NewClient(
        client_id, secret, name, tuple(checked), tuple(sorted(set(communes))), tuple(slugs)
    )


async def list_clients(session: AsyncSession) -> list[OAuthClient]:
    return list((await session.scalars(select(OAuthClient).order_by(OAuthClient.id))).all())


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    """The client ``client_id`` if it exists and is not revoked."""
    return await session.scalar(
        select(OAuthClient).where(
            OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None)
        )
    )


async def revoke_client(
    session: AsyncSession, client_id: str, *, now: dt.datetime | None = None
) -> bool:
    """Revoke ``client_id``: its secret no longer gets tokens. False if no such active client."""
    client = await get_client(session, client_id)
    if client is None:
        return False
    client.revoked_at = now or utcnow()
    await session.flush()
    return True


class ActiveClients:
    """Whether a client id is active (exists, not revoked), as this worker last read it.

    Each answer is kept ``BOCAGE_AUTH_CLIENT_CACHE_TTL`` seconds, so a revocation reaches
    every worker within that time, at the cost of one small query per client and period.
    Only client ids of validly signed tokens are asked about, so the cache holds at most one
    entry per client that exists."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self._known: dict[str, tuple[bool, float]] = {}
        self._lock = asyncio.Lock()

    def _cached(self, client_id: str) -> bool | None:
        entry = self._known.get(client_id)
        if entry is None or self.clock() - entry[1] >= self.settings.auth_client_cache_ttl:
            return None
        return entry[0]

    async def is_active(self, client_id: str) -> bool:
        active = self._cached(client_id)
        if active is not None:
            return active
        async with self._lock:  # one query per expiry, not one per waiting request
            active = self._cached(client_id)
            if active is None:
                async with self.sessionmaker() as session:
                    found = await session.scalar(
                        select(OAuthClient.id).where(
                            OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None)
                        )
                    )
                active = found is not None
                self._known[client_id] = (active, self.clock())
        return active
