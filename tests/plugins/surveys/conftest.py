"""Fixtures of the surveys tests: a fresh copy of a small demo database per test, GraphQL run
as a given principal, and a survey with every question type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bocage.core.testing import Principals

Run = Callable[..., Awaitable[dict[str, Any]]]


principals = Principals()
ADMIN = principals.admin
MANAGER_CLIENT = principals.integrator("surveys:manage", client_id="client-surveys")
EDITOR = principals.editor("64034", subject="editor")


def label(text: str) -> dict[str, str]:
    return {"fr": text}


def options(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "label": label(v.title())} for v in values]


#: One question of every type, and skip rules.
QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "kind",
        "type": "SINGLE_CHOICE",
        "title": label("Votre structure"),
        "required": True,
        "options": options("association", "enterprise"),
        "allowOther": True,
    },
    {
        "key": "channels",
        "type": "MULTIPLE_CHOICE",
        "title": label("Vos canaux"),
        "options": options("web", "facebook", "newsletter", "press"),
        "minSelected": 1,
        "maxSelected": 2,
    },
    {
        "key": "website_wish",
        "type": "FREE_TEXT",
        "title": label("Pourquoi pas de site ?"),
        "required": True,
        "maxLength": 50,
        "showIf": {"question": "channels", "operator": "NOT_EQUALS", "values": ["web"]},
    },
    {
        "key": "members",
        "type": "NUMBER",
        "title": label("Membres"),
        "minValue": 0,
        "maxValue": 10000,
    },
    {
        "key": "satisfaction",
        "type": "SCALE",
        "title": label("Satisfaction"),
        "required": True,
        "options": options("1", "2", "3", "4", "5"),
    },
    {
        "key": "founded",
        "type": "DATE",
        "title": label("Fondée le"),
    },
    {
        "key": "needs",
        "type": "RANKING",
        "title": label("Vos besoins"),
        "options": options("training", "visibility", "funding"),
    },
    {
        "key": "tools",
        "type": "MATRIX",
        "title": label("Outils"),
        "required": True,
        "rows": options("drive", "visio"),
        "options": options("never", "sometimes", "often"),
        "showIf": {"question": "kind", "operator": "EQUALS", "values": ["association"]},
    },
]

CREATE = """
mutation($input: CreateSurveyInput!) {
  createSurvey(input: $input) {
    survey { id version status publicKey questionsVersion }
    errors { field code message }
  }
}"""
OPEN = """
mutation($input: SurveyVersionInput!) {
  openSurvey(input: $input) { survey { id version status } errors { field code message } }
}"""
CLOSE = """
mutation($input: SurveyVersionInput!) {
  closeSurvey(input: $input) { survey { id version status } errors { field code message } }
}"""
INVITE = """
mutation($input: InviteToSurveyInput!) {
  inviteToSurvey(input: $input) {
    invitations { token stakeholder organisation { id } contact } errors { field code message }
  }
}"""
SUBMIT = """
mutation($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { submitted errors { field code message } }
}"""
SAVE = """
mutation($input: SaveSurveyDraftInput!) {
  saveSurveyDraft(input: $input) {
    submitted answers { question choices } errors { field code message }
  }
}"""


async def create_open_survey(
    run: Run, *, anonymous: bool = True, public: bool = True, questions: Any = None
) -> dict[str, Any]:
    """Create a survey with every question type, open it; return its id, version, publicKey."""
    created = await run(
        CREATE,
        {
            "input": {
                "title": {"fr": "Besoins des associations", "nl": "Noden van verenigingen"},
                "intro": {"fr": "Dix minutes."},
                "anonymous": anonymous,
                "public": public,
                "audienceKinds": ["association"],
                "questions": questions or QUESTIONS,
            }
        },
        principal=ADMIN,
    )
    payload = created["data"]["createSurvey"]
    assert payload["errors"] == [], payload
    survey = payload["survey"]
    opened = await run(
        OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=ADMIN
    )
    assert opened["data"]["openSurvey"]["errors"] == []
    return {**survey, **opened["data"]["openSurvey"]["survey"]}


#: A complete, valid response of an association (so "tools" is shown).
VALID = [
    {"question": "kind", "choices": ["association"]},
    {"question": "channels", "choices": ["web", "facebook"]},
    {"question": "members", "number": 42},
    {"question": "satisfaction", "number": 4},
    {"question": "founded", "date": "1998-03-01"},
    {"question": "needs", "choices": ["visibility", "training", "funding"]},
    {
        "question": "tools",
        "cells": [{"row": "drive", "column": "often"}, {"row": "visio", "column": "never"}],
    },
]


@pytest.fixture
def sv(run: Run, world: Any) -> Any:
    """The helpers above, for test modules (which cannot import a conftest)."""
    from types import SimpleNamespace

    from sqlalchemy import select

    from bocage.plugins.surveys import models as sm
    from bocage.plugins.surveys import pool

    async def create(**kwargs: Any) -> dict[str, Any]:
        return await create_open_survey(run, **kwargs)

    async def settle() -> int:
        """Move every anonymous response waiting in the holding pool into the results, as
        closing does (for tests about results of open surveys, not about the pool)."""
        moved = 0
        async with world.sessionmaker() as session, session.begin():
            surveys = await session.execute(select(sm.PendingResponse.survey_id).distinct())
            for survey_id in list(surveys.scalars()):
                moved += await pool.flush(session, survey_id, minimum=0)
        return moved

    async def due_now(kind: str) -> None:
        """Make the waiting jobs of ``kind`` due now (as if their time had come)."""
        import datetime as dt

        from sqlalchemy import text, update

        from bocage.core.models.jobs import Job

        async with world.sessionmaker() as session, session.begin():
            if world.engine.dialect.name == "postgresql":
                await session.execute(
                    text(
                        "UPDATE procrastinate_jobs SET scheduled_at = now() - interval '1 second' "
                        "WHERE task_name = :kind AND status = 'todo'"
                    ),
                    {"kind": kind},
                )
            await session.execute(
                update(Job)
                .where(Job.kind == kind, Job.status == "queued")
                .values(run_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )

    async def jobs(kind: str) -> list[Any]:
        """The jobs of ``kind``, oldest first (``status``, ``run_at``, ``payload``)."""
        from bocage.core.jobs import list_jobs

        async with world.sessionmaker() as session:
            return await list_jobs(session, kind=kind, newest_first=False)

    return SimpleNamespace(
        drain=world.drain_jobs,
        due_now=due_now,
        jobs=jobs,
        ADMIN=ADMIN,
        MANAGER_CLIENT=MANAGER_CLIENT,
        EDITOR=EDITOR,
        QUESTIONS=QUESTIONS,
        VALID=VALID,
        CREATE=CREATE,
        OPEN=OPEN,
        CLOSE=CLOSE,
        INVITE=INVITE,
        SUBMIT=SUBMIT,
        SAVE=SAVE,
        create=create,
        settle=settle,
    )
