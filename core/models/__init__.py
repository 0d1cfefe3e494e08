"""The core domain's tables: territories and communes, stakeholders and contacts, projects,
indicators, and the communes' strategic plans (PST)."""

import bocage.core.auth.models  # noqa: F401 - the OAuth2 server's tables, on the same metadata
from bocage.core.models.audit import AuditEntry, IdempotencyKey
from bocage.core.models.enums import (
    ProjectFocus,
    ProjectStatus,
    StakeholderKind,
    StakeholderNeed,
    StakeholderRole,
)
from bocage.core.models.events import EventRecord, event_scope_commune
from bocage.core.models.jobs import (
    Job,
    JobCursor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from bocage.core.models.media import Media
from bocage.core.models.persisted import PersistedDocument
from bocage.core.models.places import Addressed, Located
from bocage.core.models.projects import (
    Indicator,
    IndicatorValue,
    Project,
    ProjectStakeholder,
    project_commune,
    project_pst_action,
    project_search_text,
)
from bocage.core.models.pst import (
    OperationalObjective,
    PstAction,
    StrategicObjective,
    StrategicPlan,
)
from bocage.core.models.stakeholders import Contact, Stakeholder, stakeholder_commune
from bocage.core.models.territory import Commune, Territory, TerritoryMembership

__all__ = [
    "Addressed",
    "Located",
    "AuditEntry",
    "IdempotencyKey",
    "Commune",
    "Contact",
    "EventRecord",
    "event_scope_commune",
    "Job",
    "JobCursor",
    "PersistedDocument",
    "Media",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "Indicator",
    "IndicatorValue",
    "OperationalObjective",
    "Project",
    "ProjectFocus",
    "ProjectStakeholder",
    "ProjectStatus",
    "PstAction",
    "Stakeholder",
    "StakeholderKind",
    "StakeholderNeed",
    "StakeholderRole",
    "StrategicObjective",
    "StrategicPlan",
    "Territory",
    "TerritoryMembership",
    "project_commune",
    "project_pst_action",
    "project_search_text",
    "stakeholder_commune",
]
