"""Uploaded datasets under tenancy (docs/tenancy.md): a GAL's own dataset (of no commune)
belongs to a territory; each GAL's publishers manage theirs and their communes', never the
other GAL's; an operator manages both; the public catalogue stays public."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.api import global_id
from bocage.plugins.opendata.models import UploadedDataset

UPLOADS = "/api/opendata/uploads"
METADATA = {
    "title": {"fr": "Sentiers du GAL", "en": "Trails"},
    "description": {"fr": "Les sentiers balisés du GAL."},
    "theme": "TRAN",
    "frequency": "ANNUAL",
}
CSV = "nom,longueur_km\r\nBoucle A,12\r\nBoucle B,7\r\n"


async def stored(gals: Any, identifier: str) -> UploadedDataset:
    async with gals.app.state.sessionmaker() as session:
        found = await session.execute(
            select(UploadedDataset).where(UploadedDataset.identifier == identifier)
        )
        return found.scalar_one()


async def put(gals: Any, caller: Any, identifier: str, **body: Any) -> Any:
    return await gals.send(caller, "PUT", f"{UPLOADS}/{identifier}", json={**METADATA, **body})


async def listed(gals: Any, caller: Any) -> set[str]:
    response = await gals.get(caller, UPLOADS)
    assert response.status_code == 200, response.text
    return {item["identifier"] for item in response.json()["items"]}


async def test_a_gal_s_datasets_are_out_of_the_other_gal_s_reach(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b, operator = two_gals.admin(a), two_gals.admin(b), two_gals.operator
    made = await put(two_gals, admin_a, "sentiers-a")
    assert made.status_code == 201, made.text
    assert (await stored(two_gals, "sentiers-a")).territory_id == a.key
    of_commune = await put(two_gals, admin_a, "bancs-a", commune=a.nis)
    assert of_commune.status_code == 201, of_commune.text

    for identifier in ("sentiers-a", "bancs-a"):
        path = f"{UPLOADS}/{identifier}"
        assert (await two_gals.get(admin_b, path)).status_code == 403
        changed = await put(two_gals, admin_b, identifier, title={"fr": "B"})
        assert changed.status_code == 403, changed.text
        upload = await two_gals.send(
            admin_b,
            "POST",
            f"{path}/versions",
            content=CSV.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert upload.status_code == 403, upload.text
        deleted = await two_gals.send(admin_b, "DELETE", path)
        assert deleted.status_code == 403, deleted.text
        row = await stored(two_gals, identifier)
        assert row.meta["title"]["fr"] == METADATA["title"]["fr"]  # nothing written
        assert row.current_version is None
        assert identifier not in await listed(two_gals, admin_b)
        for caller in (admin_a, operator):
            assert (await two_gals.get(caller, path)).status_code == 200
            assert identifier in await listed(two_gals, caller)
    changed = await put(two_gals, admin_a, "sentiers-a", title={"fr": "A"})
    assert changed.status_code == 200, changed.text
    changed = await put(two_gals, operator, "sentiers-a", title={"fr": "Opérateur"})
    assert changed.status_code == 200, changed.text
    assert (await stored(two_gals, "sentiers-a")).territory_id == a.key  # kept

    subjects = {
        global_id("OpendataDataset", (await stored(two_gals, i)).id)
        for i in ("sentiers-a", "bancs-a")
    }
    assert subjects <= await two_gals.changes(admin_a, ["dataset.created"])
    assert not subjects & await two_gals.changes(admin_b, ["dataset.created"])
    # The public catalogue is the public's, whoever asks.
    assert (await two_gals.get(None, "/api/opendata/datasets")).status_code == 200


async def test_a_gal_dataset_takes_one_of_its_publisher_s_territories(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    of_both = two_gals.admin(a, b, subject="admin-both")
    refused = await put(two_gals, of_both, "sentiers")
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["field"] == "territory"
    made = await put(two_gals, of_both, "sentiers", territory=b.slug)
    assert made.status_code == 201, made.text
    assert (await stored(two_gals, "sentiers")).territory_id == b.key
    refused = await put(two_gals, two_gals.admin(a), "sentiers-b", territory=b.slug)
    assert refused.status_code == 403, refused.text
    unknown = await put(two_gals, of_both, "sentiers-x", territory="nowhere")
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "territory"
    async with two_gals.app.state.sessionmaker() as session:
        found = await session.execute(
            select(UploadedDataset.identifier).where(
                UploadedDataset.identifier.in_(["sentiers-b", "sentiers-x"])
            )
        )
        assert found.all() == []
