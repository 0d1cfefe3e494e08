"""The permission of the surveys plugin, next to what it protects."""

from __future__ import annotations

from bocage.core.api import Permission

#: Create, change, open and close surveys, invite respondents, read every result (free text
#: and attributed answers included). A survey belongs to a territory and to no commune, and
#: every holder who belongs to that territory runs it (``may_touch_territory``), commune
#: editors included, who then learn of it in the change feed too (``territory_members``).
SURVEYS_MANAGE = Permission(
    "surveys:manage",
    "Create, change, open and close surveys, invite respondents, and read all results "
    "(free-text and attributed answers are personal data), for every survey of the GALs one "
    "belongs to (a commune editor's included).",
    territory_members=True,
)
