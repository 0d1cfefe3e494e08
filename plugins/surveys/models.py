"""The plugin's tables.

Anonymity is structural: :class:`Response` has no column that could point at a token, a
person, a stakeholder or an address, its key is random and it keeps the day it was submitted,
never the time. Who answered an *attributed* survey lives in :class:`Attribution`, a separate
table that anonymous surveys never write to.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.api import Base, Timestamped, Versioned, personal, utcnow

#: JSON on every engine (lists and small objects; never queried inside).
Json = JSON()


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class QuestionType(enum.StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    FREE_TEXT = "free_text"
    NUMBER = "number"
    SCALE = "scale"
    DATE = "date"
    RANKING = "ranking"
    MATRIX = "matrix"
    #: A heading that answers nothing: its ``show_if`` shows or skips every question up to
    #: the next section.
    SECTION = "section"


class Segment(enum.StrEnum):
    """An audience segment results are broken down by, and quotas are set on."""

    STAKEHOLDER_KIND = "stakeholder_kind"
    COMMUNE = "commune"


#: The stakeholder kinds of the core's domain, which audiences and segments name.
STAKEHOLDER_KINDS = (
    "commune_administration",
    "enterprise",
    "association",
    "citizen_initiative",
    "public_body",
)


def random_key() -> str:
    """A random, unguessable key (responses' IDs, public links)."""
    return secrets.token_urlsafe(16)


class Survey(Timestamped, Versioned, Base):
    __tablename__ = "surveys_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict[str, str]] = mapped_column(Json)
    intro: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=SurveyStatus.DRAFT.value)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Whether anyone holding the public link may answer (else invitations only).
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_key: Mapped[str] = mapped_column(String(40), unique=True, default=random_key)
    audience_kinds: Mapped[list[str]] = mapped_column(Json, default=list)
    audience_communes: Mapped[list[str]] = mapped_column(Json, default=list)
    opens_on: Mapped[dt.date | None] = mapped_column(default=None)
    closes_on: Mapped[dt.date | None] = mapped_column(default=None)
    #: Invitees of an attributed survey may submit again, replacing their answers, until
    #: it closes (an anonymous response cannot be found again: nothing links it to a token).
    allow_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``[{"segment": "stakeholder_kind"|"commune", "value": ..., "limit": n}]``: a segment
    #: takes no more responses once ``limit`` of its respondents have answered.
    quotas: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    #: The territory (GAL) it belongs to: its managers run it, read its drafts, results and
    #: responses once the installation holds several (docs/tenancy.md); ``None``: operators'.
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), default=None, index=True
    )


class QuestionSet(Base):
    """One version of a survey's questions; answers point at the version they answered."""

    __tablename__ = "surveys_question_set"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys_survey.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()


class Question(Base):
    """A question in a generic shape: a type, options and constraints as plain fields."""

    __tablename__ = "surveys_question"
    __table_args__ = (UniqueConstraint("question_set_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_set_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_question_set.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[dict[str, str]] = mapped_column(Json)
    help: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    #: ``[{"value": "a", "label": {"fr": ...}}]``: choices, scale points, ranked items, columns.
    options: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    #: The rows of a matrix, same shape as ``options``.
    rows: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    allow_other: Mapped[bool] = mapped_column(Boolean, default=False)
    min_selected: Mapped[int | None] = mapped_column(default=None)
    max_selected: Mapped[int | None] = mapped_column(default=None)
    max_length: Mapped[int | None] = mapped_column(default=None)
    min_value: Mapped[float | None] = mapped_column(Float, default=None)
    max_value: Mapped[float | None] = mapped_column(Float, default=None)
    #: Skip logic: ``{"question": key, "operator": "equals|not_equals|includes|...",
    #: "values": [...]}``; the question is shown only when it holds.
    show_if: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    #: A single choice question whose answer is the respondent's own segment (a
    #: :class:`Segment` value), for cross-tabulations and quotas of anonymous surveys.
    segment: Mapped[str | None] = mapped_column(String(20), default=None)


class Invitation(Base):
    """A personal invitation. Only a hash of its token is kept, and no time of submission
    (it could be matched with the order in which responses were stored)."""

    __tablename__ = "surveys_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_survey.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stakeholder_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder.id", ondelete="SET NULL"), default=None
    )
    contact_id: Mapped[int | None] = personal(
        ForeignKey("contact.id", ondelete="SET NULL"), default=None
    )
    #: The answers saved so far, until submitted (then cleared).
    draft_answers: Mapped[dict[str, Any] | None] = personal(Json, default=None)
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The invitee's language for e-mails (``fr``, ``nl``, ``de``, ``en``), when known.
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    #: Its current token was only ever e-mailed to the invitee: no survey manager saw it, so
    #: none could answer with it (or ask whether it was used). In an anonymous survey, only
    #: such invitations complete a batch of the holding pool for one another (see pool.py).
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)


