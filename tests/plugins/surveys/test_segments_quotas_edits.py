"""Cross-tabulations by the respondents' segment (stakeholder kind, commune), quotas per
segment, and attributed responses edited until the survey closes."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

from sqlalchemy import column, select, table

CROSS = """
query($id: ID!, $segment: SurveySegment!, $public: Boolean!) {
  surveyCrossTab(id: $id, question: "kind", segment: $segment, public: $public) {
    byOption option count percent suppressed
  }
}"""
QUOTAS = """
query($id: ID!) { survey(id: $id) { quotas { segment value limit full filled } } }"""

stakeholder = table("stakeholder", column("id"), column("kind"))
stakeholder_commune = table("stakeholder_commune", column("stakeholder_id"), column("commune_id"))
commune = table("commune", column("id"), column("nis_code"))


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _stakeholders(world: Any) -> dict[int, tuple[str, set[str]]]:
    """Every demo organisation's kind and the NIS codes of its communes."""
    async with world.sessionmaker() as session:
        kinds = dict((await session.execute(select(stakeholder.c.id, stakeholder.c.kind))).all())
        links = (
            await session.execute(
                select(stakeholder_commune.c.stakeholder_id, commune.c.nis_code).join(
                    commune, commune.c.id == stakeholder_commune.c.commune_id
                )
            )
        ).all()
    communes: dict[int, set[str]] = {}
    for key, nis in links:
        communes.setdefault(key, set()).add(nis)
    return {key: (str(kind), communes.get(key, set())) for key, kind in kinds.items()}


def _answers(kind: str) -> list[dict[str, Any]]:
    answers = [
        {"question": "kind", "choices": [kind]},
        {"question": "channels", "choices": ["web"]},
        {"question": "satisfaction", "number": 3},
    ]
    if kind == "association":
        answers.append(
            {
                "question": "tools",
                "cells": [{"row": "drive", "column": "often"}, {"row": "visio", "column": "often"}],
            }
        )
    return answers


async def test_attributed_responses_are_broken_down_by_their_invitations(
    run: Any, sv: Any, world: Any
) -> None:
    organisations = await _stakeholders(world)
    chosen = sorted(organisations)[:30]
    survey = await sv.create(anonymous=False)
    invited = await run(
        sv.INVITE,
        {
            "input": {
                "survey": survey["id"],
                "stakeholders": [_gid("Stakeholder", k) for k in chosen],
            }
        },
        principal=sv.ADMIN,
    )
    tokens = {
        i["stakeholder"]: i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]
    }
    expected_kind: Counter[tuple[str, str]] = Counter()
    expected_commune: Counter[tuple[str, str]] = Counter()
    for index, key in enumerate(chosen):
        answer = "association" if index % 3 else "enterprise"
        body = await run(
            sv.SUBMIT,
            {"input": {"token": tokens[_gid("Stakeholder", key)], "answers": _answers(answer)}},
        )
        assert body["data"]["submitSurveyResponse"]["submitted"], body
        kind, communes = organisations[key]
        expected_kind[(kind, answer)] += 1
        for nis in communes:
            expected_commune[(nis, answer)] += 1
    assert len({kind for kind, _ in expected_kind}) >= 2 and expected_commune
    for segment, expected in (("STAKEHOLDER_KIND", expected_kind), ("COMMUNE", expected_commune)):
        body = await run(
            CROSS, {"id": survey["id"], "segment": segment, "public": False}, principal=sv.ADMIN
        )
        assert "errors" not in body, body
        found = {
            (c["byOption"], c["option"]): c["count"]
            for c in body["data"]["surveyCrossTab"]
            if c["count"]
        }
        assert found == dict(expected), segment
    # Publicly (once closed), no cell under k.
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    for segment in ("STAKEHOLDER_KIND", "COMMUNE"):
        body = await run(CROSS, {"id": survey["id"], "segment": segment, "public": True})
        for cell in body["data"]["surveyCrossTab"]:
            assert cell["count"] in (None, 0) or cell["count"] >= 5, cell


SEGMENTED = [
    {
        "key": "commune",
        "type": "SINGLE_CHOICE",
        "title": {"fr": "Votre commune"},
        "required": True,
        "segment": "COMMUNE",
        "options": [
            {"value": "64034", "label": {"fr": "Hannut"}},
            {"value": "92003", "label": {"fr": "Andenne"}},
        ],
    },
    {
        "key": "kind",
        "type": "SINGLE_CHOICE",
        "title": {"fr": "Votre structure"},
        "required": True,
        "options": [
            {"value": "association", "label": {"fr": "Association"}},
            {"value": "enterprise", "label": {"fr": "Entreprise"}},
        ],
    },
]


