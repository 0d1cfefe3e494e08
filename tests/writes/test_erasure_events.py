"""What the change feed tells of a GDPR erasure: one ``contact.erased`` per erased contact,
scoped to that contact's organisation and communes (a reader of Hannut's contacts learns of
the Hannut one, not of the Andenne one), and one ``person.erased`` for the person, known
territory-wide only (administrators, unrestricted integrators), never carrying their e-mail
address or name."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role

HANNUT, ANDENNE = "64034", "92003"
ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-admin", roles=frozenset({Role.TERRITORY_ADMIN})
)
EMAIL = "Jeanne.Mertens@example.be"
FEED = """{ changes(first: 100, types: ["contact.erased", "person.erased"]) {
  edges { node { type objectId data } } } }"""


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def integrator(name: str, communes: tuple[str, ...] = ()) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject=name,
        client_id=name,
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset({"personal_data:manage", "contacts:read"}),
        communes=frozenset(communes),
    )


async def ok(run: Any, document: str, variables: dict[str, Any], field: str) -> Any:
    payload = (await run(document, variables, principal=ADMIN))["data"][field]
    assert payload["errors"] == [], payload
    return payload


async def contact_in(run: Any, world: Any, nis_code: str) -> str:
    """A new organisation acting in ``nis_code`` only, and a contact of it with EMAIL."""
    async with world.sessionmaker() as session:
        commune = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis_code))
        ).scalar_one()
    organisation = await ok(
        run,
        """mutation($input: CreateStakeholderInput!) { createStakeholder(input: $input) {
          stakeholder { id } errors { code message } } }""",
        {
            "input": {
                "kind": "ASSOCIATION",
                "name": f"Amis de {nis_code}",
                "communes": [gid("Commune", commune)],
            }
        },
        "createStakeholder",
    )
    created = await ok(
        run,
        """mutation($input: CreateContactInput!) { createContact(input: $input) {
          contact { id } errors { code message } } }""",
        {
            "input": {
                "stakeholder": organisation["stakeholder"]["id"],
                "givenName": "Jeanne",
                "familyName": "Mertens",
                "email": EMAIL,
            }
        },
        "createContact",
    )
    contact_id: str = created["contact"]["id"]
    return contact_id


async def test_each_erased_contact_has_its_event_and_the_person_one_is_territory_wide(
    run: Any, world: Any
) -> None:
    in_hannut = await contact_in(run, world, HANNUT)
    in_andenne = await contact_in(run, world, ANDENNE)
    erased = await ok(
        run,
        """mutation($email: String!) { erasePerson(input: {email: $email}) {
          erasedContacts errors { code message } } }""",
        {"email": EMAIL.lower()},
        "erasePerson",
    )
    assert erased["erasedContacts"] == 2

    async def seen(principal: Principal) -> list[tuple[str, str]]:
        body = await run(FEED, principal=principal)
        assert "errors" not in body, body
        edges = body["data"]["changes"]["edges"]
        text = json.dumps(edges).lower()
        for secret in ("jeanne", "mertens", "example.be"):
            assert secret not in text, edges
        return sorted((e["node"]["type"], e["node"]["objectId"]) for e in edges)

    admin = await seen(ADMIN)
    assert [t for t, _ in admin] == ["contact.erased", "contact.erased", "person.erased"]
    assert {o for t, o in admin if t == "contact.erased"} == {in_hannut, in_andenne}
    assert await seen(integrator("crm-all")) == admin
    assert await seen(integrator("crm-hannut", (HANNUT,))) == [("contact.erased", in_hannut)]
    assert await seen(integrator("crm-andenne", (ANDENNE,))) == [("contact.erased", in_andenne)]


async def test_erasing_only_plugin_records_tells_the_territory_without_the_address(
    run: Any, world: Any
) -> None:
    """A person known only to a plugin (a registration made without signing in): no contact
    is erased, the person's event still says that an erasure happened, to administrators."""
    from bocage.plugins.workshops import models as w

    async with world.sessionmaker() as session, session.begin():
        event = (await session.execute(select(w.Event).limit(1))).scalar_one()
        session.add(
            w.Registration(
                event_id=event.id,
                status="confirmed",
                attendee_name="Jeanne Mertens",
                attendee_email=EMAIL.lower(),
                cancel_token_hash="0" * 64,
                check_in_code="JM0001",
            )
        )
    erased = await ok(
        run,
        """mutation($email: String!) { erasePerson(input: {email: $email}) {
          erasedContacts errors { code message } } }""",
        {"email": EMAIL.lower()},
        "erasePerson",
    )
    assert erased["erasedContacts"] == 0
    body = await run(FEED, principal=ADMIN)
    edges = body["data"]["changes"]["edges"]
    assert [e["node"]["type"] for e in edges] == ["person.erased"]
    assert "jeanne" not in json.dumps(edges).lower()
    assert (await run(FEED, principal=integrator("crm-hannut", (HANNUT,))))["data"]["changes"][
        "edges"
    ] == []


async def test_a_persons_data_needs_the_permission_on_the_whole_territory(
    run: Any, world: Any
) -> None:
    """A person's data spans communes: exporting or erasing it with ``personal_data:manage``
    granted for one commune only is FORBIDDEN, and nothing is erased."""
    in_hannut = await contact_in(run, world, HANNUT)
    await contact_in(run, world, ANDENNE)
    export = """query($email: String!) { exportPersonData(email: $email) { contacts } }"""
    erase = """mutation($email: String!) { erasePerson(input: {email: $email}) {
      erasedContacts errors { field code message } } }"""
    hannut_only = integrator("crm-hannut", (HANNUT,))

    refused = await run(export, {"email": EMAIL}, principal=hannut_only)
    assert refused["data"] is None, refused
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert "territory" in error["message"], error
    payload = (await run(erase, {"email": EMAIL}, principal=hannut_only))["data"]["erasePerson"]
    assert payload["erasedContacts"] == 0
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], payload
    assert "territory" in payload["errors"][0]["message"]

    # Nothing was erased; the same scope granted territory-wide may.
    everywhere = integrator("crm-all")
    exported = await run(export, {"email": EMAIL}, principal=everywhere)
    contacts = exported["data"]["exportPersonData"]["contacts"]
    assert in_hannut in {c["id"] for c in contacts} and len(contacts) == 2
    done = (await run(erase, {"email": EMAIL}, principal=everywhere))["data"]["erasePerson"]
    assert (done["erasedContacts"], done["errors"]) == (2, [])
