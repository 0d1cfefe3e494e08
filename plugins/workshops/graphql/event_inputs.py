"""The input types of the events' and registrations' mutations."""

from __future__ import annotations

import datetime as dt

import strawberry

from bocage.core.api import (
    GeoJSON,
    Language,
    TranslationsInput,
)
from bocage.plugins.workshops.graphql.enums import (
    WorkshopsAudience,
    WorkshopsEventKind,
)


@strawberry.input(name="WorkshopsPlaceInput", description="Where an event takes place.")
class PlaceInput:
    address: str | None = None
    commune: strawberry.ID | None = strawberry.field(default=None, description="A Commune ID.")


@strawberry.input(
    name="WorkshopsLocationInput",
    description="The venue on the map: `longitude` and `latitude`, or a GeoJSON `geometry`. "
    "Without one, an event with an `address` and a `commune` is placed by the installation's "
    "geocoder, if it has one (docs/places.md).",
)
class LocationInput:
    longitude: float | None = None
    latitude: float | None = None
    geometry: GeoJSON | None = None


@strawberry.input(description="A new event (a draft until published).")
class CreateWorkshopsEventInput:
    kind: WorkshopsEventKind
    title: TranslationsInput
    starts_at: dt.datetime = strawberry.field(
        description="With an offset, or a wall-clock time in Europe/Brussels."
    )
    ends_at: dt.datetime
    description: TranslationsInput | None = None
    address: str | None = None
    commune: strawberry.ID | None = strawberry.field(default=None, description="A Commune ID.")
    territory: strawberry.ID | None = strawberry.field(
        default=None,
        description="For an event of no commune, the territory (GAL) it belongs to (a "
        "Territory ID): needed when you work for several; by default your only one.",
    )
    online_url: str | None = None
    location: LocationInput | None = strawberry.field(
        default=None, description="The venue on the map (see WorkshopsLocationInput)."
    )
    organiser: strawberry.ID | None = strawberry.field(
        default=None, description="A Stakeholder ID."
    )
    audiences: list[WorkshopsAudience] = strawberry.field(default_factory=list)
    partners: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Partner organisations (Stakeholder IDs)."
    )
    series: str | None = None
    capacity: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Changes to an event; omitted fields stay as they are.")
class UpdateWorkshopsEventInput:
    id: strawberry.ID
    version: int
    kind: WorkshopsEventKind | None = strawberry.UNSET
    title: TranslationsInput | None = strawberry.UNSET
    description: TranslationsInput | None = strawberry.UNSET
    starts_at: dt.datetime | None = strawberry.UNSET
    ends_at: dt.datetime | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    commune: strawberry.ID | None = strawberry.UNSET
    territory: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="For an event of no commune, the territory it belongs to (a Territory ID).",
    )
    online_url: str | None = strawberry.UNSET
    location: LocationInput | None = strawberry.field(
        default=strawberry.UNSET, description="The venue on the map; null removes it."
    )
    organiser: strawberry.ID | None = strawberry.UNSET
    audiences: list[WorkshopsAudience] | None = strawberry.UNSET
    partners: list[strawberry.ID] | None = strawberry.UNSET
    series: str | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET


@strawberry.input(description="An event at the version you read.")
class WorkshopsEventVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="A timed item of an event's agenda.")
class AddWorkshopsAgendaItemInput:
    event: strawberry.ID
    starts_at: dt.datetime
    title: TranslationsInput
    ends_at: dt.datetime | None = None
    speaker: strawberry.ID | None = strawberry.field(
        default=None, description="A WorkshopsSpeaker ID of the same event."
    )


@strawberry.input(description="A speaker of an event.")
class AddWorkshopsSpeakerInput:
    event: strawberry.ID
    name: str
    role: TranslationsInput | None = None
    organisation: str | None = None
    stakeholder: strawberry.ID | None = strawberry.field(
        default=None, description="A Stakeholder ID."
    )
    public: bool = strawberry.field(
        default=False, description="The speaker agreed to a public profile."
    )


@strawberry.input(description="A registration: sign in, or give a name and an e-mail.")
class RegisterForWorkshopsEventInput:
    event: strawberry.ID
    name: str | None = strawberry.field(default=None, description="Required when anonymous.")
    email: str | None = strawberry.field(default=None, description="Required when anonymous.")
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="The attendee's commune (a Commune ID), for the statistics."
    )
    audience: WorkshopsAudience | None = None
    language: Language | None = strawberry.field(
        default=None,
        description="The language of the e-mails (confirmation, waiting list, changes); "
        "default: the request's (Accept-Language), else fr.",
    )


@strawberry.input(description="The secret token received when registering.")
class CancelWorkshopsRegistrationInput:
    token: str


@strawberry.input(description="A check-in code shown at the door.")
class CheckInWorkshopsRegistrationInput:
    event: strawberry.ID
    code: str
