"""The surveys plugin's GraphQL queries: surveys, invitations, results and cross-tabs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy import String, cast, or_, select
from strawberry.types import Info

from bocage.core.api import (
    BadInput,
    Before,
    Connection,
    Language,
    Last,
    NodesLanguage,
    NotFound,
    Ordering,
    SortKey,
    cost,
    decode_id,
    global_id,
    paginate_field,
    territory_scope,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import results as res
from bocage.plugins.surveys import store
from bocage.plugins.surveys.definition import AnswerValue
from bocage.plugins.surveys.types import (
    Reader,
    Survey,
    SurveyAnswer,
    SurveyCrossTabCell,
    SurveyInvitationDraft,
    SurveyInvitationStatus,
    SurveyResponse,
    SurveyResults,
    SurveySegment,
    SurveyStatus,
    manages,
    manages_survey,
    require_manager_of,
    results_of,
)

# -- queries ----------------------------------------------------------------------------------

NEWEST_FIRST = Ordering((SortKey(sm.Survey.id, descending=True, load=int),))
#: Responses by their random key: an order that says nothing about when they came.
BY_KEY = Ordering((SortKey(sm.Response.id, descending=False),))


def _audience_includes(audience: Any, value: str) -> Any:
    """The audience list (JSON) names ``value``, or is empty (everyone). ``value`` was checked
    against a closed vocabulary or digits, so it is safe in the pattern on every engine."""
    text = cast(audience, String)
    return or_(text == "[]", text.like(f'%"{value}"%'))


def survey_key(value: str, field: str = "id") -> int:
    return decode_id(value, Survey, field)


async def _survey(info: Info[Any, Any], key: int) -> sm.Survey | None:
    found = await info.context.execute(select(sm.Survey).where(sm.Survey.id == key))
    return found.scalar_one_or_none()


async def visible_survey(info: Info[Any, Any], id: str) -> sm.Survey:
    row = (
        await info.context.execute(select(sm.Survey).where(sm.Survey.id == survey_key(id)))
    ).scalar_one_or_none()
    draft = row is not None and row.status == sm.SurveyStatus.DRAFT.value
    if row is None or (draft and not manages_survey(info.context, row)):
        raise NotFound("no survey with this ID")
    return row


def surveys_source(
    context: Any,
    status: sm.SurveyStatus | None = None,
    audience_kind: str | None = None,
    commune: str | None = None,
    lang: Language | None = None,
) -> tuple[Any, Ordering]:
    """``surveys``: what the resolver pages and the read compiler reads (drafts for survey
    managers only), newest first (``lang``, the language of the texts under the list, orders
    nothing)."""
    query = select(sm.Survey)
    if status is not None:
        query = query.where(sm.Survey.status == status.value)
    if audience_kind is not None:
        if audience_kind not in sm.STAKEHOLDER_KINDS:
            raise BadInput(
                f"audienceKind: one of {', '.join(sm.STAKEHOLDER_KINDS)}", field="audienceKind"
            )
        query = query.where(_audience_includes(sm.Survey.audience_kinds, audience_kind))
    if commune is not None:
        if not (len(commune) == 5 and commune.isdigit()):
            raise BadInput("commune: a NIS code (5 digits, e.g. 64034)", field="commune")
        query = query.where(_audience_includes(sm.Survey.audience_communes, commune))
    published = sm.Survey.status != sm.SurveyStatus.DRAFT.value
    theirs = territory_scope(context.principal)
    if not manages(context):
        query = query.where(published)
    elif theirs is not None:  # drafts of its territories only (docs/tenancy.md)
        query = query.where(or_(published, sm.Survey.territory_id.in_(sorted(theirs))))
    return query, NEWEST_FIRST


@strawberry.type
class SurveyQuery:
    @strawberry.field(
        description="Surveys (drafts for survey managers only), newest first.",
        metadata=cost(1),
    )
    async def surveys(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: SurveyStatus | None = None,
        audience_kind: Annotated[
            str | None,
            strawberry.argument(
                description="Only surveys for this stakeholder kind (or for every kind)."
            ),
        ] = None,
        commune: Annotated[
            str | None,
            strawberry.argument(
                description="Only surveys for this commune's NIS code (or for every commune)."
            ),
        ] = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Survey]:
        return await paginate_field(
            info,
            *surveys_source(
                info.context, status=status, audience_kind=audience_kind, commune=commune
            ),
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
            to_node=Survey.from_row,
        )

    @strawberry.field(description="A survey by ID.", metadata=cost(1))
    async def survey(self, info: Info, id: strawberry.ID) -> Survey:
        return Survey.from_row(await visible_survey(info, id))

    @strawberry.field(
        description="The survey behind a public link (to answer it anonymously).",
        metadata=cost(1),
    )
    async def survey_by_public_key(self, info: Info, public_key: str) -> Survey:
        row = (
            await info.context.execute(select(sm.Survey).where(sm.Survey.public_key == public_key))
        ).scalar_one_or_none()
        if row is None or not row.public or row.status == sm.SurveyStatus.DRAFT.value:
            raise NotFound("no public survey at this link")
        return Survey.from_row(row)

    @strawberry.field(
        description="An invitation's survey and saved draft, to resume answering.",
        metadata=cost(1),
    )
    async def survey_invitation(self, info: Info, token: str) -> SurveyInvitationDraft:
        invitation = (
            await info.context.execute(
                select(sm.Invitation).where(sm.Invitation.token_hash == store.token_hash(token))
            )
        ).scalar_one_or_none()
        if invitation is None:
            raise NotFound("this invitation token is unknown")
        survey = (
            await info.context.execute(
                select(sm.Survey).where(sm.Survey.id == invitation.survey_id)
            )
        ).scalar_one()
        draft = [
            AnswerValue.from_json(a) for a in (invitation.draft_answers or {}).get("answers") or []
        ]
        if invitation.submitted and not draft and not survey.anonymous:
            # An attributed response, to change until close: the invitee's own answers.
            response_id = (
                await info.context.execute(
                    select(sm.Attribution.response_id).where(
                        sm.Attribution.invitation_id == invitation.id
                    )
                )
            ).scalar_one_or_none()
            if response_id is not None:
                draft = (await store.answers_of(Reader(info), [response_id])).get(response_id, [])
        return SurveyInvitationDraft(
            survey=Survey.from_row(survey),
            submitted=invitation.submitted,
            editable=invitation.submitted
            and store.editable(survey)
            and survey.status == sm.SurveyStatus.OPEN.value,
            answers=[SurveyAnswer.of(a) for a in draft],
        )

    @strawberry.field(
        description="A survey's results, computed in the database. The public sees closed "
        "surveys only, with cells under the minimum size withheld; survey managers see "
        "everything, free text included, unless they ask `public: true`.",
        metadata=cost(5),
    )
    async def survey_results(
        self, info: Info, id: strawberry.ID, public: bool = False
    ) -> SurveyResults:
        survey = await visible_survey(info, id)
        manager = manages_survey(info.context, survey)
        if not manager:
            public = True
            if survey.status not in (sm.SurveyStatus.CLOSED.value, sm.SurveyStatus.ARCHIVED.value):
                raise BadInput("results are public once the survey is closed", field="id")
        reader = Reader(info)
        question_set = await store.current_set(reader, survey.id)
        questions = await store.questions_of(reader, question_set.id) if question_set else []
        k = info.context.host.plugin_settings("surveys").min_cell_size
        result = await res.compute(
            reader, survey.id, questions, public=public, k=k, with_texts=manager and not public
        )
        return results_of(result, anonymous=survey.anonymous)

    @strawberry.field(
        description="One choice question broken down by the answers to another (`by`) or by "
        "the respondents' `segment` (stakeholder kind or commune: from the invitation of an "
        "attributed response, from the question declaring the segment otherwise), counted in "
        "the database; same access and suppression rules as `surveyResults`, suppression "
        "running along both groups and options.",
        metadata=cost(5, items=20),
    )
    async def survey_cross_tab(
        self,
        info: Info,
        id: strawberry.ID,
        question: str,
        by: str | None = None,
        segment: SurveySegment | None = None,
        public: bool = False,
    ) -> list[SurveyCrossTabCell]:
        survey = await visible_survey(info, id)
        if not manages_survey(info.context, survey):
            public = True
            if survey.status not in (sm.SurveyStatus.CLOSED.value, sm.SurveyStatus.ARCHIVED.value):
                raise BadInput("results are public once the survey is closed", field="id")
        if (by is None) == (segment is None):
            raise BadInput("give either `by` (a question's key) or `segment`", field="by")
        reader = Reader(info)
        question_set = await store.current_set(reader, survey.id)
        rows = await store.questions_of(reader, question_set.id) if question_set else []
        by_key = {q.key: q for q in rows}
        tabulable = (
            sm.QuestionType.SINGLE_CHOICE.value,
            sm.QuestionType.MULTIPLE_CHOICE.value,
            sm.QuestionType.SCALE.value,
        )
        for name, key in (("question", question), ("by", by)):
            if key is not None and (key not in by_key or by_key[key].type not in tabulable):
                raise BadInput(
                    f"{name}: {key!r} is not a single choice, multiple choice or scale question "
                    "of this survey",
                    field=name,
                )
        if by is not None:
            groups = res.answer_values(survey.id, by)
            by_options = [o["value"] for o in by_key[by].options]
            by_options += ["other"] if by_key[by].allow_other else []
        elif segment is not None:
            kind = sm.Segment(segment.value)
            declaring = next((q for q in rows if q.segment == kind.value), None)
            groups = res.segment_values(
                survey.id,
                kind,
                anonymous=survey.anonymous,
                question_key=declaring.key if declaring else None,
            )
            if groups is None:
                raise BadInput(
                    f"this anonymous survey does not ask the respondents' {kind.value}: add a "
                    f"single choice question with `segment: {kind.name}`",
                    field="segment",
                )
            by_options = (
                [o["value"] for o in declaring.options]
                if declaring
                else list(sm.STAKEHOLDER_KINDS)
                if kind is sm.Segment.STAKEHOLDER_KIND
                else list(survey.audience_communes or [])
            )
        k = info.context.host.plugin_settings("surveys").min_cell_size
        cells = await res.cross_tab(
            reader, survey.id, by_key[question], groups, by_options, public=public, k=k
        )
        return [SurveyCrossTabCell(**vars(c)) for c in cells]

    @strawberry.field(
        description="A survey's responses with their answers (permission surveys:manage: "
        "free text and attributed answers are personal data).",
        metadata=cost(1),
    )
    async def survey_responses(
        self,
        info: Info,
        survey: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[SurveyResponse]:
        key = survey_key(survey, "survey")
        require_manager_of(info, await _survey(info, key))
        return await paginate_field(
            info,
            select(sm.Response).where(sm.Response.survey_id == key),
            BY_KEY,
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
            to_node=SurveyResponse.from_row,
        )

    @strawberry.field(
        description="The invitations of a survey, e.g. `pending: true` for whom to remind "
        "(permission surveys:manage). An anonymous survey never tells who has answered "
        "(`submitted` and `hasDraft` are null, `pending` is refused): remindSurveyInvitees "
        "reaches those who have not.",
        metadata=cost(1, items=100),
    )
    async def survey_invitations(
        self, info: Info, survey: strawberry.ID, pending: bool | None = None
    ) -> list[SurveyInvitationStatus]:
        key = survey_key(survey, "survey")
        anonymous = require_manager_of(info, await _survey(info, key)).anonymous
        if anonymous and pending is not None:
            raise BadInput(
                "this survey is anonymous: it never tells who has answered, so invitations "
                "cannot be filtered by it (drop `pending`; remindSurveyInvitees reaches those "
                "who have not answered)",
                field="pending",
            )
        query = (
            select(sm.Invitation).where(sm.Invitation.survey_id == key).order_by(sm.Invitation.id)
        )
        if pending is not None:
            query = query.where(sm.Invitation.submitted == (not pending))
        rows = list((await info.context.execute(query)).scalars())
        reminded: dict[int, list[dt.datetime]] = {}
        for invitation_id, sent_at in await info.context.execute(
            select(sm.Reminder.invitation_id, sm.Reminder.sent_at)
            .where(sm.Reminder.invitation_id.in_([row.id for row in rows]))
            .order_by(sm.Reminder.sent_at, sm.Reminder.id)
        ):
            reminded.setdefault(invitation_id, []).append(sent_at)
        return [
            SurveyInvitationStatus(
                stakeholder_key=row.stakeholder_id,
                stakeholder=(
                    strawberry.ID(global_id("Stakeholder", row.stakeholder_id))
                    if row.stakeholder_id
                    else None
                ),
                contact=(
                    strawberry.ID(global_id("Contact", row.contact_id)) if row.contact_id else None
                ),
                # Who answered an anonymous survey (a draft is cleared when submitted) would
                # say whose answers the next batch holds.
                submitted=None if anonymous else row.submitted,
                has_draft=None if anonymous else row.draft_answers is not None,
                invited_at=row.created_at,
                reminded_at=reminded.get(row.id, []),
            )
            for row in rows
        ]
