"""Tables of the built-in OAuth2 server (its signing keys and its clients) and the permissions
administrators grant to roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, JSONType, utcnow


class SigningKey(Base):
    """A key pair the built-in issuer signs tokens with.

    The newest key without ``retired_at`` signs; every key whose ``expires_at`` is unset or in
    the future verifies (so tokens signed before a rotation stay valid for the grace period).
    The private JWK is stored as is: protect the database and its backups.
    """

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10), default="ES256")
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: No longer signs from this time on (set by a rotation).
    retired_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: No longer verifies from this time on (end of the grace period after a rotation).
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class OAuthClient(Base):
    """A machine client of the token endpoint (client-credentials grant)."""

    __tablename__ = "oauth_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ``scrypt$n$r$p$salt$hash`` (see :mod:`bocage.core.auth.secrets`); never the secret.
    secret_hash: Mapped[str] = mapped_column(String(300))
    #: Scopes the client may ask for (permission codes).
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: NIS codes the client's tokens are restricted to; empty means no restriction.
    communes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Slugs of the territories (GALs) its tokens act for (claim ``territories``); empty: on an
    #: installation of several GALs, those of its communes (none: it reaches nothing).
    territories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PermissionGrant(Base):
    """A permission an administrator granted to a role (``grantPermission``): to every
    principal of the role, or, with a commune, to commune editors for that commune's objects
    only. Grants of the ``BOCAGE_ROLE_PERMISSIONS`` setting are not stored."""

    __tablename__ = "permission_grant"
    __table_args__ = (Index("ix_permission_grant_role", "role", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A :class:`bocage.core.auth.principal.Role` value that takes grants.
    role: Mapped[str] = mapped_column(String(40))
    #: The code of a declared permission, e.g. ``workshops:organise``.
    permission: Mapped[str] = mapped_column(String(100))
    #: Only for this commune's objects; ``None``: wherever the role reaches.
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Who granted it (the administrator's ``sub``).
    granted_by: Mapped[str | None] = mapped_column(String(200), default=None)
