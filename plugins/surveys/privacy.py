"""The surveys plugin's part of a person's GDPR rights (hook ``bocage_personal_data``).

What the plugin holds about a person hangs on their invitations, which are sent to a contact:
it is found by the contact's e-mail address. Nothing here is tied to an account (invitees
answer with their token, signed in or not), so a request by ``subject`` alone finds nothing.

- Exported: each invitation (survey, when, reminders, submitted or not), its saved draft, and,
  for an *attributed* survey, the answers submitted. An anonymous survey's answers are never
  exported: nothing links them to the invitation (see ``models``), by construction.
- Erased: the drafts, the link from each invitation to the contact, and for an attributed
  survey the link from the response to the invitation (the answers stay in the results, tied
  to nobody) with its free texts, which may name the person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, delete, func, select, table, update

from bocage.core.api import PersonalData, PersonIdentity, global_id
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import store

CONTACT = table("contact", column("id"), column("email"))


async def _invitations(session: Any, person: PersonIdentity) -> list[tuple[Any, Any]]:
    """``(invitation, survey)`` of the invitations sent to the person's contacts."""
    if person.email is None:
        return []
    contacts = select(CONTACT.c.id).where(func.lower(CONTACT.c.email) == person.email)
    rows = await session.execute(
        select(sm.Invitation, sm.Survey)
        .join(sm.Survey, sm.Survey.id == sm.Invitation.survey_id)
        .where(sm.Invitation.contact_id.in_(contacts))
        .order_by(sm.Invitation.id)
    )
    return [(invitation, survey) for invitation, survey in rows.all()]


async def _attributed(session: Any, invitations: list[Any]) -> dict[int, str]:
    """``{invitation id: response id}`` of the attributed responses of ``invitations``."""
    rows = await session.execute(
        select(sm.Attribution.invitation_id, sm.Attribution.response_id).where(
            sm.Attribution.invitation_id.in_([i.id for i in invitations])
        )
    )
    return dict(rows.all())


async def export(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    found = await _invitations(session, person)
    if not found:
        return []
    responses = await _attributed(session, [i for i, _ in found])
    answers = await store.answers_of(session, list(responses.values()))
    reminders: dict[int, list[str]] = {}
    for invitation_id, sent_at in await session.execute(
        select(sm.Reminder.invitation_id, sm.Reminder.sent_at)
        .where(sm.Reminder.invitation_id.in_([i.id for i, _ in found]))
        .order_by(sm.Reminder.id)
    ):
        reminders.setdefault(invitation_id, []).append(sent_at.isoformat())
    return [
        {
            "survey": global_id("Survey", survey.id),
            "surveyTitle": survey.title,
            "anonymous": survey.anonymous,
            "contact": global_id("Contact", invitation.contact_id),
            "invitedAt": invitation.created_at.isoformat(),
            "reminded": reminders.get(invitation.id, []),
            "submitted": invitation.submitted,
            "draft": (invitation.draft_answers or {}).get("answers") or [],
            # Only an attributed survey's: an anonymous response is linked to no invitation.
            "answers": [a.as_json() for a in answers.get(responses.get(invitation.id, ""), [])],
        }
        for invitation, survey in found
    ]


async def erase(session: Any, person: PersonIdentity) -> int:
    found = await _invitations(session, person)
    if not found:
        return 0
    ids = [invitation.id for invitation, _ in found]
    responses = await _attributed(session, [i for i, _ in found])
    if responses:
        await session.execute(
            update(sm.Answer)
            .where(sm.Answer.response_id.in_(list(responses.values())))
            .values(free_text=None)
        )
        await session.execute(delete(sm.Attribution).where(sm.Attribution.invitation_id.in_(ids)))
    for invitation, _ in found:
        invitation.contact_id = None
        invitation.draft_answers = None
    await session.flush()
    return len(found)


PART = PersonalData(name="surveys.invitations", export=export, erase=erase)
