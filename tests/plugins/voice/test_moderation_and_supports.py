"""Supports (one per person, counted in public, never who), reports (once per person, seen by
moderators only) and moderation (hide with a reason shown as "hidden by moderation", show
again, the moderation log), and what the change feed tells each reader of them."""

from __future__ import annotations

from typing import Any

from bocage.core.auth.principal import Principal, PrincipalKind, Role

MODERATOR = Principal(
    kind=PrincipalKind.PERSON,
    subject="moderator",
    roles=frozenset({Role.COMMUNE_EDITOR}),
    communes=frozenset({"64034"}),
    grants=frozenset({("voice:moderate", None)}),
)
REPORTS = """{ voiceReports(first: 10) { nodes { reason details comment { id body } } } }"""
LOG = "{ voiceModerationLog(first: 10) { nodes { comment action reason moderator } } }"
FEED = """query($after: String) { changes(first: 50, after: $after) {
  nodes { type objectType data } } }"""
CURSOR = "{ changesCursor }"


async def test_one_support_per_person_counted_never_told(run: Any, voice: Any) -> None:
    project = (await voice.projects())[0]["id"]
    first = voice.payload(
        await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.ANN),
        "supportVoiceTarget",
    )
    assert first == {"discussion": {"supportCount": 1, "supportedByMe": True}, "errors": []}
    twice = voice.payload(
        await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.ANN),
        "supportVoiceTarget",
    )
    assert voice.codes(twice) == [("target", "DUPLICATE")]
    await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.BOB)
    public = voice.payload(await run(voice.DISCUSSION, {"target": project}), "voiceDiscussion")
    assert public["supportCount"] == 2 and public["supportedByMe"] is False
    anonymous = voice.payload(
        await run(voice.SUPPORT, {"input": {"target": project}}), "supportVoiceTarget"
    )
    assert voice.codes(anonymous) == [(None, "UNAUTHENTICATED")]
    withdrawn = voice.payload(
        await run(voice.WITHDRAW, {"input": {"target": project}}, principal=voice.ANN),
        "withdrawVoiceSupport",
    )
    assert withdrawn["discussion"] == {"supportCount": 1, "supportedByMe": False}
    again = voice.payload(
        await run(voice.WITHDRAW, {"input": {"target": project}}, principal=voice.ANN),
        "withdrawVoiceSupport",
    )
    assert voice.codes(again) == [("target", "NOT_FOUND")]


async def test_report_hide_show_with_the_moderation_log(run: Any, voice: Any) -> None:
    project = (await voice.projects())[0]["id"]
    comment = await voice.comment(project, "Achetez mes montres !", by=voice.BOB)
    reported = voice.payload(
        await run(
            voice.REPORT,
            {"input": {"comment": comment["id"], "reason": "SPAM", "details": "publicité"}},
            principal=voice.ANN,
        ),
        "reportVoiceComment",
    )
    assert reported == {"reported": True, "errors": []}
    twice = voice.payload(
        await run(
            voice.REPORT,
            {"input": {"comment": comment["id"], "reason": "SPAM"}},
            principal=voice.ANN,
        ),
        "reportVoiceComment",
    )
    assert voice.codes(twice) == [("comment", "DUPLICATE")]

    # Reports and the log are the moderators'.
    for who in (None, voice.ANN, voice.EDITOR):
        body = await run(REPORTS, principal=who)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await run(LOG, principal=who))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    reports = (await run(REPORTS, principal=MODERATOR))["data"]["voiceReports"]["nodes"]
    assert reports == [
        {
            "reason": "SPAM",
            "details": "publicité",
            "comment": {"id": comment["id"], "body": "Achetez mes montres !"},
        }
    ]

    refused = voice.payload(
        await run(
            voice.HIDE,
            {"input": {"comment": comment["id"], "reason": "Publicité"}},
            principal=voice.ANN,
        ),
        "hideVoiceComment",
    )
    assert voice.codes(refused) == [(None, "FORBIDDEN")]
    hidden = voice.payload(
        await run(
            voice.HIDE,
            {"input": {"comment": comment["id"], "reason": "Publicité"}},
            principal=MODERATOR,
        ),
        "hideVoiceComment",
    )
    assert hidden["comment"] == {
        "id": comment["id"],
        "body": None,
        "hidden": True,
        "moderationNotice": "hidden by moderation: Publicité",
    }
    [seen] = voice.payload(await run(voice.DISCUSSION, {"target": project}), "voiceDiscussion")[
        "comments"
    ]["nodes"]
    assert seen["body"] is None and seen["moderationNotice"] == "hidden by moderation: Publicité"
    again = voice.payload(
        await run(
            voice.HIDE, {"input": {"comment": comment["id"], "reason": "x"}}, principal=MODERATOR
        ),
        "hideVoiceComment",
    )
    assert voice.codes(again) == [("comment", "CONFLICT")]
    no_reason = voice.payload(
        await run(
            voice.SHOW, {"input": {"comment": comment["id"], "reason": " "}}, principal=MODERATOR
        ),
        "showVoiceComment",
    )
    assert voice.codes(no_reason) == [("reason", "REQUIRED")]
    shown = voice.payload(
        await run(
            voice.SHOW,
            {"input": {"comment": comment["id"], "reason": "Erreur"}},
            principal=MODERATOR,
        ),
        "showVoiceComment",
    )
    assert shown["comment"]["body"] == "Achetez mes montres !" and not shown["comment"]["hidden"]
    log = (await run(LOG, principal=MODERATOR))["data"]["voiceModerationLog"]["nodes"]
    assert [(e["action"], e["reason"], e["moderator"]) for e in log] == [
        ("shown", "Erreur", "moderator"),
        ("hidden", "Publicité", "moderator"),
    ]


