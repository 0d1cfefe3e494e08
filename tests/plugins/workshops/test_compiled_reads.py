"""The public events list through the read compiler (issue 12): the compiled answer is the
resolvers' answer, byte for byte, for the public and for organisers, with one statement per
root field; registrations and attendance stay with the resolvers."""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode, parse

from bocage.core.auth.principal import Role

ORGANISE = {"roles": [Role.TERRITORY_ADMIN]}
CALLERS = {"anonymous": {}, "organiser": ORGANISE}

EVENT_FIELDS = """id version sequence uid capacity series address onlineUrl
  title titleTranslations { fr nl de en } description(lang: NL)
  descriptionTranslations { fr nl } kind status startsAt endsAt timeZone audiences
  commune organiser partners confirmedCount waitlistCount seatsLeft icalUrl
  venueCommune { id nisCode name(lang: NL) territory { slug } }
  organisedBy { id name kind communes { nisCode } }
  agenda { id title(lang: DE) titleTranslations { fr } startsAt endsAt
    speaker { id name organisation public role roleTranslations { fr nl } stakeholder
      affiliation { id name } } }
  speakers { id name organisation public role(lang: NL) stakeholder affiliation { name } }"""

DOCUMENTS = {
    "agenda": """{ workshopsEvents(first: 20) { edges { node {
        id title kind startsAt endsAt address commune capacity seatsLeft
        agenda { startsAt endsAt title speaker { name organisation } } } } } }""",
    "every field": "{ workshopsEvents(first: 50) { totalCount pageInfo { hasNextPage "
    "hasPreviousPage startCursor endCursor } edges { cursor node { __typename "
    + EVENT_FIELDS
    + " } } } }",
    "filters": """query($after: DateTime, $before: DateTime) {
        a: workshopsEvents(kind: TRAINING) { totalCount nodes { title } }
        b: workshopsEvents(commune: "64034", first: 3) { totalCount nodes { title commune } }
        c: workshopsEvents(series: "Compiled 2099") { nodes { title series } }
        d: workshopsEvents(startsAfter: $after, startsBefore: $before) {
          totalCount edges { cursor node { startsAt } } }
        e: workshopsEvents(commune: "21004") { totalCount nodes { id } }
        f: workshopsEvents(first: 0) { totalCount pageInfo { hasNextPage endCursor } }
      }""",
    "fragments": """query($withAgenda: Boolean!) {
        workshopsEvents(first: 5) { ...Page } }
      fragment Page on WorkshopsEventConnection { __typename edges { ... on WorkshopsEventEdge {
        node { ...Event speakers @skip(if: $withAgenda) { name } } } } }
      fragment Event on WorkshopsEvent { id name: title(lang: EN) when: startsAt
        agenda @include(if: $withAgenda) { ... on WorkshopsAgendaItem { title } } }""",
    "one event": """query($id: ID!, $draft: ID!) {
        workshopsEvent(id: $id) { """
    + EVENT_FIELDS
    + """ }
        draft: workshopsEvent(id: $draft) { id status speakers { name } }
        nope: workshopsEvent(id: "V29ya3Nob3BzRXZlbnQ6OTk5OTk5") { id } }""",
}


def _roots(document: str) -> int:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    return len(operation.selection_set.selections)


