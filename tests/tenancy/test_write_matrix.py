"""Every mutation, from introspection, run by each of GAL B's principals against GAL A's
objects (or to make something inside GAL A): refused, with a typed error, and the database
unchanged; then by A's own administrator (or the operator) to show the same input is allowed,
so that a refusal is the tenancy's and not a broken input's (issue 16, part 1).

A mutation missing from :data:`MATRIX` fails the test: a new one must be classified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLSchema, is_required_argument
from sqlalchemy import MetaData, select

from . import game
from .conftest import ROLES, Gal, Installation, key_of, tr, upload_media
from .test_schema_walk import expect
from .walk import introspect

Builder = Callable[[Installation, Gal], Awaitable[dict[str, Any]]]
REFUSALS = {"FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED"}
INTRUDERS = [f"B.{role}" for role in ROLES]


@dataclass(frozen=True)
class Case:
    """How one mutation is tried: ``build`` makes its arguments aimed at GAL A, ``allowed_by``
    is who in A must be allowed the same (None: ``why`` says why it is not tried), ``open``
    says why B's principals may do it too (not a tenancy question; then they are not tried)."""

    build: Builder | None
    allowed_by: str | None = "A.admin"
    why: str = ""
    open: str = ""
    area: str = "core"


async def version(inst: Installation, global_id: str) -> int:
    """The current version of the object ``global_id`` names."""
    from bocage.core import models as m
    from bocage.plugins.surveys.models import Survey
    from bocage.plugins.workshops.models import Event

    models: dict[str, Any] = {
        "Project": m.Project,
        "Stakeholder": m.Stakeholder,
        "Contact": m.Contact,
        "Commune": m.Commune,
        "StrategicPlan": m.StrategicPlan,
        "StrategicObjective": m.StrategicObjective,
        "WorkshopsEvent": Event,
        "Survey": Survey,
    }
    type_name, key = key_of(global_id)
    model = models[type_name]
    async with inst.sessionmaker() as session:
        return int(await session.scalar(select(model.version).where(model.id == key)))


def by_id(key: str, **extra: Any) -> Builder:
    """``{"input": {"id": <A's key>, "version": <now>, **extra}}``."""

    async def build(inst: Installation, gal: Gal) -> dict[str, Any]:
        target = gal.ids[key]
        return {"input": {"id": target, "version": await version(inst, target), **extra}}

    return build


def fixed(make: Callable[[Gal], dict[str, Any]]) -> Builder:
    async def build(inst: Installation, gal: Gal) -> dict[str, Any]:
        return {"input": make(gal)}

    return build


def home(gal: Gal) -> str:
    return gal.communes[gal.nis[0]]


async def spare(inst: Installation, gal: Gal, kind: str) -> str:
    """A new object of ``kind`` in ``gal``, made by its administrator, for a case that
    archives or removes one (or invites a contact with an address)."""
    from . import conftest as c

    admin, mk = f"{gal.name}.admin", gal.marker
    if kind == "project":
        made = await inst.ok(
            c.CREATE_PROJECT,
            {"i": {"title": tr(f"Projet {mk} bis"), "focus": "DIGITAL", "communes": [home(gal)]}},
            admin,
        )
        return str(made["project"]["id"])
    if kind == "stakeholder":
        made = await inst.ok(
            c.CREATE_STAKEHOLDER,
            {"i": {"kind": "ASSOCIATION", "name": f"Club {mk}", "communes": [home(gal)]}},
            admin,
        )
        return str(made["stakeholder"]["id"])
    if kind == "contact":
        made = await inst.ok(
            c.CREATE_CONTACT,
            {
                "i": {
                    "stakeholder": gal.ids["stakeholder"],
                    "givenName": f"Paul{mk}",
                    "familyName": f"Martin{mk}",
                    "email": f"paul.{mk}@{mk}.example",
                }
            },
            admin,
        )
        return str(made["contact"]["id"])
    if kind == "event_draft":
        made = await inst.ok(
            c.CREATE_EVENT,
            {
                "i": {
                    "kind": "WORKSHOP",
                    "title": tr(f"Brouillon {mk} bis"),
                    "startsAt": later(20),
                    "endsAt": later(21),
                    "commune": home(gal),
                }
            },
            admin,
        )
        return str(made["event"]["id"])
    made = await inst.ok(
        c.CREATE_PST,
        {"i": {"parent": gal.ids["plan"], "code": "OS8", "title": tr(f"Objectif {mk} bis")}},
        admin,
    )
    return str(made["strategicObjective"]["id"])


