"""Reminders (who has not answered), cross-tabulations, CSV/XLSX exports and the demo data."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from bocage.core.app import create_app
from bocage.core.auth.principal import ANONYMOUS
from bocage.plugins.surveys import models as sm

INVITATIONS = """
query($s: ID!, $pending: Boolean) {
  surveyInvitations(survey: $s, pending: $pending) { stakeholder submitted hasDraft invitedAt }
}"""
CROSS = """
query($id: ID!, $q: String!, $by: String!, $public: Boolean!) {
  surveyCrossTab(id: $id, question: $q, by: $by, public: $public) {
    byOption option count percent suppressed
  }
}"""


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def test_reminders_list_who_has_not_answered(run: Any, sv: Any, world: Any) -> None:
    async with world.sessionmaker() as session:
        stakeholders = (
            (await session.execute(select(sm.Base.metadata.tables["stakeholder"].c.id).limit(2)))
            .scalars()
            .all()
        )
    survey = await sv.create(anonymous=False)  # an anonymous one never tells (test_anonymity)
    invited = await run(
        sv.INVITE,
        {
            "input": {
                "survey": survey["id"],
                "stakeholders": [_gid("Stakeholder", k) for k in stakeholders],
            }
        },
        principal=sv.ADMIN,
    )
    tokens = {
        i["stakeholder"]: i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]
    }
    first, second = (_gid("Stakeholder", k) for k in stakeholders)
    await run(sv.SUBMIT, {"input": {"token": tokens[first], "answers": sv.VALID}})
    await run(sv.SAVE, {"input": {"token": tokens[second], "answers": sv.VALID[:1]}})
    pending = await run(INVITATIONS, {"s": survey["id"], "pending": True}, principal=sv.ADMIN)
    assert [(i["stakeholder"], i["hasDraft"]) for i in pending["data"]["surveyInvitations"]] == [
        (second, True)
    ]
    everyone = await run(INVITATIONS, {"s": survey["id"]}, principal=sv.ADMIN)
    assert len(everyone["data"]["surveyInvitations"]) == 2
    refused = await run(INVITATIONS, {"s": survey["id"]}, principal=sv.EDITOR)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await run(
        sv.INVITE,
        {"input": {"survey": survey["id"], "stakeholders": [_gid("Stakeholder", 999999)]}},
        principal=sv.ADMIN,
    )
    assert unknown["data"]["inviteToSurvey"]["errors"][0]["code"] == "NOT_FOUND"
    # A contact is invited with their organisation (an association: the survey's audience).
    contact = sm.Base.metadata.tables["contact"]
    stakeholder = sm.Base.metadata.tables["stakeholder"]
    async with world.sessionmaker() as session:
        person, organisation = (
            await session.execute(
                select(contact.c.id, contact.c.stakeholder_id)
                .join(stakeholder, stakeholder.c.id == contact.c.stakeholder_id)
                .where(stakeholder.c.kind == "association")
                .limit(1)
            )
        ).one()
    by_contact = await run(
        sv.INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", person)]}},
        principal=sv.ADMIN,
    )
    [token] = by_contact["data"]["inviteToSurvey"]["invitations"]
    assert token["contact"] == _gid("Contact", person)
    assert token["stakeholder"] == _gid("Stakeholder", organisation)
    pending = await run(
        "query($s: ID!) { surveyInvitations(survey: $s, pending: true) { stakeholder contact } }",
        {"s": survey["id"]},
        principal=sv.ADMIN,
    )
    assert {"stakeholder": token["stakeholder"], "contact": token["contact"]} in pending["data"][
        "surveyInvitations"
    ]
    # The organisation as an object, where the ID field is deprecated.
    assert token["organisation"] == {"id": token["stakeholder"]}
    listed = await run(
        "query($s: ID!) { surveyInvitations(survey: $s, pending: true) { organisation { id } "
        "contact } }",
        {"s": survey["id"]},
        principal=sv.ADMIN,
    )
    assert {"organisation": {"id": token["stakeholder"]}, "contact": token["contact"]} in listed[
        "data"
    ]["surveyInvitations"]
    wrong = await run(
        sv.INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", 999999)]}},
        principal=sv.ADMIN,
    )
    assert wrong["data"]["inviteToSurvey"]["errors"][0]["field"] == "contacts"


async def test_cross_tab_by_an_answer(run: Any, sv: Any) -> None:
    survey = await sv.create()
    plan = [
        ("association", ["web"], 6),
        ("association", ["facebook"], 2),
        ("association", ["newsletter"], 7),
        ("enterprise", ["web"], 7),
        ("enterprise", ["facebook"], 6),
        ("enterprise", ["newsletter"], 8),
    ]
    for kind, channels, times in plan:
        answers = [
            {"question": "kind", "choices": [kind]},
            {"question": "channels", "choices": channels},
            {"question": "satisfaction", "number": 3},
        ]
        if kind == "association":
            answers.append(
                {
                    "question": "tools",
                    "cells": [
                        {"row": "drive", "column": "often"},
                        {"row": "visio", "column": "often"},
                    ],
                }
            )
        if "web" not in channels:
            answers.append({"question": "website_wish", "text": "bientôt"})
        for _ in range(times):
            body = await run(
                sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": answers}}
            )
            assert body["data"]["submitSurveyResponse"]["submitted"], body
    await sv.settle()
    variables = {"id": survey["id"], "q": "channels", "by": "kind", "public": False}
    full = await run(CROSS, variables, principal=sv.ADMIN)
    cells = {(c["byOption"], c["option"]): c for c in full["data"]["surveyCrossTab"]}
    assert cells[("association", "web")]["count"] == 6
    assert cells[("association", "web")]["percent"] == 40.0
    assert cells[("association", "facebook")]["count"] == 2
    assert cells[("enterprise", "web")]["count"] == 7
    # The public sees closed surveys only, with the small cells withheld.
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    public = await run(CROSS, {**variables, "public": True}, principal=ANONYMOUS)
    shown = [c["count"] for c in public["data"]["surveyCrossTab"] if c["count"]]
    assert shown and all(n >= 5 for n in shown)
    cells = {(c["byOption"], c["option"]): c for c in public["data"]["surveyCrossTab"]}
    assert cells[("association", "facebook")]["suppressed"]
    # Its complements: one in its row, one in its column, and the fourth corner, else the
    # group sizes and the options' overall counts would give them back.
    withheld = {key for key, c in cells.items() if c["suppressed"]}
    assert withheld == {
        ("association", "facebook"),
        ("association", "web"),
        ("enterprise", "facebook"),
        ("enterprise", "web"),
    }
    assert cells[("association", "newsletter")]["count"] == 7
    assert cells[("enterprise", "newsletter")]["count"] == 8
    bad = await run(CROSS, {**variables, "by": "members"}, principal=sv.ADMIN)
    assert bad["errors"][0]["extensions"]["field"] == "by"
    # No segment question in this anonymous survey: a cross-tab by commune says what to add.
    by_commune = await run(
        'query($id: ID!) { surveyCrossTab(id: $id, question: "channels", segment: COMMUNE) '
        "{ count } }",
        {"id": survey["id"]},
        principal=sv.ADMIN,
    )
    assert by_commune["errors"][0]["extensions"]["field"] == "segment"
    assert "segment: COMMUNE" in by_commune["errors"][0]["message"]


class _Authenticator:
    def __init__(self, principal: Any) -> None:
        self.principal = principal

    async def authenticate(self, request: Any) -> Any:
        return self.principal

    async def aclose(self) -> None:
        return None


async def test_exports_for_managers(run: Any, sv: Any, world: Any) -> None:
    survey = await sv.create()
    for _ in range(3):
        await run(sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": sv.VALID}})
    await sv.settle()
    key = base64.b64decode(survey["id"]).decode().split(":")[1]
    app = create_app(world.settings)
    real = app.state.authenticator
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get(f"/api/surveys/{key}/results.csv")).status_code == 401
            app.state.authenticator = _Authenticator(sv.EDITOR)
            assert (await client.get(f"/api/surveys/{key}/results.csv")).status_code == 403
            app.state.authenticator = _Authenticator(sv.ADMIN)
            response = await client.get(f"/api/surveys/{key}/results.csv")
            assert response.status_code == 200
            lines = list(csv.DictReader(io.StringIO(response.text)))
            web = next(r for r in lines if r["question"] == "channels" and r["option"] == "web")
            assert web["count"] == "3" and web["percent"] == "100.0"
            response = await client.get(f"/api/surveys/{key}/results.xlsx")
            book = load_workbook(io.BytesIO(response.content))
            assert book["results"].max_row == len(lines) + 1
            assert (await client.get("/api/surveys/999999/results.csv")).status_code == 404
            # One line per response, one column per question.
            response = await client.get(f"/api/surveys/{key}/responses.csv")
            assert response.status_code == 200
            assert response.headers["cache-control"] == "private, no-store"
            lines = list(csv.DictReader(io.StringIO(response.text)))
            assert len(lines) == 3 and "stakeholder" not in lines[0]  # anonymous
            assert lines[0]["channels"] == "web; facebook"
            assert lines[0]["needs"] == "visibility; training; funding"
            assert lines[0]["tools"] == "drive=often; visio=never"
            assert lines[0]["members"] == "42.0" and lines[0]["founded"] == "1998-03-01"
            assert lines[0]["website_wish"] == ""
            response = await client.get(f"/api/surveys/{key}/responses.xlsx")
            sheet = load_workbook(io.BytesIO(response.content))["responses"]
            assert sheet.max_row == 4
            app.state.authenticator = _Authenticator(sv.EDITOR)
            assert (await client.get(f"/api/surveys/{key}/responses.csv")).status_code == 403
        app.state.authenticator = real


async def test_demo_surveys_are_seeded_with_results(run: Any, sv: Any, world: Any) -> None:
    listed = await run(
        "{ surveys { edges { node { id title status responseCount } } } }", principal=sv.ADMIN
    )
    titles = {e["node"]["title"]: e["node"] for e in listed["data"]["surveys"]["edges"]}
    needs = titles["Besoins des associations"]
    assert needs["status"] == "CLOSED" and needs["responseCount"] >= 10
    assert titles["Campagne d'enquête auprès des entreprises"]["status"] == "OPEN"
    results = await run(
        "query($id: ID!) { surveyResults(id: $id) { respondents "
        "questions { key cells { count } } } }",
        {"id": needs["id"]},
    )
    assert results["data"]["surveyResults"]["respondents"] == needs["responseCount"]
    keys = {q["key"] for q in results["data"]["surveyResults"]["questions"]}
    assert {"visibility", "web_training", "collective_intelligence", "tools"} <= keys
    # Broken down by the commune the associations declared, small cells withheld.
    by_commune = await run(
        'query($id: ID!) { surveyCrossTab(id: $id, question: "web_training", '
        "segment: COMMUNE) { byOption count } }",
        {"id": needs["id"]},
    )
    cells = by_commune["data"]["surveyCrossTab"]
    assert cells and all(c["count"] in (None, 0) or c["count"] >= 5 for c in cells)
    # Its results are published as open data; the businesses' campaign has invitees to remind.
    async with world.sessionmaker() as session:
        published = (
            await session.execute(select(func.count()).select_from(sm.PublishedCell))
        ).scalar()
    assert published > 0
    campaign = titles["Campagne d'enquête auprès des entreprises"]
    pending = await run(
        "query($s: ID!) { surveyInvitations(survey: $s, pending: true) { stakeholder } }",
        {"s": campaign["id"]},
        principal=sv.ADMIN,
    )
    assert pending["data"]["surveyInvitations"]
    assert campaign["responseCount"] >= 3
