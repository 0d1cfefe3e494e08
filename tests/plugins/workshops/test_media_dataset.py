"""The public media of events and card workshops are in the open-data ``media`` dataset,
as the core's objects' are (``MediaOwner.public_rows``): a published event's slides and
photos, a card workshop's documents; a draft event's stay out until it is published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.core.api import node_key
from bocage.core.testing import bearer

SLIDES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CARD_WORKSHOP = """mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) { workshop { id } errors { field code message } }
}"""


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"media_dir": str(tmp_path / "media")}


async def test_published_events_and_card_workshops_media_are_open_data(
    bocage_app: Any, bocage_client: httpx.AsyncClient, bocage_gql: Any, ws: Any
) -> None:
    created = await bocage_gql(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    event = created["createWorkshopsEvent"]["event"]
    made = await bocage_gql(
        CARD_WORKSHOP, {"input": {"title": {"fr": "Défis"}}}, principal=ws.ORGANISER
    )
    assert made["createWorkshopsCardWorkshop"]["errors"] == []
    workshop = made["createWorkshopsCardWorkshop"]["workshop"]["id"]
    token = await bearer(bocage_app, ws.ORGANISER)

    async def attach(owner: str, role: str) -> int:
        response = await bocage_client.post(
            "/api/media",
            data={"owner": owner, "role": role, "licence": "CC0-1.0"},
            files={"file": ("talk.pdf", SLIDES, "application/pdf")},
            headers={"authorization": token},
        )
        assert response.status_code == 201, response.text
        return node_key(response.json()["id"], "Media", "id")

    slides, document = await attach(event["id"], "slides"), await attach(workshop, "document")

    async def listed() -> dict[int, tuple[str, str, str]]:
        response = await bocage_client.get("/api/opendata/datasets/media/records?limit=100")
        assert response.status_code == 200, response.text
        return {
            int(item["id"]): (item["owner_type"], item["owner_id"], item["role"])
            for item in response.json()["items"]
        }

    found = await listed()
    assert found[document] == ("WorkshopsCardWorkshop", workshop, "document")
    assert slides not in found  # a draft's media are its organisers'
    published = await bocage_gql(
        ws.PUBLISH,
        {"input": {"id": event["id"], "version": event["version"]}},
        principal=ws.ORGANISER,
    )
    assert published["publishWorkshopsEvent"]["errors"] == []
    assert (await listed())[slides] == ("WorkshopsEvent", event["id"], "slides")
