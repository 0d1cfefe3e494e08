"""The surveys plugin's GraphQL output types: the survey definition in a generic shape,
answers, payloads and results, and who counts as a survey manager.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    BocageError,
    Invalid,
    NotFound,
    StakeholderType,
    TerritoryType,
    can,
    cost,
    error_codes,
    global_id,
    load_one,
    may_touch_territory,
    translated,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import results as res
from bocage.plugins.surveys import store
from bocage.plugins.surveys.definition import AnswerValue, ConditionOperator
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE

#: The query cost of a mutation (the core's mutations cost the same).
WRITE_COST = 10

strawberry.enum(sm.SurveyStatus, name="SurveyStatus", description="Where a survey is in its life.")
strawberry.enum(
    sm.QuestionType,
    name="SurveyQuestionType",
    description="The kind of a question; tells which answer fields and constraints apply.",
)


strawberry.enum(
    ConditionOperator,
    name="SurveyConditionOperator",
    description="How a skip rule compares an earlier answer with its values.",
)

strawberry.enum(
    sm.Segment,
    name="SurveySegment",
    description="An audience segment: results are broken down by it, quotas are set on it.",
)

# strawberry.enum marks the model enums themselves: the GraphQL enums are those classes (and
# type checkers know them as classes).
SurveyStatus = sm.SurveyStatus
SurveyQuestionType = sm.QuestionType
SurveyConditionOperator = ConditionOperator
SurveySegment = sm.Segment

SurveyErrorCode = error_codes("SurveyErrorCode", "Why a survey mutation failed.")


class Forbidden(BocageError):
    """The caller lacks ``surveys:manage``."""

    # The plugin API exports no Forbidden error; its code is the core's FORBIDDEN.
    code = "FORBIDDEN"  # type: ignore[assignment]


def require_manager(info: Info[Any, Any]) -> None:
    if not is_manager(info):
        raise Forbidden(f"this needs the {SURVEYS_MANAGE.code} permission")


def manages(context: Any) -> bool:
    """Whether the request's caller has ``surveys:manage`` (sees drafts, counts, links)."""
    principal = context.principal
    return not principal.is_anonymous and can(principal, SURVEYS_MANAGE.code)


def is_manager(info: Info[Any, Any]) -> bool:
    return manages(info.context)


def manages_survey(context: Any, survey: sm.Survey) -> bool:
    """Whether the caller manages ``survey``: ``surveys:manage``, and the survey is of one of
    its territories once it is confined to some (docs/tenancy.md); another GAL's manager sees
    it as the public does."""
    return manages(context) and may_touch_territory(context.principal, survey.territory_id)


def require_manager_of(info: Info[Any, Any], survey: sm.Survey | None) -> sm.Survey:
    """``survey``, if the caller manages it; another GAL's is as good as absent."""
    require_manager(info)
    if survey is None or not manages_survey(info.context, survey):
        raise NotFound("no survey with this ID", field="survey")
    return survey


# -- the definition -----------------------------------------------------------------------------


@strawberry.type(description="An option of a question: a choice, a scale point, a column.")
class SurveyOption:
    row: strawberry.Private[Any]
    value: str = strawberry.field(description="What an answer sends for this option.")
    label, label_translations = translated("label", "The option's label.", required=True)


def _options(items: list[dict[str, Any]]) -> list[SurveyOption]:
    return [
        SurveyOption(row=SimpleNamespace(label=item.get("label") or {}), value=item["value"])
        for item in items
    ]


@strawberry.type(description="Skip logic: the question is shown only when this holds.")
class SurveyCondition:
    question: str = strawberry.field(description="The key of the earlier question it reads.")
    operator: SurveyConditionOperator
    values: list[str] = strawberry.field(description="Option values (or one number) compared.")


