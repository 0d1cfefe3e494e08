"""The surveys plugin's GraphQL input types."""

from __future__ import annotations

import datetime as dt

import strawberry

from bocage.core.api import Language, TranslationsInput
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.definition import AnswerValue, QuestionSpec
from bocage.plugins.surveys.types import (
    SurveyConditionOperator,
    SurveyQuestionType,
    SurveySegment,
)


@strawberry.input(description="A matrix answer: the column chosen in a row.")
class SurveyCellInput:
    row: str
    column: str


@strawberry.input(
    description="An answer to one question. Single/multiple choice: `choices` (and `other` "
    'when "other" is chosen); ranking: `choices` in order; scale and number: `number`; free '
    "text: `text`; date: `date`; matrix: `cells`."
)
class SurveyAnswerInput:
    question: str = strawberry.field(description="The question's key.")
    choices: list[str] | None = None
    text: str | None = None
    number: float | None = None
    date: dt.date | None = None
    other: str | None = None
    cells: list[SurveyCellInput] | None = None

    def value(self) -> AnswerValue:
        return AnswerValue(
            question=self.question,
            choices=self.choices,
            text=self.text,
            number=self.number,
            date=self.date,
            other=self.other,
            cells={c.row: c.column for c in self.cells} if self.cells else None,
        )


# -- manager inputs --------------------------------------------------------------------------


@strawberry.input(description="An option: its value (sent by answers) and label.")
class SurveyOptionInput:
    value: str
    label: TranslationsInput


@strawberry.input(description="Skip logic: show the question only when this holds.")
class SurveyConditionInput:
    question: str = strawberry.field(description="Key of an earlier question.")
    operator: SurveyConditionOperator
    values: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A question; which fields apply depends on `type`.")
class SurveyQuestionInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, _.")
    type: SurveyQuestionType
    title: TranslationsInput
    required: bool = False
    help: TranslationsInput | None = None
    options: list[SurveyOptionInput] = strawberry.field(default_factory=list)
    rows: list[SurveyOptionInput] = strawberry.field(default_factory=list)
    allow_other: bool = False
    min_selected: int | None = None
    max_selected: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    show_if: SurveyConditionInput | None = None
    segment: SurveySegment | None = strawberry.field(
        default=None,
        description="Declares the answer as the respondent's segment (a single choice among "
        "stakeholder kinds or NIS codes): anonymous surveys are broken down and get quotas "
        "by it.",
    )

    def spec(self) -> QuestionSpec:
        return QuestionSpec(
            key=self.key,
            type=sm.QuestionType(self.type.value),
            title=self.title.as_dict(),
            required=self.required,
            help=self.help.as_dict() if self.help else {},
            options=[{"value": o.value, "label": o.label.as_dict()} for o in self.options],
            rows=[{"value": o.value, "label": o.label.as_dict()} for o in self.rows],
            allow_other=self.allow_other,
            min_selected=self.min_selected,
            max_selected=self.max_selected,
            max_length=self.max_length,
            min_value=self.min_value,
            max_value=self.max_value,
            show_if=(
                {
                    "question": self.show_if.question,
                    "operator": self.show_if.operator.value,
                    "values": list(self.show_if.values),
                }
                if self.show_if
                else None
            ),
            segment=self.segment.value if self.segment else None,
        )


@strawberry.input(description="A quota: the segment takes at most `limit` responses.")
class SurveyQuotaInput:
    segment: SurveySegment
    value: str = strawberry.field(description="A stakeholder kind or a commune's NIS code.")
    limit: int

    def as_json(self) -> dict[str, object]:
        return {"segment": self.segment.value, "value": self.value, "limit": self.limit}