def spare_of(kind: str) -> Builder:
    """``{"input": {"id", "version"}}`` of a spare object of ``kind`` in the GAL (made once),
    for a case that archives, removes or publishes one."""

    async def build(inst: Installation, gal: Gal) -> dict[str, Any]:
        target = gal.ids.get(f"spare_{kind}") or await spare(inst, gal, kind)
        gal.ids[f"spare_{kind}"] = target
        return {"input": {"id": target, "version": await version(inst, target)}}

    return build


def argument(name: str, key: str, **extra: Any) -> Builder:
    async def build(inst: Installation, gal: Gal) -> dict[str, Any]:
        return {name: gal.ids[key], **extra}

    return build


async def _job(inst: Installation, gal: Gal) -> dict[str, Any]:
    """A dead job (the installation's, whichever GAL queued it): the queue is the
    operator's. Made dead directly: only failing three times does it through the API."""
    from sqlalchemy import text, update

    from bocage.core.models.jobs import Job

    body = await inst.body("{ jobs(first: 1) { nodes { id } } }", None, "operator")
    nodes = body["data"]["jobs"]["nodes"]
    assert nodes, "the fixture queued no job"
    async with inst.sessionmaker() as session, session.begin():
        if session.bind.dialect.name == "postgresql":  # the queue is procrastinate's there
            await session.execute(text("UPDATE procrastinate_jobs SET status = 'failed'"))
        else:
            await session.execute(update(Job).values(status="dead"))
    return {"id": nodes[0]["id"]}


def later(days: int) -> str:
    return (dt.datetime(2030, 3, 1, 18, tzinfo=dt.UTC) + dt.timedelta(days=days)).isoformat()


def in_game(phase: str, make: Callable[[Gal, dict[str, Any]], dict[str, Any]]) -> Builder:
    """``{"input": make(gal, what its facilitator sees)}`` once A's card workshop (the
    matrix's own, see ``game``) is in ``phase``."""

    async def build(inst: Installation, gal: Gal) -> dict[str, Any]:
        seen = await game.at(inst, gal, phase)
        return {"input": make(gal, seen)}

    return build


async def _swap(inst: Installation, gal: Gal) -> dict[str, Any]:
    """A card A's person holds, for one on the table that is not theirs."""
    await game.at(inst, gal, "EXCHANGE")
    cards = (await game.view(inst, gal, f"{gal.name}.person"))["cards"]
    give = next(card["id"] for card in cards if card["heldByMe"])
    take = next(card["id"] for card in cards if card["onTable"] and not card["mine"])
    return {"input": {"give": give, "take": take}}


async def _entry(inst: Installation, gal: Gal) -> dict[str, Any]:
    """An inventory entry of A's person, not turned into a project yet."""
    seen = await game.at(inst, gal, "INVENTORY")
    if all(entry["linkedProject"] for entry in seen["inventory"]):
        values = {"workshop": gal.ids["game"], "text": f"Wifi {gal.marker}"}
        await game.act(inst, "addWorkshopsInventoryEntry", values, f"{gal.name}.person")
        seen = await game.view(inst, gal)
    entry = next(entry for entry in seen["inventory"] if not entry["linkedProject"])
    return {"input": {"entry": entry["id"], "status": "in_progress", "focus": "BLUE"}}


def _paper(gal: Gal, seen: dict[str, Any]) -> dict[str, Any]:
    author = next(p["id"] for p in seen["participants"] if p["fromPaper"])
    card = {"participant": author, "colour": "BLUE", "axis": "TERRITORY", "text": "Sur papier"}
    return {"workshop": gal.ids["game"], "cards": [card]}