@strawberry.type(
    description="A question in a generic shape: render it from `type`, `options`, `rows` and "
    "the constraints, whatever its type."
)
class SurveyQuestion:
    row: strawberry.Private[sm.Question]
    key: str = strawberry.field(description="Stable key, used by answers and skip rules.")
    position: int
    type: SurveyQuestionType
    required: bool
    allow_other: bool = strawberry.field(description='Offers "other, please specify".')
    min_selected: int | None = strawberry.field(description="Multiple choice, ranking.")
    max_selected: int | None = strawberry.field(description="Multiple choice, ranking.")
    max_length: int | None = strawberry.field(description="Free text.")
    min_value: float | None = strawberry.field(description="Number.")
    max_value: float | None = strawberry.field(description="Number.")
    segment: SurveySegment | None = strawberry.field(
        description="The answer is the respondent's own segment (anonymous cross-tabulations "
        "and quotas read it)."
    )
    title, title_translations = translated("title", "The question.", required=True)
    help, help_translations = translated("help", "A hint shown with the question.")

    @strawberry.field(
        description="Choices, scale points, items to rank, matrix columns.", metadata=cost(0)
    )
    def options(self) -> list[SurveyOption]:
        return _options(self.row.options or [])

    @strawberry.field(description="The rows of a matrix.", metadata=cost(0))
    def rows(self) -> list[SurveyOption]:
        return _options(self.row.rows or [])

    @strawberry.field(
        description="When the question is shown; null means always.", metadata=cost(0)
    )
    def show_if(self) -> SurveyCondition | None:
        condition = self.row.show_if
        if not condition:
            return None
        return SurveyCondition(
            question=condition["question"],
            operator=SurveyConditionOperator(condition["operator"]),
            values=list(condition.get("values") or []),
        )

    @classmethod
    def from_row(cls, row: sm.Question) -> SurveyQuestion:
        return cls(
            row=row,
            key=row.key,
            position=row.position,
            type=sm.QuestionType(row.type),
            required=row.required,
            allow_other=row.allow_other,
            min_selected=row.min_selected,
            max_selected=row.max_selected,
            max_length=row.max_length,
            min_value=row.min_value,
            max_value=row.max_value,
            segment=sm.Segment(row.segment) if row.segment else None,
        )


@strawberry.type(description="A quota: the segment takes no more responses once full.")
class SurveyQuota:
    segment: SurveySegment
    value: str = strawberry.field(description="The stakeholder kind or the commune's NIS code.")
    limit: int
    full: bool = strawberry.field(
        description="Whether it takes no more responses. In an anonymous survey only the "
        "responses out of the holding pool count: it turns true with a batch, never with one "
        "response (so the quota may be overrun by the responses waiting then)."
    )
    filled: int | None = strawberry.field(
        description="Responses counted against it (survey managers only; null for others). "
        "In an anonymous survey, only responses moved out of the holding pool: the count "
        "grows by batches, never by one respondent's answer."
    )


@strawberry.type(description="A survey: its audience, dates and versioned questions.")
class Survey:
    row: strawberry.Private[sm.Survey]
    status: SurveyStatus
    anonymous: bool = strawberry.field(
        description="Responses are stored with no link to who answered."
    )
    public: bool = strawberry.field(description="Anyone with the public link may answer.")
    audience_kinds: list[str] = strawberry.field(description="Stakeholder kinds it is for.")
    audience_communes: list[str] = strawberry.field(description="NIS codes of its communes.")
    opens_on: dt.date | None
    closes_on: dt.date | None
    allow_edit: bool = strawberry.field(
        description="Invitees may submit again, replacing their answers, until it closes "
        "(attributed surveys only)."
    )
    version: int = strawberry.field(description="Send it back to update (optimistic locking).")
    title, title_translations = translated("title", "The survey's title.", required=True)
    intro, intro_translations = translated("intro", "The text shown before the questions.")

    @strawberry.field(description="Global ID of the survey.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Survey", self.row.id))

    @strawberry.field(
        description="The territory (GAL) it belongs to, whose managers run it.", metadata=cost(1)
    )
    async def territory(self, info: Info) -> TerritoryType | None:
        return await load_one(info, TerritoryType, self.row.territory_id)

    @strawberry.field(
        description="The key of the public link, to answer with `submitSurveyResponse`: "
        "anyone's while a public survey is open; survey managers' always; null otherwise.",
    )
    def public_key(self, info: Info) -> str | None:
        if manages_survey(info.context, self.row):
            return self.row.public_key
        answerable = self.row.public and self.row.status == sm.SurveyStatus.OPEN.value
        return self.row.public_key if answerable else None

    @strawberry.field(
        description="The questions of a version (default: the current one).",
        metadata=cost(1, items=20),
    )
    async def questions(self, info: Info, version: int | None = None) -> list[SurveyQuestion]:
        sets = select(sm.QuestionSet).where(sm.QuestionSet.survey_id == self.row.id)
        if version is None:
            sets = sets.order_by(sm.QuestionSet.number.desc()).limit(1)
        else:
            sets = sets.where(sm.QuestionSet.number == version)
        found = (await info.context.execute(sets)).scalar_one_or_none()
        if found is None:
            return []
        rows = await info.context.execute(
            select(sm.Question)
            .where(sm.Question.question_set_id == found.id)
            .order_by(sm.Question.position, sm.Question.id)
        )
        return [SurveyQuestion.from_row(row) for row in rows.scalars()]

    @strawberry.field(description="The current version of the questions.", metadata=cost(1))
    async def questions_version(self, info: Info) -> int:
        found = await store.current_set(Reader(info), self.row.id)
        return found.number if found else 0

    @strawberry.field(
        description="Quotas per audience segment, and whether each is full.",
        metadata=cost(1, items=5),
    )
    async def quotas(self, info: Info) -> list[SurveyQuota]:
        if not self.row.quotas:
            return []
        # What enforcement counts: stored responses only (see quota_fill).
        filled = await store.quota_fill(Reader(info), self.row)
        manager = manages_survey(info.context, self.row)
        return [
            SurveyQuota(
                segment=sm.Segment(q["segment"]),
                value=q["value"],
                limit=q["limit"],
                full=n >= q["limit"],
                filled=n if manager else None,
            )
            for q, n in zip(self.row.quotas, filled, strict=True)
        ]

    @strawberry.field(
        description="How many responses were submitted (null for the public while under the "
        "minimum cell size: like any count, it would say too much about a few). An anonymous "
        "survey counts only the responses out of the holding pool: the count grows by "
        "batches, never by one response.",
        metadata=cost(1),
    )
    async def response_count(self, info: Info) -> int | None:
        count = await store.response_count(Reader(info), self.row.id)
        k = info.context.host.plugin_settings("surveys").min_cell_size
        return count if count >= k or manages_survey(info.context, self.row) else None

    @classmethod
    def from_row(cls, row: sm.Survey) -> Survey:
        return cls(
            row=row,
            status=sm.SurveyStatus(row.status),
            anonymous=row.anonymous,
            public=row.public,
            audience_kinds=list(row.audience_kinds or []),
            audience_communes=list(row.audience_communes or []),
            opens_on=row.opens_on,
            closes_on=row.closes_on,
            allow_edit=row.allow_edit,
            version=row.version,
        )


