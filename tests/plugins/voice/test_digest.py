"""Following a project, a commune or the territory by e-mail (caught by the test SMTP sink):
consent recorded with its wording's version, the address confirmed before anything else is
sent, digests of what changed (at most ``BOCAGE_VOICE_DIGEST_MAX_ITEMS`` lines), and the
signed one-click unsubscribe (RFC 8058 headers, POST only)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from bocage.core.api import JobContext
from bocage.plugins.voice import digest

UPDATE_PROJECT = """mutation($input: UpdateProjectInput!) {
  updateProject(input: $input) { project { version } errors { code message } } }"""
JOBS = """query($kind: String) { jobs(kind: $kind, first: 20) { nodes { status runAt } } }"""
MINE = "{ voiceMySubscriptions { id scope follow consentVersion confirmed active } }"


@pytest.fixture
def bocage_setting_overrides(bocage_smtp: Any) -> dict[str, Any]:
    return {**bocage_smtp.settings}


async def _digest(world: Any, sink: Any) -> int:
    """Run the ``voice.digest`` job's handler now (rather than in BOCAGE_VOICE_DIGEST_HOURS),
    then the e-mails it queued; returns how many digests arrived."""
    before = len(sink.messages())
    context = JobContext(
        job_id=0,
        kind=digest.KIND,
        attempt=1,
        max_attempts=1,
        next_attempt_at=None,
        settings=world.settings,
        host=world.host,
        sessionmaker=world.sessionmaker,
    )
    await digest.run(context, {})
    await world.drain_jobs()
    return len([m for m in sink.messages()[before:] if "nouvelles" in str(m["Subject"])])


def _mails(sink: Any, to: str, start: str) -> list[Any]:
    return [
        m for m in sink.messages() if str(m["To"]) == to and str(m["Subject"]).startswith(start)
    ]


def _link(message: Any, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    [url] = re.findall(rf"https?://\S+{path}\?token=\S+", text)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _subscribe(run: Any, voice: Any, follow: str, email: str, **more: Any) -> Any:
    values = {"follow": follow, "email": email, "consentVersion": "2026-12", **more}
    result = voice.payload(
        await run(voice.SUBSCRIBE, {"input": values}, principal=voice.ANN),
        "subscribeToVoiceDigest",
    )
    assert result["errors"] == [], result
    return result["subscription"]


async def test_follow_a_project_confirm_digest_unsubscribe(
    run: Any, voice: Any, world: Any, bocage_smtp: Any, http: Any
) -> None:
    followed, other = (await voice.projects())[:2]
    version = (await run("{ voiceConsentVersion }"))["data"]["voiceConsentVersion"]
    stale = voice.payload(
        await run(
            voice.SUBSCRIBE,
            {
                "input": {
                    "follow": followed["id"],
                    "email": "ann@example.org",
                    "consentVersion": "old",
                }
            },
            principal=voice.ANN,
        ),
        "subscribeToVoiceDigest",
    )
    assert voice.codes(stale) == [("consentVersion", "INVALID")] and version in str(stale)
    anonymous = voice.payload(
        await run(
            voice.SUBSCRIBE,
            {
                "input": {
                    "follow": followed["id"],
                    "email": "x@example.org",
                    "consentVersion": version,
                }
            },
        ),
        "subscribeToVoiceDigest",
    )
    assert voice.codes(anonymous) == [(None, "UNAUTHENTICATED")]

    subscription = await _subscribe(run, voice, followed["id"], "Ann@Example.org")
    assert subscription["scope"] == "PROJECT" and subscription["follow"] == followed["id"]
    assert subscription["confirmed"] is False and subscription["consentVersion"] == "2026-12"
    await world.drain_jobs()
    [confirmation] = _mails(bocage_smtp, "ann@example.org", "Confirmez")
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(confirmation["List-Unsubscribe"]).startswith("<http")

    # Nothing but the confirmation before the address is confirmed.
    await voice.comment(followed["id"], "Avant confirmation", by=voice.BOB)
    assert await _digest(world, bocage_smtp) == 0
    confirm = _link(confirmation, "/api/voice/confirm")
    described = await http.get(confirm)
    assert described.status_code == 200 and described.json()["method"] == "POST"
    confirmed = await http.post(confirm)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    # Confirming queues the digest job, BOCAGE_VOICE_DIGEST_HOURS from now.
    jobs = await run(JOBS, {"kind": "voice.digest"}, principal=voice.ADMIN)
    [job] = [j for j in jobs["data"]["jobs"]["nodes"] if j["status"] == "QUEUED"]
    due = dt.datetime.fromisoformat(job["runAt"])
    due = due if due.tzinfo else due.replace(tzinfo=dt.UTC)
    wait = due - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=23, minutes=50) < wait <= dt.timedelta(hours=24)
    [mine] = (await run(MINE, principal=voice.ANN))["data"]["voiceMySubscriptions"]
    assert mine["confirmed"] is True and mine["active"] is True
    assert (await run(MINE, principal=voice.BOB))["data"]["voiceMySubscriptions"] == []

    # What changes after: a comment on it, a change of its title; not another project's news.
    await voice.comment(followed["id"], "Après confirmation", by=voice.BOB)
    await voice.comment(other["id"], "Ailleurs", by=voice.BOB)
    updated = await run(
        UPDATE_PROJECT,
        {"input": {"id": followed["id"], "version": followed["version"], "title": {"fr": "Fibre"}}},
        principal=voice.ADMIN,
    )
    assert updated["data"]["updateProject"]["errors"] == []
    assert await _digest(world, bocage_smtp) == 1
    [digest] = _mails(bocage_smtp, "ann@example.org", "Les nouvelles")
    text = digest.get_body(("plain",)).get_content()
    assert "Nouveau commentaire sur : " in text and "Projet modifié : Fibre" in text
    assert text.count("\n- ") == 3  # the comment before confirming too: it is news since
    assert "Ailleurs" not in text and "Après confirmation" not in text  # never what people wrote
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(digest["List-Unsubscribe"]).strip("<>")
    # Nothing new: no e-mail.
    assert await _digest(world, bocage_smtp) == 0

    # A GET (a link checker) unsubscribes nobody; the one-click POST does.
    one_click = urlsplit(header)
    target = f"{one_click.path}?{one_click.query}"
    assert (await http.get(target)).status_code == 200
    tampered = target[:-3] + ("AAA" if not target.endswith("AAA") else "BBB")
    assert (await http.post(tampered)).status_code == 404
    done = await http.post(
        target,
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and done.json()["unsubscribed"] is True
    await voice.comment(followed["id"], "Après désabonnement", by=voice.BOB)
    assert await _digest(world, bocage_smtp) == 0


async def test_commune_and_territory_followers_and_digest_size(
    run: Any, voice: Any, world: Any, bocage_smtp: Any, http: Any
) -> None:
    projects = await voice.projects()
    project = next(p for p in projects if p["communes"])
    nis = project["communes"][0]["nisCode"]
    communes = (await run("{ communes(first: 100) { nodes { id nisCode } } }"))["data"]
    commune = next(c["id"] for c in communes["communes"]["nodes"] if c["nisCode"] == nis)
    territory = (await run("{ territories(first: 1) { nodes { id } } }"))["data"]
    territory = territory["territories"]["nodes"][0]["id"]
    for follow, address in ((commune, "commune@example.org"), (territory, "gal@example.org")):
        await _subscribe(run, voice, follow, address)
    await world.drain_jobs()
    for address in ("commune@example.org", "gal@example.org"):
        [mail] = _mails(bocage_smtp, address, "Confirmez")
        assert (await http.post(_link(mail, "/api/voice/confirm"))).status_code == 200

    voice.tune(digest_max_items=2)
    await voice.comment(project["id"], "Un", by=voice.BOB)
    await voice.comment(project["id"], "Deux", by=voice.BOB)
    assert await _digest(world, bocage_smtp) == 2
    for address in ("commune@example.org", "gal@example.org"):
        [mail] = _mails(bocage_smtp, address, "Les nouvelles")
        text = mail.get_body(("plain",)).get_content()
        assert text.count("\n- ") == 2 and "autres changements" not in text  # just under

    await voice.comment(project["id"], "Trois", by=voice.BOB)
    await voice.comment(project["id"], "Quatre", by=voice.BOB)
    await voice.comment(project["id"], "Cinq", by=voice.BOB)
    assert await _digest(world, bocage_smtp) == 2
    later = _mails(bocage_smtp, "gal@example.org", "Les nouvelles")[-1]
    text = later.get_body(("plain",)).get_content()
    assert text.count("\n- ") == 2 and "… et 1 autres changements." in text  # just over


async def test_subscriptions_per_hour_just_under_and_over(
    run: Any, voice: Any, bocage_smtp: Any
) -> None:
    voice.tune(subscriptions_per_hour=2)
    first, second, third = (await voice.projects())[:3]
    await _subscribe(run, voice, first["id"], "victim@example.org")
    await _subscribe(run, voice, second["id"], "victim@example.org")
    values = {"follow": third["id"], "email": "victim@example.org", "consentVersion": "2026-12"}
    over = voice.payload(
        await run(voice.SUBSCRIBE, {"input": values}, principal=voice.ANN),
        "subscribeToVoiceDigest",
    )
    assert voice.codes(over) == [("follow", "INVALID")]
    assert "BOCAGE_VOICE_SUBSCRIPTIONS_PER_HOUR" in over["errors"][0]["message"]
    # Someone else's subscriptions are theirs to count.
    other = voice.payload(
        await run(voice.SUBSCRIBE, {"input": values}, principal=voice.BOB),
        "subscribeToVoiceDigest",
    )
    assert other["errors"] == []
    # Cancelling and subscribing again in turn sends no more confirmations.
    mine = (await run(MINE, principal=voice.BOB))["data"]["voiceMySubscriptions"]
    cancel = """mutation($input: VoiceSubscriptionInput!) {
      cancelVoiceSubscription(input: $input) { subscription { active } errors { code } } }"""
    cancelled = await run(cancel, {"input": {"subscription": mine[0]["id"]}}, principal=voice.BOB)
    assert cancelled["data"]["cancelVoiceSubscription"]["subscription"]["active"] is False
    cycled = voice.payload(
        await run(voice.SUBSCRIBE, {"input": values}, principal=voice.BOB),
        "subscribeToVoiceDigest",
    )
    assert voice.codes(cycled) == [("follow", "INVALID")]
    assert "less than an hour ago" in cycled["errors"][0]["message"]
