"""Uploading media over HTTP, reading them over GraphQL and HTTP, as a commune editor and the
public do: checks, thumbnails, stripped metadata, caching headers, permissions."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bocage.core.testing import Principals

from .conftest import Owners, Upload, jpeg, media_settings, pdf, png


@pytest.fixture
def bocage_setting_overrides(tmp_path: Path) -> dict[str, Any]:
    return media_settings(tmp_path)


MEDIA = """query($id: ID!) { node(id: $id) { ... on Project { id media {
  id role kind contentType width height url thumbnailUrl filename licence credit alt
  altTranslations { fr nl } } } } }"""


async def test_an_editor_attaches_a_photo_its_gps_position_and_camera_are_gone(
    upload: Upload,
    owners: Owners,
    bocage_principals: Principals,
    bocage_client: httpx.AsyncClient,
    bocage_gql: Any,
) -> None:
    sent = jpeg((80, 60))
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(0x8825), "the upload has a position"
    response = await upload(
        bocage_principals.editor("64034"),
        owners.hannut_project,
        sent,
        "../../verger été.jpg",
        "text/html",  # what the client says is ignored
        **{"alt.fr": "Le verger partagé", "licence": "CC-BY-4.0", "credit": "Photo: Hannut"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["contentType"] == "image/jpeg"
    assert (created["width"], created["height"]) == (64, 48)  # BOCAGE_MEDIA_IMAGE_MAX_SIDE
    assert created["filename"] == "verger-ete.jpg"

    data = await bocage_gql(MEDIA, {"id": owners.hannut_project})
    (media,) = data["node"]["media"]
    assert media["id"] == created["id"]
    assert media["alt"] == "Le verger partagé"
    assert media["licence"] == "CC-BY-4.0" and media["credit"] == "Photo: Hannut"

    for url, side in ((media["url"], 64), (media["thumbnailUrl"], 16)):
        served = await bocage_client.get(url)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-disposition"].startswith("inline;")
        assert served.headers["cache-control"].startswith("public")
        image = Image.open(io.BytesIO(served.content))
        assert max(image.size) == side
        assert not image.getexif(), "no EXIF (camera, GPS position) is served"
        assert b"CameraMaker" not in served.content and b"secret comment" not in served.content
        etag = served.headers["etag"]
        again = await bocage_client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""


async def test_a_pdf_is_a_download_and_svg_html_and_lies_are_refused(
    upload: Upload, owners: Owners, bocage_principals: Principals, bocage_client: httpx.AsyncClient
) -> None:
    editor = bocage_principals.editor("64034")
    slides = await upload(editor, owners.hannut_project, pdf(), "slides.pdf")
    assert slides.status_code == 201, slides.text
    assert slides.json()["role"] == "document" and slides.json()["thumbnailUrl"] is None
    served = await bocage_client.get(slides.json()["url"])
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"] == 'attachment; filename="slides.pdf"'
    assert "sandbox" in served.headers["content-security-policy"]

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = await upload(editor, owners.hannut_project, svg, "logo.svg", "image/svg+xml")
    assert refused.status_code == 415
    assert "SVG" in refused.json()["error"]["message"]
    html = b"<!doctype html><script>alert(1)</script>"
    assert (
        await upload(editor, owners.hannut_project, html, "x.jpg", "image/jpeg")
    ).status_code == 415
    truncated = pdf()[:-8]
    broken = await upload(editor, owners.hannut_project, truncated, "x.pdf")
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "unreadable_document"
    half = jpeg()[:-100]
    damaged = await upload(editor, owners.hannut_project, half, "x.jpg")
    assert damaged.status_code == 422, damaged.text


async def test_a_polyglot_image_is_served_re_encoded_without_its_other_half(
    upload: Upload, owners: Owners, bocage_principals: Principals, bocage_client: httpx.AsyncClient
) -> None:
    """A PNG with HTML appended (a GIFAR-style polyglot): what is served is only pixels."""
    polyglot = png() + b"<html><script>alert(document.cookie)</script></html>"
    response = await upload(bocage_principals.admin, owners.hannut_project, polyglot, "a.png")
    assert response.status_code == 201, response.text
    served = await bocage_client.get(response.json()["url"])
    assert served.headers["content-type"] == "image/png"
    assert b"<script>" not in served.content
    assert Image.open(io.BytesIO(served.content)).mode == "RGBA"


async def test_who_may_attach_is_who_may_edit_the_object(
    upload: Upload, owners: Owners, bocage_principals: Principals, tmp_path: Path
) -> None:
    anonymous = await upload(None, owners.hannut_project, png())
    assert anonymous.status_code == 401
    andenne = await upload(bocage_principals.editor("92003"), owners.hannut_project, png())
    assert andenne.status_code == 403 and andenne.json()["error"]["field"] == "owner"
    citizen = await upload(bocage_principals.person(), owners.hannut_project, png())
    assert citizen.status_code == 403
    reader = bocage_principals.integrator()  # a client without projects:write
    assert (await upload(reader, owners.hannut_project, png())).status_code == 403
    scoped = bocage_principals.integrator("projects:write", communes=["64034"])
    assert (await upload(scoped, owners.hannut_project, png())).status_code == 201
    assert (await upload(scoped, owners.andenne_project, png())).status_code == 403
    unknown = await upload(bocage_principals.admin, "UHJvamVjdDo5OTk5OTk=", png())
    assert unknown.status_code == 404
    wrong_kind = await upload(bocage_principals.admin, "Q29tbXVuZTox", png())  # a Commune
    assert wrong_kind.status_code == 422
    # Nothing refused left a file behind: one medium, two variants.
    assert len([p for p in (tmp_path / "media").rglob("*") if p.is_file()]) == 2


async def test_an_organisation_has_one_logo_a_new_one_replaces_it(
    upload: Upload,
    owners: Owners,
    bocage_principals: Principals,
    bocage_gql: Any,
    bocage_client: httpx.AsyncClient,
) -> None:
    admin = bocage_principals.admin
    first = await upload(admin, owners.hannut_stakeholder, png(), "logo.png", role="logo")
    second = await upload(admin, owners.hannut_stakeholder, jpeg(gps=False), role="logo")
    assert first.status_code == second.status_code == 201
    data = await bocage_gql(
        "query($id: ID!) { node(id: $id) { ... on Stakeholder { logo { id } "
        "media(role: LOGO) { id } } } }",
        {"id": owners.hannut_stakeholder},
    )
    assert data["node"]["logo"]["id"] == second.json()["id"]
    assert data["node"]["media"] == [{"id": second.json()["id"]}]
    assert (await bocage_client.get(first.json()["url"])).status_code == 404
    pdf_logo = await upload(admin, owners.hannut_stakeholder, pdf(), "l.pdf", role="logo")
    assert pdf_logo.status_code == 422 and pdf_logo.json()["error"]["field"] == "role"
    slides = await upload(admin, owners.hannut_project, pdf(), "s.pdf", role="slides")
    assert slides.status_code == 422  # slides are a speaker's, on an event


async def test_a_cc_by_licence_needs_a_credit_and_licences_are_spdx(
    upload: Upload, owners: Owners, bocage_principals: Principals
) -> None:
    admin = bocage_principals.admin
    uncredited = await upload(admin, owners.hannut_project, png(), licence="CC-BY-4.0")
    assert uncredited.status_code == 422
    assert uncredited.json()["error"]["field"] == "credit"
    bogus = await upload(admin, owners.hannut_project, png(), licence="<b>free</b>")
    assert bogus.status_code == 422 and bogus.json()["error"]["field"] == "licence"
    public_domain = await upload(admin, owners.hannut_project, png(), licence="CC0-1.0")
    assert public_domain.status_code == 201


async def test_a_member_sets_its_organisations_logo_not_anothers(
    upload: Upload, owners: Owners, bocage_principals: Principals
) -> None:
    key = int(base64.b64decode(owners.hannut_stakeholder).decode().split(":")[1])
    own = await upload(bocage_principals.member(key), owners.hannut_stakeholder, png(), role="logo")
    assert own.status_code == 201, own.text
    other = await upload(
        bocage_principals.member(key + 100_000), owners.hannut_stakeholder, png(), role="logo"
    )
    assert other.status_code == 403


async def test_a_sideways_photo_is_turned_upright_and_a_gif_keeps_its_first_frame(
    upload: Upload, owners: Owners, bocage_principals: Principals, bocage_client: httpx.AsyncClient
) -> None:
    sideways = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    Image.new("RGB", (60, 30), (0, 0, 0)).save(sideways, "JPEG", exif=exif)
    turned = await upload(bocage_principals.admin, owners.hannut_project, sideways.getvalue())
    assert (turned.json()["width"], turned.json()["height"]) == (30, 60)

    frames = [Image.new("P", (20, 20), colour) for colour in (1, 2, 3)]
    animated = io.BytesIO()
    frames[0].save(animated, "GIF", save_all=True, append_images=frames[1:], loop=0)
    gif = await upload(bocage_principals.admin, owners.hannut_project, animated.getvalue())
    assert gif.status_code == 201 and gif.json()["contentType"] == "image/png"
    served = Image.open(io.BytesIO((await bocage_client.get(gif.json()["url"])).content))
    assert served.format == "PNG" and getattr(served, "n_frames", 1) == 1
