"""The invitation and reminder e-mails: one personal message per invitee, in their language
(French when unknown), with the personal link to answer (``BOCAGE_SURVEYS_ANSWER_URL``)."""

from __future__ import annotations

from typing import Any

from bocage.core.api import enqueue_email
from bocage.plugins.surveys import models as sm

FALLBACK = "fr"

#: ``{name}``, ``{title}``, ``{link}`` and ``{until}`` (the closing sentence, may be empty).
TEMPLATES: dict[str, dict[str, str]] = {
    "fr": {
        "invite_subject": "Votre avis compte : {title}",
        "remind_subject": "Rappel : {title}",
        "invite_intro": "le GAL vous invite à répondre à l'enquête « {title} ».",
        "remind_intro": "nous n'avons pas encore reçu votre réponse à l'enquête « {title} ».",
        "body": "Bonjour {name},\n\n{intro}\n\nVotre lien personnel pour répondre :\n{link}\n"
        "{until}\nCe lien vous est personnel : ne le transférez pas.\n\nMerci !\n",
        "until": "\nL'enquête est ouverte jusqu'au {date} inclus.\n",
    },
    "nl": {
        "invite_subject": "Uw mening telt: {title}",
        "remind_subject": "Herinnering: {title}",
        "invite_intro": "de GAL nodigt u uit om de enquête \u201c{title}\u201d in te vullen.",
        "remind_intro": "we hebben uw antwoord op de enquête \u201c{title}\u201d nog niet "
        "ontvangen.",
        "body": "Beste {name},\n\n{intro}\n\nUw persoonlijke link om te antwoorden:\n{link}\n"
        "{until}\nDeze link is persoonlijk: stuur hem niet door.\n\nDank u!\n",
        "until": "\nDe enquête loopt tot en met {date}.\n",
    },
    "de": {
        "invite_subject": "Ihre Meinung zählt: {title}",
        "remind_subject": "Erinnerung: {title}",
        "invite_intro": "die LAG lädt Sie ein, an der Umfrage \u201e{title}\u201c teilzunehmen.",
        "remind_intro": "wir haben Ihre Antwort auf die Umfrage \u201e{title}\u201c noch nicht "
        "erhalten.",
        "body": "Guten Tag {name},\n\n{intro}\n\nIhr persönlicher Link zum Antworten:\n{link}\n"
        "{until}\nDieser Link ist persönlich: bitte nicht weiterleiten.\n\nVielen Dank!\n",
        "until": "\nDie Umfrage läuft bis einschließlich {date}.\n",
    },
    "en": {
        "invite_subject": "Your views count: {title}",
        "remind_subject": "Reminder: {title}",
        "invite_intro": "the GAL invites you to answer the survey \u201c{title}\u201d.",
        "remind_intro": "we have not yet received your answer to the survey \u201c{title}\u201d.",
        "body": "Hello {name},\n\n{intro}\n\nYour personal link to answer:\n{link}\n"
        "{until}\nThis link is yours alone: please do not forward it.\n\nThank you!\n",
        "until": "\nThe survey is open until {date} included.\n",
    },
}


def answer_link(template: str, token: str) -> str:
    return template.replace("{token}", token)


def _title(survey: sm.Survey, language: str) -> str:
    texts = survey.title or {}
    return texts.get(language) or texts.get(FALLBACK) or next(iter(texts.values()), "")


async def send(
    session: Any,
    *,
    kind: str,
    survey: sm.Survey,
    language: str | None,
    address: str,
    name: str,
    token: str,
    url_template: str,
) -> None:
    """Enqueue the ``kind`` (``invite`` or ``remind``) e-mail in the caller's transaction."""
    texts = TEMPLATES.get(language or FALLBACK) or TEMPLATES[FALLBACK]
    title = _title(survey, language or FALLBACK).replace("\n", " ").replace("\r", " ")
    until = texts["until"].format(date=survey.closes_on.isoformat()) if survey.closes_on else ""
    body = texts["body"].format(
        name=name,
        intro=texts[f"{kind}_intro"].format(title=title),
        link=answer_link(url_template, token),
        until=until,
    )
    await enqueue_email(
        session,
        to=address,
        subject=texts[f"{kind}_subject"].format(title=title),
        text=body,
        headers={"Auto-Submitted": "auto-generated"},
    )