async def _made(run: Any, ws: Any) -> dict[str, Any]:
    """Events that the demo lacks: registrations and a waiting list, partners, an organiser,
    times with microseconds in summer and winter, texts in several languages, a cancelled
    event and a draft, an agenda item of a private speaker and one without an end."""
    stakeholders = await run("{ stakeholders(first: 2) { nodes { id } } }")
    partners = [s["id"] for s in stakeholders["data"]["stakeholders"]["nodes"]]
    hannut = await run('{ commune(nisCode: "64034") { id } }')
    summer = await ws.publish(
        title={"fr": "Atelier d'été", "nl": "Zomeratelier", "en": "Summer workshop"},
        description={"nl": "Alleen in het Nederlands"},
        startsAt="2099-07-01T09:30:00.250000+02:00",
        endsAt="2099-07-01T12:00:00",
        capacity=2,
        series="Compiled 2099",
        onlineUrl="https://visio.example.org/ete",
        organiser=partners[0],
        partners=partners,
        commune=hannut["data"]["commune"]["id"],
        audiences=["COMMUNES", "ENTERPRISES"],
    )
    for n in range(3):
        registered = await run(
            ws.REGISTER,
            {"input": {"event": summer["id"], "name": f"P{n}", "email": f"p{n}@example.org"}},
        )
        assert registered["data"]["registerForWorkshopsEvent"]["errors"] == []
    add_speaker = """mutation($input: AddWorkshopsSpeakerInput!) {
        addWorkshopsSpeaker(input: $input) { event { speakers { id public } } errors { code } } }"""
    speakers = []
    for name, public in (("Ann", True), ("Bob", False)):
        added = await run(
            add_speaker,
            {
                "input": {
                    "event": summer["id"],
                    "name": name,
                    "role": {"fr": f"Rôle de {name}", "nl": "Rol"},
                    "organisation": "GAL" if public else None,
                    "stakeholder": partners[1] if public else None,
                    "public": public,
                }
            },
            principal=ws.ORGANISER,
        )
        speakers = added["data"]["addWorkshopsSpeaker"]["event"]["speakers"]
    add_item = """mutation($input: AddWorkshopsAgendaItemInput!) {
        addWorkshopsAgendaItem(input: $input) { errors { code } } }"""
    for starts, ends, speaker in (
        ("2099-07-01T11:00:00", None, speakers[1]["id"]),
        ("2099-07-01T09:30:00", "2099-07-01T10:15:00.5", speakers[0]["id"]),
        ("2099-07-01T10:15:00", "2099-07-01T11:00:00", None),
    ):
        item = {"event": summer["id"], "startsAt": starts, "title": {"de": "Punkt", "fr": "Point"}}
        if ends:
            item["endsAt"] = ends
        if speaker:
            item["speaker"] = speaker
        done = await run(add_item, {"input": item}, principal=ws.ORGANISER)
        assert done["data"]["addWorkshopsAgendaItem"]["errors"] == []
    winter = await ws.publish(
        startsAt="2099-12-01T18:00:00", endsAt="2099-12-01T20:00:00", capacity=None
    )
    cancelled = await ws.publish(startsAt="2099-11-01T18:00:00", endsAt="2099-11-01T20:00:00")
    stale = await run(
        "query($id: ID!) { workshopsEvent(id: $id) { version } }", {"id": cancelled["id"]}
    )
    version = stale["data"]["workshopsEvent"]["version"]
    done = await run(
        ws.CANCEL_EVENT,
        {"input": {"id": cancelled["id"], "version": version}},
        principal=ws.ORGANISER,
    )
    assert done["data"]["cancelWorkshopsEvent"]["errors"] == []
    draft = await run(
        ws.CREATE, {"input": ws.event_input(title={"fr": "Brouillon"})}, principal=ws.ORGANISER
    )
    return {
        "summer": summer["id"],
        "winter": winter["id"],
        "draft": draft["data"]["createWorkshopsEvent"]["event"]["id"],
    }


@pytest.fixture
async def events(run: Any, ws: Any) -> dict[str, Any]:
    return await _made(run, ws)


async def test_both_paths_give_the_same_bytes_with_one_statement_per_root_field(
    world: Any, read_paths: Any, events: dict[str, Any]
) -> None:
    variables = {
        "one event": {"id": events["summer"], "draft": events["draft"]},
        "fragments": {"withAgenda": True},
        "filters": {"after": "2099-06-30T00:00:00+02:00", "before": "2099-11-30T00:00:00"},
    }
    async with read_paths(world.settings.database_url) as paths:
        for name, document in DOCUMENTS.items():
            for caller, credentials in CALLERS.items():
                for language in ("fr", "nl"):
                    compiled, resolved, statements = await paths.post(
                        document,
                        variables.get(name),
                        accept_language=language,
                        **credentials,
                    )
                    assert b'"errors"' not in resolved, (name, caller, resolved[:300])
                    assert compiled == resolved, (name, caller, language)
                    assert statements == _roots(document), (name, caller, statements)


