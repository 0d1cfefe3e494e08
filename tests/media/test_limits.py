"""Every bound on media, just under and just over it (docs/limits.md)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bocage.core.app import create_app
from bocage.core.testing import Principals, serve, settings_for

from .conftest import Owners, Upload, jpeg, media_settings, pdf, png, png_claiming, uploader


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return media_settings(tmp_path)


async def _upload_with(
    world: Any, overrides: dict[str, Any], *files: tuple[str, bytes]
) -> list[Any]:
    """Upload ``files`` ((owner, bytes)) as an administrator to an app with ``overrides``."""
    app = create_app(settings_for(world.url, media_dir=world.settings.media_dir, **overrides))
    statuses = []
    async with serve(app) as client:
        upload = uploader(app, client)
        for owner, data in files:
            statuses.append(await upload(Principals().admin, owner, data, "f"))
    return statuses


@pytest.mark.parametrize(
    ("make", "setting"),
    [(lambda: jpeg(gps=False), "media_max_image_bytes"), (pdf, "media_max_document_bytes")],
)
async def test_file_size_just_under_and_just_over(
    bocage_world: Any, owners: Owners, make: Any, setting: str
) -> None:
    data = make()
    (at_limit,) = await _upload_with(
        bocage_world, {setting: len(data)}, (owners.hannut_project, data)
    )
    assert at_limit.status_code == 201, at_limit.text
    (over,) = await _upload_with(
        bocage_world, {setting: len(data) - 1}, (owners.hannut_project, data)
    )
    assert over.status_code == 413
    assert over.json()["error"]["setting"] == f"BOCAGE_{setting.upper()}"
    assert over.json()["error"]["limit"] == len(data) - 1


async def test_pixels_just_under_and_just_over_and_a_bomb_is_never_decoded(
    upload: Upload, owners: Owners, bocage_principals: Principals
) -> None:
    admin = bocage_principals.admin
    assert (await upload(admin, owners.hannut_project, png((100, 100)))).status_code == 201
    over = await upload(admin, owners.hannut_project, png((101, 100)))
    assert over.status_code == 413
    assert over.json()["error"]["setting"] == "BOCAGE_MEDIA_MAX_PIXELS"
    # 50 000 x 50 000 pixels (10 GB once decoded) in a file of a few dozen bytes: refused
    # from its header, before Pillow's own bound (which would only warn below 179 Mpx).
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 100
    refused = await upload(admin, owners.hannut_project, bomb)
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["setting"] == "BOCAGE_MEDIA_MAX_PIXELS"
    beyond_pillow = await upload(admin, owners.hannut_project, png_claiming(100_000, 100_000))
    assert beyond_pillow.status_code == 413


async def test_longest_side_just_under_and_just_over(
    upload: Upload, owners: Owners, bocage_principals: Principals
) -> None:
    """BOCAGE_MEDIA_IMAGE_MAX_SIDE is 64 here: a 64-pixel image is kept, a 65 one scaled."""
    admin = bocage_principals.admin
    kept = await upload(admin, owners.hannut_project, png((64, 10)))
    scaled = await upload(admin, owners.hannut_project, png((65, 10)))
    assert (kept.json()["width"], scaled.json()["width"]) == (64, 64)
    assert scaled.json()["height"] == 10  # 65x10 scaled to 64 wide keeps about 10 high
    thumbnail = await upload(admin, owners.andenne_project, png((16, 16)))
    assert thumbnail.status_code == 201


async def test_media_per_object_just_under_and_just_over(
    upload: Upload, owners: Owners, bocage_principals: Principals
) -> None:
    """BOCAGE_MEDIA_MAX_PER_OBJECT is 3 here."""
    admin = bocage_principals.admin
    for _ in range(3):
        assert (await upload(admin, owners.hannut_project, png())).status_code == 201
    fourth = await upload(admin, owners.hannut_project, png())
    assert fourth.status_code == 409
    assert "BOCAGE_MEDIA_MAX_PER_OBJECT" in fourth.json()["error"]["message"]


async def test_a_body_over_the_route_limit_is_refused_before_it_is_read(
    bocage_world: Any, owners: Owners
) -> None:
    big = png((20, 20)) + b"\0" * 5000
    (refused,) = await _upload_with(
        bocage_world,
        {"media_max_image_bytes": 1000, "media_max_document_bytes": 1000},
        (owners.hannut_project, big * 20),
    )
    assert refused.status_code == 413


def test_a_thumbnail_keeps_the_aspect_ratio() -> None:
    from bocage.core.media.files import MediaLimits, process

    limits = MediaLimits(10**6, 10**6, 10**6, 64, 16)
    processed = process(png((60, 30)), "x.png", limits)
    thumbnail = Image.open(io.BytesIO(processed.variants[1].data))
    assert thumbnail.size == (16, 8)


@pytest.mark.parametrize("limit", [2, 3])
async def test_uploads_checked_at_once_just_under_and_just_over(
    bocage_world: Any, owners: Owners, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Three uploads at once: with room for three they are checked together (they meet at a
    barrier of three); with room for two, never more than two at a time."""
    import asyncio
    import threading
    import time

    from bocage.core import media_http

    real = media_http.process
    barrier = threading.Barrier(3, timeout=20)
    lock, active, most = threading.Lock(), [0], [0]

    def counting(*args: Any) -> Any:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            if limit == 3:
                barrier.wait()
            else:
                time.sleep(0.3)
            return real(*args)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(media_http, "process", counting)
    app = create_app(
        settings_for(
            bocage_world.url,
            media_dir=bocage_world.settings.media_dir,
            media_processing_concurrency=limit,
        )
    )
    async with serve(app) as client:
        upload = uploader(app, client)
        admin = Principals().admin
        responses = await asyncio.gather(
            *(upload(admin, owners.hannut_project, png()) for _ in range(3))
        )
    assert [r.status_code for r in responses] == [201] * 3
    assert most[0] == limit if limit == 3 else most[0] <= limit
