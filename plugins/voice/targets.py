"""What people may discuss: the core's projects, and the types other plugins declare with
``bocage_discussion_targets`` (a workshop's challenges once it closed), by global ID."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from strawberry import relay

from bocage.core.api import (
    Code,
    Commune,
    DiscussionState,
    DiscussionTarget,
    Host,
    Invalid,
    Project,
    global_id,
    node_key,
    pick_text,
    project_commune,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def project_state(session: AsyncSession, key: int) -> DiscussionState | None:
    """A project is open for comments and supports while it is not archived."""
    project = (await session.execute(select(Project).where(Project.id == key))).scalar_one_or_none()
    if project is None:
        return None
    codes = (
        await session.execute(
            select(Commune.nis_code)
            .join(project_commune, project_commune.c.commune_id == Commune.id)
            .where(project_commune.c.project_id == key)
        )
    ).scalars()
    archived = project.deleted_at is not None
    return DiscussionState(
        open=not archived,
        title=pick_text(project.title, "fr") or "",
        communes=frozenset(codes),
        closed_reason="the project is archived" if archived else "",
        territory=project.territory_id,
    )


PROJECT = DiscussionTarget("Project", project_state)


def targets(host: Host) -> dict[str, DiscussionTarget]:
    """Every type people may discuss, by GraphQL type name (the first declared wins)."""
    found: dict[str, DiscussionTarget] = {PROJECT.type_name: PROJECT}
    for _, target in host.contributions("bocage_discussion_targets"):
        if isinstance(target, DiscussionTarget):
            found.setdefault(target.type_name, target)
    return found


@dataclass(frozen=True)
class Target:
    """An object people discuss, found: its type, key, global ID and state."""

    type_name: str
    key: int
    state: DiscussionState

    @property
    def id(self) -> str:
        return global_id(self.type_name, self.key)


async def find(session: AsyncSession, host: Host, value: str, field: str = "target") -> Target:
    """The object of the global ID ``value``, or :class:`Invalid` naming ``field``."""
    known = targets(host)
    try:
        type_name = relay.GlobalID.from_id(value).type_name
    except Exception:
        raise Invalid(
            Code.INVALID, f"{value!r} is not an ID: pass the `id` of a {_names(known)}", field
        ) from None
    target = known.get(type_name)
    if target is None:
        raise Invalid(
            Code.INVALID,
            f"a {type_name} cannot be discussed: pass the `id` of a {_names(known)}",
            field,
        )
    key = node_key(value, type_name, field)
    state = await target.state(session, key)
    if state is None:
        raise Invalid(Code.NOT_FOUND, f"no {type_name} has the ID {value!r}", field)
    return Target(type_name, key, state)


def must_be_open(target: Target, field: str = "target") -> None:
    if not target.state.open:
        reason = target.state.closed_reason or "it is closed"
        raise Invalid(
            Code.INVALID, f"this {target.type_name} is not open for comments: {reason}", field
        )


def _names(known: dict[str, DiscussionTarget]) -> str:
    return " or ".join(sorted(known))
