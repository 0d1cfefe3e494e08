"""The core's vocabularies as GraphQL enums (the model enums, registered with strawberry)."""

from __future__ import annotations

import strawberry

from bocage.core import models as m

strawberry.enum(m.ProjectStatus, description="Where a project stands.")
strawberry.enum(
    m.ProjectFocus,
    description="The GAL's colour code: COLLABORATION (green: collaboration & participation) "
    "or DIGITAL (blue: digital & technology).",
)
strawberry.enum(m.StakeholderKind, description="What kind of organisation.")
strawberry.enum(m.StakeholderNeed, description="What an organisation needs.")
strawberry.enum(m.StakeholderRole, description="A stakeholder's part in a project.")

# strawberry.enum marks the model enums themselves, so the GraphQL enums are those classes (and
# type checkers know them as classes).
ProjectStatus = m.ProjectStatus
ProjectFocus = m.ProjectFocus
StakeholderKind = m.StakeholderKind
StakeholderNeed = m.StakeholderNeed
StakeholderRole = m.StakeholderRole
