"""The input types of the challenge-card workshop's mutations."""

from __future__ import annotations

import strawberry

from bocage.core.api import (
    TranslationsInput,
)
from bocage.plugins.workshops.graphql.cards import (
    WorkshopsCardAxis,
    WorkshopsCardColour,
    WorkshopsPhase,
)


@strawberry.input(description="Minutes of each phase; omitted ones keep their value.")
class WorkshopsPhaseDurationsInput:
    inventory: int | None = None
    inventory_per_commune: int | None = None
    writing: int | None = None
    exchange: int | None = None
    selection: int | None = None
    conclusion: int | None = None


@strawberry.input(description="A new challenge-card workshop (in its SETUP phase).")
class CreateWorkshopsCardWorkshopInput:
    title: TranslationsInput
    event: strawberry.ID | None = strawberry.field(
        default=None, description="The event it takes place at (a WorkshopsEvent ID)."
    )
    territory: strawberry.ID | None = strawberry.field(
        default=None,
        description="For a workshop held without an event, the territory (GAL) it belongs to "
        "(a Territory ID), whose facilitators run it: needed when you work for several (or, "
        "as an operator, when the installation holds several); by default your only one. A "
        "workshop at an event belongs to the event's territory.",
    )
    durations: WorkshopsPhaseDurationsInput | None = strawberry.field(
        default=None,
        description="Minutes per phase; defaults: inventory 5 (+2 per commune), writing 10, "
        "exchange 5, selection 15, conclusion 10.",
    )
    max_cards: int = strawberry.field(default=5, description="Cards per participant (1-10).")
    cards_per_hand: int = strawberry.field(default=3, description="Cards dealt to each (1-6).")
    selection_size: int = strawberry.field(default=5, description="Selections per group (1-10).")


@strawberry.input(description="Change a workshop's settings (only before they are used).")
class UpdateWorkshopsCardWorkshopInput:
    workshop: strawberry.ID
    version: int = strawberry.field(
        description="The workshop's version you read (`version`): a stale one is refused "
        "with CONFLICT, so that two facilitators do not overwrite each other's settings."
    )
    durations: WorkshopsPhaseDurationsInput | None = strawberry.field(
        default=None,
        description="Minutes per phase; changing the current phase's moves its end.",
    )
    max_cards: int | None = None
    cards_per_hand: int | None = None
    selection_size: int | None = None
    territory: strawberry.ID | None = strawberry.field(
        default=None,
        description="Give a workshop held without an event to another territory (GAL): one of "
        "yours (operators: any). A workshop at an event belongs to the event's territory.",
    )


@strawberry.input(description="Join a workshop as the signed-in person.")
class JoinWorkshopsCardWorkshopInput:
    workshop: strawberry.ID
    alias: str = strawberry.field(description="How to appear on screens: a first name...")
    commune: strawberry.ID | None = strawberry.field(default=None, description="A Commune ID.")


@strawberry.input(description="A participant without an account (their cards are on paper).")
class WorkshopsPaperParticipantInput:
    alias: str
    commune: strawberry.ID | None = None


@strawberry.input(description="Participants the facilitator types in.")
class AddWorkshopsParticipantsInput:
    workshop: strawberry.ID
    participants: list[WorkshopsPaperParticipantInput]


@strawberry.input(description="Move the workshop to its next phase.")
class AdvanceWorkshopsCardWorkshopInput:
    workshop: strawberry.ID
    to: WorkshopsPhase = strawberry.field(
        description="The phase to move to: the next one (a double click does not skip one)."
    )


@strawberry.input(description="An existing smart action of a commune.")
class AddWorkshopsInventoryEntryInput:
    workshop: strawberry.ID
    text: str
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the participant's commune."
    )


@strawberry.input(description="Link an inventory entry to a core project, or turn it into one.")
class LinkWorkshopsInventoryEntryInput:
    entry: strawberry.ID
    project: strawberry.ID | None = strawberry.field(
        default=None, description="An existing Project; omit it to create one."
    )
    status: str | None = strawberry.field(
        default=None, description="For a new project: done or in_progress."
    )
    focus: WorkshopsCardColour | None = strawberry.field(
        default=None, description="For a new project: GREEN or BLUE."
    )


@strawberry.input(description="A challenge card you write (round 1).")
class WriteWorkshopsCardInput:
    workshop: strawberry.ID
    colour: WorkshopsCardColour
    axis: WorkshopsCardAxis
    text: str


@strawberry.input(description="A paper card typed in by the facilitator.")
class WorkshopsPaperCardInput:
    participant: strawberry.ID = strawberry.field(description="Its author.")
    colour: WorkshopsCardColour
    axis: WorkshopsCardAxis
    text: str


@strawberry.input(description="Paper cards, typed in by the facilitator in bulk (round 1).")
class AddWorkshopsPaperCardsInput:
    workshop: strawberry.ID
    cards: list[WorkshopsPaperCardInput]


@strawberry.input(description="Swap a card you hold for one on the table (round 2).")
class SwapWorkshopsCardInput:
    give: strawberry.ID = strawberry.field(description="A card you hold.")
    take: strawberry.ID = strawberry.field(description="A card on the table, not yours.")


@strawberry.input(description="Form the groups of round 3: explicit lists, or a count.")
class AssignWorkshopsGroupsInput:
    workshop: strawberry.ID
    groups: list[list[strawberry.ID]] | None = strawberry.field(
        default=None, description="Participant IDs per group."
    )
    count: int | None = strawberry.field(
        default=None, description="Or: this many groups, mixing communes."
    )


@strawberry.input(description="A group's ranked selection of challenges (round 3).")
class SelectWorkshopsChallengesInput:
    workshop: strawberry.ID
    cards: list[strawberry.ID] = strawberry.field(
        description="Cards held by the group's members, best first; replaces the selection."
    )
    group: int | None = strawberry.field(
        default=None, description="Default: your group; facilitators name one."
    )


@strawberry.input(description="De-duplicate: merge challenges into one (conclusion).")
class MergeWorkshopsChallengesInput:
    into: strawberry.ID
    others: list[strawberry.ID]
    text: str | None = strawberry.field(default=None, description="A new wording, if wanted.")


@strawberry.input(description="Make a core project (status idea) of a challenge.")
class PromoteWorkshopsChallengeInput:
    challenge: strawberry.ID
    communes: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Default: the communes of the cards' authors."
    )
    title: TranslationsInput | None = strawberry.field(
        default=None, description="Default: the challenge's text."
    )
