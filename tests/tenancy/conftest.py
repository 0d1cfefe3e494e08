"""Two GALs on one installation, built as their people would build them: the tenancy proof's
fixture (issue 16, part 1).

Each GAL (A: Hannut and Andenne; B: Amay and Burdinne) gets, through the API: its communes (by
the operator), an organisation with a contact (personal data), a project with an indicator, a
PST, a webhook subscription, a permission grant, an OAuth client (``create_client(...,
territories=[...])``: there is no GraphQL path), two events (one in a commune, one of the
territory) with registrations, two surveys (anonymous and named) with responses, a draft
uploaded dataset, voice comments with a report, a challenge-card workshop in play (at the
exchange: cards written and dealt) and an image on the draft event (seen by its organisers
only). The territories themselves are inserted directly: no API creates one.

Every text a GAL's objects carry names its marker (``xalphax`` for A, ``xbravox`` for B), so
that what a principal reads can be told apart by owner, whatever the type. The principals are
tokens minted by the app's own issuer (with the ``territories`` claim) or got from
``/oauth/token`` for the integrator client: the app's real authenticator confines them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio

from bocage.core.testing import BASE_URL, Databases, settings_for

MARKERS = {"A": "xalphax", "B": "xbravox"}
COMMUNES = {"A": ("64034", "92003"), "B": ("61003", "61010")}
SLUGS = {"A": "gal-a", "B": "gal-b"}
#: The walk's documents select every field two levels deep: far beyond a client's limits,
#: which are tested apart.
WIDE_LIMITS = {
    "graphql_max_depth": 50,
    "graphql_max_aliases": 100_000,
    "graphql_max_tokens": 1_000_000,
    "graphql_max_cost": 100_000_000,
    "graphql_max_fields": 1_000_000,
    "graphql_max_nodes": 1_000_000,
    "graphql_max_response_bytes": 100_000_000,
    "max_body_bytes": 10_000_000,
    "graphql_timeout_seconds": 600,
}
#: The principals of each GAL, as the matrix and the walk name them.
ROLES = ("admin", "editor", "client", "member")


def key_of(global_id: str) -> tuple[str, int]:
    type_name, _, key = base64.b64decode(global_id).decode().partition(":")
    return type_name, int(key)


@dataclass
class Gal:
    name: str
    marker: str
    slug: str
    territory_key: int = 0
    territory: str = ""
    #: NIS code -> Commune global ID.
    communes: dict[str, str] = field(default_factory=dict)
    #: What the fixture made, by role in the fixture ("project", "contact"...).
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def nis(self) -> tuple[str, str]:
        return COMMUNES[self.name]


class Installation:
    """The app over the two GALs, an HTTP client, and a token for each principal."""

    def __init__(self, app: Any, client: httpx.AsyncClient, url: str) -> None:
        self.app = app
        self.client = client
        self.url = url
        self.gals = {name: Gal(name, MARKERS[name], SLUGS[name]) for name in ("A", "B")}
        #: "A.admin" -> "Bearer ..."; "anonymous" -> None.
        self.tokens: dict[str, str | None] = {"anonymous": None}

    @property
    def sessionmaker(self) -> Any:
        return self.app.state.sessionmaker

    def headers(self, who: str) -> dict[str, str]:
        token = self.tokens[who]
        return {"authorization": token} if token else {}

    async def body(self, document: str, variables: dict[str, Any] | None, who: str) -> Any:
        response = await self.client.post(
            "/graphql",
            json={"query": document, "variables": variables or {}},
            headers=self.headers(who),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, document: str, variables: dict[str, Any] | None, who: str) -> Any:
        """The one root field's payload, which must hold no error."""
        body = await self.body(document, variables, who)
        assert not body.get("errors"), (who, body)
        (payload,) = body["data"].values()
        assert not payload.get("errors"), (who, payload)
        return payload

    async def mint(self, who: str, *, roles: list[str], subject: str, **claims: Any) -> None:
        from bocage.core.auth.principal import Role

        issued = await self.app.state.issuer.issue(
            subject=subject, roles=[Role(role) for role in roles], **claims
        )
        self.tokens[who] = f"Bearer {issued.access_token}"