class Reader:
    """The request's session seen through ``execute`` (what the store helpers need)."""

    def __init__(self, info: Info[Any, Any]) -> None:
        self.execute = info.context.execute


# -- answers --------------------------------------------------------------------------------


@strawberry.type(description="A matrix answer: the column chosen in a row.")
class SurveyCell:
    row: str
    column: str


@strawberry.type(description="An answer, in the same generic shape as `SurveyAnswerInput`.")
class SurveyAnswer:
    question: str
    choices: list[str] | None
    text: str | None
    number: float | None
    date: dt.date | None
    other: str | None
    cells: list[SurveyCell] | None

    @classmethod
    def of(cls, value: AnswerValue) -> SurveyAnswer:
        return cls(
            question=value.question,
            choices=value.choices,
            text=value.text,
            number=value.number,
            date=value.date,
            other=value.other,
            cells=[SurveyCell(row=r, column=c) for r, c in value.cells.items()]
            if value.cells
            else None,
        )


# -- payloads ---------------------------------------------------------------------------------


@strawberry.type(description="A problem with a survey mutation's input.")
class SurveyError:
    field: str | None = strawberry.field(
        description="The input field at fault; for answers, the key of the question."
    )
    code: SurveyErrorCode  # type: ignore[valid-type]
    message: str = strawberry.field(description="What is wrong and what to do.")


def errors_of(errors: list[Invalid] | None) -> list[SurveyError]:
    return [
        SurveyError(field=e.field, code=SurveyErrorCode[e.code.name], message=e.message)
        for e in errors or []
    ]


@strawberry.type(description="The survey, or the errors that prevented the change.")
class SurveyPayload:
    survey: Survey | None
    errors: list[SurveyError]


@strawberry.type(description="A new invitation token: send it to the invitee, it is shown once.")
class SurveyInvitationToken:
    token: str | None = strawberry.field(
        description="The personal token, to hand to the invitee. Null when the survey is "
        "anonymous and the link was e-mailed: only the invitee holds it then, so nobody else "
        "can answer in their place or ask whether it was used (a sealed invitation)."
    )
    stakeholder: strawberry.ID | None = strawberry.field(
        default=None,
        description="The invited organisation (a Stakeholder ID).",
        deprecation_reason="Use `organisation`: it gives the object (`organisation { id }` is "
        "this ID); this field will be removed in a later release.",
    )
    contact: strawberry.ID | None = strawberry.field(
        default=None, description="The invited person, when invited through a contact."
    )
    emailed: bool = strawberry.field(
        default=False, description="The personal link was e-mailed to the contact."
    )
    stakeholder_key: strawberry.Private[int | None] = None

    @strawberry.field(description="The invited organisation.", metadata=cost(1))
    async def organisation(self, info: Info) -> StakeholderType | None:
        return await load_one(info, StakeholderType, self.stakeholder_key)


