"""The permission of the surveys plugin, next to what it protects."""

from __future__ import annotations

from bocage.core.api import Permission

#: Create, change, open and close surveys, invite respondents, read every result (free text
#: and attributed answers included).
SURVEYS_MANAGE = Permission(
    "surveys:manage",
    "Create, change, open and close surveys, invite respondents, and read all results "
    "(free-text and attributed answers are personal data).",
)
