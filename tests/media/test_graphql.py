"""Describing and removing media with GraphQL, their events in the change feed, who sees
the uploader, and a person's uploads in their GDPR export and erasure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.core.testing import Principals

from .conftest import Owners, Upload, jpeg, media_settings, png


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return media_settings(tmp_path)


UPDATE = """mutation($input: UpdateMediaInput!) { updateMedia(input: $input) {
  media { id version alt altTranslations { fr nl } licence credit }
  errors { field code message } } }"""
REMOVE = """mutation($input: RemoveMediaInput!) { removeMedia(input: $input) {
  media { id } errors { field code message } } }"""
FEED = """query($types: [String!]) { changes(first: 50, types: $types) {
  edges { node { type objectType objectId deleted } } } }"""
UPLOADER = """query($id: ID!) { node(id: $id) { ... on Media { id uploadedBy } } }"""


async def test_an_editor_describes_and_removes_a_medium_and_the_feed_says_so(
    upload: Upload,
    owners: Owners,
    bocage_principals: Principals,
    bocage_gql: Any,
    bocage_client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    editor = bocage_principals.editor("64034")
    created = (await upload(editor, owners.hannut_project, jpeg())).json()
    media = created["id"]
    described = await bocage_gql(
        UPDATE,
        {
            "input": {
                "id": media,
                "version": created["version"],
                "alt": {"fr": "Vergers", "nl": "Boomgaarden"},
                "licence": "CC-BY-SA-4.0",
                "credit": "Photo: GAL",
            }
        },
        principal=editor,
    )
    payload = described["updateMedia"]
    assert payload["errors"] == []
    assert payload["media"]["altTranslations"] == {"fr": "Vergers", "nl": "Boomgaarden"}
    assert payload["media"]["licence"] == "CC-BY-SA-4.0"
    stale = await bocage_gql(
        UPDATE,
        {"input": {"id": media, "version": created["version"], "credit": "x"}},
        principal=editor,
    )
    assert stale["updateMedia"]["errors"][0]["code"] == "CONFLICT"
    uncredited = await bocage_gql(
        UPDATE, {"input": {"id": media, "credit": None}}, principal=editor
    )
    assert uncredited["updateMedia"]["errors"][0]["field"] == "credit"  # CC-BY-SA needs one

    andenne = await bocage_gql(
        REMOVE, {"input": {"id": media}}, principal=bocage_principals.editor("92003")
    )
    assert andenne["removeMedia"]["errors"][0]["code"] == "FORBIDDEN"
    anonymous = await bocage_gql(REMOVE, {"input": {"id": media}})
    assert anonymous["removeMedia"]["errors"][0]["code"] == "UNAUTHENTICATED"
    removed = await bocage_gql(REMOVE, {"input": {"id": media}}, principal=editor)
    assert removed["removeMedia"]["errors"] == []
    assert (await bocage_client.get(created["url"])).status_code == 404
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()], "files deleted"
    again = await bocage_gql(REMOVE, {"input": {"id": media}}, principal=editor)
    assert again["removeMedia"]["errors"][0]["code"] == "NOT_FOUND"

    feed = await bocage_gql(FEED, {"types": ["media.added", "media.updated", "media.removed"]})
    events = [e["node"] for e in feed["changes"]["edges"]]
    assert [(e["type"], e["objectId"], e["deleted"]) for e in events] == [
        ("media.added", media, False),
        ("media.updated", media, False),
        ("media.removed", media, True),
    ]


async def test_the_uploader_is_personal_data_for_those_who_may_edit(
    upload: Upload, owners: Owners, bocage_principals: Principals, bocage_gql: Any
) -> None:
    editor = bocage_principals.editor("64034", subject="marie")
    media = (await upload(editor, owners.hannut_project, png())).json()["id"]
    mine = await bocage_gql(UPLOADER, {"id": media}, principal=editor)
    assert mine["node"]["uploadedBy"] == "subject:marie"
    for outsider in (bocage_principals.anonymous, bocage_principals.editor("92003")):
        errors = await bocage_gql(UPLOADER, {"id": media}, principal=outsider, errors=True)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    public = await bocage_gql("query($id: ID!) { node(id: $id) { id } }", {"id": media})
    assert public["node"]["id"] == media


async def test_a_persons_uploads_are_in_their_export_and_erasure_forgets_the_uploader(
    upload: Upload, owners: Owners, bocage_principals: Principals, bocage_gql: Any
) -> None:
    editor = bocage_principals.editor("64034", subject="marie")
    media = (await upload(editor, owners.hannut_project, png())).json()["id"]
    admin = bocage_principals.admin
    export = 'query { exportPersonData(subject: "marie") { plugins } }'
    records = (await bocage_gql(export, principal=admin))["exportPersonData"]["plugins"]
    assert [r["media"] for r in records["core.media_uploads"]] == [media]
    erased = await bocage_gql(
        'mutation { erasePerson(input: { subject: "marie" }) { errors { code message } } }',
        principal=admin,
    )
    assert erased["erasePerson"]["errors"] == []
    after = (await bocage_gql(export, principal=admin))["exportPersonData"]["plugins"]
    assert after["core.media_uploads"] == []
    seen = await bocage_gql(UPLOADER, {"id": media}, principal=admin)
    assert seen["node"]["uploadedBy"] is None
