"""The ``media`` open-data dataset: the media of live projects and organisations, described
with their licence and credit and where they are served, the same in every export format and
for every caller, and nothing about who uploaded them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bocage.core import models as m
from bocage.core.testing import Principals, bearer
from bocage.plugins.workshops.models import Event, EventStatus

from .conftest import Owners, Upload, jpeg, media_settings, pdf, png


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return media_settings(tmp_path)


DATASET = "/api/opendata/datasets/media"
FIELDS = (
    "id,owner_type,owner_id,role,kind,content_type,size,width,height,title_fr,alt_fr,alt_nl,"
    "licence,credit,url,thumbnail_url"
)
REMOVE = """mutation($input: RemoveMediaInput!) { removeMedia(input: $input) {
  errors { field code message } } }"""
ARCHIVE = """mutation($input: ArchiveInput!) { archiveProject(input: $input) {
  errors { field code message } } }"""
VERSION = """query($id: ID!) { node(id: $id) { ... on Project { version } } }"""


async def _records(client: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    items = (await client.get(f"{DATASET}/records", params={"limit": "100"})).json()["items"]
    return {item["id"]: item for item in items}


async def test_public_media_described_without_their_uploader(
    upload: Upload,
    owners: Owners,
    bocage_principals: Principals,
    bocage_app: Any,
    bocage_client: httpx.AsyncClient,
    bocage_world: Any,
    bocage_gql: Any,
    export_formats: Any,
) -> None:
    assert await _records(bocage_client) == {}
    editor = bocage_principals.editor("64034", subject="hannut-photographer")
    photo = await upload(
        editor,
        owners.hannut_project,
        jpeg(),
        "IMG_jean-dupont.jpg",
        **{
            "title.fr": "Le verger",
            "alt.fr": "Le verger en fleurs",
            "alt.nl": "De boomgaard",
            "licence": "CC-BY-4.0",
            "credit": "Photo: Commune de Hannut",
        },
    )
    logo = await upload(editor, owners.hannut_stakeholder, png(), "logo.png", role="logo")
    report = await upload(editor, owners.hannut_project, pdf(), "rapport-prive.pdf")
    gone = await upload(editor, owners.hannut_project, png(), "retire.png")
    assert {r.status_code for r in (photo, logo, report, gone)} == {201}, photo.text
    removed = await bocage_gql(REMOVE, {"input": {"id": gone.json()["id"]}}, principal=editor)
    assert removed["removeMedia"]["errors"] == []
    # A draft event's medium (a plugin's object, public or not per object): not in it.
    async with bocage_world.sessionmaker() as session:
        await session.execute(
            update(Event).where(Event.id == 1).values(status=EventStatus.DRAFT.value)
        )
        session.add(
            m.Media(
                owner_type="WorkshopsEvent",
                owner_id=1,
                role="slides",
                kind="document",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                storage_key="f" * 32,
                variants={"original": {}},
                filename="draft.pdf",
                uploaded_by="subject:organiser",
            )
        )
        await session.commit()

    rows = await _records(bocage_client)
    shown = {photo.json()["id"]: photo, logo.json()["id"]: logo, report.json()["id"]: report}
    assert sorted(r["id"] for r in rows.values()) == sorted(int(_key(gid)) for gid in shown), rows
    for gid, response in shown.items():
        medium, row = response.json(), rows[int(_key(gid))]
        assert row["owner_id"] == medium["owner"]
        assert row["owner_type"] == _type(medium["owner"])
        assert (row["role"], row["kind"], row["content_type"]) == (
            medium["role"],
            medium["kind"],
            medium["contentType"],
        )
        assert (row["size"], row["width"], row["height"]) == (
            medium["size"],
            medium["width"],
            medium["height"],
        )
        assert (row["licence"], row["credit"]) == (medium["licence"], medium["credit"])
        assert row["url"] == medium["url"]
        assert row["thumbnail_url"] == medium.get("thumbnailUrl")
        served = await bocage_client.get(row["url"])
        assert served.status_code == 200 and len(served.content) == row["size"]
    picture = rows[int(_key(photo.json()["id"]))]
    assert (picture["title_fr"], picture["alt_fr"], picture["alt_nl"]) == (
        "Le verger",
        "Le verger en fleurs",
        "De boomgaard",
    )
    assert (await bocage_client.get(picture["thumbnail_url"])).status_code == 200
    assert rows[int(_key(report.json()["id"]))]["thumbnail_url"] is None

    # Every format, every caller: the same rows; never the uploader nor the file's name.
    formats = await export_formats.exported(bocage_client, "media", FIELDS)
    assert all(
        sorted(found, key=lambda r: int(r["id"]))
        == sorted(formats["json"], key=lambda r: int(r["id"]))
        for found in formats.values()
    )
    for who in (editor, bocage_principals.admin):
        token = await bearer(bocage_app, who)
        assert (
            await export_formats.exported(bocage_client, "media", FIELDS, authorization=token)
            == formats
        )
    everything = b"".join(
        [(await bocage_client.get(f"{DATASET}/export.{f}")).content for f in export_formats.FORMATS]
        + [(await bocage_client.get(f"{DATASET}/records")).content]
    )
    for personal in (b"hannut-photographer", b"subject:", b"jean-dupont", b"rapport-prive"):
        assert personal not in everything, personal
    schema = (await bocage_client.get(f"{DATASET}/schema.json")).json()
    assert "uploaded_by" not in {f["name"] for f in schema["fields"]}
    assert "filename" not in {f["name"] for f in schema["fields"]}


async def test_an_archived_project_takes_its_media_out(
    upload: Upload,
    owners: Owners,
    bocage_principals: Principals,
    bocage_client: httpx.AsyncClient,
    bocage_gql: Any,
) -> None:
    editor = bocage_principals.editor("64034")
    photo = (await upload(editor, owners.hannut_project, jpeg())).json()
    assert int(_key(photo["id"])) in await _records(bocage_client)
    before = await bocage_client.get(f"{DATASET}/export.csv")
    version = (await bocage_gql(VERSION, {"id": owners.hannut_project}))["node"]["version"]
    archived = await bocage_gql(
        ARCHIVE,
        {"input": {"id": owners.hannut_project, "version": version}},
        principal=bocage_principals.admin,
    )
    assert archived["archiveProject"]["errors"] == []
    assert await _records(bocage_client) == {}
    # its validators changed with it: no stale 304
    again = await bocage_client.get(
        f"{DATASET}/export.csv", headers={"if-none-match": before.headers["etag"]}
    )
    assert again.status_code == 200


def _key(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":")[1]


def _type(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":")[0]