@strawberry.type(description="Who was reminded, or the errors that prevented it.")
class SurveyRemindersPayload:
    reminded: int = strawberry.field(
        description="Invitees reminded: e-mails sent (after the commit). In an anonymous "
        "survey, every invitee the run reached, whether or not they had answered (those who "
        "had get no e-mail): the count never tells who answered."
    )
    skipped: int = strawberry.field(
        description="Invitees left out: reminded too recently (in an anonymous survey, whether "
        "or not they have answered)."
    )
    next_reminder_at: dt.datetime | None = strawberry.field(
        description="When the earliest of the skipped invitees may be reminded again."
    )
    errors: list[SurveyError]


@strawberry.type(description="The new invitations, or the errors that prevented them.")
class SurveyInvitationsPayload:
    invitations: list[SurveyInvitationToken]
    skipped: int = strawberry.field(
        description="How many of the people `from` gathers could not be invited: no e-mail "
        "address is known for them (a workshop's paper participants, those who did not "
        "register for its event signed in). Counted, never named."
    )
    errors: list[SurveyError]


@strawberry.type(description="What was saved or submitted, or what is wrong with the answers.")
class SurveyResponsePayload:
    submitted: bool
    answers: list[SurveyAnswer]
    errors: list[SurveyError]


@strawberry.type(description="An invitation's state: its survey and the draft saved so far.")
class SurveyInvitationDraft:
    survey: Survey
    submitted: bool
    editable: bool = strawberry.field(
        description="Submitted, and may be submitted again until the survey closes."
    )
    answers: list[SurveyAnswer]


# -- results ----------------------------------------------------------------------------------


@strawberry.type(description="How many respondents chose an option (null when withheld).")
class SurveyResultCell:
    option: str = strawberry.field(
        description="The option's value; for dates, the month (YYYY-MM) the answers fall in."
    )
    row: str | None = strawberry.field(description="The matrix row, for matrix questions.")
    count: int | None
    percent: float | None = strawberry.field(description="Of the respondents to the question.")
    suppressed: bool = strawberry.field(description="Withheld: under the minimum cell size.")
    mean_position: float | None = strawberry.field(description="Rankings: average position.")


@strawberry.type(description="The results of one question.")
class SurveyQuestionResult:
    key: str
    type: SurveyQuestionType
    respondents: int | None
    cells: list[SurveyResultCell]
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    texts: list[str] | None = strawberry.field(
        description="Free texts and 'other' answers: survey managers only (null for others)."
    )


@strawberry.type(description="A survey's results; `suppressed` when small cells are withheld.")
class SurveyResults:
    respondents: int | None
    suppressed: bool
    min_cell_size: int
    questions: list[SurveyQuestionResult]
    pending: int | None = strawberry.field(
        default=None,
        description="Always null for an anonymous survey (whose responses join these results "
        "in batches of at least BOCAGE_SURVEYS_ANONYMOUS_BATCH_SIZE), 0 otherwise.",
        deprecation_reason="How many anonymous responses wait in the holding pool moved with "
        "each response, which dated it: it is no longer told. `respondents` grows by batches.",
    )


def results_of(result: res.SurveyResult, *, anonymous: bool) -> SurveyResults:
    return SurveyResults(
        pending=None if anonymous else 0,
        respondents=result.respondents,
        suppressed=result.suppressed,
        min_cell_size=result.min_cell_size,
        questions=[
            SurveyQuestionResult(
                key=q.key,
                type=q.type,
                respondents=q.respondents,
                cells=[SurveyResultCell(**vars(c)) for c in q.cells],
                mean=q.mean,
                median=q.median,
                minimum=q.minimum,
                maximum=q.maximum,
                texts=q.texts,
            )
            for q in result.questions
        ],
    )


@strawberry.type(description="A cell of a cross-tabulation (null count when withheld).")
class SurveyCrossTabCell:
    by_option: str = strawberry.field(description="The answer to the `by` question.")
    option: str = strawberry.field(description="The answer to the tabulated question.")
    count: int | None
    percent: float | None = strawberry.field(description="Of the `byOption` group.")
    suppressed: bool


