"""Personal data in GraphQL: contacts, readable only with ``contacts:read`` on their
organisation. Every personal field checks again, so no path can reach one unguarded."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.domain.permissions import CONTACTS_READ
from bocage.core.graphql.errors import BocageError, ErrorCode
from bocage.core.graphql.external import ExternallyReferenced
from bocage.core.graphql.limits import cost
from bocage.core.graphql.loaders import by_id, linked
from bocage.core.graphql.nodes import RowType, row_key


class Forbidden(BocageError):
    code = ErrorCode.FORBIDDEN


async def may_read_contacts(info: Info[Any, Any], stakeholder_id: int) -> bool:
    """Whether the caller may read the contacts of this organisation."""
    principal = info.context.principal
    if principal.is_anonymous or not policy.can(principal, CONTACTS_READ.code):
        return False
    if (principal.is_admin and not principal.confined) or stakeholder_id in principal.stakeholders:
        return True
    communes = await linked(
        info.context, m.Commune, m.stakeholder_commune, "stakeholder_id", "commune_id"
    ).load(stakeholder_id)
    return policy.may_touch_stakeholder(principal, stakeholder_id, {c.nis_code for c in communes})


async def guard(info: Info[Any, Any], contact: Contact) -> None:
    if not await may_read_contacts(info, contact.row.stakeholder_id):
        raise Forbidden(
            "contacts are personal data: this needs contacts:read on their organisation"
        )


def _personal(attribute: str, description: str) -> Any:
    async def resolve(root: Contact, info: Info[Any, Any]) -> str | None:
        await guard(info, root)
        return getattr(root.row, attribute)

    return strawberry.field(
        resolver=resolve, description=f"{description} Personal data.", metadata=cost(0)
    )


@strawberry.type(description="A person at an organisation. Personal data: needs contacts:read.")
class Contact(RowType, ExternallyReferenced, relay.Node):
    model = m.Contact
    row: strawberry.Private[m.Contact]
    id: relay.NodeID[int]
    version: int
    given_name = _personal("given_name", "Given name.")
    family_name = _personal("family_name", "Family name.")
    email = _personal("email", "E-mail address.")
    phone = _personal("phone", "Phone number.")
    job_title = _personal("job_title", "Role at the organisation.")

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Any, Any], node_ids: Any, required: bool = False
    ) -> list[Any]:
        keys = []
        for node_id in node_ids:
            try:
                keys.append(row_key(node_id))
            except ValueError:
                keys.append(0)  # names no contact
        rows = await by_id(info.context, m.Contact).load_many(keys)
        return [
            cls.from_row(row)
            if row is not None and await may_read_contacts(info, row.stakeholder_id)
            else None
            for row in rows
        ]


#: GraphQL fields that expose personal columns, for the test that walks the schema.
PERSONAL_FIELDS = {
    ("Contact", f) for f in ("givenName", "familyName", "email", "phone", "jobTitle")
} | {("Media", "uploadedBy")}  # guarded in bocage.core.graphql.media (tests/media)
