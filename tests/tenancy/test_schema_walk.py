"""No object of one GAL reaches the other GAL's principals (issue 16, part 1): every root
Query field, from introspection, read by each GAL's administrator, commune editor,
integrator client and organisation member; everything they read must be the public's, or
their own GAL's. ``node``/``nodes`` are asked for every id the operator reads. A root field
that is neither walked nor excluded here with a reason fails the test, so that a new one
cannot escape; the REST routes that return data are walked the same way, from the app's
OpenAPI document. The walk is made twice: on the read compiler's path (the default) and on the
resolvers' (``BOCAGE_GRAPHQL_COMPILE=false``), by an app of each over the same GALs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from .conftest import MARKERS, ROLES, Installation, same_gals
from .walk import Seen, introspect, needs_arguments, owner_of, read

Arguments = Callable[[Installation], list[dict[str, Any]]]


def each(*keys: str, argument: str) -> Arguments:
    """One call per object ``keys`` of both GALs, passed as ``argument``."""

    def calls(inst: Installation) -> list[dict[str, Any]]:
        return [
            {argument: gal.ids[key]}
            for gal in inst.gals.values()
            for key in keys
            if gal.ids.get(key) is not None
        ]

    return calls


def _surveys(inst: Installation) -> list[str]:
    keys = ("survey_anonymous", "survey_named", "survey_draft")
    return [gal.ids[key] for gal in inst.gals.values() for key in keys]


#: Root fields that need arguments: the calls naming both GALs' objects. Fields without
#: required arguments are walked without any, and with these calls too when listed.
CALLS: dict[str, Arguments] = {
    "workshopsChallengesOfProject": each("project", argument="project"),
    "workshopsEvent": each("event_commune", "event_territory", "event_draft", argument="id"),
    "workshopsTicket": each(
        "event_commune_registration", "event_territory_registration", argument="token"
    ),
    "workshopsCalendar": lambda inst: [
        *({"commune": nis} for gal in inst.gals.values() for nis in gal.nis),
        *({"territory": gal.slug} for gal in inst.gals.values()),
    ],
    "voiceDiscussion": each("project", argument="target"),
    "survey": lambda inst: [{"id": key} for key in _surveys(inst)],
    "surveyByPublicKey": each("survey_anonymous_key", "survey_named_key", argument="publicKey"),
    "surveyInvitation": each("survey_named_token", argument="token"),
    "surveyResults": lambda inst: [
        {"id": key, "public": public} for key in _surveys(inst) for public in (True, False)
    ],
    "surveyCrossTab": lambda inst: [
        {"id": key, "question": "opinion", "public": False} for key in _surveys(inst)
    ],
    "surveyResponses": lambda inst: [{"survey": key} for key in _surveys(inst)],
    "surveyInvitations": lambda inst: [{"survey": key} for key in _surveys(inst)],
    "sdgTarget": lambda inst: [{"code": "11.3"}],
    "webhookSubscription": each("webhook", argument="id"),
    "exportPersonData": lambda inst: [
        {"email": email}
        for gal in inst.gals.values()
        for email in (
            f"jean.{gal.marker}@{gal.marker}.example",
            f"marie.event_commune.{gal.marker}@{gal.marker}.example",
        )
    ],
    "territory": lambda inst: [{"slug": gal.slug} for gal in inst.gals.values()],
    "workshopsCardWorkshop": each("card_workshop", argument="id"),
    "commune": lambda inst: [{"nisCode": nis} for gal in inst.gals.values() for nis in gal.nis],
}

#: Root fields not walked here, and why.
EXCLUDED: dict[str, str] = {
    "node": "asked for every id the operator reads, below (test_node_and_nodes)",
    "nodes": "asked for every id the operator reads, below (test_node_and_nodes)",
}

#: Types whose objects carry no GAL's marker, are not the public's, and belong to no GAL.
NEUTRAL: dict[str, str] = {}

PRINCIPALS = [f"{gal}.{role}" for gal in ("A", "B") for role in ROLES]


def calls_of(inst: Installation, schema: Any) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    for name, gql_field in schema.query_type.fields.items():
        if name in EXCLUDED:
            continue
        if not needs_arguments(gql_field):
            calls.append((name, {}))
        calls.extend((name, arguments) for arguments in CALLS.get(name, lambda _: [])(inst))
    return calls


#: The plugins' parts ("<kind>:<area>", kind: reads, nodes, rest, writes, own) not confined
#: to a GAL yet (feat/tnplugins makes the plugins tenancy-aware): expected to fail, and failing
#: when they pass, so that the entry goes once they are.
TNPLUGINS = "the plugin is not tenancy-aware on main yet (feat/tnplugins)"
PENDING: dict[str, str] = {}

AREAS = ("core", "workshops", "surveys", "opendata", "voice")


def area_of(name: str) -> str:
    """The plugin a root field, mutation or REST route (``/api/<segment>``) belongs to."""
    for area in AREAS[1:]:
        if name.startswith(area) or name.startswith(area.rstrip("s")):
            return area
    return "core"


def expect(part: str, found: list[str]) -> None:
    """``found`` (unexpected reads or allows of ``part``, "<kind>:<area>") must be empty,
    unless the part is :data:`PENDING`, when it must not be."""
    if part in PENDING:
        if found:
            pytest.xfail(f"{PENDING[part]} ({len(found)}: {found[:2]})")
        pytest.fail(f"{part} passes now: remove it from PENDING")
    assert not found, f"{len(found)} unexpected:\n" + "\n".join(found)


def by_area(found: list[tuple[str, str]]) -> dict[str, list[str]]:
    areas: dict[str, list[str]] = {}
    for root, message in found:
        areas.setdefault(area_of(root), []).append(message)
    return areas


def leaks(who: str, seen: Seen, public: Seen, universe: Seen) -> list[tuple[str, str]]:
    """What ``who`` read that is neither the public's nor its own GAL's: (root, what)."""
    own = who.split(".")[0]
    other = "B" if own == "A" else "A"
    found = []
    public_facts = {fact[1:] for fact in public.facts}
    for key in sorted(seen.ids - public.ids):
        owners = universe.owners.get(key, set()) | seen.owners.get(key, set())
        type_name = key.split(":", 1)[0]
        if other in owners or (not owners and type_name not in NEUTRAL):
            where = seen.where[key]
            found.append((where, f"{who} reads {key} (owner {owners or 'none'}) in {where}"))
    for root, type_name, name, value in sorted(seen.facts):
        if other in owner_of(value) and (type_name, name, value) not in public_facts:
            found.append((root, f"{who} reads {type_name}.{name} = {value!r} in {root}"))
    return found


async def test_every_root_field_is_walked_or_excluded(two_gals: Installation) -> None:
    schema = await introspect(two_gals)
    unknown = sorted((set(CALLS) | set(EXCLUDED)) - set(schema.query_type.fields))
    assert not unknown, f"walk entries for root fields that no longer exist: {unknown}"
    unwalked = sorted(
        name
        for name, gql_field in schema.query_type.fields.items()
        if needs_arguments(gql_field) and name not in CALLS and name not in EXCLUDED
    )
    assert not unwalked, (
        f"root fields neither walked nor excluded: {unwalked}: add them to CALLS (arguments "
        "naming both GALs' objects) or to EXCLUDED with the reason"
    )


@dataclass
class Baseline:
    schema: Any
    calls: list[tuple[str, dict[str, Any]]]
    #: What the anonymous public reads, and what the operator reads (everything).
    public: Seen
    universe: Seen


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def baseline(two_gals: Installation) -> Baseline:
    schema = await introspect(two_gals)
    calls = calls_of(two_gals, schema)
    public, broken = await read(two_gals, schema, "anonymous", calls)
    universe, more = await read(two_gals, schema, "operator", calls)
    assert not broken + more, broken + more
    return Baseline(schema, calls, public, universe)


async def test_the_walk_reaches_both_gals_and_their_personal_data(baseline: Baseline) -> None:
    """Else the walk proves nothing."""
    texts = {fact[3] for fact in baseline.universe.facts}
    for gal in MARKERS.values():
        for personal in (f"jean.{gal}@{gal}.example", f"Avis {gal} survey_named"):
            assert personal in texts, personal
    types = {key.split(":", 1)[0] for key in baseline.universe.ids}
    for expected in (
        "Project",
        "Stakeholder",
        "Contact",
        "StrategicPlan",
        "WorkshopsEvent",
        "WorkshopsRegistration",
        "Survey",
        "WebhookSubscription",
        "VoiceComment",
        "WorkshopsCardWorkshop",
        "WorkshopsCard",
        "Media",
    ):
        assert expected in types, (expected, sorted(types))


_WALKS: dict[str, dict[str, list[str]]] = {}
#: The read paths walked: the read compiler's (the default), and the resolvers'.
PATHS = {"compiled": True, "resolvers": False}


@asynccontextmanager
async def on_path(inst: Installation, path: str) -> AsyncIterator[Installation]:
    """``inst``, or an app over its GALs answering by the resolvers only."""
    if PATHS[path] == inst.app.state.settings.graphql_compile:
        yield inst
    else:
        async with same_gals(inst, graphql_compile=PATHS[path]) as other:
            assert other.app.state.settings.graphql_compile is PATHS[path]
            yield other


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("area", AREAS)
async def test_no_object_of_a_gal_reaches_the_other_gals_principals(
    two_gals: Installation, baseline: Baseline, area: str, path: str
) -> None:
    walked = f"{two_gals.url} {path}"
    if walked not in _WALKS:
        found: list[tuple[str, str]] = []
        async with on_path(two_gals, path) as inst:
            for who in PRINCIPALS:
                seen, broken = await read(inst, baseline.schema, who, baseline.calls)
                found += leaks(who, seen, baseline.public, baseline.universe)
                found += [(message.split(":", 1)[0], f"{who} {message}") for message in broken]
        _WALKS[walked] = by_area(found)
    expect(f"reads:{area}", _WALKS[walked].get(area, []))


@pytest.mark.parametrize("path", PATHS)
async def test_node_and_nodes(two_gals: Installation, baseline: Baseline, path: str) -> None:
    """``node(id:)`` for every id the operator reads (its objects and those one level down),
    and ``nodes(ids:)`` for every id of the other GAL, with the objects below them too (a
    refused field among them used to cancel the DataLoader futures its siblings shared: a
    ``CancelledError`` out of the request)."""
    schema, public, universe = baseline.schema, baseline.public, baseline.universe
    node_types = {t.name for t in schema.get_possible_types(schema.get_type("Node"))}
    keys = sorted(key for key in universe.ids if key.split(":", 1)[0] in node_types)
    assert len(keys) >= 20, keys
    found: list[tuple[str, str]] = []
    async with on_path(two_gals, path) as inst:
        for who in PRINCIPALS:
            other = "B" if who.startswith("A.") else "A"
            theirs = [key.split(":", 1)[1] for key in keys if other in universe.owners[key]]
            assert theirs, other
            seen, broken = await read(
                inst,
                schema,
                who,
                [("node", {"id": key.split(":", 1)[1]}) for key in keys]
                + [("nodes", {"ids": [key.split(":", 1)[1] for key in keys]})],
            )
            more, failed = await read(inst, schema, who, [("nodes", {"ids": theirs})])
            seen.update(more)
            found += leaks(who, seen, public, universe)
            found += [("node", f"{who} {message}") for message in broken + failed]
    expect("nodes:core", [message for _, message in found])


#: What each alias of ``workshopsEvent`` selects: the event, its registrations (its
#: organisers'), its media and its card workshops (the statements a refusal may interrupt).
EVENT = (
    "id title status confirmedCount waitlistCount seatsLeft registrations { id status } "
    "media { id title } speakers { name } agenda { title } partnerOrganisations { id name } "
    "calendars { icalUrl commune { id } } attendance { registered }"
)


CONCURRENT = 2


@pytest.mark.parametrize("path", PATHS)
async def test_aliases_of_allowed_refused_and_missing_events(
    two_gals: Installation, path: str
) -> None:
    """A reported ``PendingRollbackError`` (HTTP 500) with aliased ``workshopsEvent`` reads,
    some refused, some allowed: every principal reads its own GAL's events, the other's draft
    (refused), and ids that name nothing, several times each in one document; each alias gets
    its own answer, and no error but a refusal. (Before the DataLoader's futures were shielded,
    this document got a ``CancelledError`` out of the request on PostgreSQL.)"""
    missing = ["V29ya3Nob3BzRXZlbnQ6OTk5OTk5", "UHJvamVjdDox", "bm90IGFuIGlk"]
    async with on_path(two_gals, path) as inst:
        for who in [*PRINCIPALS, "operator", "anonymous"]:
            own = inst.gals[who[0]] if who[1:2] == "." else None
            other = inst.gals["B" if who.startswith("A.") else "A"]
            expected: dict[str, str | None] = {}
            for round_ in range(3):
                if own is not None:
                    for key in ("event_commune", "event_territory", "event_draft"):
                        expected[f"own{round_}_{key}"] = own.ids[key]
                expected[f"theirs{round_}"] = other.ids["event_draft"]
                expected[f"public{round_}"] = other.ids["event_commune"]
                for index, key in enumerate(missing):
                    expected[f"missing{round_}_{index}"] = key
            document = (
                "{ "
                + " ".join(
                    f'{alias}: workshopsEvent(id: "{key}") {{ {EVENT} }}'
                    for alias, key in expected.items()
                )
                + " }"
            )
            # Sent several times at once: the requests share the engine's pool.
            bodies = await asyncio.gather(
                *(inst.body(document, None, who) for _ in range(CONCURRENT))
            )
            body = bodies[0]
            assert all(other == body for other in bodies[1:]), who
            codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
            assert codes <= {"NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED"}, (who, body["errors"])
            assert "data" in body, (who, body)
            data = body["data"]
            failed = {(e.get("path") or [""])[0] for e in body.get("errors") or []}
            for alias, key in expected.items():
                answer = data[alias]
                if answer is not None:
                    assert not alias.startswith("missing") and answer["id"] == key, (who, alias)
                else:  # refused (its registrations, if not the event): said so; a draft
                    # one may not see is as if absent, as an id of nothing is
                    absent = alias.startswith(("missing", "theirs")) or alias.endswith("draft")
                    assert alias in failed or absent, (who, alias, body)
            # Each GAL's administrator reads its own events, its draft and registrations
            # included; nobody but the operator reads the other GAL's draft.
            if who.endswith(".admin") or who == "operator":
                assert all(data[alias] for alias in expected if alias.startswith("own")), body
            if who != "operator":
                assert data["theirs0"] is None, (who, data["theirs0"])