@strawberry.type(description="Where an invitation stands, for reminders (managers only).")
class SurveyInvitationStatus:
    stakeholder: strawberry.ID | None = strawberry.field(
        description="The invited organisation, if the invitation names one.",
        deprecation_reason="Use `organisation`: it gives the object (`organisation { id }` is "
        "this ID); this field will be removed in a later release.",
    )
    contact: strawberry.ID | None = strawberry.field(
        description="The invited person, if invited through a contact (personal data)."
    )
    submitted: bool | None = strawberry.field(
        description="Whether the invitee has answered; null for an anonymous survey, which "
        "never tells (it would say whose answers the next batch holds)."
    )
    has_draft: bool | None = strawberry.field(
        description="Answers were saved but not submitted; null for an anonymous survey (a "
        "draft disappears when submitted)."
    )
    invited_at: dt.datetime
    reminded_at: list[dt.datetime] = strawberry.field(
        description="When the invitee was reminded by e-mail, oldest first. In an anonymous "
        "survey, every reminder run that named the invitee (or everyone), whether or not they "
        "had answered: the e-mail itself went only to those who had not."
    )
    stakeholder_key: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The invited organisation, if the invitation names one.", metadata=cost(1)
    )
    async def organisation(self, info: Info) -> StakeholderType | None:
        return await load_one(info, StakeholderType, self.stakeholder_key)


@strawberry.type(
    description="A submitted response with its answers (survey managers only: answers may be "
    "personal data). Responses come in the order of their random keys, never of submission."
)
class SurveyResponse:
    row: strawberry.Private[sm.Response]
    id: str = strawberry.field(description="The response's random key.")
    submitted_on: dt.date = strawberry.field(
        description="The day only, never the time. An anonymous response has the day the latest "
        "response of its batch was submitted, as every response of that batch does."
    )

    @strawberry.field(description="The version of the questions it answered.", metadata=cost(1))
    async def questions_version(self, info: Info) -> int:
        async def load(ids: Any) -> list[int]:
            rows = await info.context.execute(
                select(sm.QuestionSet.id, sm.QuestionSet.number).where(sm.QuestionSet.id.in_(ids))
            )
            numbers = dict(rows.all())
            return [numbers[i] for i in ids]

        return await info.context.loader("surveys:set-number", load).load(self.row.question_set_id)

    @strawberry.field(description="The answers, as they were sent.", metadata=cost(1, items=10))
    async def answers(self, info: Info) -> list[SurveyAnswer]:
        async def load(ids: Any) -> list[list[AnswerValue]]:
            found = await store.answers_of(Reader(info), list(ids))
            return [found.get(i, []) for i in ids]

        values = await info.context.loader("surveys:answers", load).load(self.row.id)
        return [SurveyAnswer.of(v) for v in values]

    async def _stakeholder_key(self, info: Info) -> int | None:
        async def load(ids: Any) -> list[int | None]:
            rows = await info.context.execute(
                select(sm.Attribution.response_id, sm.Invitation.stakeholder_id)
                .join(sm.Invitation, sm.Invitation.id == sm.Attribution.invitation_id)
                .where(sm.Attribution.response_id.in_(ids))
            )
            found = dict(rows.all())
            return [found.get(i) for i in ids]

        key: int | None = await info.context.loader("surveys:attribution", load).load(self.row.id)
        return key

    @strawberry.field(
        description="Who answered: the invited organisation of an attributed response (null "
        "for anonymous surveys and public-link answers).",
        metadata=cost(1),
        deprecation_reason="Use `organisation`: it gives the object (`organisation { id }` is "
        "this ID); this field will be removed in a later release.",
    )
    async def stakeholder(self, info: Info) -> strawberry.ID | None:
        key = await self._stakeholder_key(info)
        return strawberry.ID(global_id("Stakeholder", key)) if key else None

    @strawberry.field(
        description="Who answered: the invited organisation of an attributed response (null "
        "for anonymous surveys and public-link answers).",
        metadata=cost(1),
    )
    async def organisation(self, info: Info) -> StakeholderType | None:
        return await load_one(info, StakeholderType, await self._stakeholder_key(info))

    @classmethod
    def from_row(cls, row: sm.Response) -> SurveyResponse:
        return cls(row=row, id=row.id, submitted_on=row.submitted_on)
