"""Personal data: unreachable without the right role by any path of the schema; GDPR export
and erasure."""

from __future__ import annotations

import base64
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type
from sqlalchemy import select

from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.db import PERSONAL, Base
from bocage.core.graphql.personal import PERSONAL_FIELDS


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_personal_column_is_declared_and_guarded(world: Any) -> None:
    personal_columns = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.info.get(PERSONAL)
    }
    assert {("contact", "email"), ("contact", "given_name")} <= personal_columns
    schema = world.schema._schema
    exposed = {
        (type_.name, field)
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__")
        for field in type_.fields
        if field in {_camel(c) for _, c in personal_columns}
    }
    assert exposed == PERSONAL_FIELDS, "a personal field is exposed without the guard"


def _paths_to(schema: Any, target: str) -> list[list[tuple[str, Any]]]:
    """Every path of fields from Query to a field returning ``target`` (no type twice)."""
    paths: list[list[tuple[str, Any]]] = []

    def walk(type_: GraphQLObjectType, path: list[tuple[str, Any]], seen: set[str]) -> None:
        for name, field in type_.fields.items():
            named = get_named_type(field.type)
            if named.name == target:
                paths.append([*path, (name, field)])
            elif isinstance(named, GraphQLObjectType) and named.name not in seen:
                walk(named, [*path, (name, field)], seen | {named.name})

    walk(schema.query_type, [], {"Query"})
    return paths


def _document(path: list[tuple[str, Any]]) -> str:
    """A query following ``path`` and asking every personal field at its end."""
    inner = "givenName familyName email phone jobTitle"
    for name, field in reversed(path):
        named = get_named_type(field.type)
        if named.name.endswith("Connection"):
            inner = f"edges {{ node {{ {inner} }} }}"
        arguments = []
        for arg_name, arg in field.args.items():
            if isinstance(arg.type, GraphQLNonNull):
                value = {
                    "nisCode": '"64034"',
                    "slug": '"gal-hesbaye-meuse"',
                    "id": "$id",
                    "ids": "[$id]",
                    "email": '"x@example.org"',
                }.get(arg_name)
                arguments.append(f"{arg_name}: {value}")
        args = f"({', '.join(arguments)})" if arguments else ""
        if name in ("node", "nodes"):
            inner = f"... on Contact {{ {inner} }}"
        inner = f"{name}{args} {{ {inner} }}"
    return f"query($id: ID!) {{ {inner} }}"