def tr(text: str) -> dict[str, str]:
    return {"fr": text}


CREATE_COMMUNE = """mutation($i: CreateCommuneInput!) { createCommune(input: $i) {
  commune { id } errors { code message } } }"""
CREATE_STAKEHOLDER = """mutation($i: CreateStakeholderInput!) { createStakeholder(input: $i) {
  stakeholder { id version } errors { code message field } } }"""
CREATE_CONTACT = """mutation($i: CreateContactInput!) { createContact(input: $i) {
  contact { id version } errors { code message field } } }"""
CREATE_PROJECT = """mutation($i: CreateProjectInput!) { createProject(input: $i) {
  project { id version } errors { code message field } } }"""
CREATE_INDICATOR = """mutation($i: CreateIndicatorInput!) { createIndicator(input: $i) {
  indicator { id } errors { code message field } } }"""
CREATE_PLAN = """mutation($i: CreateStrategicPlanInput!) { createStrategicPlan(input: $i) {
  plan { id version } errors { code message field } } }"""
CREATE_PST = """mutation($i: CreatePstElementInput!) { createPstElement(input: $i) {
  strategicObjective { id version } operationalObjective { id version } action { id version }
  errors { code message field } } }"""
CREATE_WEBHOOK = """mutation($i: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $i) { subscription { id } errors { code message field } } }"""
GRANT = """mutation($i: PermissionGrantInput!) { grantPermission(input: $i) {
  grant { role permission } errors { code message field } } }"""
CREATE_EVENT = """mutation($i: CreateWorkshopsEventInput!) { createWorkshopsEvent(input: $i) {
  event { id version } errors { code message field } } }"""
PUBLISH_EVENT = """mutation($i: WorkshopsEventVersionInput!) { publishWorkshopsEvent(input: $i) {
  event { id version } errors { code message field } } }"""
REGISTER = """mutation($i: RegisterForWorkshopsEventInput!) {
  registerForWorkshopsEvent(input: $i) { registration { id } cancelToken checkInCode
  errors { code message field } } }"""
CREATE_SURVEY = """mutation($i: CreateSurveyInput!) { createSurvey(input: $i) {
  survey { id version publicKey } errors { code message field } } }"""
OPEN_SURVEY = """mutation($i: SurveyVersionInput!) { openSurvey(input: $i) {
  survey { id version } errors { code message field } } }"""
INVITE = """mutation($i: InviteToSurveyInput!) { inviteToSurvey(input: $i) {
  invitations { token } errors { code message field } } }"""
SUBMIT = """mutation($i: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $i) {
  submitted errors { code message field } } }"""
POST_COMMENT = """mutation($i: PostVoiceCommentInput!) { postVoiceComment(input: $i) {
  comment { id } errors { code message field } } }"""
REPORT_COMMENT = """mutation($i: ReportVoiceCommentInput!) { reportVoiceComment(input: $i) {
  reported errors { code message field } } }"""

QUESTIONS = [
    {
        "key": "opinion",
        "type": "FREE_TEXT",
        "title": tr("Votre avis"),
        "required": True,
        "maxLength": 200,
    }
]


