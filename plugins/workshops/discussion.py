"""A workshop's challenges, open for comments and supports once the workshop closed (hook
``bocage_discussion_targets``, read by the voice plugin): the concluding challenges are then
the territory's to discuss; before, they are still being worked on. A challenge belongs to its
workshop's event's commune, if any, else to its workshop's territory (docs/tenancy.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.api import Commune, DiscussionState, DiscussionTarget
from bocage.plugins.workshops.models import CardWorkshop, Challenge, Event, Phase


async def challenge_state(session: Any, key: int) -> DiscussionState | None:
    found = (
        await session.execute(
            select(Challenge, CardWorkshop.phase, CardWorkshop.territory_id, Commune.nis_code)
            .join(CardWorkshop, CardWorkshop.id == Challenge.workshop_id)
            .outerjoin(Event, Event.id == CardWorkshop.event_id)
            .outerjoin(Commune, Commune.id == Event.commune_id)
            .where(Challenge.id == key)
        )
    ).first()
    if found is None:
        return None
    challenge, phase, territory, nis_code = found
    closed = phase == Phase.CLOSED.value
    return DiscussionState(
        open=closed,
        title=challenge.text,
        communes=frozenset([nis_code] if nis_code else []),
        closed_reason="" if closed else "its workshop has not closed yet",
        territory=territory,  # its moderators: its workshop's GAL's
    )


TARGETS = (DiscussionTarget("WorkshopsChallenge", challenge_state),)
