"""The digest: every ``BOCAGE_VOICE_DIGEST_HOURS``, a job (``voice.digest``) reads the public
change feed since each confirmed subscription's last digest and e-mails what concerns what it
follows: a project (its changes, comments on it), a commune (what happened in it), the
territory (everything public). At most ``BOCAGE_VOICE_DIGEST_MAX_ITEMS`` lines, the rest
counted; nothing when nothing happened; never to an unconfirmed or cancelled subscription.

The job queues its next run itself while confirmed subscriptions remain (confirming one
queues it too), so it needs no scheduler of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bocage.core.api import (
    Commune,
    JobContext,
    JobKind,
    Project,
    PublicEvent,
    UnitOfWork,
    enqueue_email,
    pick_text,
    public_events,
    utcnow,
)
from bocage.plugins.voice import links, targets
from bocage.plugins.voice.models import Comment, FollowScope, Subscription
from bocage.plugins.voice.settings import VoiceSettings, voice_settings
from bocage.plugins.voice.subscriptions import DIGEST_JOB, MODELS, schedule_digest

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.api import Host

#: Most events one run reads; the next run reads on from there.
SCAN = 5000
#: Events that make no line: who supports what is counted, not told.
SILENT = ("support.",)

SUBJECTS = {
    "fr": "Les nouvelles de « {title} » : {count}",
    "nl": "Nieuws over « {title} »: {count}",
    "de": "Neuigkeiten zu « {title} »: {count}",
    "en": "News about “{title}”: {count}",
}
LINES = {
    "fr": {
        "project.created": "Nouveau projet : {title}",
        "project.updated": "Projet modifié : {title}",
        "comment.created": "Nouveau commentaire sur : {title}",
        "comment.edited": "Commentaire modifié sur : {title}",
        "comment.hidden": "Commentaire masqué par la modération sur : {title}",
        "more": "… et {count} autres changements.",
        "other": "{type} : {title}",
        "intro": "Voici ce qui a changé depuis votre dernier résumé :",
        "stop": "Se désabonner en un clic :",
    },
    "en": {
        "project.created": "New project: {title}",
        "project.updated": "Project changed: {title}",
        "comment.created": "New comment on: {title}",
        "comment.edited": "Comment edited on: {title}",
        "comment.hidden": "Comment hidden by moderation on: {title}",
        "more": "… and {count} more changes.",
        "other": "{type}: {title}",
        "intro": "Here is what changed since your last digest:",
        "stop": "Unsubscribe in one click:",
    },
}


def _matches(
    subscription: Subscription, event: PublicEvent, about: tuple[str, int] | None, nis: str | None
) -> bool:
    if event.sequence <= subscription.last_sequence or event.type.startswith(SILENT):
        return False
    if subscription.scope == FollowScope.TERRITORY.value:
        return True
    if subscription.scope == FollowScope.PROJECT.value:
        mine = ("Project", subscription.scope_key)
        return (event.object_type, event.object_id) == mine or about == mine
    return nis is not None and (
        nis in event.communes
        or (event.object_type, event.object_id) == ("Commune", subscription.scope_key)
    )


async def _titles(
    session: AsyncSession, host: Host, events: Sequence[PublicEvent]
) -> tuple[dict[int, tuple[str, int]], dict[tuple[str, int], str]]:
    """What each comment event is about, and the titles of projects and discussed objects."""
    comment_ids = {e.object_id for e in events if e.object_type == "VoiceComment" and e.object_id}
    about: dict[int, tuple[str, int]] = {}
    if comment_ids:
        for key, type_name, target in await session.execute(
            select(Comment.id, Comment.target_type, Comment.target_key).where(
                Comment.id.in_(comment_ids)
            )
        ):
            about[key] = (type_name, target)
    wanted = set(about.values())
    projects = {e.object_id for e in events if e.object_type == "Project" and e.object_id}
    projects |= {key for type_name, key in wanted if type_name == "Project"}
    titles: dict[tuple[str, int], str] = {}
    if projects:
        for key, text in await session.execute(
            select(Project.id, Project.title).where(Project.id.in_(projects))
        ):
            titles[("Project", key)] = pick_text(text, "fr") or ""
    known = targets.targets(host)
    for type_name, key in wanted:
        if type_name != "Project" and type_name in known:
            state = await known[type_name].state(session, key)
            titles[(type_name, key)] = state.title if state is not None else ""
    return about, titles


def _line(event: PublicEvent, words: dict[str, str], title: str) -> str:
    when = event.occurred_at.strftime("%d/%m %H:%M")
    text = words.get(event.type, words["other"]).format(type=event.type, title=title or "…")
    return f"- {when} {text}"


async def send_digests(session: AsyncSession, host: Host, settings: VoiceSettings) -> int:
    """E-mail the digest of every confirmed subscription that has news; returns how many."""
    subscriptions = list(
        (
            await session.execute(
                select(Subscription)
                .where(
                    Subscription.confirmed_at.is_not(None),
                    Subscription.unsubscribed_at.is_(None),
                    Subscription.email.is_not(None),
                )
                .order_by(Subscription.id)
            )
        ).scalars()
    )
    if not subscriptions:
        return 0
    events = await public_events(
        session, after=min(s.last_sequence for s in subscriptions), limit=SCAN
    )
    about, titles = await _titles(session, host, events)
    commune_keys = {s.scope_key for s in subscriptions if s.scope == FollowScope.COMMUNE.value}
    nis_of = (
        dict(
            (
                await session.execute(
                    select(Commune.id, Commune.nis_code).where(Commune.id.in_(commune_keys))
                )
            ).all()
        )
        if commune_keys
        else {}
    )
    sent = 0
    for subscription in subscriptions:
        nis = nis_of.get(subscription.scope_key)
        found = [
            event
            for event in events
            if _matches(
                subscription,
                event,
                about.get(event.object_id or 0) if event.object_type == "VoiceComment" else None,
                nis,
            )
        ]
        if found:
            await _send(session, settings, subscription, found, about, titles)
            sent += 1
        if events:
            subscription.last_sequence = max(subscription.last_sequence, events[-1].sequence)
        subscription.last_digest_at = utcnow()
    return sent


async def _send(
    session: AsyncSession,
    settings: VoiceSettings,
    subscription: Subscription,
    found: list[PublicEvent],
    about: dict[int, tuple[str, int]],
    titles: dict[tuple[str, int], str],
) -> None:
    assert subscription.email is not None
    language = subscription.language if subscription.language in LINES else "fr"
    words = LINES[language]
    shown = found[: settings.digest_max_items]
    lines = []
    for event in shown:
        key = (
            about.get(event.object_id or 0)
            if event.object_type == "VoiceComment"
            else (event.object_type or "", event.object_id or 0)
        )
        lines.append(_line(event, words, titles.get(key, "") if key else ""))
    if len(found) > len(shown):
        lines.append(words["more"].format(count=len(found) - len(shown)))
    value = links.token(settings, subscription.id, subscription.nonce)
    title = await _scope_title(session, subscription)
    text = "\n".join(
        [words["intro"], "", *lines, "", words["stop"], links.unsubscribe_url(settings, value), ""]
    )
    await enqueue_email(
        session,
        to=subscription.email,
        subject=SUBJECTS.get(language, SUBJECTS["fr"]).format(title=title, count=len(found)),
        text=text,
        headers=links.list_unsubscribe_headers(settings, value),
    )


async def _scope_title(session: AsyncSession, subscription: Subscription) -> str:
    model: Any = MODELS[FollowScope(subscription.scope)]
    row = (
        await session.execute(select(model).where(model.id == subscription.scope_key))
    ).scalar_one_or_none()
    if row is None:
        return ""
    texts = row.title if subscription.scope == FollowScope.PROJECT.value else row.name
    return pick_text(texts, subscription.language) or ""


async def run(context: JobContext, payload: dict[str, Any]) -> None:
    """The job: send the digests, and queue the next run while someone follows anything."""
    settings = voice_settings(context.host)
    async with UnitOfWork(context.sessionmaker, events=context.host) as work:
        await send_digests(work.session, context.host, settings)
        remaining = (
            await work.session.execute(
                select(Subscription.id)
                .where(
                    Subscription.confirmed_at.is_not(None), Subscription.unsubscribed_at.is_(None)
                )
                .limit(1)
            )
        ).first()
        if remaining is not None:
            await schedule_digest(work.session, settings)


KIND = DIGEST_JOB
JOB = JobKind(
    KIND,
    run,
    description="E-mails each confirmed subscriber the digest of what changed in what they "
    "follow, every BOCAGE_VOICE_DIGEST_HOURS.",
)