async def test_organisers_and_the_public_see_what_the_resolvers_show_them(
    world: Any, read_paths: Any, events: dict[str, Any]
) -> None:
    """Drafts and private speakers: organisers only, on both paths (statements are kept per
    caller, so an organiser's never serves the public)."""
    query = """query($id: ID!, $draft: ID!) {
        workshopsEvents(first: 50) { nodes { id status speakers { name } } }
        workshopsEvent(id: $id) { speakers { name } agenda { speaker { name } } }
        draft: workshopsEvent(id: $draft) { id } }"""
    variables = {"id": events["summer"], "draft": events["draft"]}
    async with read_paths(world.settings.database_url) as paths:
        seen = {}
        for caller in ("organiser", "anonymous", "organiser"):
            compiled, resolved, statements = await paths.post(query, variables, **CALLERS[caller])
            assert compiled == resolved and statements == 3
            seen[caller] = orjson.loads(compiled)["data"]
    public, organiser = seen["anonymous"], seen["organiser"]
    assert public != organiser
    assert public["draft"] is None and organiser["draft"] == {"id": events["draft"]}
    statuses = {e["status"] for e in public["workshopsEvents"]["nodes"]}
    assert statuses == {"PUBLISHED", "CANCELLED"}
    assert "DRAFT" in {e["status"] for e in organiser["workshopsEvents"]["nodes"]}
    assert public["workshopsEvent"]["speakers"] == [{"name": "Ann"}]
    assert organiser["workshopsEvent"]["speakers"] == [{"name": "Ann"}, {"name": "Bob"}]
    assert [a["speaker"] for a in public["workshopsEvent"]["agenda"]] == [
        {"name": "Ann"},
        None,
        None,
    ]
    assert organiser["workshopsEvent"]["agenda"][2]["speaker"] == {"name": "Bob"}


async def test_what_an_agenda_shows_of_an_event(
    world: Any, read_paths: Any, events: dict[str, Any]
) -> None:
    """The values themselves: local times with their offset, seats, IDs."""
    query = """query($id: ID!) { workshopsEvent(id: $id) { startsAt endsAt confirmedCount
        waitlistCount seatsLeft audiences partners agenda { startsAt endsAt } } }"""
    async with read_paths(world.settings.database_url) as paths:
        compiled, resolved, _ = await paths.post(query, {"id": events["summer"]})
    assert compiled == resolved
    event = orjson.loads(compiled)["data"]["workshopsEvent"]
    assert event["startsAt"] == "2099-07-01T09:30:00.250000+02:00"
    assert event["endsAt"] == "2099-07-01T12:00:00+02:00"
    assert (event["confirmedCount"], event["waitlistCount"], event["seatsLeft"]) == (2, 1, 0)
    assert event["audiences"] == ["COMMUNES", "ENTERPRISES"] and len(event["partners"]) == 2
    assert event["agenda"] == [
        {"startsAt": "2099-07-01T09:30:00+02:00", "endsAt": "2099-07-01T10:15:00.500000+02:00"},
        {"startsAt": "2099-07-01T10:15:00+02:00", "endsAt": "2099-07-01T11:00:00+02:00"},
        {"startsAt": "2099-07-01T11:00:00+02:00", "endsAt": None},
    ]


async def test_cursors_of_one_path_page_the_other(
    world: Any, read_paths: Any, events: dict[str, Any]
) -> None:
    query = """query($after: String) { workshopsEvents(first: 2, after: $after) {
        pageInfo { hasNextPage endCursor } edges { cursor node { title startsAt } } } }"""
    async with read_paths(world.settings.database_url) as paths:
        after, pages = None, 0
        while True:
            compiled, resolved, _ = await paths.post(query, {"after": after}, **ORGANISE)
            assert compiled == resolved
            page = orjson.loads(compiled)["data"]["workshopsEvents"]["pageInfo"]
            pages += 1
            if not page["hasNextPage"]:
                break
            after = page["endCursor"]
    assert pages >= 4


