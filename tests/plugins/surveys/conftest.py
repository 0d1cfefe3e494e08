"""Fixtures of the surveys tests: a fresh copy of a small demo database per test, GraphQL run
as a given principal, and a survey with every question type."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bocage.core import migrate
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from bocage.core.db import create_engine, sessionmaker
from bocage.core.graphql.context import Context
from bocage.core.graphql.schema import build_schema
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

Run = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def surveys_base_url(databases: Any) -> str:
    url = await databases.new()
    settings = load_settings(database_url=url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host, scale=0.2)
    await engine.dispose()
    return url


class World:
    settings: Any
    host: Any
    engine: Any
    schema: Any
    sessionmaker: Any


@pytest.fixture
async def world(databases: Any, surveys_base_url: str, make_settings: Any) -> AsyncIterator[World]:
    settings = make_settings(await databases.clone(surveys_base_url))
    w = World()
    w.settings, w.host = settings, PluginHost(settings)
    w.engine = create_engine(settings)
    w.schema = build_schema(w.host)
    w.sessionmaker = sessionmaker(w.engine)
    yield w
    await w.engine.dispose()


@pytest.fixture
def run(world: World) -> Run:
    async def execute(
        query: str, variables: dict[str, Any] | None = None, *, principal: Principal = ANONYMOUS
    ) -> dict[str, Any]:
        context = Context(
            settings=world.settings,
            host=world.host,
            sessionmaker=world.sessionmaker,
            language="fr",
            principal=principal,
        )
        try:
            result = await world.schema.execute(
                query, variable_values=variables, context_value=context
            )
        finally:
            await context.close()
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [
                {"message": e.message, "extensions": e.extensions} for e in result.errors
            ]
        return body

    return execute


ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
MANAGER_CLIENT = Principal(
    kind=PrincipalKind.CLIENT,
    subject="client-surveys",
    client_id="client-surveys",
    roles=frozenset({Role.INTEGRATOR}),
    scopes=frozenset({"surveys:manage"}),
)
EDITOR = Principal(
    kind=PrincipalKind.PERSON,
    subject="editor",
    roles=frozenset({Role.COMMUNE_EDITOR}),
    communes=frozenset({"64034"}),
)


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
  inviteToSurvey(input: $input) { invitations { token stakeholder } errors { field code message } }
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
def sv(run: Run) -> Any:
    """The helpers above, for test modules (which cannot import a conftest)."""
    from types import SimpleNamespace

    async def create(**kwargs: Any) -> dict[str, Any]:
        return await create_open_survey(run, **kwargs)

    return SimpleNamespace(
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
    )
