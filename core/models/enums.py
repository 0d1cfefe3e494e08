"""Controlled vocabularies of the core domain (stored as their string values)."""

from __future__ import annotations

import enum


class StakeholderKind(enum.StrEnum):
    COMMUNE_ADMINISTRATION = "commune_administration"
    ENTERPRISE = "enterprise"
    ASSOCIATION = "association"
    CITIZEN_INITIATIVE = "citizen_initiative"
    PUBLIC_BODY = "public_body"


class StakeholderNeed(enum.StrEnum):
    TRAINING = "training"
    VISIBILITY = "visibility"
    FUNDING = "funding"
    NETWORKING = "networking"
    DIGITAL_TOOLS = "digital_tools"
    VOLUNTEERS = "volunteers"


class ProjectStatus(enum.StrEnum):
    IDEA = "idea"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


class ProjectFocus(enum.StrEnum):
    """The GAL's colour code: green = collaboration & participation, blue = digital."""

    COLLABORATION = "collaboration"
    DIGITAL = "digital"


class StakeholderRole(enum.StrEnum):
    LEAD = "lead"
    PARTNER = "partner"
    FUNDER = "funder"
