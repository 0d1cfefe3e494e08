"""The caller of a request, whatever the token that proved it, and what its roles allow.

Roles (named constants) say what kind of caller it is; ``communes`` and ``stakeholders`` say
which rows a commune editor or a stakeholder member may touch; ``scopes`` say what an
integrator client may do; ``grants`` what the operator granted to its roles.
:func:`bocage.core.auth.policy.can` is the one place where this is decided.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    """What kind of caller; a token may carry several."""

    OPERATOR = "operator"
    """Runs the installation above its territories: every GAL, every object (a network or a
    province hosting several GALs; in a one-GAL installation, the same as its administrators)."""
    TERRITORY_ADMIN = "territory_admin"
    """GAL staff: every commune, every object, the audit trail and personal data of their
    territories (the ``territories`` of their token; see :mod:`bocage.core.auth.tenancy`)."""
    COMMUNE_EDITOR = "commune_editor"
    """A commune's staff: objects of the communes listed in their token only."""
    STAKEHOLDER_MEMBER = "stakeholder_member"
    """A member of an organisation: that organisation and its contacts only."""
    INTEGRATOR = "integrator"
    """A machine client (client credentials): what its scopes allow, in its communes if any."""


class PrincipalKind(enum.StrEnum):
    ANONYMOUS = "anonymous"
    PERSON = "person"
    CLIENT = "client"


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``ANONYMOUS`` is the public: it may read the public API, nothing else."""

    kind: PrincipalKind = PrincipalKind.ANONYMOUS
    subject: str | None = None
    client_id: str | None = None
    roles: frozenset[Role] = frozenset()
    #: NIS codes of the communes a commune editor (or a restricted integrator) acts for.
    communes: frozenset[str] = frozenset()
    #: Database keys of the organisations a stakeholder member belongs to.
    stakeholders: frozenset[int] = frozenset()
    #: OAuth2 scopes, e.g. ``projects:write``.
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: Permissions the operator granted to its roles (``BOCAGE_ROLE_PERMISSIONS``,
    #: ``grantPermission``), as ``(code, NIS code)`` pairs: ``None`` wherever the role reaches,
    #: a NIS code for that commune only (see :mod:`bocage.core.auth.grants`).
    grants: frozenset[tuple[str, str | None]] = field(default_factory=frozenset)
    #: Slugs of the territories (GALs) the token names (claim ``territories``).
    territories: frozenset[str] = frozenset()
    #: The territories (database keys) this principal is confined to, once the installation
    #: holds several (:mod:`bocage.core.auth.tenancy`); ``None``: not confined (one-GAL
    #: installations, operators, the anonymous public and the system's own callers).
    tenancy: frozenset[int] | None = None
    #: NIS codes of the communes that belong to the ``tenancy`` territories now.
    tenant_communes: frozenset[str] = frozenset()

    @property
    def is_anonymous(self) -> bool:
        return self.kind is PrincipalKind.ANONYMOUS

    @property
    def is_admin(self) -> bool:
        """GAL staff or an operator: every permission, over the rows of their territories
        (all rows when not confined: see ``tenancy``)."""
        return Role.TERRITORY_ADMIN in self.roles or Role.OPERATOR in self.roles

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles

    @property
    def confined(self) -> bool:
        """Whether this principal reaches only the rows of its territories."""
        return self.tenancy is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS = Principal()