def _merge(gal: Gal, seen: dict[str, Any]) -> dict[str, Any]:
    into, *others = [challenge["id"] for challenge in seen["challenges"]]
    assert others, seen["challenges"]
    return {"into": into, "others": others, "text": "Fusionnés"}


#: The card workshop's cases, run in this order (each moves A's workshop on to its phase).
GAME = (
    "updateWorkshopsCardWorkshop",
    "joinWorkshopsCardWorkshop",
    "addWorkshopsParticipants",
    "addWorkshopsInventoryEntry",
    "linkWorkshopsInventoryEntry",
    "writeWorkshopsCard",
    "addWorkshopsPaperCards",
    "swapWorkshopsCard",
    "assignWorkshopsGroups",
    "selectWorkshopsChallenges",
    "mergeWorkshopsChallenges",
    "promoteWorkshopsChallenge",
    "advanceWorkshopsCardWorkshop",
)


async def _media(inst: Installation, gal: Gal) -> str:
    """A's image on its draft event (made once: the last case removes it)."""
    if "spare_media" not in gal.ids:
        gal.ids["spare_media"] = await upload_media(inst, gal, gal.ids["event_draft"])
    return str(gal.ids["spare_media"])


async def _media_version(inst: Installation, key: str) -> int:
    from bocage.core.models import Media

    async with inst.sessionmaker() as session:
        return int(await session.scalar(select(Media.version).where(Media.id == key_of(key)[1])))


def media_case(**extra: Any) -> Builder:
    async def build(inst: Installation, gal: Gal) -> dict[str, Any]:
        target = await _media(inst, gal)
        return {"input": {"id": target, "version": await _media_version(inst, target), **extra}}

    return build


async def _delivery(inst: Installation, gal: Gal) -> dict[str, Any]:
    """A delivery to A's webhook subscription: a project made in A after it, and the
    events relayed as a worker relays them (no worker runs here)."""
    from bocage.core.webhooks.relay import relay_events

    if "delivery" not in gal.ids:
        await spare(inst, gal, "project")
        async with inst.sessionmaker() as session, session.begin():
            await relay_events(session, max_attempts=3)
        body = await inst.body(
            "query($id: ID!) { webhookSubscription(id: $id) { deliveries(first: 1) { nodes { id } }"
            " } }",
            {"id": gal.ids["webhook"]},
            f"{gal.name}.admin",
        )
        nodes = body["data"]["webhookSubscription"]["deliveries"]["nodes"]
        assert nodes, body
        gal.ids["delivery"] = nodes[0]["id"]
    return {"id": gal.ids["delivery"]}


async def _subscription(inst: Installation, gal: Gal) -> dict[str, Any]:
    """A subscription of A's signed-in person to A's territory's news (made once)."""
    if "subscription" not in gal.ids:
        consent = await inst.body("{ voiceConsentVersion }", None, "anonymous")
        made = await inst.ok(
            """mutation($i: SubscribeToVoiceDigestInput!) { subscribeToVoiceDigest(input: $i) {
              subscription { id } errors { code message } } }""",
            {
                "i": {
                    "follow": gal.territory,
                    "email": f"suivi.{gal.marker}@{gal.marker}.example",
                    "consentVersion": consent["data"]["voiceConsentVersion"],
                }
            },
            f"{gal.name}.person",
        )
        gal.ids["subscription"] = made["subscription"]["id"]
    return {"input": {"subscription": gal.ids["subscription"]}}


async def _reminder(inst: Installation, gal: Gal) -> dict[str, Any]:
    """A's named survey with a contact invited who has not answered yet (made once)."""
    from . import conftest as c

    if "reminded" not in gal.ids:
        gal.ids["reminded"] = await spare(inst, gal, "contact")
        await inst.ok(
            c.INVITE,
            {"i": {"survey": gal.ids["survey_named"], "contacts": [gal.ids["reminded"]]}},
            f"{gal.name}.admin",
        )
    return {"input": {"survey": gal.ids["survey_named"], "contacts": [gal.ids["reminded"]]}}


