"""The enums of events and registrations, as GraphQL shows them."""

from __future__ import annotations

import enum

import strawberry

from bocage.plugins.workshops.models import Audience, EventKind, EventStatus, RegistrationStatus

strawberry.enum(
    EventKind,
    name="WorkshopsEventKind",
    description="What kind of event: a lunch talk (Midi du Smart), a training, a business "
    "breakfast (petit déj' rural), an exchange evening, a commune visit, a workshop.",
)
strawberry.enum(
    EventStatus,
    name="WorkshopsEventStatus",
    description="Drafts are seen by organisers only; cancelled events stay visible.",
)
strawberry.enum(
    Audience,
    name="WorkshopsAudience",
    description="Who an event is for: communes, enterprises, associations & citizen initiatives.",
)
strawberry.enum(
    RegistrationStatus,
    name="WorkshopsRegistrationStatus",
    description="A seat, a place on the waiting list (promoted in order), or cancelled.",
)

# strawberry.enum marks the model enums themselves: the GraphQL enums are those classes (and
# type checkers know them as classes).
WorkshopsEventKind = EventKind
WorkshopsEventStatus = EventStatus
WorkshopsAudience = Audience
WorkshopsRegistrationStatus = RegistrationStatus


@strawberry.enum(
    name="WorkshopsSheetFormat",
    description="The file of an attendance sheet: CSV, XLSX (spreadsheets) or PDF (to print "
    "and sign).",
)
class WorkshopsSheetFormat(enum.Enum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