async def build_gal(inst: Installation, gal: Gal) -> None:
    """Everything of ``gal``, made by its own administrator (and people for what they do)."""
    admin, mk, ids = f"{gal.name}.admin", gal.marker, gal.ids
    first, second = gal.nis
    home = gal.communes[first]
    stakeholder = (
        await inst.ok(
            CREATE_STAKEHOLDER,
            {"i": {"kind": "ASSOCIATION", "name": f"Ferme {mk}", "communes": [home]}},
            admin,
        )
    )["stakeholder"]
    ids["stakeholder"] = stakeholder["id"]
    contact = await inst.ok(
        CREATE_CONTACT,
        {
            "i": {
                "stakeholder": stakeholder["id"],
                "givenName": f"Jean{mk}",
                "familyName": f"Dupont{mk}",
                "email": f"jean.{mk}@{mk}.example",
                "phone": "+32 81 00 00 00",
            }
        },
        admin,
    )
    ids["contact"] = contact["contact"]["id"]
    project = (
        await inst.ok(
            CREATE_PROJECT,
            {
                "i": {
                    "title": tr(f"Projet {mk}"),
                    "focus": "DIGITAL",
                    "communes": [home],
                    "stakeholders": [{"stakeholder": stakeholder["id"], "role": "LEAD"}],
                }
            },
            admin,
        )
    )["project"]
    ids["project"] = project["id"]
    ids["indicator"] = (
        await inst.ok(
            CREATE_INDICATOR,
            {"i": {"project": project["id"], "name": tr(f"Indicateur {mk}"), "unit": "kg"}},
            admin,
        )
    )["indicator"]["id"]
    plan = (
        await inst.ok(
            CREATE_PLAN,
            {"i": {"commune": home, "title": tr(f"PST {mk}"), "startYear": 2025, "endYear": 2030}},
            admin,
        )
    )["plan"]
    ids["plan"] = plan["id"]
    objective = await inst.ok(
        CREATE_PST,
        {"i": {"parent": plan["id"], "code": "OS1", "title": tr(f"Objectif {mk}")}},
        admin,
    )
    ids["objective"] = objective["strategicObjective"]["id"]
    ids["webhook"] = (
        await inst.ok(
            CREATE_WEBHOOK,
            {
                "i": {
                    "url": f"http://127.0.0.1:9/{mk}",
                    "eventTypes": ["project.created"],
                    "description": f"Hook {mk}",
                }
            },
            admin,
        )
    )["subscription"]["id"]
    await inst.ok(
        GRANT,
        {"i": {"role": "commune_editor", "permission": "workshops:organise", "commune": home}},
        admin,
    )
    await _workshops(inst, gal, home)
    await _surveys(inst, gal)
    await _voice(inst, gal)
    await _opendata(inst, gal, first)
    ids["second_commune"] = gal.communes[second]
    ids["media"] = await upload_media(inst, gal, ids["event_draft"])
    await _card_game(inst, gal)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


async def upload_media(inst: Installation, gal: Gal, owner: str, who: str = "") -> str:
    """An image on ``owner``, uploaded by the GAL's administrator; its Media ID."""
    answer = await post_media(inst, owner, who or f"{gal.name}.admin", gal.marker)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def post_media(inst: Installation, owner: str, who: str, marker: str) -> httpx.Response:
    return await inst.client.post(
        "/api/media",
        data={"owner": owner, "title": f"Affiche {marker}", "credit": f"Photo {marker}"},
        files={"file": (f"affiche-{marker}.png", png(), "image/png")},
        headers=inst.headers(who),
    )


async def _card_game(inst: Installation, gal: Gal) -> None:
    """A card workshop at the exchange: its cards written, dealt and read by its players."""
    from . import game

    await game.at(inst, gal, "EXCHANGE")
    gal.ids["card_workshop"] = gal.ids.pop("game")


async def _workshops(inst: Installation, gal: Gal, home: str) -> None:
    admin, mk, ids = f"{gal.name}.admin", gal.marker, gal.ids
    for where, commune in (("event_commune", home), ("event_territory", None)):
        variables = {
            "i": {
                "kind": "WORKSHOP",
                "title": tr(f"Atelier {mk} {where}"),
                "startsAt": "2030-03-01T18:00:00+00:00",
                "endsAt": "2030-03-01T20:00:00+00:00",
                "address": f"Rue {mk} 1",
                **({"commune": commune} if commune else {}),
                "capacity": 30,
            }
        }
        body, maker = await inst.body(CREATE_EVENT, variables, admin), admin
        if commune is None and body["data"]["createWorkshopsEvent"]["errors"]:
            # No path yet for a GAL's administrator to make an event of its territory (the
            # workshops plugin is made tenancy-aware apart): the operator makes it, and it is
            # given to the GAL directly.
            maker = "operator"
            made = (await inst.ok(CREATE_EVENT, variables, maker))["event"]
            await _give_event(inst, made["id"], gal.territory_key)
        else:
            made = body["data"]["createWorkshopsEvent"]["event"]
        published = (
            await inst.ok(
                PUBLISH_EVENT, {"i": {"id": made["id"], "version": made["version"]}}, maker
            )
        )["event"]
        ids[where] = published["id"]
        registered = await inst.ok(
            REGISTER,
            {
                "i": {
                    "event": published["id"],
                    "name": f"Marie {mk}",
                    "email": f"marie.{where}.{mk}@{mk}.example",
                }
            },
            "anonymous",
        )
        ids[f"{where}_registration"] = registered["cancelToken"]
        ids[f"{where}_check_in"] = registered["checkInCode"]
    draft = (
        await inst.ok(
            CREATE_EVENT,
            {
                "i": {
                    "kind": "WORKSHOP",
                    "title": tr(f"Brouillon {mk}"),
                    "startsAt": "2030-04-01T18:00:00+00:00",
                    "endsAt": "2030-04-01T20:00:00+00:00",
                    "commune": home,
                }
            },
            admin,
        )
    )["event"]
    ids["event_draft"] = draft["id"]