async def test_the_change_feed_tells_without_personal_data(run: Any, voice: Any) -> None:
    cursor = (await run(CURSOR))["data"]["changesCursor"]
    project = (await voice.projects())[0]["id"]
    comment = await voice.comment(project, "Texte personnel", by=voice.BOB)
    await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.ANN)
    await run(
        voice.REPORT,
        {"input": {"comment": comment["id"], "reason": "OFFENSIVE"}},
        principal=voice.ANN,
    )
    public = (await run(FEED, {"after": cursor}))["data"]["changes"]["nodes"]
    assert [(e["type"], e["objectType"]) for e in public] == [
        ("comment.created", "VoiceComment"),
        ("support.created", "VoiceSupport"),
    ]
    text = repr(public)
    for secret in ("Texte personnel", "bob-account", "ann-account", "Ann"):
        assert secret not in text
    moderated = (await run(FEED, {"after": cursor}, principal=MODERATOR))["data"]["changes"]
    assert [e["type"] for e in moderated["nodes"]] == [
        "comment.created",
        "support.created",
        "comment.reported",
    ]


async def test_webhook_event_types_are_listed_with_their_permission(run: Any) -> None:
    listed = await run(
        "{ webhookEventTypes { type permission } }",
        principal=Principal(
            kind=PrincipalKind.PERSON, subject="a", roles=frozenset({Role.TERRITORY_ADMIN})
        ),
    )
    types = {t["type"]: t["permission"] for t in listed["data"]["webhookEventTypes"]}
    assert types["comment.created"] is None and types["support.created"] is None
    assert types["comment.hidden"] is None
    assert types["comment.reported"] == "voice:moderate"


async def test_webhook_subscribers_need_voice_moderate_for_reports(run: Any, world: Any) -> None:
    world.settings = world.settings.model_copy(update={"webhooks_allow_private_targets": True})
    subscribe = """mutation($input: CreateWebhookSubscriptionInput!) {
      createWebhookSubscription(input: $input) {
        subscription { eventTypes } errors { field code message } } }"""

    def client(*scopes: str) -> Principal:
        return Principal(
            kind=PrincipalKind.CLIENT,
            subject="site",
            client_id="site",
            roles=frozenset({Role.INTEGRATOR}),
            scopes=frozenset(scopes),
        )

    async def ask(principal: Principal, types: list[str]) -> Any:
        values = {"url": "http://127.0.0.1:9/hooks", "eventTypes": types}
        body = await run(subscribe, {"input": values}, principal=principal)
        return body["data"]["createWebhookSubscription"]

    public = await ask(client("webhooks:manage"), ["comment.created", "support.created"])
    assert public["errors"] == []
    refused = await ask(client("webhooks:manage"), ["comment.reported"])
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("eventTypes", "FORBIDDEN")]
    allowed = await ask(client("webhooks:manage", "voice:moderate"), ["comment.reported"])
    assert allowed["errors"] == []
