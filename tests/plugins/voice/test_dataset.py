"""The ``voice`` open-data dataset: visible comments and standing supports counted per object
and month, the same in every export format and for every caller, with nothing of a person,
and its last change following every count (a withdrawn or erased support included)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import httpx

from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.testing import bearer

MODERATOR = Principal(
    kind=PrincipalKind.PERSON,
    subject="moderator",
    roles=frozenset({Role.COMMUNE_EDITOR}),
    communes=frozenset({"64034"}),
    grants=frozenset({("voice:moderate", None)}),
)
DPO = Principal(kind=PrincipalKind.PERSON, subject="dpo", roles=frozenset({Role.TERRITORY_ADMIN}))
ERASE = """mutation($input: ErasePersonInput!) {
  erasePerson(input: $input) { erasedRecords errors { code field message } } }"""
ARCHIVE = """mutation($input: ArchiveInput!) {
  archiveProject(input: $input) { errors { code field message } } }"""
DATASET = "/api/opendata/datasets/voice"
FIELDS = "id,target_type,target_id,month,comments,supports"


def _key(global_id: str) -> str:
    type_name, key = base64.b64decode(global_id).decode().split(":")
    return f"{type_name}:{key}"


async def _records(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    items = (await http.get(f"{DATASET}/records")).json()["items"]
    return {item["target_id"]: item for item in items}


async def test_counts_per_object_and_month_without_anyone(
    run: Any, voice: Any, http: httpx.AsyncClient, world: Any, export_formats: Any
) -> None:
    assert (await http.get(f"{DATASET}/records")).json()["items"] == []
    project, other = [p["id"] for p in (await voice.projects())[:2]]
    challenge = await voice.challenge()
    first = await voice.comment(project, "Un verger partagé, oui !")
    await voice.comment(None, "D'accord avec Ann", by=voice.BOB, parent=first["id"], alias="Bob")
    spam = await voice.comment(project, "Achetez mes montres !", by=voice.BOB, alias="Bob")
    await voice.comment(challenge, "Un défi important")
    for who in (voice.ANN, voice.BOB):
        await run(voice.SUPPORT, {"input": {"target": project}}, principal=who)
    await run(voice.SUPPORT, {"input": {"target": other}}, principal=voice.ANN)
    hidden = await run(
        voice.HIDE,
        {"input": {"comment": spam["id"], "reason": "Publicité pour Bob"}},
        principal=MODERATOR,
    )
    assert hidden["data"]["hideVoiceComment"]["errors"] == []

    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    expected = {
        project: ("Project", 2, 2),  # the hidden comment is not counted
        other: ("Project", 0, 1),
        challenge: ("WorkshopsChallenge", 1, 0),
    }
    rows = await _records(http)
    assert {
        target: (r["target_type"], r["comments"], r["supports"]) for target, r in rows.items()
    } == expected
    assert all(r["month"] == month for r in rows.values())
    assert all(r["id"] == f"{_key(t)}:{month}" for t, r in rows.items())

    # Every format, every caller: the same rows, and nothing of a person in them.
    formats = await export_formats.exported(http, "voice", FIELDS)
    as_text = {
        target: {"target_type": kind, "comments": str(c), "supports": str(s)}
        for target, (kind, c, s) in expected.items()
    }
    for format_name, found in formats.items():
        assert {
            r["target_id"]: {k: r[k] for k in ("target_type", "comments", "supports")}
            for r in found
        } == as_text, format_name
    for who in (voice.ANN, MODERATOR, DPO):
        token = await bearer(http._transport.app, who)  # type: ignore[attr-defined]
        assert await export_formats.exported(http, "voice", FIELDS, authorization=token) == (
            formats
        )
    everything = b"".join(
        [
            (await http.get(f"{DATASET}/export.{f}")).content
            for f in ("csv", "json", "ndjson", "xlsx", "parquet")
        ]
        + [(await http.get(f"{DATASET}/records")).content]
    )
    for personal in (
        b"ann-account",
        b"bob-account",
        b"Ann",
        b"Bob",
        "verger partagé".encode(),
        b"montres",
        "Publicité".encode(),
        b"moderator",
    ):
        assert personal not in everything, personal
    schema = (await http.get(f"{DATASET}/schema.json")).json()
    assert [f["name"] for f in schema["fields"]] == FIELDS.split(",")


async def test_its_last_change_follows_every_count(
    run: Any, voice: Any, http: httpx.AsyncClient
) -> None:
    project = (await voice.projects())[0]["id"]

    async def validators() -> tuple[str, str, str]:
        response = await http.get(f"{DATASET}/export.csv")
        assert response.status_code == 200
        return response.headers["etag"], response.headers.get("last-modified", ""), response.text

    await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.ANN)
    await run(voice.SUPPORT, {"input": {"target": project}}, principal=voice.BOB)
    before = await validators()
    await run(voice.WITHDRAW, {"input": {"target": project}}, principal=voice.BOB)
    withdrawn = await validators()
    assert withdrawn[0] != before[0] and withdrawn[2] != before[2]
    stale = await http.get(f"{DATASET}/export.csv", headers={"if-none-match": before[0]})
    assert stale.status_code == 200

    erased = await run(ERASE, {"input": {"subject": "ann-account"}}, principal=DPO)
    assert erased["data"]["erasePerson"]["errors"] == []
    assert (await http.get(f"{DATASET}/records")).json()["items"] == []
    assert (await validators())[0] != withdrawn[0]


async def test_an_archived_project_leaves_it(run: Any, voice: Any, http: httpx.AsyncClient) -> None:
    project = (await voice.projects())[0]
    await voice.comment(project["id"], "Dommage")
    assert project["id"] in await _records(http)
    archived = await run(
        ARCHIVE,
        {"input": {"id": project["id"], "version": project["version"]}},
        principal=voice.ADMIN,
    )
    assert archived["data"]["archiveProject"]["errors"] == []
    assert project["id"] not in await _records(http)


async def test_the_dataset_in_the_catalogue(http: httpx.AsyncClient) -> None:
    listed = (await http.get("/api/opendata/datasets")).json()["items"]
    assert "voice" in {d["identifier"] for d in listed}
    turtle = await http.get(f"{DATASET}/dcat.ttl")
    assert turtle.status_code == 200 and b"dcat:Dataset" in turtle.content
