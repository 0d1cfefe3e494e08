"""The permissions of the workshops plugin, next to what they protect."""

from __future__ import annotations

from bocage.core.api import Permission

#: Create, change, publish and cancel events, their agenda and speakers; see the registrations
#: of events (without the attendees' personal data in GraphQL) and check people in. Checked
#: against the event's commune, so it may be granted to commune editors per commune.
WORKSHOPS_ORGANISE = Permission(
    "workshops:organise",
    "Create, change, publish and cancel events, their agendas and speakers; see their "
    "registrations and check attendees in.",
    per_commune=True,
)

#: Check attendees in at the door with their check-in code (and nothing else).
WORKSHOPS_CHECK_IN = Permission(
    "workshops:check_in", "Check attendees in at the door with their check-in code."
)


#: Run challenge-card workshops: create them, move through the phases, type in paper cards,
#: form groups, merge the selections and promote challenges (with projects:write). Held over
#: a territory's workshops by every holder who belongs to it (``runs_workshop``), commune
#: editors included, who then learn of them in the change feed (``territory_members``).
WORKSHOPS_FACILITATE = Permission(
    "workshops:facilitate",
    "Run challenge-card workshops: phases, paper cards, groups, merging and promoting "
    "challenges (promotion to a project also needs projects:write).",
    territory_members=True,
)

ALL = [WORKSHOPS_ORGANISE, WORKSHOPS_CHECK_IN, WORKSHOPS_FACILITATE]
