"""A person's comments, supports, reports, subscriptions and moderation decisions are in the
GDPR export (``bocage_personal_data``) and erased on request; the threads stay readable."""

from __future__ import annotations

from typing import Any

from bocage.core.auth.principal import Principal, PrincipalKind, Role

DPO = Principal(kind=PrincipalKind.PERSON, subject="dpo", roles=frozenset({Role.TERRITORY_ADMIN}))
EXPORT = """query($email: String, $subject: String) {
  exportPersonData(email: $email, subject: $subject) { plugins } }"""
MINE = "{ myPersonalData { plugins } }"
ERASE = """mutation($input: ErasePersonInput!) {
  erasePerson(input: $input) { erasedRecords errors { code field message } } }"""


async def test_export_and_erase_a_persons_voice(run: Any, voice: Any) -> None:
    project = (await voice.projects())[0]["id"]
    mine = await voice.comment(project, "Mon avis signé")
    reply = await voice.comment(
        None, "Réponse de Bob", by=voice.BOB, parent=mine["id"], alias="Bob"
    )
    await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.ANN)
    await run(
        voice.REPORT,
        {"input": {"comment": reply["id"], "reason": "OFFENSIVE"}},
        principal=voice.ANN,
    )
    subscribed = await run(
        voice.SUBSCRIBE,
        {"input": {"follow": project, "email": "ann@example.org", "consentVersion": "2026-12"}},
        principal=voice.ANN,
    )
    assert subscribed["data"]["subscribeToVoiceDigest"]["errors"] == []

    own = (await run(MINE, principal=voice.ANN))["data"]["myPersonalData"]["plugins"]
    assert [c["body"] for c in own["voice.comments"]] == ["Mon avis signé"]
    assert own["voice.supports"] == [
        {"target": project, "createdAt": own["voice.supports"][0]["createdAt"]}
    ]
    assert [r["reason"] for r in own["voice.reports"]] == ["offensive"]
    [subscription] = own["voice.subscriptions"]
    assert (
        subscription["email"] == "ann@example.org" and subscription["consentVersion"] == "2026-12"
    )
    assert subscription["consentAt"] and subscription["confirmedAt"] is None
    by_email = (await run(EXPORT, {"email": "ann@example.org"}, principal=DPO))["data"]
    assert len(by_email["exportPersonData"]["plugins"]["voice.subscriptions"]) == 1
    assert (await run(EXPORT, {"subject": "ann-account"}, principal=voice.BOB)).get("errors")

    erased = (await run(ERASE, {"input": {"subject": "ann-account"}}, principal=DPO))["data"][
        "erasePerson"
    ]
    assert erased["errors"] == []
    assert {k: v for k, v in erased["erasedRecords"].items() if k.startswith("voice.")} == {
        "voice.comments": 1,
        "voice.supports": 1,
        "voice.reports": 1,
        "voice.subscriptions": 1,
    }
    after = (await run(EXPORT, {"subject": "ann-account"}, principal=DPO))["data"]
    assert all(
        records == []
        for name, records in after["exportPersonData"]["plugins"].items()
        if name.startswith("voice.")
    )
    discussion = voice.payload(await run(voice.DISCUSSION, {"target": project}), "voiceDiscussion")
    [thread] = discussion["comments"]["nodes"]
    assert (thread["alias"], thread["body"]) == ("[erased]", "[erased]")
    assert [r["body"] for r in thread["replies"]] == ["Réponse de Bob"]
    assert discussion["supportCount"] == 0