async def test_registrations_and_attendance_stay_with_the_resolvers(
    world: Any, read_paths: Any, events: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Organisers-only fields are not declared: the root field holding them is answered by
    the resolvers, which refuse the public."""
    caplog.set_level(logging.DEBUG, logger="bocage.graphql.compiler")
    async with read_paths(world.settings.database_url) as paths:
        for field in ("registrations { status }", "attendance { registered }"):
            query = f"{{ workshopsEvents(first: 3) {{ nodes {{ title {field} }} }} }}"
            compiled, resolved, _ = await paths.post(query)
            assert compiled == resolved and b'"FORBIDDEN"' in compiled and b"@" not in compiled
            compiled, resolved, _ = await paths.post(query, **ORGANISE)
            assert compiled == resolved and b'"errors"' not in compiled
    assert "workshopsEvents answered by resolvers: WorkshopsEvent.registrations" in caplog.text
    assert "workshopsEvents answered by resolvers: WorkshopsEvent.attendance" in caplog.text


async def test_the_objects_are_the_ids_they_replace(
    world: Any, read_paths: Any, events: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """``venueCommune``, ``organisedBy``, ``partnerOrganisations`` and a speaker's
    ``affiliation`` are the objects whose IDs the deprecated fields give; the partners' list is
    left to the resolvers (the root field then), the others compile."""
    caplog.set_level(logging.DEBUG, logger="bocage.graphql.compiler")
    query = """query($id: ID!) { workshopsEvent(id: $id) {
        commune organiser partners speakers { stakeholder affiliation { id } }
        venueCommune { id nisCode } organisedBy { id } %s } }"""
    async with read_paths(world.settings.database_url) as paths:
        compiled, resolved, statements = await paths.post(query % "", {"id": events["summer"]})
        assert compiled == resolved and statements == 1
        compiled, resolved, _ = await paths.post(
            query % "partnerOrganisations { id name }", {"id": events["summer"]}
        )
        assert compiled == resolved
    event = orjson.loads(compiled)["data"]["workshopsEvent"]
    assert event["venueCommune"] == {"id": event["commune"], "nisCode": "64034"}
    assert event["organisedBy"] == {"id": event["organiser"]}
    assert [p["id"] for p in event["partnerOrganisations"]] == event["partners"]
    assert all(p["name"] for p in event["partnerOrganisations"])
    assert event["speakers"][0]["affiliation"] == {"id": event["speakers"][0]["stakeholder"]}
    assert "answered by resolvers: WorkshopsEvent.partnerOrganisations" in caplog.text


async def test_the_commune_filter_takes_what_the_schema_hands_out(
    world: Any, read_paths: Any, events: dict[str, Any]
) -> None:
    """``workshopsEvents(commune:)`` takes a Commune ID (what ``venueCommune { id }`` and the
    deprecated ``commune`` give) as well as a NIS code: passing ``event.commune`` used to
    answer nothing, silently. The ID of another object is refused with what to pass."""
    query = """query($commune: String) { workshopsEvents(commune: $commune, first: 20) {
        totalCount nodes { id venueCommune { id } } } }"""
    async with read_paths(world.settings.database_url) as paths:
        compiled, resolved, _ = await paths.post(
            "query($id: ID!) { workshopsEvent(id: $id) { commune } }", {"id": events["summer"]}
        )
        hannut = orjson.loads(compiled)["data"]["workshopsEvent"]["commune"]
        answers = {}
        for value in (hannut, "64034", "21004"):
            compiled, resolved, statements = await paths.post(query, {"commune": value})
            assert compiled == resolved and statements == 1
            answers[value] = orjson.loads(compiled)["data"]["workshopsEvents"]
        assert answers[hannut] == answers["64034"]
        assert answers[hannut]["totalCount"] >= 1
        assert {n["venueCommune"]["id"] for n in answers[hannut]["nodes"]} == {hannut}
        assert answers["21004"]["totalCount"] == 0  # a real commune without events
        # An unknown NIS code or a text that is neither is refused, never an empty list.
        for value, hint in (
            ("99999", "no Belgian commune has the NIS code '99999'"),
            ("Hannut", "is not a valid ID"),
            ("6403", "is not a valid ID"),
        ):
            compiled, resolved, _ = await paths.post(query, {"commune": value})
            assert compiled == resolved
            body = orjson.loads(compiled)
            assert body["data"] is None, body
            error = body["errors"][0]
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "commune"}, error
            assert hint in error["message"] and "NIS code" in error["message"], error
        compiled, resolved, _ = await paths.post(query, {"commune": events["summer"]})
        assert compiled == resolved
        error = orjson.loads(compiled)["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "commune"}, error
        assert "not of a Commune, or its 5-digit NIS code" in error["message"], error


async def test_refused_arguments_get_the_resolvers_errors(world: Any, read_paths: Any) -> None:
    async with read_paths(world.settings.database_url) as paths:
        for query in (
            "{ workshopsEvents(first: 1000) { totalCount } }",
            '{ workshopsEvents(after: "nope") { totalCount } }',
            '{ workshopsEvent(id: "nope") { id } }',
            '{ workshopsEvent(id: "Q29tbXVuZTox") { id } }',
        ):
            compiled, resolved, _ = await paths.post(query)
            assert compiled == resolved, query
            assert b'"errors"' in compiled, query


async def test_lists_stored_as_json_null_read_as_empty(
    world: Any, read_paths: Any, events: dict[str, Any]
) -> None:
    """A JSON list column holding JSON null (a row written with None) reads as ``[]`` on both
    paths, as the resolvers' ``or []`` does."""
    from sqlalchemy import update

    from bocage.plugins.workshops.models import Event

    async with world.sessionmaker() as session, session.begin():
        await session.execute(update(Event).values(audiences=None, partner_ids=None))
    query = "{ workshopsEvents(first: 3) { nodes { audiences partners } } }"
    async with read_paths(world.settings.database_url) as paths:
        compiled, resolved, statements = await paths.post(query)
    assert compiled == resolved and statements == 1
    nodes = orjson.loads(compiled)["data"]["workshopsEvents"]["nodes"]
    assert nodes and all(n == {"audiences": [], "partners": []} for n in nodes)


async def test_generated_selections_agree(
    world: Any, read_paths: Any, events: dict[str, Any], generated_documents: Any
) -> None:
    """Selections generated from the public schema (hypothesis-graphql) give the same bytes
    on both paths, for the public and for organisers."""
    # A random commune is refused (BAD_USER_INPUT, tested above): give the generated
    # documents a real one, so that their selections are compared.
    # So are a random box and distance (tests/plugins/workshops/test_places.py): real ones.
    places = {
        r"within: \{[^}]*\}": "within: {west: 4.9, south: 50.5, east: 5.3, north: 50.8}",
        r"near: \{[^}]*\}": "near: {longitude: 5.07, latitude: 50.67, metres: 20000}",
    }
    documents = []
    for document in generated_documents(["workshopsEvents", "workshopsEvent"], 60):
        document = re.sub(r'commune: "[^"]*"', 'commune: "64034"', document)
        for pattern, real in places.items():
            document = re.sub(pattern, real, document)
        documents.append(document)
    compiled_roots = answered = 0
    async with read_paths(world.settings.database_url) as paths:
        for number, document in enumerate(documents):
            compiled, resolved, statements = await paths.post(
                document, **CALLERS[("anonymous", "organiser")[number % 2]]
            )
            assert compiled == resolved, document
            # Refused arguments (`first` with `last`, an empty cursor...) are the resolvers'
            # to answer: the compiler is measured on the documents answered without error.
            if b'"errors"' not in compiled:
                answered += 1
                compiled_roots += statements == 1
    assert answered >= 5, "too few generated documents answered"
    assert compiled_roots > answered // 4, "too few generated documents compiled"
