"""The challenge-card workshop played through the GraphQL API: 12 participants in 3 groups,
from the inventory to a promoted project, checking every rule on the way."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.plugins.workshops.models import Card, Participant

FACILITATOR = Principal(
    kind=PrincipalKind.PERSON, subject="facilitator", roles=frozenset({Role.TERRITORY_ADMIN})
)
# A facilitator client that may run workshops but not create projects.
FACILITATOR_ONLY = Principal(
    kind=PrincipalKind.CLIENT,
    subject="client-screen",
    client_id="client-screen",
    roles=frozenset({Role.INTEGRATOR}),
    scopes=frozenset({"workshops:facilitate"}),
)
PEOPLE = [Principal(kind=PrincipalKind.PERSON, subject=f"person-{i}") for i in range(12)]
OUTSIDER = Principal(kind=PrincipalKind.PERSON, subject="outsider")

PAYLOAD = "workshop { id phase version secondsLeft } errors { field code message }"
FIELDS = {
    "create": ("createWorkshopsCardWorkshop", "CreateWorkshopsCardWorkshopInput"),
    "update": ("updateWorkshopsCardWorkshop", "UpdateWorkshopsCardWorkshopInput"),
    "join": ("joinWorkshopsCardWorkshop", "JoinWorkshopsCardWorkshopInput"),
    "paper_people": ("addWorkshopsParticipants", "AddWorkshopsParticipantsInput"),
    "advance": ("advanceWorkshopsCardWorkshop", "AdvanceWorkshopsCardWorkshopInput"),
    "inventory": ("addWorkshopsInventoryEntry", "AddWorkshopsInventoryEntryInput"),
    "link": ("linkWorkshopsInventoryEntry", "LinkWorkshopsInventoryEntryInput"),
    "write": ("writeWorkshopsCard", "WriteWorkshopsCardInput"),
    "paper": ("addWorkshopsPaperCards", "AddWorkshopsPaperCardsInput"),
    "swap": ("swapWorkshopsCard", "SwapWorkshopsCardInput"),
    "groups": ("assignWorkshopsGroups", "AssignWorkshopsGroupsInput"),
    "select": ("selectWorkshopsChallenges", "SelectWorkshopsChallengesInput"),
    "merge": ("mergeWorkshopsChallenges", "MergeWorkshopsChallengesInput"),
    "promote": ("promoteWorkshopsChallenge", "PromoteWorkshopsChallengeInput"),
}

VIEW = """
query($id: ID!) {
  workshopsCardWorkshop(id: $id) {
    id version phase maxCards cardsPerHand selectionSize phaseEndsAt
    durations { inventory inventoryPerCommune writing exchange selection conclusion }
    me { id alias group commune homeCommune { id } }
    participantCount
    cards { id colour axis text mine heldByMe onTable holder author }
    inventory { id text commune project ownerCommune { id } linkedProject { id } }
    challenges { id text colour position groups cards project workshop
      promotedProject { id } }
  }
}"""


class Game:
    def __init__(self, run: Any) -> None:
        self.run = run
        self.id = ""

    async def do(
        self, name: str, input: dict[str, Any], who: Principal, extra: str = ""
    ) -> dict[str, Any]:
        field, type_ = FIELDS[name]
        query = f"mutation($input: {type_}!) {{ {field}(input: $input) {{ {PAYLOAD} {extra} }} }}"
        body = await self.run(query, {"input": input}, principal=who)
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"][field]
        return payload

    async def ok(self, name: str, input: dict[str, Any], who: Principal, extra: str = "") -> Any:
        payload = await self.do(name, input, who, extra)
        assert payload["errors"] == [], (name, payload["errors"])
        return payload

    async def refused(self, name: str, input: dict[str, Any], who: Principal, code: str) -> Any:
        payload = await self.do(name, input, who)
        assert payload["workshop"] is None
        assert [e["code"] for e in payload["errors"]] == [code], (name, payload["errors"])
        assert payload["errors"][0]["message"]
        return payload["errors"][0]

    async def view(self, who: Principal | None = None) -> dict[str, Any]:
        kwargs = {"principal": who} if who is not None else {}
        body = await self.run(VIEW, {"id": self.id}, **kwargs)
        assert "errors" not in body, body
        view: dict[str, Any] = body["data"]["workshopsCardWorkshop"]
        return view

    async def advance(self, to: str) -> dict[str, Any]:
        return await self.ok("advance", {"workshop": self.id, "to": to}, FACILITATOR)


async def communes(run: Any) -> list[str]:
    body = await run("{ communes(first: 3) { edges { node { id } } } }")
    return [edge["node"]["id"] for edge in body["data"]["communes"]["edges"]]


async def test_a_full_workshop_of_12_participants_in_3_groups(run: Any, world: Any) -> None:
    game = Game(run)
    hannut, andenne, third = await communes(run)
    room = [hannut, andenne, third]

    await game.refused("create", {"title": {"fr": "x"}}, PEOPLE[0], "FORBIDDEN")
    created = await game.ok(
        "create",
        {"title": {"fr": "Atelier défis smart", "nl": "Workshop"}, "durations": {"writing": 12}},
        FACILITATOR,
    )
    game.id = created["workshop"]["id"]
    assert created["workshop"]["phase"] == "SETUP"
    view = await game.view()
    assert view["durations"] == {
        "inventory": 5,
        "inventoryPerCommune": 2,
        "writing": 12,  # changed by the facilitator
        "exchange": 5,
        "selection": 15,
        "conclusion": 10,
    }
    assert (view["maxCards"], view["cardsPerHand"], view["selectionSize"]) == (5, 3, 5)

    # Setup: 12 people join (4 per commune); nobody writes yet; no phase can be skipped.
    for i, person in enumerate(PEOPLE):
        await game.ok(
            "join", {"workshop": game.id, "alias": f"P{i}", "commune": room[i % 3]}, person
        )
    await game.refused("join", {"workshop": game.id, "alias": "again"}, PEOPLE[0], "DUPLICATE")
    write = {"workshop": game.id, "colour": "GREEN", "axis": "TERRITORY", "text": "Un défi"}
    await game.refused("write", write, PEOPLE[0], "WRONG_PHASE")
    skip = await game.refused(
        "advance", {"workshop": game.id, "to": "WRITING"}, FACILITATOR, "WRONG_PHASE"
    )
    assert "inventory" in skip["message"]
    await game.refused("advance", {"workshop": game.id, "to": "INVENTORY"}, PEOPLE[0], "FORBIDDEN")

    # Inventory: 5 minutes + 2 per commune present (3 communes).
    inventory = await game.advance("INVENTORY")
    assert 10 * 60 < inventory["workshop"]["secondsLeft"] <= 11 * 60
    for i in range(3):
        await game.ok(
            "inventory",
            {"workshop": game.id, "text": f"Action existante {i}: wifi public"},
            PEOPLE[i],
        )
    await game.refused("inventory", {"workshop": game.id, "text": "x"}, OUTSIDER, "NOT_PARTICIPANT")
    view = await game.view()
    entries = view["inventory"]
    assert [e["commune"] for e in entries] == room  # each participant's own commune
    assert [e["ownerCommune"]["id"] for e in entries] == room
    turned = await game.ok(
        "link",
        {"entry": entries[0]["id"], "status": "in_progress", "focus": "BLUE"},
        FACILITATOR,
        "project",
    )
    assert turned["project"]
    await game.refused(
        "link", {"entry": entries[0]["id"], "project": turned["project"]}, FACILITATOR, "DUPLICATE"
    )
    await game.ok("link", {"entry": entries[1]["id"], "project": turned["project"]}, FACILITATOR)
    linked = (await game.view())["inventory"][:2]
    assert [e["linkedProject"] for e in linked] == [{"id": turned["project"]}] * 2
    await game.refused(
        "link",
        {"entry": entries[2]["id"], "status": "idea", "focus": "BLUE"},
        FACILITATOR,
        "REQUIRED",
    )
    project = await run(
        "query($id: ID!) { node(id: $id) { ... on Project { status focus communes { id } } } }",
        {"id": turned["project"]},
    )
    assert project["data"]["node"] == {
        "status": "IN_PROGRESS",
        "focus": "DIGITAL",
        "communes": [{"id": hannut}],
    }

    # Round 1: each writes up to 5 cards; P11's are paper cards typed in by the facilitator.
    await game.advance("WRITING")
    await game.refused("inventory", {"workshop": game.id, "text": "late"}, PEOPLE[0], "WRONG_PHASE")
    for i, person in enumerate(PEOPLE[:11]):
        for n in range(5):
            colour = "GREEN" if (i + n) % 2 else "BLUE"
            await game.ok(
                "write",
                {**write, "colour": colour, "text": f"Défi {n} de P{i}"},
                person,
            )
    sixth = await game.refused("write", {**write, "text": "Un de trop"}, PEOPLE[0], "LIMIT_REACHED")
    assert "5" in sixth["message"]
    await game.refused("write", write, OUTSIDER, "NOT_PARTICIPANT")
    me11 = (await game.view(PEOPLE[11]))["me"]
    assert me11["commune"] and me11["homeCommune"] == {"id": me11["commune"]}
    paper = [
        {"participant": me11["id"], "colour": "GREEN", "axis": "COMMUNE_PRIORITY", "text": f"P{n}"}
        for n in range(5)
    ]
    await game.refused("paper", {"workshop": game.id, "cards": paper}, PEOPLE[0], "FORBIDDEN")
    await game.refused(
        "paper", {"workshop": game.id, "cards": [*paper, paper[0]]}, FACILITATOR, "LIMIT_REACHED"
    )  # all or nothing: none of the six was kept
    await game.ok("paper", {"workshop": game.id, "cards": paper}, FACILITATOR)

    # Participants see only their own cards until the exchange; the public sees none.
    mine = (await game.view(PEOPLE[3]))["cards"]
    assert len(mine) == 5 and all(c["mine"] for c in mine)
    assert all(c["author"] is None for c in mine)  # authors: facilitators only
    assert (await game.view())["cards"] == []
    everything = (await game.view(FACILITATOR))["cards"]
    assert len(everything) == 60 and all(c["author"] for c in everything)
    author_of = {c["id"]: c["author"] for c in everything}
    participant_ids = {(await game.view(p))["me"]["id"]: p.subject for p in PEOPLE}

    # The settings the exchange uses cannot change once it started; durations can.
    version = (await game.view(FACILITATOR))["version"]
    updated = await game.ok(
        "update",
        {
            "workshop": game.id,
            "version": version,
            "cardsPerHand": 3,
            "durations": {"exchange": 6},
        },
        FACILITATOR,
    )
    assert updated["workshop"]["version"] > created["workshop"]["version"]
    assert (await game.view())["durations"]["exchange"] == 6

    # Round 2: 3 cards each, never one's own, spread across authors; the rest on the table.
    exchange = await game.advance("EXCHANGE")
    assert 5 * 60 < exchange["workshop"]["secondsLeft"] <= 6 * 60  # the changed time box
    await game.refused("write", write, PEOPLE[0], "WRONG_PHASE")
    await game.refused(
        "update",
        {
            "workshop": game.id,
            "version": (await game.view(FACILITATOR))["version"],
            "cardsPerHand": 4,
        },
        FACILITATOR,
        "WRONG_PHASE",
    )
    cards = (await game.view(FACILITATOR))["cards"]
    held = [c for c in cards if c["holder"]]
    assert len(held) == 36 and sum(c["onTable"] for c in cards) == 24
    assert Counter(c["holder"] for c in held) == dict.fromkeys(participant_ids, 3)
    assert all(c["holder"] != author_of[c["id"]] for c in held)  # never one's own
    assert set(Counter(author_of[c["id"]] for c in held).values()) == {3}  # evenly: 3 each
    for holder in participant_ids:
        authors = [author_of[c["id"]] for c in held if c["holder"] == holder]
        assert len(set(authors)) == 3  # three different authors in every hand

    # A participant now sees every card, knows which they hold, and swaps with the table.
    seen = (await game.view(PEOPLE[0]))["cards"]
    assert len(seen) == 60
    hand = [c for c in seen if c["heldByMe"]]
    assert len(hand) == 3
    table_other = next(c for c in seen if c["onTable"] and not c["mine"])
    table_mine = next(c for c in seen if c["onTable"] and c["mine"])
    other_hand = next(c for c in cards if c["holder"] and c["id"] not in {h["id"] for h in hand})
    await game.refused(
        "swap", {"give": hand[0]["id"], "take": table_mine["id"]}, PEOPLE[0], "OWN_CARD"
    )
    await game.refused(
        "swap", {"give": other_hand["id"], "take": table_other["id"]}, PEOPLE[0], "NOT_HELD"
    )
    await game.refused(
        "swap", {"give": hand[0]["id"], "take": other_hand["id"]}, PEOPLE[0], "NOT_HELD"
    )
    await game.ok("swap", {"give": hand[0]["id"], "take": table_other["id"]}, PEOPLE[0])
    after = {c["id"]: c for c in (await game.view(PEOPLE[0]))["cards"]}
    assert after[hand[0]["id"]]["onTable"] and after[table_other["id"]]["heldByMe"]

    # Groups: 3 groups of 4; selection needs them.
    await game.refused(
        "groups", {"workshop": game.id, "count": 3, "groups": [[]]}, FACILITATOR, "REQUIRED"
    )
    await game.ok("groups", {"workshop": game.id, "count": 3}, FACILITATOR)
    groups_body = await run(
        "query($id: ID!) { workshopsCardWorkshop(id: $id) { groups { number members { id } } } }",
        {"id": game.id},
        principal=PEOPLE[0],
    )
    groups = groups_body["data"]["workshopsCardWorkshop"]["groups"]
    assert [len(g["members"]) for g in groups] == [4, 4, 4]
    hidden = await run(
        "query($id: ID!) { workshopsCardWorkshop(id: $id) { groups { number } } }",
        {"id": game.id},
    )
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Round 3: each group ranks up to 5 cards its members hold.
    await game.advance("SELECTION")
    await game.refused(
        "swap", {"give": table_other["id"], "take": hand[0]["id"]}, PEOPLE[0], "WRONG_PHASE"
    )
    cards = {c["id"]: c for c in (await game.view(FACILITATOR))["cards"]}
    member_of = {m["id"]: g["number"] for g in groups for m in g["members"]}
    subject_of = {pid: participant_ids[pid] for pid in member_of}
    selections: dict[int, list[str]] = {}
    for group in groups:
        members = {m["id"] for m in group["members"]}
        held_by_group = [cid for cid, c in cards.items() if c["holder"] in members]
        assert len(held_by_group) == 12
        someone = next(p for p in PEOPLE if p.subject == subject_of[next(iter(members))])
        outside = next(
            cid for cid, c in cards.items() if c["holder"] and c["holder"] not in members
        )
        await game.refused(
            "select", {"workshop": game.id, "cards": held_by_group[:6]}, someone, "LIMIT_REACHED"
        )
        await game.refused("select", {"workshop": game.id, "cards": [outside]}, someone, "NOT_HELD")
        await game.refused(
            "select",
            {"workshop": game.id, "cards": held_by_group[:1], "group": group["number"] % 3 + 1},
            someone,
            "FORBIDDEN",
        )
        selections[group["number"]] = held_by_group[:5]
        await game.ok("select", {"workshop": game.id, "cards": held_by_group[:5]}, someone)
    await game.refused(
        "select", {"workshop": game.id, "cards": selections[1][:1]}, FACILITATOR, "REQUIRED"
    )  # a facilitator names the group
    # A group may revise its selection; the facilitator may set one for a group.
    await game.ok(
        "select",
        {"workshop": game.id, "cards": selections[1][::-1], "group": 1},
        FACILITATOR,
    )
    selections[1] = selections[1][::-1]
    await game.refused("groups", {"workshop": game.id, "count": 2}, FACILITATOR, "WRONG_PHASE")

    # Conclusion: the 15 selections become the workshop's challenges, ranked; de-duplicate.
    await game.advance("CONCLUSION")
    await game.refused(
        "select", {"workshop": game.id, "cards": selections[2][:1]}, PEOPLE[1], "WRONG_PHASE"
    )
    challenges = (await game.view())["challenges"]  # public from now on
    assert len(challenges) == 15
    assert [c["position"] for c in challenges] == list(range(1, 16))
    assert [c["groups"] for c in challenges[:3]] == [[1], [2], [3]]  # rank 1 of each group first
    assert challenges[0]["cards"] == [selections[1][0]]
    merged = await game.ok(
        "merge",
        {
            "into": challenges[0]["id"],
            "others": [challenges[1]["id"], challenges[2]["id"]],
            "text": "Une plateforme citoyenne commune",
        },
        FACILITATOR,
        "challenge { id text groups cards position }",
    )
    top = merged["challenge"]
    assert top["groups"] == [1, 2, 3] and len(top["cards"]) == 3
    await game.refused("merge", {"into": top["id"], "others": [top["id"]]}, FACILITATOR, "INVALID")
    challenges = (await game.view())["challenges"]
    assert len(challenges) == 13 and [c["position"] for c in challenges] == list(range(1, 14))

    # Promotion: a core project (idea), linked to the workshop and its cards.
    await game.refused(
        "promote", {"challenge": top["id"]}, FACILITATOR_ONLY, "FORBIDDEN"
    )  # running workshops does not give projects:write
    promoted = await game.ok(
        "promote",
        {"challenge": top["id"]},
        FACILITATOR,
        "project createdProject { id } challenge { id project promotedProject { id } cards "
        "workshop }",
    )
    assert promoted["challenge"]["project"] == promoted["project"]
    assert promoted["createdProject"] == {"id": promoted["project"]}
    assert promoted["challenge"]["promotedProject"] == {"id": promoted["project"]}
    assert promoted["challenge"]["workshop"] == game.id
    await game.refused("promote", {"challenge": top["id"]}, FACILITATOR, "DUPLICATE")
    project = await run(
        "query($id: ID!) { node(id: $id) { ... on Project { title status focus "
        "communes { id } } } }",
        {"id": promoted["project"]},
    )
    node = project["data"]["node"]
    assert node["title"] == "Une plateforme citoyenne commune"
    assert node["status"] == "IDEA"
    # The communes of the three cards' authors.
    async with world.sessionmaker() as session:
        card_keys = [int(_key(c)) for c in top["cards"]]
        rows = await session.execute(
            select(Participant.commune_id)
            .join(Card, Card.author_id == Participant.id)
            .where(Card.id.in_(card_keys))
        )
        author_communes = {r for r in rows.scalars()}
    assert {_key(c["id"]) for c in node["communes"]} == {str(c) for c in author_communes}
    origin = await run(
        "query($p: ID!) { workshopsChallengesOfProject(project: $p) { id cards workshop } }",
        {"p": promoted["project"]},
    )
    assert origin["data"]["workshopsChallengesOfProject"] == [
        {"id": top["id"], "cards": top["cards"], "workshop": game.id}
    ]

    await game.advance("CLOSED")
    await game.refused("advance", {"workshop": game.id, "to": "SETUP"}, FACILITATOR, "WRONG_PHASE")

    # The whole history is kept, for the facilitator only.
    history = await run(
        "query($id: ID!) { workshopsCardWorkshop(id: $id) { history { phase action "
        "byFacilitator participant } } }",
        {"id": game.id},
        principal=FACILITATOR,
    )
    actions = Counter(h["action"] for h in history["data"]["workshopsCardWorkshop"]["history"])
    assert actions["joined"] == 12 and actions["cards_written"] == 56  # 55 + 1 paper batch
    assert actions["card_swapped"] == 1 and actions["challenges_selected"] == 4
    assert [a for a in actions if a.startswith("phase_")] == [
        "phase_inventory",
        "phase_writing",
        "phase_exchange",
        "phase_selection",
        "phase_conclusion",
        "phase_closed",
    ]
    denied = await run(
        "query($id: ID!) { workshopsCardWorkshop(id: $id) { history { action } } }",
        {"id": game.id},
        principal=PEOPLE[0],
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def _key(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def test_bad_ids_and_anonymous_callers_get_typed_errors(run: Any) -> None:
    game = Game(run)
    created = await game.ok("create", {"title": {"fr": "Atelier"}}, FACILITATOR)
    game.id = created["workshop"]["id"]
    await game.refused(
        "join", {"workshop": game.id, "alias": "Anon"}, Principal(), "UNAUTHENTICATED"
    )
    bad = await game.refused("join", {"workshop": "nonsense", "alias": "x"}, PEOPLE[0], "INVALID")
    assert bad["field"] == "workshop"
    await game.ok("join", {"workshop": game.id, "alias": "Solo"}, PEOPLE[0])
    await game.advance("INVENTORY")
    lonely = await game.refused(
        "advance", {"workshop": game.id, "to": "WRITING"}, FACILITATOR, "LIMIT_REACHED"
    )
    assert "2 participants" in lonely["message"]
    empty = await game.refused("join", {"workshop": game.id, "alias": "   "}, PEOPLE[1], "REQUIRED")
    assert empty["field"] == "alias"
    missing = await run(
        'query { workshopsCardWorkshop(id: "V29ya3Nob3BzQ2FyZFdvcmtzaG9wOjk5OTk=") { id } }'
    )
    assert missing["data"]["workshopsCardWorkshop"] is None


async def test_the_demo_has_a_finished_workshop_with_a_promoted_challenge(run: Any) -> None:
    body = await run(
        "{ workshopsCardWorkshops { id phase title participantCount "
        "challenges { text groups cards project } } }"
    )
    demo = next(
        w
        for w in body["data"]["workshopsCardWorkshops"]
        if w["title"] == "Les défis smart de nos communes"
    )
    assert demo["phase"] == "CLOSED" and demo["participantCount"] == 12
    challenges = demo["challenges"]
    assert 5 <= len(challenges) <= 15
    assert sum(len(c["cards"]) for c in challenges) == 15  # 3 groups x 5, de-duplicated
    promoted = [c for c in challenges if c["project"]]
    assert len(promoted) == 1
    project = await run(
        "query($id: ID!) { node(id: $id) { ... on Project { title status } } }",
        {"id": promoted[0]["project"]},
    )
    assert project["data"]["node"] == {"title": promoted[0]["text"], "status": "IDEA"}