async def _create(run: Any, sv: Any, **extra: Any) -> dict[str, Any]:
    created = await run(
        sv.CREATE,
        {"input": {"title": {"fr": "Quotas"}, "public": True, "questions": SEGMENTED, **extra}},
        principal=sv.ADMIN,
    )
    payload = created["data"]["createSurvey"]
    if payload["errors"]:
        return payload
    survey = payload["survey"]
    opened = await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    return {**survey, **opened["data"]["openSurvey"]["survey"]}


async def test_anonymous_quotas_count_the_declared_segment(run: Any, sv: Any) -> None:
    survey = await _create(run, sv, quotas=[{"segment": "COMMUNE", "value": "64034", "limit": 2}])

    async def answer(nis: str) -> dict[str, Any]:
        body = await run(
            sv.SUBMIT,
            {
                "input": {
                    "publicKey": survey["publicKey"],
                    "answers": [
                        {"question": "commune", "choices": [nis]},
                        {"question": "kind", "choices": ["association"]},
                    ],
                }
            },
        )
        return body["data"]["submitSurveyResponse"]

    for nis in ("64034", "64034", "92003"):
        assert (await answer(nis))["submitted"]
    public = await run(QUOTAS, {"id": survey["id"]})
    assert public["data"]["survey"]["quotas"] == [
        {"segment": "COMMUNE", "value": "64034", "limit": 2, "full": False, "filled": None}
    ]
    # Only responses out of the holding pool count (a quota turning full on one response
    # would tell its segment): a batch moves, and the quota is full.
    await sv.settle()
    managed = await run(QUOTAS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert managed["data"]["survey"]["quotas"][0] == {
        "segment": "COMMUNE",
        "value": "64034",
        "limit": 2,
        "full": True,
        "filled": 2,
    }
    refused = await answer("64034")
    assert not refused["submitted"]
    assert refused["errors"][0]["field"] == "commune"
    assert "quota de 2 réponses pour commune '64034' est atteint" in refused["errors"][0]["message"]
    assert (await answer("92003"))["submitted"]  # other segments still answer
    # The anonymous survey is broken down by the declared commune.
    body = await run(
        CROSS, {"id": survey["id"], "segment": "COMMUNE", "public": False}, principal=sv.ADMIN
    )
    counts = {(c["byOption"], c["option"]): c["count"] for c in body["data"]["surveyCrossTab"]}
    assert counts[("64034", "association")] == 2 and counts[("92003", "association")] == 1


async def test_quota_and_edit_options_are_checked(run: Any, sv: Any) -> None:
    # An anonymous survey cannot count a kind quota without a question declaring the kind.
    payload = await _create(
        run, sv, quotas=[{"segment": "STAKEHOLDER_KIND", "value": "association", "limit": 3}]
    )
    assert payload["errors"][0]["field"] == "quotas[0]"
    assert "segment: STAKEHOLDER_KIND" in payload["errors"][0]["message"]
    payload = await _create(run, sv, quotas=[{"segment": "COMMUNE", "value": "Hannut", "limit": 3}])
    assert "NIS code" in payload["errors"][0]["message"]
    payload = await _create(run, sv, allowEdit=True)
    assert payload["errors"][0]["field"] == "allowEdit"
    bad_segment = [dict(SEGMENTED[0], options=[{"value": "x1", "label": {"fr": "x"}}] * 1)]
    bad_segment[0]["options"] = [
        {"value": "hannut", "label": {"fr": "Hannut"}},
        {"value": "andenne", "label": {"fr": "Andenne"}},
    ]
    body = await run(
        sv.CREATE,
        {"input": {"title": {"fr": "x"}, "questions": bad_segment}},
        principal=sv.ADMIN,
    )
    assert "NIS codes" in body["data"]["createSurvey"]["errors"][0]["message"]


async def test_attributed_quotas_count_the_invited_organisations(
    run: Any, sv: Any, world: Any
) -> None:
    organisations = await _stakeholders(world)
    associations = [k for k, (kind, _) in sorted(organisations.items()) if kind == "association"]
    created = await run(
        sv.CREATE,
        {
            "input": {
                "title": {"fr": "Quota par type"},
                "anonymous": False,
                "questions": SEGMENTED[1:],
                "quotas": [{"segment": "STAKEHOLDER_KIND", "value": "association", "limit": 1}],
            }
        },
        principal=sv.ADMIN,
    )
    survey = created["data"]["createSurvey"]["survey"]
    await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    invited = await run(
        sv.INVITE,
        {
            "input": {
                "survey": survey["id"],
                "stakeholders": [_gid("Stakeholder", k) for k in associations[:2]],
            }
        },
        principal=sv.ADMIN,
    )
    tokens = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]
    answers = [{"question": "kind", "choices": ["enterprise"]}]  # what they say does not count
    first = await run(sv.SUBMIT, {"input": {"token": tokens[0], "answers": answers}})
    assert first["data"]["submitSurveyResponse"]["submitted"]
    second = await run(sv.SUBMIT, {"input": {"token": tokens[1], "answers": answers}})
    error = second["data"]["submitSurveyResponse"]["errors"][0]
    assert error["field"] == "quota" and "'association' est atteint" in error["message"]
    # Refused: nothing was written, the invitation can still answer if the quota grows.
    pending = await run(
        "query($s: ID!) { surveyInvitations(survey: $s, pending: true) { submitted } }",
        {"s": survey["id"]},
        principal=sv.ADMIN,
    )
    assert len(pending["data"]["surveyInvitations"]) == 1


