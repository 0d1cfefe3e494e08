"""The registrations' GraphQL types, as organisers see them (no personal data), and the
attendance counts. Attendees' names and e-mails are never exposed here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from bocage.core.api import (
    CommuneType,
    Language,
    cost,
    load_one,
)
from bocage.plugins.workshops import store
from bocage.plugins.workshops.graphql.common import (
    core_link,
    gid,
    moved,
)
from bocage.plugins.workshops.graphql.enums import (
    WorkshopsRegistrationStatus,
)
from bocage.plugins.workshops.graphql.events import (
    WorkshopsAudience,
)
from bocage.plugins.workshops.models import (
    Audience,
    Event,
    Registration,
    RegistrationStatus,
)


@strawberry.type(
    name="WorkshopsRegistration",
    description="A registration, as organisers see it (no personal data).",
)
class WorkshopsRegistration:
    row: strawberry.Private[Registration]
    audience: str | None = strawberry.field(description="The audience the attendee belongs to.")

    @strawberry.field(description="The registration's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsRegistration", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="Confirmed, waitlisted or cancelled.")
    def status(self) -> WorkshopsRegistrationStatus:
        return RegistrationStatus(self.row.status)

    @strawberry.field(description="The language of the e-mails to the attendee.")
    def language(self) -> Language:
        return Language(self.row.language or "fr")

    @strawberry.field(description="Whether the attendee was checked in at the door.")
    def checked_in(self) -> bool:
        return self.row.checked_in_at is not None

    @strawberry.field(description="Whether a signed-in person registered (else: anonymously).")
    def signed_in(self) -> bool:
        return self.row.registrant_subject is not None

    commune, home_commune = core_link(
        CommuneType,
        "commune_id",
        now="homeCommune",
        id_description="The attendee's commune (a Commune ID), if given.",
        description="The attendee's commune, if given.",
    )

    @strawberry.field(description="When the registration was made.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(
        description="Place on the waiting list (1 = next), null unless waitlisted.",
        metadata=cost(1),
    )
    async def waitlist_position(self, info: Info) -> int | None:
        if self.row.status != RegistrationStatus.WAITLISTED.value:
            return None
        found = await info.context.execute(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == self.row.event_id,
                Registration.status == RegistrationStatus.WAITLISTED.value,
                Registration.id < self.row.id,
            )
        )
        return int(found.scalar_one()) + 1

    @classmethod
    def from_row(cls, row: Registration) -> WorkshopsRegistration:
        return cls(row=row, audience=row.audience)


@strawberry.type(
    name="WorkshopsAttendanceCount",
    description="Confirmed registrations and check-ins of one commune or one audience.",
)
class WorkshopsAttendanceCount:
    commune_key: strawberry.Private[int | None] = None
    commune: strawberry.ID | None = strawberry.field(
        default=None,
        description="The commune (a Commune ID); null: not given.",
        deprecation_reason=moved("homeCommune"),
    )
    audience: WorkshopsAudience | None = strawberry.field(
        default=None, description="The audience; null: not given."
    )
    registered: int = strawberry.field(default=0, description="Confirmed registrations.")
    checked_in: int = strawberry.field(default=0, description="Of which checked in at the door.")

    @strawberry.field(description="The attendees' commune; null: not given.", metadata=cost(1))
    async def home_commune(self, info: Info) -> CommuneType | None:
        return await load_one(info, CommuneType, self.commune_key)


@strawberry.type(
    name="WorkshopsAttendance",
    description="Attendance for organisers: confirmed registrations and check-ins, in all, "
    "by commune and by audience. Counts only, never people.",
)
class WorkshopsAttendance:
    events: int
    registered: int
    checked_in: int
    by_commune: list[WorkshopsAttendanceCount]
    by_audience: list[WorkshopsAttendanceCount]


async def attendance(info: Info[Any, Any], where: list[Any]) -> WorkshopsAttendance:
    rows = (
        await info.context.execute(
            select(
                Registration.event_id,
                Registration.commune_id,
                Registration.audience,
                Registration.checked_in_at.is_not(None),
                func.count(),
            )
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == RegistrationStatus.CONFIRMED.value,
                Event.deleted_at.is_(None),
                *where,
            )
            .group_by(
                Registration.event_id,
                Registration.commune_id,
                Registration.audience,
                Registration.checked_in_at.is_not(None),
            )
        )
    ).all()
    communes: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    audiences: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    events = set()
    for event_id, commune, audience, present, n in rows:
        events.add(event_id)
        for bucket in (communes[commune], audiences[audience]):
            bucket[0] += n
            bucket[1] += n if present else 0
    return WorkshopsAttendance(
        events=len(events),
        registered=sum(v[0] for v in communes.values()),
        checked_in=sum(v[1] for v in communes.values()),
        by_commune=[
            WorkshopsAttendanceCount(
                commune_key=key, commune=gid("Commune", key), registered=v[0], checked_in=v[1]
            )
            for key, v in sorted(communes.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
        by_audience=[
            WorkshopsAttendanceCount(
                audience=Audience(key) if key else None, registered=v[0], checked_in=v[1]
            )
            for key, v in sorted(audiences.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
    )


async def record_registration(session: Any, type_: str, registration: Registration) -> None:
    """``type_`` (registration.confirmed...) in the event log, in the caller's transaction."""
    await store.record(session, type_, registration)
