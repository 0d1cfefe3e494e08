"""The survey managers' mutations, through the core's write kit (``mutate``)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import strawberry
from sqlalchemy import column, select, table
from strawberry import relay
from strawberry.types import Info

from bocage.core.api import (
    BadInput,
    Change,
    Code,
    Invalid,
    TranslationsInput,
    check_version,
    column_changes,
    cost,
    mutate,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import publication, store
from bocage.plugins.surveys.definition import QuestionSpec, check_questions
from bocage.plugins.surveys.inputs import (
    CreateSurveyInput,
    InviteToSurveyInput,
    SurveyQuestionInput,
    SurveyVersionInput,
    UpdateSurveyInput,
)
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE
from bocage.plugins.surveys.queries import survey_key
from bocage.plugins.surveys.types import (
    WRITE_COST,
    Survey,
    SurveyInvitationsPayload,
    SurveyInvitationToken,
    SurveyPayload,
    errors_of,
)

STAKEHOLDER_KINDS = sm.STAKEHOLDER_KINDS
NIS = re.compile(r"^\d{5}$")


#: The core's contacts, read through the contract (their organisation only).
CONTACT = table("contact", column("id"), column("stakeholder_id"), column("deleted_at"))


def _key_of(raw: str, type_name: str, field: str) -> int:
    try:
        gid = relay.GlobalID.from_id(str(raw))
        if gid.type_name != type_name:
            raise ValueError
        return int(gid.node_id)
    except Exception:
        raise Invalid(Code.INVALID, f"{raw!r} is not the ID of a {type_name}", field) from None


def _gid(type_name: str, key: int | None) -> strawberry.ID | None:
    return strawberry.ID(relay.to_base64(type_name, key)) if key is not None else None


# -- manager mutations ------------------------------------------------------------------------


def _check_audience(kinds: list[str] | None, communes: list[str] | None) -> None:
    unknown = [k for k in kinds or [] if k not in STAKEHOLDER_KINDS]
    if unknown:
        raise Invalid(
            Code.INVALID,
            f"unknown stakeholder kinds {unknown}: use {', '.join(STAKEHOLDER_KINDS)}",
            "audienceKinds",
        )
    bad = [c for c in communes or [] if not NIS.match(c)]
    if bad:
        raise Invalid(Code.INVALID, f"{bad} are not NIS codes (5 digits)", "audienceCommunes")


def _check_dates(opens_on: dt.date | None, closes_on: dt.date | None) -> None:
    if opens_on and closes_on and closes_on < opens_on:
        raise Invalid(
            Code.INVALID, f"closesOn {closes_on} is before opensOn {opens_on}", "closesOn"
        )


def _check_options(
    anonymous: bool,
    allow_edit: bool,
    quotas: list[dict[str, Any]],
    specs: list[QuestionSpec] | list[sm.Question],
) -> None:
    """Edits until close need an attributed survey; quotas name real segments, once each,
    and an anonymous survey counts them through the question declaring the segment."""
    if allow_edit and anonymous:
        raise Invalid(
            Code.INVALID,
            "allowEdit needs an attributed survey (anonymous: false): nothing may lead from "
            "a token back to an anonymous response",
            "allowEdit",
        )
    seen = set()
    for index, quota in enumerate(quotas):
        where = f"quotas[{index}]"
        segment, value = quota["segment"], quota["value"]
        if (segment, value) in seen:
            raise Invalid(Code.DUPLICATE, f"two quotas for {segment} {value!r}", where)
        seen.add((segment, value))
        if quota["limit"] < 1:
            raise Invalid(Code.INVALID, "a quota's limit is at least 1", where)
        if segment == sm.Segment.STAKEHOLDER_KIND and value not in STAKEHOLDER_KINDS:
            raise Invalid(
                Code.INVALID,
                f"{value!r} is not a stakeholder kind ({', '.join(STAKEHOLDER_KINDS)})",
                where,
            )
        if segment == sm.Segment.COMMUNE and not NIS.match(value):
            raise Invalid(Code.INVALID, f"{value!r} is not a NIS code (5 digits)", where)
        if anonymous and not any(q.segment == segment for q in specs):
            raise Invalid(
                Code.INVALID,
                f"an anonymous survey counts a quota on {segment} through the answers: add a "
                f"single choice question declaring `segment: {sm.Segment(segment).name}`",
                where,
            )


def _specs(questions: list[SurveyQuestionInput]) -> list[QuestionSpec]:
    specs = [q.spec() for q in questions]
    check_questions(specs)
    return specs


def _title(value: TranslationsInput | None, field: str, *, required: bool) -> dict[str, str]:
    texts = value.as_dict() if value is not None else {}
    if required and not texts:
        raise Invalid(Code.REQUIRED, f"{field} needs a text in at least one language", field)
    if any(len(t) > 2000 for t in texts.values()):
        raise Invalid(Code.INVALID, f"{field} is longer than 2000 characters", field)
    return texts


async def _survey_for_change(session: Any, raw_id: str, version: int) -> sm.Survey:
    try:
        key = survey_key(raw_id)
    except BadInput as error:
        raise Invalid(Code.INVALID, str(error), "id") from None
    survey = await session.get(sm.Survey, key)
    if survey is None:
        raise Invalid(Code.NOT_FOUND, "no survey with this ID", "id")
    check_version(survey, version)
    return survey


def _payload(outcome: Any) -> SurveyPayload:
    return SurveyPayload(
        survey=Survey.from_row(outcome.row) if outcome.row else None,
        errors=errors_of(outcome.errors),
    )


#: Which statuses each transition starts from.
TRANSITIONS = {
    sm.SurveyStatus.OPEN: {sm.SurveyStatus.DRAFT, sm.SurveyStatus.CLOSED},
    sm.SurveyStatus.CLOSED: {sm.SurveyStatus.OPEN},
    sm.SurveyStatus.ARCHIVED: {sm.SurveyStatus.DRAFT, sm.SurveyStatus.OPEN, sm.SurveyStatus.CLOSED},
}


async def _transition(
    info: Info[Any, Any], input: SurveyVersionInput, target: sm.SurveyStatus, operation: str
) -> SurveyPayload:
    async def change(session: Any, principal: Any) -> Change:
        survey = await _survey_for_change(session, input.id, input.version)
        if sm.SurveyStatus(survey.status) not in TRANSITIONS[target]:
            raise Invalid(
                Code.INVALID,
                f"a {survey.status} survey cannot become {target.value} (it can from "
                f"{', '.join(sorted(s.value for s in TRANSITIONS[target]))})",
                "id",
            )
        was = sm.SurveyStatus(survey.status)
        survey.status = target.value
        await session.flush()
        changes = column_changes(survey)
        if target is sm.SurveyStatus.OPEN:
            await publication.unpublish(session, survey.id)
        elif was is sm.SurveyStatus.OPEN:
            if survey.anonymous:
                await publication.reshuffle(session, survey.id)
            k = info.context.host.plugin_settings("surveys").min_cell_size
            changes["published_cells"] = {"after": await publication.publish(session, survey, k)}
        return Change(row=survey, action=target.value, changes=changes)

    return _payload(
        await mutate(
            info, permission=SURVEYS_MANAGE, operation=operation, change=change, model=sm.Survey
        )
    )


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Create a draft survey with its questions (permission surveys:manage).",
    )
    async def create_survey(self, info: Info, input: CreateSurveyInput) -> SurveyPayload:
        async def change(session: Any, principal: Any) -> Change:
            title = _title(input.title, "title", required=True)
            intro = _title(input.intro, "intro", required=False)
            _check_audience(input.audience_kinds, input.audience_communes)
            _check_dates(input.opens_on, input.closes_on)
            specs = _specs(input.questions)
            quotas = [q.as_json() for q in input.quotas]
            _check_options(input.anonymous, input.allow_edit, quotas, specs)
            survey = sm.Survey(
                title=title,
                intro=intro,
                status=sm.SurveyStatus.DRAFT.value,
                anonymous=input.anonymous,
                public=input.public,
                audience_kinds=sorted(set(input.audience_kinds)),
                audience_communes=sorted(set(input.audience_communes)),
                opens_on=input.opens_on,
                closes_on=input.closes_on,
                allow_edit=input.allow_edit,
                quotas=quotas,
            )
            session.add(survey)
            await session.flush()
            await store.replace_questions(session, survey, specs)
            changes = column_changes(survey, created=True)
            changes.pop("public_key", None)
            changes["questions"] = {"after": [s.key for s in specs]}
            return Change(row=survey, action="created", changes=changes)

        return _payload(
            await mutate(
                info,
                permission=SURVEYS_MANAGE,
                operation="createSurvey",
                change=change,
                model=sm.Survey,
                idempotency_key=input.idempotency_key,
                request=strawberry.asdict(input),
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Change a survey; new questions once answered make a new version "
        "(permission surveys:manage).",
    )
    async def update_survey(self, info: Info, input: UpdateSurveyInput) -> SurveyPayload:
        async def change(session: Any, principal: Any) -> Change:
            survey = await _survey_for_change(session, input.id, input.version)
            if survey.status in (sm.SurveyStatus.CLOSED.value, sm.SurveyStatus.ARCHIVED.value):
                raise Invalid(
                    Code.INVALID, f"a {survey.status} survey cannot change: reopen it", "id"
                )
            given = lambda value: value is not strawberry.UNSET  # noqa: E731
            if given(input.title):
                survey.title = _title(input.title, "title", required=True)
            if given(input.intro):
                survey.intro = _title(input.intro, "intro", required=False)
            for name in ("anonymous", "public", "allow_edit"):
                value = getattr(input, name)
                if given(value):
                    if value is None:
                        field = "allowEdit" if name == "allow_edit" else name
                        raise Invalid(Code.REQUIRED, f"{field} cannot be null", field)
                    if name == "anonymous" and value != survey.anonymous:
                        if await store.response_count(session, survey.id):
                            raise Invalid(
                                Code.INVALID,
                                "anonymity cannot change once responses exist",
                                "anonymous",
                            )
                    setattr(survey, name, value)
            kinds = input.audience_kinds if given(input.audience_kinds) else None
            communes = input.audience_communes if given(input.audience_communes) else None
            _check_audience(kinds, communes)
            if kinds is not None:
                survey.audience_kinds = sorted(set(kinds))
            if communes is not None:
                survey.audience_communes = sorted(set(communes))
            if given(input.quotas):
                if input.quotas is None:
                    raise Invalid(Code.REQUIRED, "quotas cannot be null: send []", "quotas")
                survey.quotas = [q.as_json() for q in input.quotas]
            if given(input.opens_on):
                survey.opens_on = input.opens_on
            if given(input.closes_on):
                survey.closes_on = input.closes_on
            _check_dates(survey.opens_on, survey.closes_on)
            changes = column_changes(survey)
            if given(input.questions):
                if input.questions is None:
                    raise Invalid(Code.REQUIRED, "questions cannot be null", "questions")
                specs = _specs(input.questions)
                number = await store.replace_questions(session, survey, specs)
                changes["questions"] = {
                    "after": {"version": number, "keys": [s.key for s in specs]}
                }
                survey.updated_at = dt.datetime.now(dt.UTC)
                current: list[Any] = specs
            else:
                question_set = await store.current_set(session, survey.id)
                current = await store.questions_of(session, question_set.id) if question_set else []
            _check_options(survey.anonymous, survey.allow_edit, survey.quotas or [], current)
            await session.flush()
            return Change(row=survey, action="updated", changes=changes)

        return _payload(
            await mutate(
                info,
                permission=SURVEYS_MANAGE,
                operation="updateSurvey",
                change=change,
                model=sm.Survey,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Open a draft or closed survey for answers (permission surveys:manage).",
    )
    async def open_survey(self, info: Info, input: SurveyVersionInput) -> SurveyPayload:
        return await _transition(info, input, sm.SurveyStatus.OPEN, "openSurvey")

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Close an open survey (permission surveys:manage).",
    )
    async def close_survey(self, info: Info, input: SurveyVersionInput) -> SurveyPayload:
        return await _transition(info, input, sm.SurveyStatus.CLOSED, "closeSurvey")

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Archive a survey (permission surveys:manage).",
    )
    async def archive_survey(self, info: Info, input: SurveyVersionInput) -> SurveyPayload:
        return await _transition(info, input, sm.SurveyStatus.ARCHIVED, "archiveSurvey")

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Create invitation tokens, returned once (permission surveys:manage).",
    )
    async def invite_to_survey(
        self, info: Info, input: InviteToSurveyInput
    ) -> SurveyInvitationsPayload:
        issued: list[SurveyInvitationToken] = []

        async def change(session: Any, principal: Any) -> Change:
            issued.clear()
            try:
                key = survey_key(input.survey, "survey")
            except BadInput as error:
                raise Invalid(Code.INVALID, str(error), "survey") from None
            survey = await session.get(sm.Survey, key)
            if survey is None:
                raise Invalid(Code.NOT_FOUND, "no survey with this ID", "survey")
            if survey.status == sm.SurveyStatus.ARCHIVED.value:
                raise Invalid(Code.INVALID, "an archived survey takes no invitations", "survey")
            if not 0 <= input.count <= 10_000:
                raise Invalid(Code.INVALID, "count must be 0 to 10000", "count")
            targets: list[tuple[int | None, int | None]] = [(None, None)] * input.count
            for raw in input.stakeholders:
                targets.append((_key_of(raw, "Stakeholder", "stakeholders"), None))
            contacts = [_key_of(raw, "Contact", "contacts") for raw in input.contacts]
            if contacts:
                # A contact's organisation is invited with them (its kind and communes are
                # the response's segments).
                found = dict(
                    (
                        await session.execute(
                            select(CONTACT.c.id, CONTACT.c.stakeholder_id).where(
                                CONTACT.c.id.in_(contacts), CONTACT.c.deleted_at.is_(None)
                            )
                        )
                    ).all()
                )
                missing = [c for c in contacts if c not in found]
                if missing:
                    raise Invalid(
                        Code.NOT_FOUND, f"{len(missing)} contacts do not exist", "contacts"
                    )
                targets += [(found[c], c) for c in contacts]
            if not targets:
                raise Invalid(
                    Code.REQUIRED, "invite at least one stakeholder, contact or token", "count"
                )
            for stakeholder_id, contact_id in targets:
                token = secrets.token_urlsafe(24)
                session.add(
                    sm.Invitation(
                        survey_id=survey.id,
                        token_hash=store.token_hash(token),
                        stakeholder_id=stakeholder_id,
                        contact_id=contact_id,
                    )
                )
                issued.append(
                    SurveyInvitationToken(
                        token=token,
                        stakeholder=_gid("Stakeholder", stakeholder_id),
                        contact=_gid("Contact", contact_id),
                    )
                )
            try:
                await session.flush()
            except Exception:
                raise Invalid(
                    Code.NOT_FOUND, "a stakeholder in stakeholders does not exist", "stakeholders"
                ) from None
            return Change(
                row=survey, action="invited", changes={"invitations": {"after": len(targets)}}
            )

        outcome = await mutate(
            info,
            permission=SURVEYS_MANAGE,
            operation="inviteToSurvey",
            change=change,
            model=sm.Survey,
        )
        return SurveyInvitationsPayload(
            invitations=issued if not outcome.errors else [], errors=errors_of(outcome.errors)
        )
