"""The permissions of the workshops plugin, next to what they protect."""

from __future__ import annotations

from bocage.core.api import Permission

#: Create, change, publish and cancel events, their agenda and speakers; see the registrations
#: of events (without the attendees' personal data in GraphQL) and check people in.
WORKSHOPS_ORGANISE = Permission(
    "workshops:organise",
    "Create, change, publish and cancel events, their agendas and speakers; see their "
    "registrations and check attendees in.",
)

#: Check attendees in at the door with their check-in code (and nothing else).
WORKSHOPS_CHECK_IN = Permission(
    "workshops:check_in", "Check attendees in at the door with their check-in code."
)

ALL = [WORKSHOPS_ORGANISE, WORKSHOPS_CHECK_IN]
