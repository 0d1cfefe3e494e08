"""The permissions of the core domain's writes and personal data, next to the rules they guard
(the adapters that ask for them import them from here)."""

from __future__ import annotations

from bocage.core.hookspecs import Permission

#: Create, change and archive projects, their indicators and measurements.
PROJECTS_WRITE = Permission(
    "projects:write", "Create, change and archive projects and their indicators."
)
#: Create, change and archive organisations.
STAKEHOLDERS_WRITE = Permission("stakeholders:write", "Create, change and archive organisations.")
#: Create, change and archive contacts (personal data).
CONTACTS_WRITE = Permission(
    "contacts:write", "Create, change and archive contacts (personal data)."
)
#: Read contacts (personal data): the events about them need it too.
CONTACTS_READ = Permission("contacts:read", "Read contacts (personal data) of organisations.")
#: Create, change and archive communes (territory administrators only: declared by no one, so
#: it cannot be granted).
COMMUNES_WRITE = Permission("communes:write", "Create, change and archive communes.")
#: Change a commune's PST: plans, objectives and actions.
PST_WRITE = Permission("pst:write", "Change a commune's PST (plans, objectives, actions).")
