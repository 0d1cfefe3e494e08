"""The survey managers' mutations, through the core's write kit (``mutate``)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy import column, select, table
from strawberry.types import Info

from bocage.core.api import (
    BadInput,
    Change,
    Code,
    Host,
    Invalid,
    RecipientSource,
    TranslationsInput,
    can,
    check_version,
    column_changes,
    cost,
    global_id,
    input_texts,
    may_touch_territory,
    mutate,
    node_key,
    territory_of_new_row,
    utcnow,
)
from bocage.plugins.surveys import lifecycle, pool, publication, reminders, store
from bocage.plugins.surveys import mail as survey_mail
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.definition import QuestionSpec, check_questions
from bocage.plugins.surveys.inputs import (
    CreateSurveyInput,
    InviteToSurveyInput,
    RemindSurveyInviteesInput,
    SurveyQuestionInput,
    SurveyVersionInput,
    UpdateSurveyInput,
)
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE
from bocage.plugins.surveys.queries import survey_key
from bocage.plugins.surveys.settings import surveys_settings
from bocage.plugins.surveys.types import (
    WRITE_COST,
    Survey,
    SurveyInvitationsPayload,
    SurveyInvitationToken,
    SurveyPayload,
    SurveyRemindersPayload,
    errors_of,
)

STAKEHOLDER_KINDS = sm.STAKEHOLDER_KINDS
NIS = re.compile(r"^\d{5}$")


#: The core's contacts, read through the contract (their organisation only).
CONTACT = table(
    "contact",
    column("id"),
    column("stakeholder_id"),
    column("deleted_at"),
    column("email"),
    column("given_name"),
)


def _gid(type_name: str, key: int | None) -> strawberry.ID | None:
    return strawberry.ID(global_id(type_name, key)) if key is not None else None


@dataclass(frozen=True)
class _Target:
    """One invitation to make: its organisation, contact, and where to e-mail it (with the
    invitee's name and language), each when known."""

    stakeholder_id: int | None = None
    contact_id: int | None = None
    address: str | None = None
    name: str = ""
    language: str | None = None


async def _targets_from(
    host: Host,
    session: Any,
    principal: Any,
    value: Any,
    invited: list[_Target],
    language: str | None,
) -> tuple[list[_Target], int]:
    """The invitations to e-mail to the people the object ``value`` (a global ID) gathers,
    through the recipient source some plugin declares for its type (hook
    ``bocage_recipient_sources``): one per address not already among ``invited``; and how
    many of them have no address (skipped: counted, never named)."""
    sources: dict[str, RecipientSource] = {}
    for _, source in host.contributions("bocage_recipient_sources"):
        sources.setdefault(source.type_name, source)
    if not sources:
        raise Invalid(
            Code.INVALID, "no plugin declares people to invite from an object: drop `from`", "from"
        )
    found: tuple[RecipientSource, int] | None = None
    for type_name, source in sources.items():
        try:
            found = (source, node_key(value, type_name, "from"))
            break
        except Invalid:
            continue
    if found is None:
        raise Invalid(
            Code.INVALID,
            f"from: {value!r} is not the ID of an object whose people can be invited; pass the "
            f"`id` of a {' or '.join(sorted(sources))}",
            "from",
        )
    source, key = found
    if not can(principal, source.permission):
        raise Invalid(
            Code.FORBIDDEN,
            f"inviting the people of a {source.type_name} needs the {source.permission} permission",
            "from",
        )
    seen = {t.address.strip().lower() for t in invited if t.address}
    targets = []
    skipped = 0
    for recipient in await source.recipients(session, principal, key):
        address = (recipient.email or "").strip()
        if not address:
            skipped += 1
            continue
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        targets.append(
            _Target(
                recipient.stakeholder_id,
                None,
                address,
                recipient.name or "",
                recipient.language or language,
            )
        )
    if not targets:
        without = f" ({skipped} without an e-mail address)" if skipped else ""
        raise Invalid(
            Code.INVALID,
            f"this {source.type_name} gathers nobody with an address who is not already "
            f"invited{without}: nothing to send",
            "from",
        )
    return targets, skipped


#: The core's organisations and where they act, read through the contract.
STAKEHOLDER = table("stakeholder", column("id"), column("kind"), column("name"))
STAKEHOLDER_COMMUNE = table("stakeholder_commune", column("stakeholder_id"), column("commune_id"))
COMMUNE = table("commune", column("id"), column("nis_code"))


async def _check_in_audience(
    session: Any, survey: sm.Survey, contacts: list[int], organisation_of: dict[int, int]
) -> None:
    """Refuse a contact whose organisation is not of the audience's kinds or acts in none of
    its communes (an audience without kinds or communes is everyone)."""
    kinds, communes = set(survey.audience_kinds or []), set(survey.audience_communes or [])
    if not kinds and not communes:
        return
    organisations = set(organisation_of.values())
    rows = await session.execute(
        select(STAKEHOLDER.c.id, STAKEHOLDER.c.kind, STAKEHOLDER.c.name).where(
            STAKEHOLDER.c.id.in_(organisations)
        )
    )
    about = {row.id: (str(row.kind), row.name) for row in rows}
    acts_in: dict[int, set[str]] = {}
    for stakeholder_id, nis in await session.execute(
        select(STAKEHOLDER_COMMUNE.c.stakeholder_id, COMMUNE.c.nis_code)
        .join(COMMUNE, COMMUNE.c.id == STAKEHOLDER_COMMUNE.c.commune_id)
        .where(STAKEHOLDER_COMMUNE.c.stakeholder_id.in_(organisations))
    ):
        acts_in.setdefault(stakeholder_id, set()).add(str(nis))
    for contact in contacts:
        organisation = organisation_of[contact]
        kind, name = about.get(organisation, ("unknown", "?"))
        why = []
        if kinds and kind not in kinds:
            why.append(f"it is {kind!r}, the audience is {', '.join(sorted(kinds))}")
        if communes and not acts_in.get(organisation, set()) & communes:
            why.append(
                f"it acts in {', '.join(sorted(acts_in.get(organisation, set()))) or 'no commune'}"
                f", the audience is {', '.join(sorted(communes))}"
            )
        if why:
            raise Invalid(
                Code.INVALID,
                f"contact {_gid('Contact', contact)} is outside the survey's audience: their "
                f"organisation {name!r} ({_gid('Stakeholder', organisation)}) does not fit "
                f"({'; '.join(why)}); send outsideAudience: true to invite them anyway",
                "contacts",
            )


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


#: The latest date a survey may open or close on (a later one is surely a typo, and the
#: instant after ``dt.date.max`` does not exist).
LATEST_DATE = dt.date(2999, 12, 31)


def _check_dates(opens_on: dt.date | None, closes_on: dt.date | None) -> None:
    for name, day in (("opensOn", opens_on), ("closesOn", closes_on)):
        if day is not None and day > LATEST_DATE:
            raise Invalid(
                Code.INVALID,
                f"{name} {day} is too far ahead: give a date up to {LATEST_DATE}",
                name,
            )
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
    return input_texts(value, field, required=required, max_length=2000)


async def _survey_for_change(
    session: Any, principal: Any, raw_id: str, version: int | None = None, field: str = "id"
) -> sm.Survey:
    """The survey to change; another GAL's is as good as absent (docs/tenancy.md)."""
    try:
        key = survey_key(raw_id, field)
    except BadInput as error:
        raise Invalid(Code.INVALID, str(error), field) from None
    survey = await session.get(sm.Survey, key)
    if survey is None or not may_touch_territory(principal, survey.territory_id):
        raise Invalid(Code.NOT_FOUND, "no survey with this ID", field)
    if version is not None:
        check_version(survey, version)
    return survey


async def _territory(session: Any, principal: Any, raw: Any, communes: list[str]) -> int | None:
    """The territory of a new survey: the one given (a Territory ID), else that of the
    communes of its audience when they are all of one, else the caller's only one once it is
    confined to some, else the installation's only territory (none when it holds several:
    the operators')."""
    given = None
    if raw is not None:
        given = node_key(raw, "Territory", "territory")
        if not await store.territory_exists(session, given):
            raise Invalid(Code.NOT_FOUND, f"territory: no territory {raw!r}", "territory")
    elif communes:
        found = set(await store.territories_of(session, communes))
        if len(found) == 1 and may_touch_territory(principal, next(iter(found))):
            return found.pop()
    chosen = territory_of_new_row(principal, given)
    return chosen if chosen is not None else await store.only_territory(session)


def _payload(outcome: Any) -> SurveyPayload:
    return SurveyPayload(
        survey=Survey.from_row(outcome.row) if outcome.row else None,
        errors=errors_of(outcome.errors),
    )


#: What a closed survey keeps as it is (only its dates may move, to reopen it).
CONTENT_FIELDS = (
    "title",
    "intro",
    "anonymous",
    "public",
    "audience_kinds",
    "audience_communes",
    "allow_edit",
    "quotas",
    "questions",
)

#: The event action of each transition (``survey.opened``...).
ACTIONS = {
    sm.SurveyStatus.OPEN: "opened",
    sm.SurveyStatus.CLOSED: "closed",
    sm.SurveyStatus.ARCHIVED: "archived",
}

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
        survey = await _survey_for_change(session, principal, input.id, input.version)
        if sm.SurveyStatus(survey.status) not in TRANSITIONS[target]:
            raise Invalid(
                Code.INVALID,
                f"a {survey.status} survey cannot become {target.value} (it can from "
                f"{', '.join(sorted(s.value for s in TRANSITIONS[target]))})",
                "id",
            )
        was = sm.SurveyStatus(survey.status)
        if (
            target is sm.SurveyStatus.OPEN
            and survey.closes_on is not None
            and survey.closes_on < store.today()
        ):
            raise Invalid(
                Code.INVALID,
                f"its closing date {survey.closes_on} has passed: set a later closesOn "
                "(updateSurvey) before opening it",
                "id",
            )
        survey.status = target.value
        await session.flush()
        changes = column_changes(survey)
        if target is sm.SurveyStatus.OPEN:
            await publication.unpublish(session, survey.id)
            await lifecycle.schedule_close(session, survey)
            settings = surveys_settings(info.context.host)
            await reminders.schedule(session, settings, survey)
            await pool.schedule_sweep(session, survey, settings.pool_sweep_minutes)
        elif was is sm.SurveyStatus.OPEN:
            settings = info.context.host.plugin_settings("surveys")
            changes["published_cells"] = {
                "after": await lifecycle.on_close(session, survey, settings)
            }
        action = ACTIONS[target]
        return Change(
            row=survey,
            action=action,
            changes=changes,
            permission=lifecycle.permission_of(f"survey.{action}"),
            scope=lifecycle.scope_of(survey),
        )

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
                territory_id=await _territory(
                    session, principal, input.territory, input.audience_communes
                ),
            )
            session.add(survey)
            await session.flush()
            await store.replace_questions(session, survey, specs)
            changes = column_changes(survey, created=True)
            changes.pop("public_key", None)
            changes["questions"] = {"after": [s.key for s in specs]}
            return Change(
                row=survey,
                action="created",
                changes=changes,
                permission=lifecycle.permission_of("survey.created"),
                scope=lifecycle.scope_of(survey),
            )

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
            survey = await _survey_for_change(session, principal, input.id, input.version)
            given = lambda value: value is not strawberry.UNSET  # noqa: E731
            if survey.status == sm.SurveyStatus.ARCHIVED.value or (
                survey.status == sm.SurveyStatus.CLOSED.value
                and any(given(getattr(input, name)) for name in CONTENT_FIELDS)
            ):
                raise Invalid(
                    Code.INVALID,
                    f"a {survey.status} survey cannot change"
                    + (" but its dates: reopen it" if survey.status == "closed" else ""),
                    "id",
                )
            old_closes_on = survey.closes_on
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
                    if (
                        name == "anonymous"
                        and value != survey.anonymous
                        and survey.status != sm.SurveyStatus.DRAFT.value
                    ):
                        # Not "once someone answered": a refusal that began with the first
                        # response would tell the manager when it came. And invitees were
                        # told how their answers would be kept.
                        raise Invalid(
                            Code.INVALID,
                            "anonymity cannot change once the survey was opened: its "
                            "invitees were told how their answers are kept (make a new survey)",
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
                survey.updated_at = utcnow()
                current: list[Any] = specs
            else:
                question_set = await store.current_set(session, survey.id)
                current = await store.questions_of(session, question_set.id) if question_set else []
            _check_options(survey.anonymous, survey.allow_edit, survey.quotas or [], current)
            await session.flush()
            if survey.closes_on != old_closes_on:
                # A new close job for the new date; the old one will find the date moved.
                await lifecycle.schedule_close(session, survey)
                await reminders.schedule(session, surveys_settings(info.context.host), survey)
            return Change(
                row=survey,
                action="updated",
                changes=changes,
                permission=lifecycle.permission_of("survey.updated"),
                scope=lifecycle.scope_of(survey),
            )

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
        description="Close an open survey (permission surveys:manage). An anonymous survey's "
        "responses that make no batch of BOCAGE_SURVEYS_ANONYMOUS_BATCH_SIZE stay withheld (a "
        "reopened survey lets them join a later batch).",
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
        description="Create invitation tokens, returned once (permission surveys:manage); "
        "not those e-mailed for an anonymous survey, which only the invitee holds.",
    )
    async def invite_to_survey(
        self, info: Info, input: InviteToSurveyInput
    ) -> SurveyInvitationsPayload:
        issued: list[SurveyInvitationToken] = []
        skipped = 0

        async def change(session: Any, principal: Any) -> Change:
            nonlocal skipped
            issued.clear()
            skipped = 0
            survey = await _survey_for_change(session, principal, input.survey, field="survey")
            if survey.status == sm.SurveyStatus.ARCHIVED.value:
                raise Invalid(Code.INVALID, "an archived survey takes no invitations", "survey")
            if not 0 <= input.count <= 10_000:
                raise Invalid(Code.INVALID, "count must be 0 to 10000", "count")
            targets = [_Target() for _ in range(input.count)]
            for raw in input.stakeholders:
                targets.append(_Target(node_key(raw, "Stakeholder", "stakeholders")))
            contacts = [node_key(raw, "Contact", "contacts") for raw in input.contacts]
            language = input.language.value if input.language else None
            people: dict[int, tuple[str | None, str]] = {}
            if contacts:
                # A contact's organisation is invited with them (its kind and communes are
                # the response's segments).
                rows = (
                    await session.execute(
                        select(
                            CONTACT.c.id,
                            CONTACT.c.stakeholder_id,
                            CONTACT.c.email,
                            CONTACT.c.given_name,
                        ).where(CONTACT.c.id.in_(contacts), CONTACT.c.deleted_at.is_(None))
                    )
                ).all()
                found = {row.id: row.stakeholder_id for row in rows}
                people = {row.id: (row.email, row.given_name or "") for row in rows}
                missing = [c for c in contacts if c not in found]
                if missing:
                    raise Invalid(
                        Code.NOT_FOUND, f"{len(missing)} contacts do not exist", "contacts"
                    )
                if not input.outside_audience:
                    await _check_in_audience(session, survey, contacts, found)
                targets += [
                    _Target(found[c], c, people[c][0], people[c][1], language) for c in contacts
                ]
            if input.from_ is not None:
                if not input.send_email:
                    raise Invalid(
                        Code.INVALID,
                        "the people of `from` are invited by e-mail only (their addresses are "
                        "not shown): send sendEmail: true",
                        "sendEmail",
                    )
                gathered, skipped = await _targets_from(
                    info.context.host, session, principal, input.from_, targets, language
                )
                targets += gathered
            if input.send_email and any(t.address for t in targets):
                if survey.status != sm.SurveyStatus.OPEN.value:
                    raise Invalid(
                        Code.INVALID,
                        f"the survey is {survey.status}: open it before e-mailing invitations "
                        "(or send sendEmail: false and hand the tokens out yourself)",
                        "sendEmail",
                    )
                if survey.closes_on is not None and survey.closes_on < store.today():
                    raise Invalid(
                        Code.INVALID,
                        f"the survey's closing date {survey.closes_on} has passed: the link "
                        "would not work (set a later closesOn with updateSurvey first, or send "
                        "sendEmail: false)",
                        "sendEmail",
                    )
            if not targets:
                raise Invalid(
                    Code.REQUIRED, "invite at least one stakeholder, contact or token", "count"
                )
            settings = info.context.host.plugin_settings("surveys")
            made = []
            for target in targets:
                token = secrets.token_urlsafe(24)
                invitation = sm.Invitation(
                    survey_id=survey.id,
                    token_hash=store.token_hash(token),
                    stakeholder_id=target.stakeholder_id,
                    contact_id=target.contact_id,
                    language=target.language,
                )
                session.add(invitation)
                made.append((token, invitation, target))
            try:
                await session.flush()
            except Exception:
                raise Invalid(
                    Code.NOT_FOUND, "a stakeholder in stakeholders does not exist", "stakeholders"
                ) from None
            emailed = 0
            for token, invitation, target in made:
                stakeholder_id, contact_id = invitation.stakeholder_id, invitation.contact_id
                address, name = target.address, target.name
                sent = False
                if address and input.send_email:
                    try:
                        await survey_mail.send(
                            session,
                            kind="invite",
                            survey=survey,
                            language=target.language,
                            address=address,
                            name=name,
                            token=token,
                            url_template=settings.answer_url,
                        )
                        sent = True
                        emailed += 1
                    except ValueError:
                        pass  # a malformed address: the token is returned, not e-mailed
                # An anonymous survey's e-mailed link is the invitee's alone (sealed): a
                # manager holding it could answer in their place, or ask whether it was used.
                invitation.sealed = sent and survey.anonymous
                issued.append(
                    SurveyInvitationToken(
                        token=None if invitation.sealed else token,
                        stakeholder=_gid("Stakeholder", stakeholder_id),
                        stakeholder_key=stakeholder_id,
                        contact=_gid("Contact", contact_id),
                        emailed=sent,
                    )
                )
            changes: dict[str, Any] = {
                "invitations": {"after": len(targets)},
                "emailed": {"after": emailed},
            }
            if input.from_ is not None:
                changes["from"] = {"after": str(input.from_)}
                changes["skipped"] = {"after": skipped}
            return Change(
                row=survey,
                action="invited",
                changes=changes,
                permission=lifecycle.permission_of("survey.invited"),
                scope=lifecycle.scope_of(survey),
            )

        outcome = await mutate(
            info,
            permission=SURVEYS_MANAGE,
            operation="inviteToSurvey",
            change=change,
            model=sm.Survey,
        )
        return SurveyInvitationsPayload(
            invitations=issued if not outcome.errors else [],
            skipped=skipped if not outcome.errors else 0,
            errors=errors_of(outcome.errors),
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="E-mail a reminder with a fresh personal link to invited contacts who have "
        "not submitted (the previous link stops working: only a hash of a token is kept). At "
        "most one reminder per BOCAGE_SURVEYS_REMINDER_INTERVAL_HOURS to the same person "
        "(permission surveys:manage).",
    )
    async def remind_survey_invitees(
        self, info: Info, input: RemindSurveyInviteesInput
    ) -> SurveyRemindersPayload:
        result: dict[str, Any] = {}

        async def change(session: Any, principal: Any) -> Change:
            result.clear()
            survey = await _survey_for_change(session, principal, input.survey, field="survey")
            if survey.status != sm.SurveyStatus.OPEN.value or (
                survey.closes_on is not None and survey.closes_on < store.today()
            ):
                raise Invalid(
                    Code.INVALID,
                    f"the survey is not open for answers ({survey.status}, closing date "
                    f"{survey.closes_on or 'none'}): reminders need it open",
                    "survey",
                )
            wanted = (
                None
                if input.contacts is None
                else [node_key(raw, "Contact", "contacts") for raw in input.contacts]
            )
            # An anonymous survey's run says, refuses and records the same for every invitee
            # with an address (see reminders.py).
            anonymous = survey.anonymous
            found = await reminders.pending(session, survey, wanted)
            if wanted is not None:
                reachable = {row[0].contact_id for row in found}
                for contact in wanted:
                    if contact not in reachable:
                        raise Invalid(
                            Code.INVALID,
                            f"contact {_gid('Contact', contact)} has no "
                            + (
                                "invitation with an e-mail address to this survey (not "
                                "invited, or no address)"
                                if anonymous
                                else "pending invitation with an e-mail address to this "
                                "survey (not invited, already answered, or no address)"
                            ),
                            "contacts",
                        )
            settings = surveys_settings(info.context.host)
            now = utcnow()
            due, waiting = await reminders.split(session, found, settings, now)
            next_at = min((when for _, when in waiting), default=None)
            if waiting and (wanted is not None or not due):
                invitation, when = min(waiting, key=lambda w: w[1])
                raise Invalid(
                    Code.CONFLICT,
                    f"contact {_gid('Contact', invitation.contact_id)} was reminded less than "
                    f"{settings.reminder_interval_hours:g} hours ago: the next reminder is "
                    f"allowed from {when.isoformat(timespec='minutes')}",
                    "contacts" if wanted is not None else "survey",
                )
            if not due:
                raise Invalid(
                    Code.INVALID,
                    "nobody to remind: no invited contact has an e-mail address"
                    if anonymous
                    else "nobody to remind: every invited contact with an e-mail address has "
                    "answered",
                    "survey",
                )
            sent = await reminders.send(session, survey, due, settings, now)
            result.update(reminded=sent, skipped=len(waiting), next_at=next_at)
            return Change(
                row=survey,
                action="reminded",
                changes={"reminders": {"after": sent}},
                permission=lifecycle.permission_of("survey.reminded"),
                scope=lifecycle.scope_of(survey),
            )

        outcome = await mutate(
            info,
            permission=SURVEYS_MANAGE,
            operation="remindSurveyInvitees",
            change=change,
            model=sm.Survey,
        )
        ok = not outcome.errors
        return SurveyRemindersPayload(
            reminded=result.get("reminded", 0) if ok else 0,
            skipped=result.get("skipped", 0) if ok else 0,
            next_reminder_at=result.get("next_at") if ok else None,
            errors=errors_of(outcome.errors),
        )