async def _give_event(inst: Installation, event: str, territory_key: int) -> None:
    from sqlalchemy import update

    from bocage.plugins.workshops.models import Event

    async with inst.sessionmaker() as session, session.begin():
        await session.execute(
            update(Event).where(Event.id == key_of(event)[1]).values(territory_id=territory_key)
        )


async def _surveys(inst: Installation, gal: Gal) -> None:
    admin, mk, ids = f"{gal.name}.admin", gal.marker, gal.ids
    for kind, anonymous in (("survey_anonymous", True), ("survey_named", False)):
        made = (
            await inst.ok(
                CREATE_SURVEY,
                {
                    "i": {
                        "title": tr(f"Enquête {mk} {kind}"),
                        "anonymous": anonymous,
                        "public": anonymous,
                        "questions": QUESTIONS,
                    }
                },
                admin,
            )
        )["survey"]
        opened = (
            await inst.ok(OPEN_SURVEY, {"i": {"id": made["id"], "version": made["version"]}}, admin)
        )["survey"]
        ids[kind] = opened["id"]
        ids[f"{kind}_key"] = made["publicKey"]
        answers = [{"question": "opinion", "text": f"Avis {mk} {kind}"}]
        if anonymous:
            await inst.ok(
                SUBMIT, {"i": {"publicKey": made["publicKey"], "answers": answers}}, "anonymous"
            )
        else:
            invited = await inst.ok(
                INVITE, {"i": {"survey": opened["id"], "contacts": [ids["contact"]]}}, admin
            )
            token = invited["invitations"][0]["token"]
            ids["survey_named_token"] = token
            await inst.ok(SUBMIT, {"i": {"token": token, "answers": answers}}, "anonymous")
    draft = (
        await inst.ok(
            CREATE_SURVEY,
            {"i": {"title": tr(f"Brouillon {mk}"), "questions": QUESTIONS}},
            admin,
        )
    )["survey"]
    ids["survey_draft"] = draft["id"]


async def _voice(inst: Installation, gal: Gal) -> None:
    mk, ids = gal.marker, gal.ids
    person = f"{gal.name}.person"
    posted = await inst.ok(
        POST_COMMENT,
        {"i": {"target": ids["project"], "body": f"Bravo {mk}", "alias": f"Citoyen {mk}"}},
        person,
    )
    ids["comment"] = posted["comment"]["id"]
    await inst.ok(
        REPORT_COMMENT,
        {"i": {"comment": ids["comment"], "reason": "SPAM", "details": f"Pub {mk}"}},
        f"{gal.name}.admin",
    )


async def _opendata(inst: Installation, gal: Gal, nis: str) -> None:
    mk = gal.marker
    identifier = f"bornes-{mk}"
    path = f"/api/opendata/uploads/{identifier}"
    headers = inst.headers(f"{gal.name}.admin")
    described = await inst.client.put(
        path,
        json={
            "title": {"fr": f"Bornes {mk}"},
            "description": {"fr": f"Les bornes {mk}."},
            "commune": nis,
        },
        headers=headers,
    )
    assert described.status_code in (200, 201), described.text
    uploaded = await inst.client.post(
        f"{path}/versions",
        content=f"nom,puissance_kw\r\nPlace {mk},22\r\n".encode(),
        headers={**headers, "content-type": "text/csv"},
    )
    assert uploaded.status_code == 201, uploaded.text
    gal.ids["upload"] = identifier


