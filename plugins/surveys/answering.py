"""Answering a survey: anonymous callers are welcome, so these mutations open the unit of work
themselves instead of ``mutate`` (which refuses them), ask no permission and write no audit
entry, which would tie an anonymous response to a time.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import update
from strawberry.types import Info

from bocage.core.api import Code, Invalid, cost, unit_of_work
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import store
from bocage.plugins.surveys.definition import AnswerValue, QuestionSpec, check_answers
from bocage.plugins.surveys.i18n import translator
from bocage.plugins.surveys.inputs import SaveSurveyDraftInput, SubmitSurveyResponseInput
from bocage.plugins.surveys.types import WRITE_COST, SurveyAnswer, SurveyResponsePayload, errors_of


@strawberry.type
class SurveyAnsweringMutation:
    """Answering: anyone holding an invitation token or a public link."""

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Save answers so far under an invitation token, to resume later.",
    )
    async def save_survey_draft(
        self, info: Info, input: SaveSurveyDraftInput
    ) -> SurveyResponsePayload:
        values = [a.value() for a in input.answers]
        try:
            async with unit_of_work(info) as work:
                session = work.session
                survey, invitation = await store.answering_target(
                    session, token=input.token, public_key=None, language=info.context.language
                )
                assert invitation is not None
                question_set = await store.current_set(session, survey.id)
                assert question_set is not None
                specs = [
                    QuestionSpec.of(q) for q in await store.questions_of(session, question_set.id)
                ]
                errors = check_answers(
                    specs, values, complete=False, language=info.context.language
                )
                if errors:
                    return SurveyResponsePayload(
                        submitted=False, answers=[], errors=errors_of(errors)
                    )
                # Conditional: a submission committed since the invitation was read must not
                # get this draft (the answers) stuck on the used invitation.
                saved: Any = await session.execute(
                    update(sm.Invitation)
                    .where(
                        sm.Invitation.id == invitation.id,
                        *(() if store.editable(survey) else (sm.Invitation.submitted.is_(False),)),
                    )
                    .values(
                        draft_answers={
                            "question_set": question_set.number,
                            "answers": [v.as_json() for v in values],
                        }
                    )
                    .execution_options(synchronize_session=False)
                )
                if saved.rowcount != 1:
                    raise Invalid(
                        Code.DUPLICATE,
                        "a response was already submitted with this invitation",
                        "token",
                    )
        except Invalid as error:
            return SurveyResponsePayload(submitted=False, answers=[], errors=errors_of([error]))
        return SurveyResponsePayload(
            submitted=False, answers=[SurveyAnswer.of(v) for v in values], errors=[]
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Submit a response (once per invitation token), checked against every "
        "question and the skip logic.",
    )
    async def submit_survey_response(
        self, info: Info, input: SubmitSurveyResponseInput
    ) -> SurveyResponsePayload:
        try:
            async with unit_of_work(info) as work:
                session = work.session
                language = info.context.language
                _ = translator(language)
                survey, invitation = await store.answering_target(
                    session, token=input.token, public_key=input.public_key, language=language
                )
                if input.answers is not None:
                    values = [a.value() for a in input.answers]
                elif invitation is not None and invitation.draft_answers:
                    values = [AnswerValue.from_json(a) for a in invitation.draft_answers["answers"]]
                else:
                    raise Invalid(Code.REQUIRED, _("send the answers"), "answers")
                errors = await store.submit(session, survey, invitation, values, language=language)
                if errors:  # found before anything is written
                    return SurveyResponsePayload(
                        submitted=False, answers=[], errors=errors_of(errors)
                    )
        except Invalid as error:
            return SurveyResponsePayload(submitted=False, answers=[], errors=errors_of([error]))
        return SurveyResponsePayload(
            submitted=True, answers=[SurveyAnswer.of(v) for v in values], errors=[]
        )
