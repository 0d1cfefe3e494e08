"""A survey with every question type and skip rules, answered through GraphQL as an invited
contact and anonymously: validation, skip logic, drafts, one response per token, versions."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select

from bocage.plugins.surveys import models as sm

DEFINITION = """
query($id: ID!) {
  survey(id: $id) {
    title titleTranslations { nl } status anonymous publicKey questionsVersion responseCount
    questions {
      key position type required allowOther minSelected maxSelected maxLength minValue maxValue
      title options { value label } rows { value label }
      showIf { question operator values }
    }
  }
}"""


def _codes(payload: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in payload["errors"]}


async def test_a_front_end_renders_the_definition_generically(run: Any, sv: Any) -> None:
    survey = await sv.create()
    body = await run(DEFINITION, {"id": survey["id"]})
    assert "errors" not in body, body
    data = body["data"]["survey"]
    assert data["status"] == "OPEN" and data["titleTranslations"]["nl"]
    assert data["publicKey"] == survey["publicKey"]  # open and public: anyone may answer it
    assert data["responseCount"] is None  # under k: a count that small is withheld
    managed = await run(DEFINITION, {"id": survey["id"]}, principal=sv.ADMIN)
    assert managed["data"]["survey"]["responseCount"] == 0
    assert [q["type"] for q in data["questions"]] == [
        "SINGLE_CHOICE",
        "MULTIPLE_CHOICE",
        "FREE_TEXT",
        "NUMBER",
        "SCALE",
        "DATE",
        "RANKING",
        "MATRIX",
    ]
    tools = data["questions"][-1]
    assert [r["value"] for r in tools["rows"]] == ["drive", "visio"]
    assert tools["showIf"] == {"question": "kind", "operator": "EQUALS", "values": ["association"]}
    assert data["questions"][1]["maxSelected"] == 2


async def test_invalid_definitions_are_refused_naming_the_question(run: Any, sv: Any) -> None:
    broken = copy.deepcopy(sv.QUESTIONS)
    broken[2]["showIf"] = {"question": "satisfaction", "operator": "EQUALS", "values": ["1"]}
    body = await run(
        sv.CREATE, {"input": {"title": {"fr": "x"}, "questions": broken}}, principal=sv.ADMIN
    )
    error = body["data"]["createSurvey"]["errors"][0]
    assert error["field"] == "questions[2]" and "earlier question" in error["message"]
    broken = copy.deepcopy(sv.QUESTIONS)
    broken[4]["options"] = [{"value": "low", "label": {"fr": "bas"}}] * 2
    body = await run(
        sv.CREATE, {"input": {"title": {"fr": "x"}, "questions": broken}}, principal=sv.ADMIN
    )
    assert body["data"]["createSurvey"]["errors"][0]["code"] == "INVALID"


async def test_only_survey_managers_write(run: Any, sv: Any) -> None:
    variables = {"input": {"title": {"fr": "x"}, "questions": sv.QUESTIONS}}
    anonymous = await run(sv.CREATE, variables)
    assert anonymous["data"]["createSurvey"]["errors"][0]["code"] == "UNAUTHENTICATED"
    editor = await run(sv.CREATE, variables, principal=sv.EDITOR)
    assert editor["data"]["createSurvey"]["errors"][0]["code"] == "FORBIDDEN"
    client = await run(sv.CREATE, variables, principal=sv.MANAGER_CLIENT)
    assert client["data"]["createSurvey"]["errors"] == []


async def test_answer_as_an_invited_contact(run: Any, sv: Any, world: Any) -> None:
    survey = await sv.create(anonymous=False)
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 2}}, principal=sv.ADMIN
    )
    tokens = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]
    assert len(tokens) == 2

    # Invalid answers are refused, each error naming its question and what is wrong.
    bad = await run(
        sv.SAVE,
        {
            "input": {
                "token": tokens[0],
                "answers": [
                    {"question": "kind", "choices": ["association", "enterprise"]},
                    {"question": "channels", "choices": ["web", "web"]},
                    {"question": "members", "number": -3},
                    {"question": "satisfaction", "number": 7},
                    {"question": "needs", "choices": ["training"]},
                    {"question": "founded", "text": "hier"},
                    {"question": "nope", "text": "?"},
                ],
            }
        },
    )
    payload = bad["data"]["saveSurveyDraft"]
    assert _codes(payload) == {
        "answers": "NOT_FOUND",
        "kind": "INVALID",
        "channels": "INVALID",
        "members": "INVALID",
        "satisfaction": "INVALID",
        "needs": "INVALID",
        "founded": "INVALID",
    }
    messages = {e["field"]: e["message"] for e in payload["errors"]}
    # In the caller's language (French here; test_i18n.py tries the others).
    assert "choisissez exactement une option" in messages["kind"]
    assert "sous le minimum 0" in messages["members"]
    assert "n'est pas un point de l'échelle" in messages["satisfaction"]
    assert "classez les 3 éléments" in messages["needs"]

    # A partial draft is saved, then resumed.
    saved = await run(sv.SAVE, {"input": {"token": tokens[0], "answers": sv.VALID[:2]}})
    assert saved["data"]["saveSurveyDraft"]["errors"] == []
    resumed = await run(
        "query($t: String!) { surveyInvitation(token: $t) { submitted answers { question choices } "
        "survey { title } } }",
        {"t": tokens[0]},
    )
    draft = resumed["data"]["surveyInvitation"]
    assert draft["submitted"] is False
    assert [a["question"] for a in draft["answers"]] == ["kind", "channels"]

    # Submitting the incomplete draft names the required questions still missing.
    incomplete = await run(sv.SUBMIT, {"input": {"token": tokens[0]}})
    assert _codes(incomplete["data"]["submitSurveyResponse"]) == {
        "satisfaction": "REQUIRED",
        "tools": "REQUIRED",
    }
    # Complete it and submit once.
    await run(sv.SAVE, {"input": {"token": tokens[0], "answers": sv.VALID}})
    done = await run(sv.SUBMIT, {"input": {"token": tokens[0]}})
    assert done["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}
    again = await run(sv.SUBMIT, {"input": {"token": tokens[0], "answers": sv.VALID}})
    assert _codes(again["data"]["submitSurveyResponse"]) == {"token": "DUPLICATE"}
    # The invitee reads back their own attributed answers (not editable: allowEdit is off).
    mine = await run(
        "query($t: String!) { surveyInvitation(token: $t) { submitted editable "
        "answers { question } } }",
        {"t": tokens[0]},
    )
    assert mine["data"]["surveyInvitation"] == {
        "submitted": True,
        "editable": False,
        "answers": [{"question": a["question"]} for a in sv.VALID],
    }

    # Attributed survey: the response is linked to its invitation (personal data).
    async with world.sessionmaker() as session:
        links = (
            await session.execute(
                select(func.count())
                .select_from(sm.Attribution)
                .join(sm.Response, sm.Response.id == sm.Attribution.response_id)
                .where(sm.Response.survey_id == select(func.max(sm.Survey.id)).scalar_subquery())
            )
        ).scalar()
    assert links == 1


async def test_skip_logic(run: Any, sv: Any) -> None:
    survey = await sv.create()
    key = survey["publicKey"]
    # An enterprise without a website: "tools" is skipped (not required even though it is),
    # "website_wish" is shown and required.
    answers = [
        {"question": "kind", "choices": ["enterprise"]},
        {"question": "channels", "choices": ["facebook"]},
        {"question": "satisfaction", "number": 2},
    ]
    missing = await run(sv.SUBMIT, {"input": {"publicKey": key, "answers": answers}})
    assert _codes(missing["data"]["submitSurveyResponse"]) == {"website_wish": "REQUIRED"}
    hidden = [
        *answers,
        {"question": "website_wish", "text": "pas le temps"},
        {"question": "tools", "cells": [{"row": "drive", "column": "often"}]},
    ]
    refused = await run(sv.SUBMIT, {"input": {"publicKey": key, "answers": hidden}})
    error = refused["data"]["submitSurveyResponse"]["errors"][0]
    assert error["field"] == "tools" and "est sautée" in error["message"]
    ok = await run(sv.SUBMIT, {"input": {"publicKey": key, "answers": hidden[:-1]}})
    assert ok["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}
    too_long = [*answers, {"question": "website_wish", "text": "x" * 51}]
    body = await run(sv.SUBMIT, {"input": {"publicKey": key, "answers": too_long}})
    assert "le maximum est 50" in body["data"]["submitSurveyResponse"]["errors"][0]["message"]
    other = [
        {"question": "kind", "choices": ["other"]},
        {"question": "channels", "choices": ["web"]},
        {"question": "satisfaction", "number": 5},
    ]
    body = await run(sv.SUBMIT, {"input": {"publicKey": key, "answers": other}})
    assert (
        "précisez quoi dans `other`" in body["data"]["submitSurveyResponse"]["errors"][0]["message"]
    )
    other[0]["other"] = "coopérative"
    body = await run(sv.SUBMIT, {"input": {"publicKey": key, "answers": other}})
    assert body["data"]["submitSurveyResponse"]["submitted"] is True


async def test_closed_and_private_surveys_take_no_answers(run: Any, sv: Any) -> None:
    survey = await sv.create(public=False)
    body = await run(sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": sv.VALID}})
    assert _codes(body["data"]["submitSurveyResponse"]) == {"publicKey": "NOT_FOUND"}
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 1}}, principal=sv.ADMIN
    )
    token = invited["data"]["inviteToSurvey"]["invitations"][0]["token"]
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["survey"]["status"] == "CLOSED"
    body = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
    assert "pas ouverte" in body["data"]["submitSurveyResponse"]["errors"][0]["message"]


async def test_editing_answered_questions_makes_a_new_version(run: Any, sv: Any) -> None:
    # Attributed: an open anonymous survey gets a new version at every edit (test_anonymity).
    survey = await sv.create(anonymous=False)
    update = """
    mutation($input: UpdateSurveyInput!) {
      updateSurvey(input: $input) {
        survey { version questionsVersion } errors { field code message }
      }
    }"""
    # Nobody has answered: edits replace the questions in place.
    first = await run(
        update,
        {"input": {"id": survey["id"], "version": survey["version"], "questions": sv.QUESTIONS}},
        principal=sv.ADMIN,
    )
    changed = first["data"]["updateSurvey"]["survey"]
    assert changed["questionsVersion"] == 1
    submitted = await run(
        sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": sv.VALID}}
    )
    assert submitted["data"]["submitSurveyResponse"]["submitted"]
    fewer = sv.QUESTIONS[:2]
    second = await run(
        update,
        {"input": {"id": survey["id"], "version": changed["version"], "questions": fewer}},
        principal=sv.ADMIN,
    )
    assert second["data"]["updateSurvey"]["survey"]["questionsVersion"] == 2
    stale = await run(
        update,
        {"input": {"id": survey["id"], "version": changed["version"], "questions": fewer}},
        principal=sv.ADMIN,
    )
    assert stale["data"]["updateSurvey"]["errors"][0]["code"] == "CONFLICT"
    versions = await run(
        "query($id: ID!) { survey(id: $id) { v1: questions(version: 1) { key } "
        "current: questions { key } } }",
        {"id": survey["id"]},
    )
    assert len(versions["data"]["survey"]["v1"]) == 8
    assert [q["key"] for q in versions["data"]["survey"]["current"]] == ["kind", "channels"]


async def test_drafts_are_hidden_from_the_public(run: Any, sv: Any) -> None:
    created = await run(
        sv.CREATE,
        {"input": {"title": {"fr": "brouillon"}, "questions": sv.QUESTIONS}},
        principal=sv.ADMIN,
    )
    survey_id = created["data"]["createSurvey"]["survey"]["id"]
    public = await run("query($id: ID!) { survey(id: $id) { status } }", {"id": survey_id})
    assert public["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await run("{ surveys(first: 100) { edges { node { id } } } }")
    assert survey_id not in {e["node"]["id"] for e in listed["data"]["surveys"]["edges"]}
    managed = await run(
        "{ surveys(first: 100) { totalCount edges { node { id } } } }", principal=sv.ADMIN
    )
    assert survey_id in {e["node"]["id"] for e in managed["data"]["surveys"]["edges"]}
    assert managed["data"]["surveys"]["totalCount"] == listed_total(listed) + 1


def listed_total(body: dict[str, Any]) -> int:
    return len(body["data"]["surveys"]["edges"])


async def test_a_section_is_shown_or_skipped_whole(run: Any, sv: Any) -> None:
    questions = [
        {
            "key": "member",
            "type": "SINGLE_CHOICE",
            "title": {"fr": "Êtes-vous membre ?"},
            "required": True,
            "options": [
                {"value": "yes", "label": {"fr": "Oui"}},
                {"value": "no", "label": {"fr": "Non"}},
            ],
        },
        {
            "key": "membership",
            "type": "SECTION",
            "title": {"fr": "Votre adhésion"},
            "showIf": {"question": "member", "operator": "EQUALS", "values": ["yes"]},
        },
        {"key": "fee", "type": "NUMBER", "title": {"fr": "Cotisation"}, "required": True},
    ]
    survey = await sv.create(questions=questions)
    key = survey["publicKey"]
    skipped = await run(
        sv.SUBMIT,
        {"input": {"publicKey": key, "answers": [{"question": "member", "choices": ["no"]}]}},
    )
    assert skipped["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}
    missing = await run(
        sv.SUBMIT,
        {"input": {"publicKey": key, "answers": [{"question": "member", "choices": ["yes"]}]}},
    )
    assert _codes(missing["data"]["submitSurveyResponse"]) == {"fee": "REQUIRED"}
    heading = await run(
        sv.SUBMIT,
        {
            "input": {
                "publicKey": key,
                "answers": [
                    {"question": "member", "choices": ["yes"]},
                    {"question": "membership", "text": "?"},
                    {"question": "fee", "number": 20},
                ],
            }
        },
    )
    assert _codes(heading["data"]["submitSurveyResponse"]) == {"membership": "INVALID"}
    body = await run(DEFINITION, {"id": survey["id"]})
    assert [q["type"] for q in body["data"]["survey"]["questions"]] == [
        "SINGLE_CHOICE",
        "SECTION",
        "NUMBER",
    ]
    results = await run(
        "query($id: ID!) { surveyResults(id: $id) { questions { key } } }",
        {"id": survey["id"]},
        principal=sv.ADMIN,
    )
    assert [q["key"] for q in results["data"]["surveyResults"]["questions"]] == ["member", "fee"]


async def test_front_ends_list_the_surveys_for_their_audience(run: Any, sv: Any) -> None:
    async def create(**audience: Any) -> str:
        survey = await sv.create()
        body = await run(
            """mutation($input: UpdateSurveyInput!) {
              updateSurvey(input: $input) { survey { id } errors { message } }
            }""",
            {"input": {"id": survey["id"], "version": survey["version"], **audience}},
            principal=sv.ADMIN,
        )
        assert body["data"]["updateSurvey"]["errors"] == []
        return survey["id"]

    hannut = await create(audienceKinds=["association"], audienceCommunes=["64034"])
    everyone = await create(audienceKinds=[], audienceCommunes=[])
    businesses = await create(audienceKinds=["enterprise"], audienceCommunes=["92003"])
    query = """query($kind: String, $commune: String) {
      surveys(audienceKind: $kind, commune: $commune, first: 100) { edges { node { id } } }
    }"""

    async def listed(**filters: Any) -> set[str]:
        body = await run(query, filters)
        assert "errors" not in body, body
        return {e["node"]["id"] for e in body["data"]["surveys"]["edges"]}

    mine = await listed(kind="association", commune="64034")
    assert {hannut, everyone} <= mine and businesses not in mine
    assert businesses in await listed(kind="enterprise")
    assert hannut not in await listed(commune="92003")
    bad = await run(query, {"kind": "club"})
    assert bad["errors"][0]["extensions"]["field"] == "audienceKind"
