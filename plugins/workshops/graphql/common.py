"""What the workshops plugin's GraphQL modules share: the error type and its codes, who
counts as an organiser, global IDs and links to core objects, texts checked on input."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy import and_, or_, select
from strawberry.types import Info

from bocage.core.api import (
    BocageError,
    Code,
    Commune,
    CommuneType,
    Invalid,
    can,
    commune_scope,
    cost,
    global_id,
    holds_territories,
    load_one,
)
from bocage.plugins.workshops import notify
from bocage.plugins.workshops.game import Refusal
from bocage.plugins.workshops.models import Event
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE
from bocage.plugins.workshops.settings import workshops_settings

WRITE_COST = 10

# Built (like the core's error_codes()) from the core's codes and the game's refusals.
_ERROR_CODES: type[enum.Enum] = enum.Enum(  # type: ignore[misc]  # members from two enums
    "WorkshopsErrorCode", {member.name: member.value for member in (*Code, *Refusal)}
)
WorkshopsErrorCode = strawberry.enum(
    _ERROR_CODES,
    description="Why a workshops mutation failed: the core's codes, and the challenge-card "
    "workshop's WRONG_PHASE (not in this phase), NOT_PARTICIPANT (join first), LIMIT_REACHED "
    "(too many cards or selections), OWN_CARD (never one's own card), NOT_HELD (a card you or "
    "your group do not hold, or not on the table).",
)


class Forbidden(BocageError):
    # The plugin API exports no Forbidden error; its code is the core's FORBIDDEN.
    code = "FORBIDDEN"  # type: ignore[assignment]


def organises(context: Any) -> bool:
    """Whether the request's caller has ``workshops:organise`` (sees drafts, private speakers)."""
    principal = context.principal
    return not principal.is_anonymous and can(principal, WORKSHOPS_ORGANISE.code)


def is_organiser(info: Info[Any, Any]) -> bool:
    return organises(info.context)


async def organises_event(info: Info[Any, Any], event: Event) -> bool:
    """Whether the caller holds ``workshops:organise`` for ``event``'s commune (or everywhere):
    what its registrations and attendance need, which are personal data. An event without a
    commune is the territory's: only organisers of every commune (of that territory, once the
    installation holds several GALs) see its registrations."""
    if not organises(info.context):
        return False
    return await organises_in(info.context.principal, event, nis_codes(info))


def nis_codes(info: Info[Any, Any]) -> Callable[[int], Awaitable[str | None]]:
    """Reads a commune's NIS code by its key, through the request's loader."""

    async def nis_code(commune_id: int) -> str | None:
        commune = await load_one(info, CommuneType, commune_id)
        return commune.nis_code if commune is not None else None

    return nis_code


async def organises_in(
    principal: Any, event: Event, nis_code: Callable[[int], Awaitable[str | None]]
) -> bool:
    """Whether ``principal``, an organiser, organises in ``event``'s commune (or everywhere);
    ``nis_code(commune_id)`` reads a commune's NIS code. See :func:`organises_event`."""
    scope = commune_scope(principal, WORKSHOPS_ORGANISE.code)
    if scope is None:
        return True
    if event.commune_id is None:
        return event.territory_id in organised_territories(principal)
    return await nis_code(event.commune_id) in scope


def organised_territories(principal: Any) -> frozenset[int]:
    """The territories whose events of no commune ``principal`` organises while it is confined
    to some (``holds_territories``: none for an organiser of some communes only)."""
    return holds_territories(principal, WORKSHOPS_ORGANISE.code) or frozenset()


def organised_events(info: Info[Any, Any]) -> list[Any]:
    """Conditions keeping to the events whose registrations the caller may read (none for an
    organiser of every commune; see :func:`organises_event`)."""
    principal = info.context.principal
    scope = commune_scope(principal, WORKSHOPS_ORGANISE.code)
    if scope is None:
        return []
    communes = select(Commune.id).where(Commune.nis_code.in_(sorted(scope)))
    territories = organised_territories(principal)
    if not territories:
        return [Event.commune_id.in_(communes)]
    of_territory = and_(Event.commune_id.is_(None), Event.territory_id.in_(sorted(territories)))
    return [or_(Event.commune_id.in_(communes), of_territory)]


def within_tenancy(principal: Any) -> Any:
    """The condition keeping to the events of ``principal``'s territories (their communes',
    and their own of no commune), or ``None`` when it is not confined to some: what an
    organiser sees of drafts."""
    if principal.tenancy is None:
        return None
    communes = select(Commune.id).where(Commune.nis_code.in_(sorted(principal.tenant_communes)))
    of_territory = and_(
        Event.commune_id.is_(None), Event.territory_id.in_(sorted(principal.tenancy))
    )
    return or_(Event.commune_id.in_(communes), of_territory)


def not_organiser_of_event() -> Forbidden:
    return Forbidden(
        f"this needs the {WORKSHOPS_ORGANISE.code} permission for the event's commune "
        "(registrations are personal data: an organiser of other communes cannot read them)"
    )


def moved(field: str, *, many: bool = False) -> str:
    """The deprecation of a field that gave a core object's ID: ``field`` gives the object.

    Changing a field's type breaks the clients that select it; adding the object field and
    deprecating the ID one for a release lets them move at their pace (GitHub and Saleor evolve
    their schemas so)."""
    what = (
        "the objects (`{0} {{ id }}` are these IDs)"
        if many
        else "the object (`{0} {{ id }}` is this ID)"
    )
    return (
        f"Use `{field}`: it gives {what.format(field)}; "
        "this field will be removed in a later release."
    )


def core_link(
    node_type: Any, column: str, *, now: str, id_description: str, description: str
) -> tuple[Any, Any]:
    """Two fields for a row's link to a core object (``node_type``, e.g. ``CommuneType``, by
    the key in ``row.<column>``): its global ID, deprecated, and the object, named ``now``."""
    type_name = node_type.__name__

    def linked_id(root: Any) -> strawberry.ID | None:
        return gid(type_name, getattr(root.row, column))

    async def linked(root: Any, info: Info[Any, Any]) -> Any:
        return await load_one(info, node_type, getattr(root.row, column))

    linked.__annotations__ = {"root": Any, "info": Info[Any, Any], "return": node_type | None}
    return (
        strawberry.field(
            resolver=linked_id, description=id_description, deprecation_reason=moved(now)
        ),
        strawberry.field(resolver=linked, description=description, metadata=cost(1)),
    )


def gid(type_name: str, key: int | None) -> strawberry.ID | None:
    return None if key is None else strawberry.ID(global_id(type_name, key))


@strawberry.type(name="WorkshopsError", description="A problem with a workshops mutation's input.")
class WorkshopsError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: WorkshopsErrorCode  # type: ignore[valid-type]  # built from Code and Refusal
    message: str = strawberry.field(description="What is wrong and what to do.")


def error_list(errors: list[Invalid] | None) -> list[WorkshopsError]:
    return [
        WorkshopsError(field=e.field, code=WorkshopsErrorCode[e.code.name], message=e.message)
        for e in errors or []
    ]


def is_given(value: Any) -> bool:
    return value is not strawberry.UNSET


def links_of(info: Info[Any, Any]) -> notify.Links:
    return notify.links_for(workshops_settings(info.context.host), info.context.request)