MATRIX: dict[str, Case] = {
    # -- the core ---------------------------------------------------------------------------
    "createStakeholder": Case(
        fixed(lambda g: {"kind": "ASSOCIATION", "name": "Intrus", "communes": [home(g)]})
    ),
    "updateStakeholder": Case(by_id("stakeholder", name="Renommé")),
    "archiveStakeholder": Case(spare_of("stakeholder")),
    "createContact": Case(
        fixed(lambda g: {"stakeholder": g.ids["stakeholder"], "givenName": "X", "familyName": "Y"})
    ),
    "updateContact": Case(by_id("contact", givenName="Changé")),
    "archiveContact": Case(spare_of("contact")),
    "createProject": Case(
        fixed(lambda g: {"title": tr("Intrus"), "focus": "DIGITAL", "communes": [home(g)]})
    ),
    "updateProject": Case(by_id("project", summary=tr("Changé"))),
    "archiveProject": Case(spare_of("project")),
    "createIndicator": Case(
        fixed(lambda g: {"project": g.ids["project"], "name": tr("Intrus"), "unit": "kg"})
    ),
    "addIndicatorValue": Case(
        fixed(lambda g: {"indicator": g.ids["indicator"], "measuredOn": "2025-01-01", "value": "1"})
    ),
    "createCommune": Case(fixed(lambda g: {"nisCode": "63003", "territory": g.territory})),
    "updateCommune": Case(by_id("second_commune", population=1234)),
    "archiveCommune": Case(by_id("second_commune")),
    "createStrategicPlan": Case(
        fixed(
            lambda g: {
                "commune": home(g),
                "title": tr("Intrus"),
                "startYear": 2031,
                "endYear": 2036,
            }
        )
    ),
    "createPstElement": Case(
        fixed(lambda g: {"parent": g.ids["plan"], "code": "OS9", "title": tr("Intrus")})
    ),
    "updatePstElement": Case(by_id("objective", title=tr("Changé"))),
    "archivePstElement": Case(spare_of("objective")),
    "grantPermission": Case(
        fixed(
            lambda g: {
                "role": "commune_editor",
                "permission": "workshops:organise",
                "commune": g.ids["second_commune"],
            }
        )
    ),
    "revokePermission": Case(
        fixed(
            lambda g: {
                "role": "commune_editor",
                "permission": "workshops:organise",
                "commune": home(g),
            }
        )
    ),
    "replayJob": Case(_job, allowed_by="operator"),
    "createWebhookSubscription": Case(
        None,
        open="makes the caller's own subscription, which reaches what the caller reaches "
        "(the change feed's walk checks that)",
    ),
    "updateWebhookSubscription": Case(
        fixed(lambda g: {"id": g.ids["webhook"], "description": "Changé"})
    ),
    "rotateWebhookSecret": Case(argument("id", "webhook")),
    "deleteWebhookSubscription": Case(argument("id", "webhook")),
    "replayWebhookDelivery": Case(_delivery),
    "erasePerson": Case(
        fixed(lambda g: {"email": f"jean.{g.marker}@{g.marker}.example"}), allowed_by="operator"
    ),
    "updateMedia": Case(media_case(credit="Photo: changé")),
    "removeMedia": Case(media_case()),
    # -- workshops --------------------------------------------------------------------------
    "createWorkshopsEvent": Case(
        fixed(
            lambda g: {
                "kind": "WORKSHOP",
                "title": tr("Intrus"),
                "startsAt": later(10),
                "endsAt": later(11),
                "commune": home(g),
            }
        ),
        area="workshops",
    ),
    "updateWorkshopsEvent": Case(by_id("event_commune", title=tr("Changé")), area="workshops"),
    # A draft of its own: registering for A's draft (below) must meet a draft still.
    "publishWorkshopsEvent": Case(spare_of("event_draft"), area="workshops"),
    "cancelWorkshopsEvent": Case(by_id("event_territory"), area="workshops"),
    "addWorkshopsSpeaker": Case(
        fixed(lambda g: {"event": g.ids["event_commune"], "name": "Orateur"}), area="workshops"
    ),
    "addWorkshopsAgendaItem": Case(
        fixed(
            lambda g: {
                "event": g.ids["event_commune"],
                "startsAt": later(0),
                "title": tr("Accueil"),
            }
        ),
        area="workshops",
    ),
    "registerForWorkshopsEvent": Case(
        fixed(
            lambda g: {
                "event": g.ids["event_draft"],
                "name": "Intrus",
                "email": "intrus@example.org",
            }
        ),
        allowed_by=None,
        why="aimed at A's draft event, which nobody registers for",
        area="workshops",
    ),
    "cancelWorkshopsRegistration": Case(
        None,
        open="whoever holds the registration's cancel token (sent to the person)",
        area="workshops",
    ),
    "checkInWorkshopsRegistration": Case(
        fixed(lambda g: {"event": g.ids["event_commune"], "code": g.ids["event_commune_check_in"]}),
        area="workshops",
    ),
    "createWorkshopsCardWorkshop": Case(
        fixed(lambda g: {"title": tr("Jeu"), "event": g.ids["event_commune"]}), area="workshops"
    ),
    # A's own workshop at A's event in a commune, moved on phase by phase (GAME's order): its
    # facilitator is A's administrator, its players A's person and two paper participants.
    "updateWorkshopsCardWorkshop": Case(
        in_game(
            "SETUP",
            lambda g, seen: {
                "workshop": g.ids["game"],
                "version": seen["version"],
                "durations": {"writing": 11},
            },
        ),
        area="workshops",
    ),
    "joinWorkshopsCardWorkshop": Case(
        in_game(
            "SETUP",
            lambda g, _: {"workshop": g.ids["game"], "alias": "Marie", "commune": home(g)},
        ),
        allowed_by="A.person",
        open="any signed-in person joins a workshop in the room (as a player, who sees no "
        "more than the players do)",
        area="workshops",
    ),
    "addWorkshopsParticipants": Case(
        in_game(
            "SETUP",
            lambda g, _: {"workshop": g.ids["game"], "participants": [{"alias": "Papier"}]},
        ),
        area="workshops",
    ),
    "addWorkshopsInventoryEntry": Case(
        in_game("INVENTORY", lambda g, _: {"workshop": g.ids["game"], "text": "Wifi public"}),
        allowed_by="A.person",
        area="workshops",
    ),
    "linkWorkshopsInventoryEntry": Case(_entry, area="workshops"),
    "writeWorkshopsCard": Case(
        in_game(
            "WRITING",
            lambda g, _: {
                "workshop": g.ids["game"],
                "colour": "BLUE",
                "axis": "TERRITORY",
                "text": "Un défi",
            },
        ),
        allowed_by="A.person",
        area="workshops",
    ),
    "addWorkshopsPaperCards": Case(in_game("WRITING", _paper), area="workshops"),
    "swapWorkshopsCard": Case(_swap, allowed_by="A.person", area="workshops"),
    "assignWorkshopsGroups": Case(
        in_game("EXCHANGE", lambda g, _: {"workshop": g.ids["game"], "count": 1}),
        area="workshops",
    ),
    "selectWorkshopsChallenges": Case(
        in_game(
            "SELECTION",
            lambda g, seen: {"workshop": g.ids["game"], "cards": game.held(seen)[:2]},
        ),
        allowed_by="A.person",
        area="workshops",
    ),
    "mergeWorkshopsChallenges": Case(in_game("CONCLUSION", _merge), area="workshops"),
    "promoteWorkshopsChallenge": Case(
        in_game("CONCLUSION", lambda g, seen: {"challenge": seen["challenges"][0]["id"]}),
        area="workshops",
    ),
    "advanceWorkshopsCardWorkshop": Case(
        in_game("CONCLUSION", lambda g, _: {"workshop": g.ids["game"], "to": "CLOSED"}),
        area="workshops",
    ),
    # -- surveys ----------------------------------------------------------------------------
    "createSurvey": Case(
        None,
        open="a survey is made in the caller's own GAL (no input names another's)",
        area="surveys",
    ),
    "updateSurvey": Case(by_id("survey_draft", title=tr("Changé")), area="surveys"),
    "openSurvey": Case(by_id("survey_draft"), area="surveys"),
    "closeSurvey": Case(by_id("survey_anonymous"), area="surveys"),
    "archiveSurvey": Case(by_id("survey_named"), area="surveys"),
    "inviteToSurvey": Case(
        fixed(lambda g: {"survey": g.ids["survey_named"], "contacts": [g.ids["contact"]]}),
        area="surveys",
    ),
    "remindSurveyInvitees": Case(_reminder, area="surveys"),
    "saveSurveyDraft": Case(
        None, open="whoever holds the invitation's token (sent to the person)", area="surveys"
    ),
    "submitSurveyResponse": Case(
        None, open="the public (public key) or the invitation token's holder", area="surveys"
    ),
    # -- voice ------------------------------------------------------------------------------
    "postVoiceComment": Case(None, open="any signed-in person, on a public object", area="voice"),
    "editVoiceComment": Case(
        fixed(lambda g: {"comment": g.ids["comment"], "body": "Changé"}),
        allowed_by="A.person",
        area="voice",
    ),
    "reportVoiceComment": Case(None, open="any signed-in person reports", area="voice"),
    "hideVoiceComment": Case(
        fixed(lambda g: {"comment": g.ids["comment"], "reason": "Hors sujet"}), area="voice"
    ),
    "showVoiceComment": Case(
        fixed(lambda g: {"comment": g.ids["comment"], "reason": "Erreur"}), area="voice"
    ),
    "supportVoiceTarget": Case(None, open="any signed-in person supports", area="voice"),
    "withdrawVoiceSupport": Case(None, open="a person withdraws its own support", area="voice"),
    "subscribeToVoiceDigest": Case(None, open="anyone follows a public object", area="voice"),
    "confirmVoiceSubscription": Case(None, open="the e-mailed token's holder", area="voice"),
    "unsubscribeVoiceDigest": Case(None, open="the e-mailed token's holder", area="voice"),
    "cancelVoiceSubscription": Case(_subscription, allowed_by="A.person", area="voice"),
}

