"""Whose comments a moderator moderates once several GALs share the installation
(docs/tenancy.md): those about objects within its reach — of communes of its territories, or,
for an object of no commune, of one of its territories (a project of the GAL itself, the
challenge of a workshop held without an event: ``DiscussionState.territory``). A
moderator that is not confined to some territories (a one-GAL installation, an operator)
moderates every comment, as before.

The reports queue and the moderation log are kept to the comments within reach: the objects
they discuss are found through their discussion targets, one read per object reported (a
moderation queue holds few)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, false, or_, select

from bocage.core.api import (
    Code,
    EventScope,
    Host,
    Invalid,
    Principal,
    commune_scope,
    holds_territories,
)
from bocage.plugins.voice import targets
from bocage.plugins.voice.models import Comment
from bocage.plugins.voice.permissions import VOICE_MODERATE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def scope_of(target: targets.Target) -> EventScope:
    """Where a comment on ``target`` belongs, for its events: the target's communes, or its
    territory when it has none."""
    if target.state.communes:
        return EventScope(communes=target.state.communes)
    return EventScope(territory=target.state.territory)


def in_reach(principal: Principal, target: targets.Target) -> bool:
    """Whether ``principal`` (a moderator) moderates the comments on ``target``: those of its
    communes, or, for an object of no commune, of its territories (``DiscussionState.territory``:
    a project of the GAL, a challenge of a workshop held without an event)."""
    if principal.tenancy is None:
        return True
    scope = commune_scope(principal, VOICE_MODERATE.code)
    if scope is None:
        return True
    if target.state.communes:
        return target.state.communes <= scope
    reached = holds_territories(principal, VOICE_MODERATE.code) or frozenset()
    return target.state.territory in reached


def check(principal: Principal, target: targets.Target) -> None:
    """Refuse to moderate a comment out of reach: as if it were not there."""
    if not in_reach(principal, target):
        raise Invalid(Code.NOT_FOUND, "no VoiceComment has this ID", "comment")


async def comments_in_reach(
    session: AsyncSession, host: Host, principal: Principal, about: Any
) -> Any:
    """The condition on ``Comment.id`` keeping to the comments ``principal`` moderates among
    those ``about`` selects (the keys of reported or moderated comments); ``None`` for all."""
    if principal.tenancy is None or commune_scope(principal, VOICE_MODERATE.code) is None:
        return None
    known = targets.targets(host)
    pairs = await session.execute(
        select(Comment.target_type, Comment.target_key).where(Comment.id.in_(about)).distinct()
    )
    kept: dict[str, list[int]] = defaultdict(list)
    for type_name, key in pairs:
        target = known.get(type_name)
        state = await target.state(session, key) if target is not None else None
        if state is None:
            continue
        if in_reach(principal, targets.Target(type_name, key, state)):
            kept[type_name].append(key)
    if not kept:
        return false()
    return or_(
        *(
            and_(Comment.target_type == type_name, Comment.target_key.in_(keys))
            for type_name, keys in kept.items()
        )
    )
