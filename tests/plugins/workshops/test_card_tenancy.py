"""Challenge-card workshops under tenancy (docs/tenancy.md): a card workshop belongs to a
territory (its event's, else the one it was made for), whose facilitators alone run it and
read what only facilitators read; the other GAL's are refused and learn nothing of it; an
operator runs both. The territories of events are shown to front-ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bocage.core.api import node_key
from bocage.core.models import EventRecord, WebhookSubscription
from bocage.core.webhooks.relay import wanted
from bocage.plugins.workshops.models import CardWorkshop, HistoryEntry

from .test_tenancy import created as created_event

CREATE = """
mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) {
    workshop { id version territory { slug } } errors { field code message }
  }
}"""
UPDATE = """
mutation($input: UpdateWorkshopsCardWorkshopInput!) {
  updateWorkshopsCardWorkshop(input: $input) {
    workshop { id version maxCards territory { slug } } errors { field code message }
  }
}"""
ADVANCE = """
mutation($input: AdvanceWorkshopsCardWorkshopInput!) {
  advanceWorkshopsCardWorkshop(input: $input) {
    workshop { id version phase } errors { field code message }
  }
}"""
READ = """query($id: ID!) {
  workshopsCardWorkshop(id: $id) { id title territory { slug name } history { action } }
}"""
PUBLIC = "query($id: ID!) { workshopsCardWorkshop(id: $id) { id phase territory { slug } } }"
EVENT = "query($id: ID!) { workshopsEvent(id: $id) { id territory { slug name } } }"
TYPES = ["workshop.created", "workshop.settings_changed", "workshop.phase_changed"]


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"media_dir": str(tmp_path / "media"), "webhooks_allow_private_targets": True}


def codes(gals: Any, body: dict[str, Any], payload: str) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in gals.errors(body, payload)]


async def made(gals: Any, caller: Any, **values: Any) -> dict[str, Any]:
    body = await gals.gql(caller, CREATE, {"input": {"title": {"fr": "Défis"}, **values}})
    assert gals.errors(body, "createWorkshopsCardWorkshop") == []
    workshop: dict[str, Any] = body["data"]["createWorkshopsCardWorkshop"]["workshop"]
    return workshop


async def territory_key(gals: Any, workshop_id: str) -> int | None:
    async with gals.app.state.sessionmaker() as session:
        row = await session.get_one(
            CardWorkshop, node_key(workshop_id, "WorkshopsCardWorkshop", "id")
        )
        return row.territory_id


async def history_length(gals: Any, workshop_id: str) -> int:
    key = node_key(workshop_id, "WorkshopsCardWorkshop", "id")
    async with gals.app.state.sessionmaker() as session:
        found = await session.execute(
            select(HistoryEntry.id).where(HistoryEntry.workshop_id == key)
        )
        return len(found.all())


async def test_a_card_workshop_without_an_event_is_its_creator_s_gal_s(two_gals: Any) -> None:
    a, b, operator = two_gals.a, two_gals.b, two_gals.operator
    admin_a, admin_b = two_gals.admin(a), two_gals.admin(b)
    workshop = await made(two_gals, admin_a)
    assert workshop["territory"] == {"slug": a.slug}  # its creator's only territory
    assert await territory_key(two_gals, workshop["id"]) == a.key

    # B's administrator neither changes it, nor moves it on, nor reads its history.
    change = {"workshop": workshop["id"], "version": workshop["version"], "maxCards": 2}
    refused = await two_gals.gql(admin_b, UPDATE, {"input": change})
    assert codes(two_gals, refused, "updateWorkshopsCardWorkshop") == [("workshop", "FORBIDDEN")]
    refused = await two_gals.gql(
        admin_b, ADVANCE, {"input": {"workshop": workshop["id"], "to": "INVENTORY"}}
    )
    assert codes(two_gals, refused, "advanceWorkshopsCardWorkshop") == [("workshop", "FORBIDDEN")]
    assert await history_length(two_gals, workshop["id"]) == 1  # created; nothing written
    seen = await two_gals.gql(admin_b, READ, {"id": workshop["id"]})
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert seen["errors"][0]["path"][-1] == "history"
    # What anyone reads of it stays public, its territory included.
    public = await two_gals.gql(None, PUBLIC, {"id": workshop["id"]})
    assert public["data"]["workshopsCardWorkshop"]["territory"] == {"slug": a.slug}

    # A's administrator runs it, and so does an operator.
    done = await two_gals.gql(admin_a, UPDATE, {"input": change})
    assert two_gals.errors(done, "updateWorkshopsCardWorkshop") == []
    seen = await two_gals.gql(admin_a, READ, {"id": workshop["id"]})
    assert "errors" not in seen, seen
    assert [h["action"] for h in seen["data"]["workshopsCardWorkshop"]["history"]] == [
        "created",
        "settings_changed",
    ]
    advanced = await two_gals.gql(
        operator, ADVANCE, {"input": {"workshop": workshop["id"], "to": "INVENTORY"}}
    )
    assert two_gals.errors(advanced, "advanceWorkshopsCardWorkshop") == []
    version = advanced["data"]["advanceWorkshopsCardWorkshop"]["workshop"]["version"]

    # Its events reach A's administrators and the operator, never B's.
    assert workshop["id"] in await two_gals.changes(admin_a, TYPES)
    assert workshop["id"] in await two_gals.changes(operator, TYPES)
    assert workshop["id"] not in await two_gals.changes(admin_b, TYPES)

    # Giving it to B is not A's administrator's to do; an operator may.
    move = {"workshop": workshop["id"], "version": version, "territory": b.id}
    refused = await two_gals.gql(admin_a, UPDATE, {"input": move})
    assert codes(two_gals, refused, "updateWorkshopsCardWorkshop") == [("territory", "FORBIDDEN")]
    assert await territory_key(two_gals, workshop["id"]) == a.key
    moved = await two_gals.gql(operator, UPDATE, {"input": move})
    assert two_gals.errors(moved, "updateWorkshopsCardWorkshop") == []
    assert moved["data"]["updateWorkshopsCardWorkshop"]["workshop"]["territory"] == {"slug": b.slug}
    version = moved["data"]["updateWorkshopsCardWorkshop"]["workshop"]["version"]
    change = {"workshop": workshop["id"], "version": version, "maxCards": 4}
    refused = await two_gals.gql(admin_a, UPDATE, {"input": change})
    assert codes(two_gals, refused, "updateWorkshopsCardWorkshop") == [("workshop", "FORBIDDEN")]
    done = await two_gals.gql(admin_b, UPDATE, {"input": change})
    assert two_gals.errors(done, "updateWorkshopsCardWorkshop") == []


async def test_the_territory_of_a_new_card_workshop(two_gals: Any) -> None:
    a, b, operator = two_gals.a, two_gals.b, two_gals.operator
    of_both = two_gals.admin(a, b, subject="admin-both")
    title = {"title": {"fr": "Défis"}}
    async with two_gals.app.state.sessionmaker() as session:
        before = len((await session.execute(select(CardWorkshop.id))).all())

    # Who works for several GALs says which; an administrator of A cannot make one for B.
    refused = await two_gals.gql(of_both, CREATE, {"input": title})
    assert codes(two_gals, refused, "createWorkshopsCardWorkshop") == [("territory", "REQUIRED")]
    refused = await two_gals.gql(two_gals.admin(a), CREATE, {"input": title | {"territory": b.id}})
    assert codes(two_gals, refused, "createWorkshopsCardWorkshop") == [("territory", "FORBIDDEN")]
    # An operator chooses (and must, the installation holding two GALs).
    refused = await two_gals.gql(operator, CREATE, {"input": title})
    assert codes(two_gals, refused, "createWorkshopsCardWorkshop") == [("territory", "REQUIRED")]
    async with two_gals.app.state.sessionmaker() as session:
        assert len((await session.execute(select(CardWorkshop.id))).all()) == before

    assert (await made(two_gals, of_both, territory=b.id))["territory"] == {"slug": b.slug}
    assert (await made(two_gals, operator, territory=a.id))["territory"] == {"slug": a.slug}

    # At an event: the event's territory (and no other).
    event = await created_event(
        two_gals, of_both, onlineUrl="https://visio.example/b", territory=b.id
    )
    at_event = await made(two_gals, two_gals.admin(b), event=event["id"])
    assert at_event["territory"] == {"slug": b.slug}
    refused = await two_gals.gql(
        of_both, CREATE, {"input": title | {"event": event["id"], "territory": a.id}}
    )
    assert codes(two_gals, refused, "createWorkshopsCardWorkshop") == [("territory", "INVALID")]


async def held_in_a_commune_of_a(gals: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """An event in a commune of GAL A (made by an operator), and a card workshop held at it."""
    event = await created_event(gals, gals.operator, commune=gals.a.commune_id, address="Salle 1")
    workshop = await made(gals, gals.admin(gals.a), event=event["id"])
    assert workshop["territory"] == {"slug": gals.a.slug}
    return event, workshop


async def test_a_card_workshop_at_an_event_follows_the_event_to_another_gal(
    two_gals: Any,
) -> None:
    a, b, operator = two_gals.a, two_gals.b, two_gals.operator
    event, workshop = await held_in_a_commune_of_a(two_gals)
    moved = await two_gals.gql(
        operator,
        """mutation($input: UpdateWorkshopsEventInput!) {
          updateWorkshopsEvent(input: $input) { event { id } errors { field code message } }
        }""",
        {"input": {"id": event["id"], "version": event["version"], "commune": b.commune_id}},
    )
    assert two_gals.errors(moved, "updateWorkshopsEvent") == []
    assert await territory_key(two_gals, workshop["id"]) == b.key
    change = {"workshop": workshop["id"], "version": workshop["version"], "maxCards": 2}
    refused = await two_gals.gql(two_gals.admin(a), UPDATE, {"input": change})
    assert codes(two_gals, refused, "updateWorkshopsCardWorkshop") == [("workshop", "FORBIDDEN")]
    done = await two_gals.gql(two_gals.admin(b), UPDATE, {"input": change})
    assert two_gals.errors(done, "updateWorkshopsCardWorkshop") == []


async def test_only_its_gal_s_facilitators_attach_media_to_a_card_workshop(
    two_gals: Any,
) -> None:
    workshop = await made(two_gals, two_gals.admin(two_gals.a))
    document = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

    async def attach(caller: Any) -> int:
        response = await two_gals.send(
            caller,
            "POST",
            "/api/media",
            data={"owner": workshop["id"], "role": "document"},
            files={"file": ("defis.pdf", document, "application/pdf")},
        )
        return response.status_code

    assert await attach(two_gals.admin(two_gals.b)) == 403
    media = "query($id: ID!) { workshopsCardWorkshop(id: $id) { media { id } } }"
    seen = await two_gals.gql(None, media, {"id": workshop["id"]})
    assert seen["data"]["workshopsCardWorkshop"]["media"] == []
    assert await attach(two_gals.admin(two_gals.a)) == 201
    assert await attach(two_gals.operator) == 201


async def test_events_show_their_territory(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    of_both = two_gals.admin(a, b, subject="admin-both")
    in_commune = await created_event(two_gals, of_both, commune=b.commune_id, address="Rue 1")
    online = await created_event(
        two_gals, of_both, onlineUrl="https://visio.example/a", territory=a.id
    )
    for event, gal in ((in_commune, b), (online, a)):
        body = await two_gals.gql(of_both, EVENT, {"id": event["id"]})
        assert body["data"]["workshopsEvent"]["territory"]["slug"] == gal.slug
        # B's administrator does not read A's draft, territory or not.
        other = two_gals.admin(b if gal is a else a)
        assert (await two_gals.gql(other, EVENT, {"id": event["id"]}))["data"] == {
            "workshopsEvent": None
        }


MOVE_COMMUNE = """mutation($input: UpdateCommuneInput!) {
  updateCommune(input: $input) { commune { territory { slug } } errors { field code message } }
}"""
COMMUNE = "query($nis: String!) { commune(nisCode: $nis) { id version } }"
VERSION = "query($id: ID!) { workshopsCardWorkshop(id: $id) { version } }"


async def test_card_workshops_follow_their_event_s_commune_to_another_gal(
    two_gals: Any,
) -> None:
    a, b, operator = two_gals.a, two_gals.b, two_gals.operator
    event, workshop = await held_in_a_commune_of_a(two_gals)

    # The operator moves the event's commune to B: in that same mutation, the event and the
    # card workshop held at it take B's territory.
    commune = (await two_gals.gql(operator, COMMUNE, {"nis": a.nis}))["data"]["commune"]
    move = {"id": commune["id"], "version": commune["version"], "territory": b.id}
    moved = await two_gals.gql(operator, MOVE_COMMUNE, {"input": move})
    assert two_gals.errors(moved, "updateCommune") == []
    assert moved["data"]["updateCommune"]["commune"]["territory"] == {"slug": b.slug}
    assert await territory_key(two_gals, workshop["id"]) == b.key
    shown = await two_gals.gql(operator, EVENT, {"id": event["id"]})
    assert shown["data"]["workshopsEvent"]["territory"]["slug"] == b.slug
    public = await two_gals.gql(None, PUBLIC, {"id": workshop["id"]})
    assert public["data"]["workshopsCardWorkshop"]["territory"] == {"slug": b.slug}

    # A's facilitators no longer run it (typed refusal, nothing written); B's do.
    admin_a, admin_b = two_gals.admin(a), two_gals.admin(b)
    seen = await two_gals.gql(admin_b, VERSION, {"id": workshop["id"]})
    version = seen["data"]["workshopsCardWorkshop"]["version"]
    change = {"workshop": workshop["id"], "version": version, "maxCards": 2}
    refused = await two_gals.gql(admin_a, UPDATE, {"input": change})
    assert codes(two_gals, refused, "updateWorkshopsCardWorkshop") == [("workshop", "FORBIDDEN")]
    refused_advance = await advance(two_gals, admin_a, workshop)
    assert [(e["field"], e["code"]) for e in refused_advance] == [("workshop", "FORBIDDEN")]
    assert await history_length(two_gals, workshop["id"]) == 1  # created; nothing written
    done = await two_gals.gql(admin_b, UPDATE, {"input": change})
    assert two_gals.errors(done, "updateWorkshopsCardWorkshop") == []
    assert await advance(two_gals, admin_b, workshop) == []

    # What it does from now on reaches B's facilitators' change feed, not A's.
    types = ["workshop.settings_changed", "workshop.phase_changed"]
    assert workshop["id"] in await two_gals.changes(admin_b, types)
    assert workshop["id"] not in await two_gals.changes(admin_a, types)


GRANT = """mutation($input: PermissionGrantInput!) {
  grantPermission(input: $input) { grant { role permission } errors { field code message } }
}"""
REVOKE = """mutation($input: PermissionGrantInput!) {
  revokePermission(input: $input) { errors { field code message } }
}"""
FACILITATE = {"role": "commune_editor", "permission": "workshops:facilitate"}
SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { subscription { id } errors { field code message } }
}"""


