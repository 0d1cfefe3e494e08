"""E-mails to registrants, enqueued in the transaction of the change (``enqueue_email``): the
job worker sends them once it commits, never if it rolls back.

One message per registrant (never several addresses in one message), in the registration's
language (templates in fr, nl and en; de falls back to fr). Registrations without an e-mail
address (signed-in people who gave none) get no message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from bocage.core.api import EmailAttachment, as_utc, enqueue_email, global_id, pick_text
from bocage.plugins.workshops import links, store
from bocage.plugins.workshops.models import Event, Registration, RegistrationStatus

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "hello": "Bonjour {name},",
        "hello_anonymous": "Bonjour,",
        "confirmed_subject": "Inscription confirmée : {title}",
        "confirmed": "Votre inscription à « {title} » est confirmée.",
        "waitlisted_subject": "Liste d'attente ({position}) : {title}",
        "waitlisted": "« {title} » est complet : vous êtes sur la liste d'attente, en position "
        "{position}. Nous vous écrirons dès qu'une place se libère.",
        "promoted_subject": "Une place s'est libérée : {title}",
        "promoted": "Une place s'est libérée : votre inscription à « {title} » est maintenant "
        "confirmée.",
        "cancelled_subject": "Désinscription enregistrée : {title}",
        "cancelled": "Votre inscription à « {title} » est annulée. Merci de nous avoir prévenus.",
        "event_cancelled_subject": "Annulé : {title}",
        "event_cancelled": "Nous sommes désolés : « {title} » est annulé.",
        "reminder_subject": "Rappel : {title}",
        "reminder": "Petit rappel : vous êtes inscrit·e à « {title} ». Nous nous réjouissons "
        "de vous y voir.",
        "event_changed_subject": "Changement de date ou de lieu : {title}",
        "event_changed": "« {title} » change de date, d'heure ou de lieu. Voici ce qui vaut "
        "désormais.",
        "when": "Quand : {when} (heure de Bruxelles)",
        "where": "Où : {place}",
        "online": "En ligne : {url}",
        "code": "Votre code d'entrée, à montrer à l'accueil : {code}",
        "cancel_link": "Pour vous désinscrire : {url}",
        "cancel_token": "Pour vous désinscrire, utilisez ce code d'annulation : {token}",
        "cancel_earlier": "Pour vous désinscrire, utilisez le lien reçu lors de votre inscription.",
        "calendar": "Ajouter à votre agenda : {url}",
        "span": "le {day} de {start} à {end}",
        "span_days": "du {day} {start} au {end_day} {end}",
        "bye": "À bientôt,\nL'équipe du GAL",
    },
    "nl": {
        "hello": "Beste {name},",
        "hello_anonymous": "Beste,",
        "confirmed_subject": "Inschrijving bevestigd: {title}",
        "confirmed": "Uw inschrijving voor \u201c{title}\u201d is bevestigd.",
        "waitlisted_subject": "Wachtlijst ({position}): {title}",
        "waitlisted": "\u201c{title}\u201d is volzet: u staat op de wachtlijst, op plaats "
        "{position}. We schrijven u zodra er een plaats vrijkomt.",
        "promoted_subject": "Er is een plaats vrijgekomen: {title}",
        "promoted": "Er is een plaats vrijgekomen: uw inschrijving voor \u201c{title}\u201d is "
        "nu bevestigd.",
        "cancelled_subject": "Uitschrijving geregistreerd: {title}",
        "cancelled": "Uw inschrijving voor \u201c{title}\u201d is geannuleerd. Bedankt om ons te "
        "verwittigen.",
        "event_cancelled_subject": "Geannuleerd: {title}",
        "event_cancelled": "Het spijt ons: \u201c{title}\u201d is geannuleerd.",
        "reminder_subject": "Herinnering: {title}",
        "reminder": "Een herinnering: u bent ingeschreven voor \u201c{title}\u201d. We kijken "
        "ernaar uit u te zien.",
        "event_changed_subject": "Nieuwe datum of plaats: {title}",
        "event_changed": "\u201c{title}\u201d verandert van datum, uur of plaats. Dit geldt "
        "voortaan.",
        "when": "Wanneer: {when} (Brusselse tijd)",
        "where": "Waar: {place}",
        "online": "Online: {url}",
        "code": "Uw toegangscode, te tonen aan het onthaal: {code}",
        "cancel_link": "Uitschrijven: {url}",
        "cancel_token": "Om u uit te schrijven, gebruik deze annuleringscode: {token}",
        "cancel_earlier": "Om u uit te schrijven, gebruik de link uit de bevestiging van uw "
        "inschrijving.",
        "calendar": "Toevoegen aan uw agenda: {url}",
        "span": "op {day} van {start} tot {end}",
        "span_days": "van {day} {start} tot {end_day} {end}",
        "bye": "Tot binnenkort,\nHet GAL-team",
    },
    "en": {
        "hello": "Hello {name},",
        "hello_anonymous": "Hello,",
        "confirmed_subject": "Registration confirmed: {title}",
        "confirmed": "Your registration for \u201c{title}\u201d is confirmed.",
        "waitlisted_subject": "Waiting list ({position}): {title}",
        "waitlisted": "\u201c{title}\u201d is full: you are on the waiting list, at position "
        "{position}. We will write to you as soon as a seat frees up.",
        "promoted_subject": "A seat freed up: {title}",
        "promoted": "A seat freed up: your registration for \u201c{title}\u201d is now confirmed.",
        "cancelled_subject": "Registration cancelled: {title}",
        "cancelled": "Your registration for \u201c{title}\u201d is cancelled. Thank you for "
        "letting us know.",
        "event_cancelled_subject": "Cancelled: {title}",
        "event_cancelled": "We are sorry: \u201c{title}\u201d is cancelled.",
        "reminder_subject": "Reminder: {title}",
        "reminder": "A reminder: you are registered for \u201c{title}\u201d. We look forward "
        "to seeing you.",
        "event_changed_subject": "New date or place: {title}",
        "event_changed": "\u201c{title}\u201d changes its date, time or place. Here is what "
        "holds now.",
        "when": "When: {when} (Brussels time)",
        "where": "Where: {place}",
        "online": "Online: {url}",
        "code": "Your check-in code, to show at the door: {code}",
        "cancel_link": "To cancel your registration: {url}",
        "cancel_token": "To cancel your registration, use this cancellation code: {token}",
        "cancel_earlier": "To cancel your registration, use the link you received when you "
        "registered.",
        "calendar": "Add it to your calendar: {url}",
        "span": "on {day} from {start} to {end}",
        "span_days": "from {day} {start} to {end_day} {end}",
        "bye": "See you soon,\nThe GAL team",
    },
}

#: Fields of an event whose change is announced to its registrants.
NOTICED = ("starts_at", "ends_at", "address", "online_url", "commune_id")


@dataclass(frozen=True)
class Links:
    """How the e-mails link back: the API's public base URL and the site's cancel page."""

    base_url: str
    cancel_url: str = ""
    reply_to: str = ""

    def calendar(self, event: Event, lang: str) -> str:
        path = links.event_path(global_id("WorkshopsEvent", event.id))
        return f"{self.base_url.rstrip('/')}{path}?lang={lang}"

    def cancel(self, token: str) -> str | None:
        if not self.cancel_url:
            return None
        return self.cancel_url.replace("{token}", quote(token, safe=""))


def links_for(settings: Any, request: Any = None) -> Links:
    """The links from the plugin's settings, else the request's URL."""
    base = getattr(settings, "base_url", "") or (
        str(request.base_url) if request is not None else "http://localhost:8000"
    )
    return Links(
        base_url=base,
        cancel_url=getattr(settings, "cancel_url", ""),
        reply_to=getattr(settings, "reply_to", ""),
    )


def language(registration: Registration) -> str:
    lang = registration.language or "fr"
    return lang if lang in TEXTS else "fr"


def _title(event: Event, lang: str) -> str:
    return pick_text(event.title, lang) or ""


def _when(event: Event, t: dict[str, str]) -> str:
    starts = store.to_local(as_utc(event.starts_at))
    ends = store.to_local(as_utc(event.ends_at))

    def day(value: dt.datetime) -> str:
        return value.strftime("%d/%m/%Y")

    if starts.date() == ends.date():
        span = t["span"].format(
            day=day(starts), start=starts.strftime("%H:%M"), end=ends.strftime("%H:%M")
        )
    else:
        span = t["span_days"].format(
            day=day(starts),
            start=starts.strftime("%H:%M"),
            end_day=day(ends),
            end=ends.strftime("%H:%M"),
        )
    return t["when"].format(when=span)


async def _place(session: Any, event: Event, lang: str) -> str | None:
    parts = [event.address] if event.address else []
    if event.commune_id is not None:
        name = (
            await session.execute(
                select(store.COMMUNE.c.name).where(store.COMMUNE.c.id == event.commune_id)
            )
        ).scalar_one_or_none() or {}
        commune = name.get(lang) or name.get("fr") or next(iter(name.values()), None)
        if commune and not any(commune.lower() in part.lower() for part in parts):
            parts.append(commune)
    return ", ".join(parts) or None


async def _send(
    session: Any,
    links: Links,
    registration: Registration,
    event: Event,
    kind: str,
    *,
    position: int | None = None,
    token: str | None = None,
) -> None:
    if not registration.attendee_email:
        return
    lang = language(registration)
    t = TEXTS[lang]
    title = _title(event, lang)
    name = registration.attendee_name
    lines = [t["hello"].format(name=name) if name else t["hello_anonymous"], ""]
    lines += [t[kind].format(title=title, position=position), ""]
    if kind != "cancelled" and kind != "event_cancelled":
        lines.append(_when(event, t))
        place = await _place(session, event, lang)
        if place:
            lines.append(t["where"].format(place=place))
        if event.online_url:
            lines.append(t["online"].format(url=event.online_url))
        lines.append("")
        if registration.status == RegistrationStatus.CONFIRMED.value:
            lines += [t["code"].format(code=registration.check_in_code), ""]
        if token is not None:
            link = links.cancel(token)
            if link:
                lines.append(t["cancel_link"].format(url=link))
            else:
                lines.append(t["cancel_token"].format(token=token))
        else:
            lines.append(t["cancel_earlier"])
        lines += [t["calendar"].format(url=links.calendar(event, lang)), ""]
    lines.append(t["bye"])
    await enqueue_email(
        session,
        to=registration.attendee_email,
        subject=t[f"{kind}_subject"].format(title=title, position=position).replace("\n", " "),
        text="\n".join(lines) + "\n",
        reply_to=links.reply_to or None,
        headers={"Auto-Submitted": "auto-generated"},
        attachments=_calendar_file(links, registration, event, lang),
    )


def _calendar_file(
    links: Links, registration: Registration, event: Event, lang: str
) -> tuple[EmailAttachment, ...]:
    """The event as an ``.ics`` for someone who holds a seat (a calendar adds it in one click,
    and updates it from a later one: same UID, higher SEQUENCE, cancelled included)."""
    if registration.status != RegistrationStatus.CONFIRMED.value:
        return ()
    from bocage.plugins.workshops.ical import calendar

    body = calendar([event], _title(event, lang), lang, links.base_url)
    return (EmailAttachment("event.ics", "text/calendar", body),)


async def registered(
    session: Any,
    links: Links,
    registration: Registration,
    event: Event,
    *,
    token: str,
    position: int | None,
) -> None:
    """Confirmation of a new registration: a seat, or a place on the waiting list."""
    waiting = registration.status == RegistrationStatus.WAITLISTED.value
    kind = "waitlisted" if waiting else "confirmed"
    await _send(session, links, registration, event, kind, position=position, token=token)


async def promoted(
    session: Any, links: Links, registrations: list[Registration], event: Event
) -> None:
    """A seat for each of ``registrations``, in the order they moved up."""
    for registration in registrations:
        await _send(session, links, registration, event, "promoted")


async def reminder(session: Any, links: Links, registration: Registration, event: Event) -> None:
    """Before the event (see reminders.py): when, where, the check-in code."""
    await _send(session, links, registration, event, "reminder")


async def cancelled(session: Any, links: Links, registration: Registration, event: Event) -> None:
    await _send(session, links, registration, event, "cancelled")


async def _active(session: Any, event: Event) -> list[Registration]:
    active = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value)
    rows = await session.execute(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(active))
        .order_by(Registration.id)
    )
    return list(rows.scalars())


async def event_cancelled(session: Any, links: Links, event: Event) -> None:
    """To everyone registered (or waiting) when an organiser cancels the event."""
    for registration in await _active(session, event):
        await _send(session, links, registration, event, "event_cancelled")


async def event_changed(session: Any, links: Links, event: Event) -> None:
    """To everyone registered (or waiting) when the event's time or place changes."""
    for registration in await _active(session, event):
        await _send(session, links, registration, event, "event_changed")


def noticed(event: Event) -> tuple[Any, ...]:
    """What registrants are told about when it changes (times compared in UTC)."""
    return (
        as_utc(event.starts_at),
        as_utc(event.ends_at),
        event.address,
        event.online_url,
        event.commune_id,
    )