async def test_attributed_responses_can_be_edited_until_close(
    run: Any, sv: Any, world: Any
) -> None:
    survey = await sv.create(anonymous=False)
    updated = await run(
        """mutation($input: UpdateSurveyInput!) {
          updateSurvey(input: $input) { survey { version allowEdit } errors { field message } }
        }""",
        {"input": {"id": survey["id"], "version": survey["version"], "allowEdit": True}},
        principal=sv.ADMIN,
    )
    assert updated["data"]["updateSurvey"]["errors"] == []
    version = updated["data"]["updateSurvey"]["survey"]["version"]
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 1}}, principal=sv.ADMIN
    )
    token = invited["data"]["inviteToSurvey"]["invitations"][0]["token"]
    first = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
    assert first["data"]["submitSurveyResponse"]["submitted"]
    mine = await run(
        "query($t: String!) { surveyInvitation(token: $t) { submitted editable "
        "answers { question choices number } } }",
        {"t": token},
    )
    state = mine["data"]["surveyInvitation"]
    assert state["submitted"] and state["editable"]
    assert {a["question"]: a["number"] for a in state["answers"]}["satisfaction"] == 4
    changed = [dict(a) for a in sv.VALID]
    changed[3] = {"question": "satisfaction", "number": 1}
    again = await run(sv.SUBMIT, {"input": {"token": token, "answers": changed}})
    assert again["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}
    results = await run(
        "query($id: ID!) { surveyResults(id: $id) { respondents "
        "questions { key cells { option count } } } }",
        {"id": survey["id"]},
        principal=sv.ADMIN,
    )
    data = results["data"]["surveyResults"]
    assert data["respondents"] == 1  # replaced, not added
    satisfaction = next(q for q in data["questions"] if q["key"] == "satisfaction")
    assert {c["option"]: c["count"] for c in satisfaction["cells"]}["1"] == 1
    assert {c["option"]: c["count"] for c in satisfaction["cells"]}["4"] == 0
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": version}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    late = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
    assert "pas ouverte" in late["data"]["submitSurveyResponse"]["errors"][0]["message"]


async def test_concurrent_responses_never_overrun_a_quota(run: Any, sv: Any) -> None:
    import asyncio

    # Attributed, answered through the public link (the segment is declared): each response
    # counts at once (an anonymous survey's quota fills by batches, see test_races_and_dates).
    survey = await _create(
        run, sv, anonymous=False, quotas=[{"segment": "COMMUNE", "value": "64034", "limit": 3}]
    )
    answers = [
        {"question": "commune", "choices": ["64034"]},
        {"question": "kind", "choices": ["association"]},
    ]
    bodies = await asyncio.gather(
        *(
            run(sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": answers}})
            for _ in range(8)
        )
    )
    assert all("errors" not in body for body in bodies), bodies
    outcomes = [body["data"]["submitSurveyResponse"] for body in bodies]
    assert sum(o["submitted"] for o in outcomes) == 3
    assert all("est atteint" in o["errors"][0]["message"] for o in outcomes if not o["submitted"])