async def grant_editors(gals: Any, caller: Any, *permissions: str) -> None:
    """Commune editors hold ``permissions`` wherever they reach (granted by ``caller``)."""
    for permission in permissions:
        grant = {"role": "commune_editor", "permission": permission}
        granted = await gals.gql(caller, GRANT, {"input": grant})
        assert gals.errors(granted, "grantPermission") == []


async def advance(gals: Any, caller: Any, workshop: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of ``caller`` advancing ``workshop`` to the inventory."""
    body = await gals.gql(
        caller, ADVANCE, {"input": {"workshop": workshop["id"], "to": "INVENTORY"}}
    )
    errors: list[dict[str, Any]] = gals.errors(body, "advanceWorkshopsCardWorkshop")
    return errors


async def test_a_commune_editor_who_facilitates_learns_of_the_card_workshops_it_runs(
    one_gal: Any,
) -> None:
    """On an installation of one GAL, a commune editor granted workshops:facilitate runs
    every card workshop, and learns of them in the change feed."""
    admin, editor = one_gal.admin(), one_gal.editor(one_gal.a)
    await grant_editors(one_gal, admin, "workshops:facilitate")
    workshop = await made(one_gal, admin)
    assert await advance(one_gal, editor, workshop) == []
    assert workshop["id"] in await one_gal.changes(editor, TYPES)
    # Without the permission, a commune editor learns nothing of them.
    revoked = await one_gal.gql(admin, REVOKE, {"input": FACILITATE})
    assert one_gal.errors(revoked, "revokePermission") == []
    assert workshop["id"] not in await one_gal.changes(editor, TYPES)


async def test_only_the_gal_s_commune_editors_who_facilitate_learn_of_its_card_workshops(
    two_gals: Any,
) -> None:
    a, b = two_gals.a, two_gals.b
    await grant_editors(two_gals, two_gals.operator, "workshops:facilitate")
    workshop = await made(two_gals, two_gals.admin(a))
    editor_a, editor_b = two_gals.editor(a), two_gals.editor(b)
    refused = await advance(two_gals, editor_b, workshop)
    assert [(e["field"], e["code"]) for e in refused] == [("workshop", "FORBIDDEN")]
    assert await advance(two_gals, editor_a, workshop) == []
    assert workshop["id"] in await two_gals.changes(editor_a, TYPES)
    assert workshop["id"] not in await two_gals.changes(editor_b, TYPES)
    assert workshop["id"] not in await two_gals.changes(two_gals.admin(b), TYPES)


async def test_a_commune_editor_s_webhooks_follow_its_change_feed(one_gal: Any) -> None:
    """Its webhook subscription keeps what it reaches as a member of the GAL: it is sent the
    events of the card workshops it runs, as its change feed shows them."""
    admin, editor = one_gal.admin(), one_gal.editor(one_gal.a)
    await grant_editors(one_gal, admin, "workshops:facilitate", "webhooks:manage")
    hooks = {"url": "http://127.0.0.1:9/hooks", "eventTypes": ["workshop.phase_changed"]}
    subscribed = await one_gal.gql(editor, SUBSCRIBE, {"input": hooks})
    assert one_gal.errors(subscribed, "createWebhookSubscription") == []
    workshop = await made(one_gal, admin)
    assert await advance(one_gal, editor, workshop) == []

    async with one_gal.app.state.sessionmaker() as session:
        subscription = (await session.execute(select(WebhookSubscription))).scalar_one()
        last = await session.scalar(select(func.max(EventRecord.id)))
        sent = select(EventRecord.object_id).where(
            EventRecord.id.in_(wanted(subscription, 1, last))
        )
        subjects = set((await session.execute(sent)).scalars())
    assert node_key(workshop["id"], "WorkshopsCardWorkshop", "id") in subjects
