"""Media tests: small limits (so that each is tested just under and just over it with small
files), a media folder of the test's own, files made with Pillow, and an upload helper."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal
from bocage.core.testing import bearer

#: The limits of these tests (see the module's docstring).
LIMITS = {
    "media_max_pixels": 10_000,
    "media_image_max_side": 64,
    "media_thumbnail_side": 16,
    "media_max_per_object": 3,
}


def media_settings(tmp_path: Path) -> dict[str, Any]:
    """The settings of these tests: each module's ``bocage_setting_overrides`` (the kit's
    fixtures are overridden in modules, never in a conftest)."""
    return {"media_dir": str(tmp_path / "media"), **LIMITS}


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def jpeg(size: tuple[int, int] = (80, 60), *, gps: bool = True) -> bytes:
    """A JPEG with a camera name, a GPS position and a comment in its metadata."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    if gps:
        position = exif.get_ifd(0x8825)
        position[1], position[2] = "N", (50.0, 30.0, 0.0)
        position[3], position[4] = "E", (5.0, 5.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's
    header: decoding it would allocate them all)."""
    data = bytearray(png((1, 1), "RGB"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def pdf(padding: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"%" + b"x" * padding + b"\n"
    return body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Owners:
    """Objects of the demo to attach media to."""

    hannut_project: str
    andenne_project: str
    hannut_stakeholder: str


async def _only_in(session: Any, link: Any, column: str, nis: str) -> int:
    """The first live object whose only commune is ``nis``."""
    commune = select(m.Commune.id).where(m.Commune.nis_code == nis).scalar_subquery()
    counts = (
        select(link.c[column])
        .group_by(link.c[column])
        .having(func.count() == 1, func.max(link.c.commune_id) == commune)
    )
    return int((await session.execute(counts.order_by(link.c[column]).limit(1))).scalar_one())


@pytest.fixture
async def owners(bocage_world: Any) -> Owners:
    async with bocage_world.sessionmaker() as session:
        return Owners(
            hannut_project=gid(
                "Project", await _only_in(session, m.project_commune, "project_id", "64034")
            ),
            andenne_project=gid(
                "Project", await _only_in(session, m.project_commune, "project_id", "92003")
            ),
            hannut_stakeholder=gid(
                "Stakeholder",
                await _only_in(session, m.stakeholder_commune, "stakeholder_id", "64034"),
            ),
        )


Upload = Callable[..., Awaitable[httpx.Response]]


def uploader(app: Any, client: httpx.AsyncClient) -> Upload:
    async def upload(
        principal: Principal | None,
        owner: str,
        data: bytes,
        filename: str = "photo.jpg",
        content_type: str = "application/octet-stream",
        **fields: str,
    ) -> httpx.Response:
        headers = {}
        if principal is not None and (token := await bearer(app, principal)):
            headers["authorization"] = token
        return await client.post(
            "/api/media",
            data={"owner": owner, **fields},
            files={"file": (filename, data, content_type)},
            headers=headers,
        )

    return upload


@pytest.fixture
def upload(bocage_app: Any, bocage_client: httpx.AsyncClient) -> Upload:
    """``await upload(principal, owner_id, bytes, filename, **form fields)``."""
    return uploader(bocage_app, bocage_client)
