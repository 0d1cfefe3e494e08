"""The permissions of the voice plugin, next to what they protect."""

from __future__ import annotations

from bocage.core.api import Permission

#: Read the reports on comments, hide and show comments again (with a reason), read the
#: moderation log. Commenting, supporting and following need only a signed-in person.
VOICE_MODERATE = Permission(
    "voice:moderate",
    "Moderate comments: read reports, hide a comment with a reason or show it again, read the "
    "moderation log.",
)

ALL = [VOICE_MODERATE]