#: Cases run last, in this order (they archive, close or remove what others aim at).
LAST = (
    "cancelWorkshopsEvent",
    "closeSurvey",
    "archiveSurvey",
    "removeMedia",
    "deleteWebhookSubscription",
    "erasePerson",
    "archiveCommune",
)


def document(schema: GraphQLSchema, name: str, arguments: dict[str, Any]) -> str:
    mutation = schema.mutation_type.fields[name]
    signature = ", ".join(f"${arg}: {mutation.args[arg].type}" for arg in arguments)
    call = ", ".join(f"{arg}: ${arg}" for arg in arguments)
    return f"mutation({signature}) {{ {name}({call}) {{ errors {{ code message }} }} }}"


_STATEMENTS: dict[str, str] = {}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def fingerprint(inst: Installation) -> dict[str, str]:
    """A digest of every table's rows, read in one statement (each table's rows as text,
    in a stable order)."""
    async with inst.app.state.engine.connect() as connection:
        statement = _STATEMENTS.get(inst.url)
        if statement is None:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            parts = []
            for name, table in sorted(metadata.tables.items()):
                if connection.dialect.name == "postgresql":
                    parts.append(
                        f"SELECT '{name}', (SELECT string_agg(t::text, '|' ORDER BY t::text) "
                        f"FROM {_quoted(name)} t)"
                    )
                else:
                    row = " || ',' || ".join(f"quote({_quoted(c.name)})" for c in table.columns)
                    parts.append(
                        f"SELECT '{name}', (SELECT group_concat(r, '|') FROM (SELECT {row} AS r "
                        f"FROM {_quoted(name)} ORDER BY r))"
                    )
            statement = _STATEMENTS[inst.url] = " UNION ALL ".join(parts)
        rows = (await connection.exec_driver_sql(statement)).all()
    return {name: hashlib.sha256((text or "").encode()).hexdigest() for name, text in rows}