def settings(url: str, **overrides: Any) -> Any:
    return settings_for(
        url,
        webhooks_allow_private_targets=True,
        graphql_compile_check=False,
        **{**WIDE_LIMITS, **overrides},
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def tenancy_template(bocage_databases: Databases) -> str:
    """An empty database, migrated (every plugin's tables), that each module copies."""
    from bocage.core import migrate
    from bocage.core.db import create_engine
    from bocage.core.host import PluginHost

    url = await bocage_databases.new()
    engine = create_engine(settings(url))
    try:
        await migrate.upgrade(engine, PluginHost(settings(url)))
    finally:
        await engine.dispose()
    return url


async def populate(inst: Installation) -> None:
    from bocage.core import models as m
    from bocage.core.auth.clients import create_client

    async with inst.sessionmaker() as session, session.begin():
        for gal in inst.gals.values():
            territory = m.Territory(slug=gal.slug, name={"fr": f"GAL {gal.marker}"})
            session.add(territory)
            await session.flush()
            gal.territory_key = territory.id
    await inst.mint("operator", roles=["operator"], subject="operator")
    for gal in inst.gals.values():
        gal.territory = base64.b64encode(f"Territory:{gal.territory_key}".encode()).decode()
        for nis in gal.nis:
            made = await inst.ok(
                CREATE_COMMUNE, {"i": {"nisCode": nis, "territory": gal.territory}}, "operator"
            )
            gal.communes[nis] = made["commune"]["id"]
    known = [permission.code for permission in inst.app.state.host.permissions()]
    for gal in inst.gals.values():
        name = gal.name
        await inst.mint(
            f"{name}.admin",
            roles=["territory_admin"],
            subject=f"admin-{gal.marker}",
            territories=[gal.slug],
        )
        # An editor's token names its commune only: its GAL is the commune's.
        await inst.mint(
            f"{name}.editor",
            roles=["commune_editor"],
            subject=f"editor-{gal.marker}",
            communes=[gal.nis[0]],
        )
        await inst.mint(f"{name}.person", roles=[], subject=f"person-{gal.marker}")
        async with inst.sessionmaker() as session, session.begin():
            client = await create_client(
                session,
                name=f"Portail {gal.marker}",
                scopes=known,
                known_scopes=known,
                territories=[gal.slug],
            )
        gal.ids["client_id"] = client.client_id
        answer = await inst.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "scope": " ".join(known),
            },
        )
        assert answer.status_code == 200, answer.text
        inst.tokens[f"{name}.client"] = f"Bearer {answer.json()['access_token']}"
    for gal in inst.gals.values():
        await build_gal(inst, gal)
        _, stakeholder_key = key_of(gal.ids["stakeholder"])
        await inst.mint(
            f"{gal.name}.member",
            roles=["stakeholder_member"],
            subject=f"member-{gal.marker}",
            stakeholders=[stakeholder_key],
            territories=[gal.slug],
        )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def two_gals(
    bocage_databases: Databases, tenancy_template: str, tmp_path_factory: Any
) -> AsyncIterator[Installation]:
    """The two GALs on a copy of the template, and the app over them (one per module)."""
    from bocage.core.app import create_app

    url = await bocage_databases.clone(tenancy_template)
    app = create_app(settings(url, media_dir=str(tmp_path_factory.mktemp("media"))))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            inst = Installation(app, client, url)
            await populate(inst)
            yield inst


@asynccontextmanager
async def same_gals(inst: Installation, **overrides: Any) -> AsyncIterator[Installation]:
    """Another app over ``inst``'s database, its settings changed by ``overrides``, with the
    same GALs and tokens (the signing keys are the database's)."""
    from bocage.core.app import create_app

    app = create_app(inst.app.state.settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            other = Installation(app, client, inst.url)
            other.gals, other.tokens = inst.gals, inst.tokens
            yield other
