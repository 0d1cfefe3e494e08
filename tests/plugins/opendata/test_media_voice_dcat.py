"""The ``media`` and ``voice`` datasets with rows: their DCAT-AP conforms to every shape the
plugin ships (no violation, and the period they cover, ``dct:temporal``, is there)."""

from __future__ import annotations

from typing import Any

import httpx
from rdflib import Graph
from rdflib.namespace import DCTERMS

from bocage.core import models as m
from bocage.plugins.voice.models import Comment, Support

from .shacl import results, shape_files


async def _fill(world: Any) -> None:
    async with world.sessionmaker() as session:
        project = (await session.execute(m.Project.__table__.select().limit(1))).first()
        assert project is not None
        session.add(
            m.Media(
                owner_type="Project",
                owner_id=project.id,
                role="gallery",
                kind="image",
                content_type="image/png",
                size=10,
                width=4,
                height=3,
                sha256="0" * 64,
                storage_key="a" * 32,
                variants={"original": {}, "thumbnail": {}},
                filename="verger.png",
                licence="CC-BY-4.0",
                credit="Photo: GAL",
            )
        )
        session.add(
            Comment(
                target_type="Project",
                target_key=project.id,
                author_subject="someone",
                alias="Ann",
                body="Oui",
            )
        )
        session.add(Support(target_type="Project", target_key=project.id, supporter_subject="x"))
        await session.commit()


async def test_media_and_voice_conform_with_their_rows(
    bocage_world: Any, bocage_client: httpx.AsyncClient
) -> None:
    await _fill(bocage_world)
    for identifier in ("media", "voice"):
        records = await bocage_client.get(f"/api/opendata/datasets/{identifier}/records")
        assert len(records.json()["items"]) == 1, identifier
        response = await bocage_client.get(f"/api/opendata/datasets/{identifier}/dcat.ttl")
        assert response.status_code == 200
        graph = Graph().parse(data=response.content, format="turtle")
        assert set(graph.objects(None, DCTERMS.temporal)), identifier
        assert set(graph.objects(None, DCTERMS.issued)), identifier
        for path in shape_files():
            found = results(graph, path)
            assert [r for r in found if r[0] == "Violation"] == [], (identifier, path.name)
            warned = {r[2] for r in found if r[0] == "Warning"}
            assert warned <= {str(DCTERMS.publisher)}, (identifier, path.name, warned)