def refused(body: dict[str, Any]) -> bool:
    if body.get("errors"):
        return all(
            (error.get("extensions") or {}).get("code") in REFUSALS for error in body["errors"]
        )
    (payload,) = body["data"].values()
    return bool(payload.get("errors"))


@dataclass
class Outcome:
    unexpected: list[str]
    not_allowed: list[str]
    area: str = "core"


async def run_matrix(inst: Installation, names: list[str]) -> Outcome:
    schema = await introspect(inst)
    gal = inst.gals["A"]
    outcome = Outcome([], [])
    for name in names:
        case = MATRIX[name]
        if case.build is None:
            continue
        arguments = await case.build(inst, gal)
        text = document(schema, name, arguments)
        intruded = False
        if not case.open:
            before = await fingerprint(inst)
            for who in INTRUDERS:
                body = await inst.body(text, arguments, who)
                after = await fingerprint(inst)
                changed = sorted(t for t in before if before[t] != after[t])
                before = after
                if not refused(body) or changed:
                    intruded = True
                    outcome.unexpected.append(
                        f"{who} {name}: {body.get('errors') or body['data']}; changed {changed}"
                    )
        # (After an intruder got through, A's own try meets the state it left.)
        if case.allowed_by is not None and not intruded:
            arguments = await case.build(inst, gal)
            body = await inst.body(text, arguments, case.allowed_by)
            (payload,) = (body.get("data") or {"_": None}).values()
            if body.get("errors") or not payload or payload.get("errors"):
                outcome.not_allowed.append(f"{case.allowed_by} {name}: {body}")
    return outcome