async def test_no_path_reaches_a_personal_value_without_the_role(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    async with world.sessionmaker() as session:
        contact = (await session.execute(select(m.Contact).limit(1))).scalar_one()
        secrets = {contact.given_name, contact.family_name, contact.email}
    schema = world.schema._schema
    paths = _paths_to(schema, "Contact")
    assert len(paths) >= 3  # node, nodes, ...stakeholders...contacts
    unprivileged = [
        principals["anonymous"],
        principals["integrator_ro"],
        Principal(
            kind=PrincipalKind.PERSON,
            subject="x",
            roles=frozenset({Role.STAKEHOLDER_MEMBER}),
            stakeholders=frozenset({contact.stakeholder_id + 10_000}),
        ),
    ]
    for principal in unprivileged:
        for path in paths:
            body = await run(
                _document(path), {"id": gid("Contact", contact.id)}, principal=principal
            )
            text = repr(body.get("data"))
            leaked = [s for s in secrets if s and s in text]
            assert not leaked, f"{[n for n, _ in path]} leaks {leaked} to {principal.subject}"


async def test_the_right_role_reads_contacts(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    async with world.sessionmaker() as session:
        contact = (await session.execute(select(m.Contact).limit(1))).scalar_one()
    query = "query($id: ID!) { node(id: $id) { ... on Contact { familyName email } } }"
    admin = await run(query, {"id": gid("Contact", contact.id)}, principal=principals["admin"])
    assert admin["data"]["node"]["familyName"] == contact.family_name
    member = Principal(
        kind=PrincipalKind.PERSON,
        subject="m",
        roles=frozenset({Role.STAKEHOLDER_MEMBER}),
        stakeholders=frozenset({contact.stakeholder_id}),
    )
    own = await run(query, {"id": gid("Contact", contact.id)}, principal=member)
    assert own["data"]["node"]["email"] == contact.email
    listed = await run(
        "query($id: ID!) { node(id: $id) { ... on Stakeholder { contacts { familyName } } } }",
        {"id": gid("Stakeholder", contact.stakeholder_id)},
        principal=principals["anonymous"],
    )
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_export_then_erase_a_person(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    admin = principals["admin"]
    async with world.sessionmaker() as session:
        stakeholder = (await session.execute(select(m.Stakeholder).limit(1))).scalar_one()
    created = await run(
        """mutation($input: CreateContactInput!) { createContact(input: $input) {
          contact { id } errors { code message } } }""",
        {
            "input": {
                "stakeholder": gid("Stakeholder", stakeholder.id),
                "givenName": "Marie",
                "familyName": "Dubois",
                "email": "marie.dubois@example.org",
            }
        },
        principal=admin,
    )
    contact_id = created["data"]["createContact"]["contact"]["id"]
    export = (
        'query { exportPersonData(email: "MARIE.DUBOIS@example.org") { contacts auditEntries } }'
    )
    assert (await run(export, principal=principals["hannut_editor"]))["errors"]
    data = (await run(export, principal=admin))["data"]["exportPersonData"]
    assert data["contacts"][0]["family_name"] == "Dubois"
    assert data["auditEntries"][0]["changes"]["email"]["after"] == "marie.dubois@example.org"

    erase = """mutation { erasePerson(input: {email: "marie.dubois@example.org"}) {
      erasedContacts errors { code } } }"""
    assert (await run(erase, principal=admin))["data"]["erasePerson"]["erasedContacts"] == 1
    async with world.sessionmaker() as session:
        row = await session.get(m.Contact, int(base64.b64decode(contact_id).decode().split(":")[1]))
        entries = (
            (
                await session.execute(
                    select(m.AuditEntry).where(
                        m.AuditEntry.object_type == "Contact", m.AuditEntry.object_id == row.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert (row.family_name, row.email, row.deleted_at is not None) == ("[erased]", None, True)
    assert [e.action for e in entries] == ["created", "erased"]
    assert entries[0].personal_data_erased
    assert "Dubois" not in repr([e.changes for e in entries])
    assert "marie.dubois" not in repr([e.changes for e in entries])
    again = (await run(export, principal=admin))["data"]["exportPersonData"]
    assert again["contacts"] == []


async def test_a_person_by_account_what_they_did_and_their_own_export(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    """By account (a token's subject), the export lists what the person did as the audit trail
    records it (never the values); a signed-in person gets their own; nobody else's."""
    editor = principals["hannut_editor"]
    async with world.sessionmaker() as session:
        stakeholder = (await session.execute(select(m.Stakeholder).limit(1))).scalar_one()
    created = await run(
        """mutation($input: CreateContactInput!) { createContact(input: $input) {
          contact { id } errors { code message } } }""",
        {
            "input": {
                "stakeholder": gid("Stakeholder", stakeholder.id),
                "givenName": "Paul",
                "familyName": "Martin",
                "email": "paul.martin@example.org",
            }
        },
        principal=principals["admin"],
    )
    contact = created["data"]["createContact"]["contact"]["id"]
    renamed = await run(
        """mutation($input: UpdateStakeholderInput!) { updateStakeholder(input: $input) {
          errors { code } } }""",
        {
            "input": {
                "id": gid("Stakeholder", stakeholder.id),
                "version": stakeholder.version,
                "website": "https://example.org/nouveau",
            }
        },
        principal=editor,
    )
    assert renamed["data"]["updateStakeholder"]["errors"] == []
    export = """query($email: String, $subject: String) {
      exportPersonData(email: $email, subject: $subject) { contacts actions plugins } }"""
    by_account = (await run(export, {"subject": editor.subject}, principal=principals["admin"]))[
        "data"
    ]["exportPersonData"]
    assert by_account["contacts"] == []
    assert [(a["action"], a["object"]) for a in by_account["actions"]] == [
        ("updated", gid("Stakeholder", stakeholder.id))
    ]
    assert "nouveau" not in str(by_account["actions"])  # what, not the values
    both = (
        await run(
            export,
            {"subject": editor.subject, "email": "paul.martin@example.org"},
            principal=principals["admin"],
        )
    )["data"]["exportPersonData"]
    assert [c["id"] for c in both["contacts"]] == [contact] and len(both["actions"]) == 1

    mine = await run("{ myPersonalData { contacts actions } }", principal=editor)
    assert mine["data"]["myPersonalData"] == {
        "contacts": [],
        "actions": by_account["actions"],
    }
    client = await run("{ myPersonalData { actions } }", principal=principals["integrator_rw"])
    assert client["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    erase = """mutation($input: ErasePersonInput!) { erasePerson(input: $input) {
      erasedContacts errors { code field message } } }"""
    nothing = (await run(erase, {"input": {"subject": "nobody"}}, principal=principals["admin"]))[
        "data"
    ]["erasePerson"]
    assert [(e["code"], e["field"]) for e in nothing["errors"]] == [("NOT_FOUND", "subject")]
    blank = (await run(erase, {"input": {"email": "  "}}, principal=principals["admin"]))["data"][
        "erasePerson"
    ]
    assert blank["errors"][0]["code"] == "REQUIRED"
    assert "email or subject" in blank["errors"][0]["message"]
