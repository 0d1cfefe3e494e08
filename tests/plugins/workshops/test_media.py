"""The speakers' slides and photos of an event (media of the workshops plugin): organisers
attach them; a draft's media are theirs alone until the event is published."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bocage.core.testing import Principals, bearer

MEDIA = """query($id: ID!) { workshopsEvent(id: $id) { id media { role kind url } } }"""
SLIDES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"media_dir": str(tmp_path / "media")}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (0, 90, 200)).save(out, "JPEG")
    return out.getvalue()


async def test_organisers_attach_slides_the_public_sees_them_once_published(
    bocage_app: Any, bocage_client: httpx.AsyncClient, bocage_gql: Any, ws: Any
) -> None:
    created = await bocage_gql(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    event = created["createWorkshopsEvent"]["event"]
    organiser = {"authorization": await bearer(bocage_app, ws.ORGANISER)}

    async def attach(principal: Any, data: bytes, role: str) -> httpx.Response:
        token = await bearer(bocage_app, principal)
        return await bocage_client.post(
            "/api/media",
            data={"owner": event["id"], "role": role},
            files={"file": ("talk.pdf", data, "application/pdf")},
            headers={"authorization": token} if token else {},
        )

    slides = await attach(ws.ORGANISER, SLIDES, "slides")
    photo = await attach(ws.ORGANISER, _photo(), "gallery")
    assert slides.status_code == photo.status_code == 201, slides.text
    assert (await attach(ws.PERSON, _photo(), "gallery")).status_code == 403
    assert (await attach(Principals().editor("64034"), SLIDES, "slides")).status_code == 403
    assert (await attach(ws.ORGANISER, SLIDES, "logo")).status_code == 422

    # A draft: its files are the organisers', not the public's (nor any shared cache's).
    url = photo.json()["url"]
    assert (await bocage_client.get(url)).status_code == 404
    private = await bocage_client.get(url, headers=organiser)
    assert private.status_code == 200
    assert private.headers["cache-control"] == "private, no-store"
    seen = await bocage_gql(MEDIA, {"id": event["id"]}, principal=ws.ORGANISER)
    assert [m["role"] for m in seen["workshopsEvent"]["media"]] == ["SLIDES", "GALLERY"]
    feed = 'query { changes(first: 50, types: ["media.added"]) { edges { node { objectId } } } }'
    assert (await bocage_gql(feed))["changes"]["edges"] == []

    published = await bocage_gql(
        ws.PUBLISH,
        {"input": {"id": event["id"], "version": event["version"]}},
        principal=ws.ORGANISER,
    )
    assert published["publishWorkshopsEvent"]["errors"] == []
    public = await bocage_client.get(url)
    assert public.status_code == 200 and public.headers["cache-control"].startswith("public")
    download = await bocage_client.get(slides.json()["url"])
    assert download.headers["content-disposition"].startswith("attachment;")
    anyone = await bocage_gql(MEDIA, {"id": event["id"]})
    assert [m["kind"] for m in anyone["workshopsEvent"]["media"]] == ["DOCUMENT", "IMAGE"]