class Reminder(Base):
    """When an invitee was reminded by e-mail (reminders go to unsubmitted invitations only)."""

    __tablename__ = "surveys_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_invitation.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PendingResponse(Base):
    """An anonymous response waiting in the holding pool: written by the transaction that
    marks its invitation used, moved to :class:`Response` later by another transaction, in a
    shuffled batch of at least k (see ``pool.py``). Same columns as a response, with its
    answer rows as JSON."""

    __tablename__ = "surveys_pending_response"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=random_key)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_survey.id", ondelete="CASCADE"), index=True
    )
    question_set_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_question_set.id", ondelete="CASCADE")
    )
    submitted_on: Mapped[dt.date] = mapped_column()
    #: The answer rows (``surveys_answer``'s columns but the keys); free texts may name people.
    answer_rows: Mapped[list[dict[str, Any]]] = personal(Json)
    #: Given through a sealed invitation (its token only ever e-mailed to the invitee), not
    #: through a token a manager saw or the public link: whoever made those may have made
    #: many, so they never complete a batch of sealed ones (see pool.py).
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)


class Response(Base):
    """A submitted response. Deliberately nothing that identifies who or when precisely."""

    __tablename__ = "surveys_response"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=random_key)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_survey.id", ondelete="CASCADE"), index=True
    )
    question_set_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_question_set.id", ondelete="CASCADE")
    )
    submitted_on: Mapped[dt.date] = mapped_column()


class Attribution(Base):
    """Who answered an attributed (non-anonymous) survey: personal data."""

    __tablename__ = "surveys_attribution"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("surveys_response.id", ondelete="CASCADE"), primary_key=True
    )
    invitation_id: Mapped[int] = personal(
        ForeignKey("surveys_invitation.id", ondelete="CASCADE"), unique=True
    )


class Answer(Base):
    """One value of a response, in a shape the database can group: a choice (single choice,
    each selected option, scale point, matrix cell, ranked item), a number (number, scale
    value, ranking position), a date, or free text."""

    __tablename__ = "surveys_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("surveys_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_question.id", ondelete="CASCADE"), index=True
    )
    #: The matrix row this value belongs to ("" for other questions).
    row_key: Mapped[str] = mapped_column(String(40), default="")
    choice: Mapped[str | None] = mapped_column(String(40), default=None)
    number: Mapped[float | None] = mapped_column(Float, default=None)
    day: Mapped[dt.date | None] = mapped_column(default=None)
    #: Free text and "other, please specify": may name people, managers only.
    free_text: Mapped[str | None] = personal(Text, default=None)


class PublishedCell(Base):
    """A suppressed aggregate of a closed survey, as published in the open-data catalogue:
    written when the survey closes (withheld cells have no count), removed if it reopens."""

    __tablename__ = "surveys_published_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_survey.id", ondelete="CASCADE"), index=True
    )
    survey_title: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(String(40))
    question_title: Mapped[str] = mapped_column(Text)
    question_type: Mapped[str] = mapped_column(String(20))
    row: Mapped[str | None] = mapped_column(String(40), default=None)
    option: Mapped[str] = mapped_column(String(40))
    option_label: Mapped[str] = mapped_column(Text)
    count: Mapped[int | None] = mapped_column(default=None)
    percent: Mapped[float | None] = mapped_column(Float, default=None)
    suppressed: Mapped[bool] = mapped_column(Boolean)
    respondents: Mapped[int | None] = mapped_column(default=None)
    published_on: Mapped[dt.date] = mapped_column()
