"""What the workshops plugin's GraphQL modules share: the error type and its codes, who
counts as an organiser, global IDs and links to core objects, texts checked on input."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy import select
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
    commune is the territory's: only organisers of every commune see its registrations."""
    if not organises(info.context):
        return False

    async def nis_code(commune_id: int) -> str | None:
        commune = await load_one(info, CommuneType, commune_id)
        return commune.nis_code if commune is not None else None

    return await organises_in(info.context.principal, event, nis_code)


async def organises_in(
    principal: Any, event: Event, nis_code: Callable[[int], Awaitable[str | None]]
) -> bool:
    """Whether ``principal``, an organiser, organises in ``event``'s commune (or everywhere);
    ``nis_code(commune_id)`` reads a commune's NIS code. See :func:`organises_event`."""
    scope = commune_scope(principal, WORKSHOPS_ORGANISE.code)
    if scope is None:
        return True
    if event.commune_id is None:
        return False
    return await nis_code(event.commune_id) in scope


def organised_events(info: Info[Any, Any]) -> list[Any]:
    """Conditions keeping to the events whose registrations the caller may read (none for an
    organiser of every commune; see :func:`organises_event`)."""
    scope = commune_scope(info.context.principal, WORKSHOPS_ORGANISE.code)
    if scope is None:
        return []
    communes = select(Commune.id).where(Commune.nis_code.in_(sorted(scope)))
    return [Event.commune_id.in_(communes)]


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