_OUTCOMES: dict[str, Outcome] = {}


def ordered(names: set[str]) -> list[str]:
    """The cases by name, then the card workshop's in the order of its phases, then LAST."""
    return (
        sorted(names - set(LAST) - set(GAME))
        + [name for name in GAME if name in names]
        + [name for name in LAST if name in names]
    )


async def test_every_mutation_is_classified(two_gals: Installation) -> None:
    schema = await introspect(two_gals)
    mutations = set(schema.mutation_type.fields)
    assert not mutations - set(MATRIX), (
        f"mutations missing from the tenancy matrix: {sorted(mutations - set(MATRIX))}: add "
        "a Case (how to aim it at another GAL's object)"
    )
    assert not set(MATRIX) - mutations, sorted(set(MATRIX) - mutations)
    for name, case in MATRIX.items():
        assert case.build is not None or case.why or case.open, name
        assert case.allowed_by is not None or case.why or case.open, name
        for arg in schema.mutation_type.fields[name].args.values():
            assert is_required_argument(arg) or arg.type is not None


#: The core last: it erases a person and archives a commune the plugins' cases use.
@pytest.mark.parametrize("area", ["workshops", "surveys", "voice", "core"])
async def test_no_principal_of_one_gal_changes_the_other(two_gals: Installation, area: str) -> None:
    names = {name for name, case in MATRIX.items() if case.area == area}
    outcome = await run_matrix(two_gals, ordered(names))
    _OUTCOMES[f"{two_gals.url} {area}"] = outcome
    expect(f"writes:{area}", outcome.unexpected)


@pytest.mark.parametrize("area", ["workshops", "surveys", "voice", "core"])
async def test_the_gals_own_people_are_allowed(two_gals: Installation, area: str) -> None:
    """Each case's input is allowed to GAL A's own administrator (or operator, or person):
    a refusal to B is then the tenancy's, not a broken input's. Run after the matrix."""
    outcome = _OUTCOMES.get(f"{two_gals.url} {area}")
    assert outcome is not None, "run with the matrix"
    expect(f"own:{area}", outcome.not_allowed)
