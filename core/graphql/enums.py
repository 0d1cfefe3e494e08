"""The core's vocabularies as GraphQL enums (the model enums, registered with strawberry)."""

from __future__ import annotations

import strawberry

from bocage.core import models as m

ProjectStatus = strawberry.enum(m.ProjectStatus, description="Where a project stands.")
ProjectFocus = strawberry.enum(
    m.ProjectFocus,
    description="The GAL's colour code: COLLABORATION (green: collaboration & participation) "
    "or DIGITAL (blue: digital & technology).",
)
StakeholderKind = strawberry.enum(m.StakeholderKind, description="What kind of organisation.")
StakeholderNeed = strawberry.enum(m.StakeholderNeed, description="What an organisation needs.")
StakeholderRole = strawberry.enum(
    m.StakeholderRole, description="A stakeholder's part in a project."
)