@strawberry.input(description="A new survey, created as a draft.")
class CreateSurveyInput:
    title: TranslationsInput
    questions: list[SurveyQuestionInput]
    intro: TranslationsInput | None = None
    anonymous: bool = True
    public: bool = False
    audience_kinds: list[str] = strawberry.field(default_factory=list)
    audience_communes: list[str] = strawberry.field(default_factory=list)
    territory: strawberry.ID | None = strawberry.field(
        default=None,
        description="The territory (GAL) it belongs to (a Territory ID), whose managers run "
        "it: needed when you work for several; by default that of its audience's communes, or "
        "your only one.",
    )
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    allow_edit: bool = strawberry.field(
        default=False,
        description="Invitees may submit again until it closes (attributed surveys only).",
    )
    quotas: list[SurveyQuotaInput] = strawberry.field(default_factory=list)
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string: retrying with the same key returns the same survey.",
    )


@strawberry.input(
    description="Changes to a survey; omitted fields stay. New `questions` once someone has "
    "answered make a new version (old answers keep theirs)."
)
class UpdateSurveyInput:
    id: strawberry.ID
    version: int
    title: TranslationsInput | None = strawberry.UNSET
    intro: TranslationsInput | None = strawberry.UNSET
    anonymous: bool | None = strawberry.UNSET
    public: bool | None = strawberry.UNSET
    audience_kinds: list[str] | None = strawberry.UNSET
    audience_communes: list[str] | None = strawberry.UNSET
    opens_on: dt.date | None = strawberry.UNSET
    closes_on: dt.date | None = strawberry.UNSET
    allow_edit: bool | None = strawberry.UNSET
    quotas: list[SurveyQuotaInput] | None = strawberry.UNSET
    questions: list[SurveyQuestionInput] | None = strawberry.UNSET


@strawberry.input(description="The survey, at the version you read.")
class SurveyVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input(
    description="Whom to invite: organisations, contacts (people: their organisation is "
    "invited through them), the people an object gathers (`from`) and/or a number of loose "
    "tokens."
)
class InviteToSurveyInput:
    survey: strawberry.ID
    stakeholders: list[strawberry.ID] = strawberry.field(default_factory=list)
    contacts: list[strawberry.ID] = strawberry.field(default_factory=list)
    count: int = strawberry.field(default=0, description="Tokens not tied to an organisation.")
    language: Language | None = strawberry.field(
        default=None,
        description="The contacts' language for their e-mails, when known; French otherwise.",
    )
    send_email: bool = strawberry.field(
        default=True,
        description="E-mail each invited contact who has an address their personal link (the "
        "survey must be open); the tokens are returned either way.",
    )
    outside_audience: bool = strawberry.field(
        default=False,
        description="Invite contacts even if their organisation is outside the survey's "
        "audience (kinds, communes); refused otherwise.",
    )
    from_: strawberry.ID | None = strawberry.field(
        default=None,
        name="from",
        description="Also e-mail an invitation to the people an object gathers: the global ID "
        "of an object of a type some plugin declares recipients for (a WorkshopsEvent: its "
        "registrants holding a seat). Needs that plugin's permission for this object (an "
        "organiser of the event's commune); each address is invited once, and the addresses "
        "are never returned. The survey must be open (sendEmail stays true).",
    )


@strawberry.input(
    description="Remind by e-mail the invited contacts who have not submitted: all of them, "
    "or the given `contacts`."
)
class RemindSurveyInviteesInput:
    survey: strawberry.ID
    contacts: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only these invitees (refused if one has answered or was reminded too "
        "recently); omitted: every pending invitee with an address not reminded too recently.",
    )


@strawberry.input(description="Save answers so far under an invitation token (not submitted).")
class SaveSurveyDraftInput:
    token: str
    answers: list[SurveyAnswerInput]


@strawberry.input(
    description="Submit a response: with an invitation `token` (its saved draft if `answers` "
    "is omitted) or anonymously with the survey's `publicKey`."
)
class SubmitSurveyResponseInput:
    token: str | None = None
    public_key: str | None = None
    answers: list[SurveyAnswerInput] | None = None
