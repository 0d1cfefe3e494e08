"""Checking an uploaded file and making what is served of it.

What a file is, is read from its bytes, never from the client's ``Content-Type`` or name:

- an **image** is what Pillow opens as JPEG, PNG, WebP or GIF (and nothing else: its other
  decoders are never tried). Its size in pixels is read from the header and refused above
  ``BOCAGE_MEDIA_MAX_PIXELS`` before a pixel is decoded (a decompression bomb), then it is
  decoded once, turned upright (EXIF orientation) and **re-encoded** from its pixels alone: the
  variants carry no EXIF (GPS position, camera), no XMP, no ICC profile, no comment, and
  nothing of the uploaded bytes (a polyglot's other half is gone). ``original`` is scaled
  down to ``BOCAGE_MEDIA_IMAGE_MAX_SIDE``, ``thumbnail`` to ``BOCAGE_MEDIA_THUMBNAIL_SIDE``;
  an animated GIF keeps its first frame.
- a **document** is a PDF: it starts with ``%PDF-`` and ends with ``%%EOF``. It is kept as
  sent (Bocage renders no PDF) and served as a download with ``nosniff`` and a sandboxing
  ``Content-Security-Policy``, so that a PDF that is also HTML never runs as a page.
- **SVG is refused**: it is XML that may carry scripts and external references, and
  sanitising it is a parser's arms race. So is anything else (HTML, archives, office files).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

#: Pillow decoders tried on an upload, and what each is served as.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "JPEG", "jpg"),
    "PNG": ("image/png", "PNG", "png"),
    "WEBP": ("image/webp", "WEBP", "webp"),
    "GIF": ("image/png", "PNG", "png"),  # its first frame, as PNG
}
PDF = "application/pdf"
#: Where a PDF's ``%%EOF`` must be: within its last bytes (a trailer, maybe a newline).
PDF_TAIL = 1024


class MediaRefused(Exception):
    """An upload that is not accepted: ``status`` (413 too large, 415 not a kind accepted,
    422 unreadable), ``code`` and what to do in ``message``; ``setting`` and ``limit`` name
    the bound when one was exceeded."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        setting: str | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.setting = setting
        self.limit = limit

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.setting is not None:
            error["setting"] = self.setting
            error["limit"] = self.limit
        return {"error": error}


@dataclass(frozen=True)
class MediaLimits:
    """The ``BOCAGE_MEDIA_*`` bounds an upload is checked against."""

    max_image_bytes: int
    max_document_bytes: int
    max_pixels: int
    image_max_side: int
    thumbnail_side: int

    @classmethod
    def of(cls, settings: object) -> MediaLimits:
        return cls(
            max_image_bytes=settings.media_max_image_bytes,  # type: ignore[attr-defined]
            max_document_bytes=settings.media_max_document_bytes,  # type: ignore[attr-defined]
            max_pixels=settings.media_max_pixels,  # type: ignore[attr-defined]
            image_max_side=settings.media_image_max_side,  # type: ignore[attr-defined]
            thumbnail_side=settings.media_thumbnail_side,  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class Variant:
    """One file served of a medium: ``original`` (and ``thumbnail`` for images)."""

    name: str
    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def describe(self) -> dict[str, object]:
        return {
            "bytes": len(self.data),
            "contentType": self.content_type,
            "width": self.width,
            "height": self.height,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Processed:
    """A checked upload: its ``kind`` (``image``, ``document``), the variants to store, and a
    safe file name to download it as."""

    kind: str
    filename: str
    variants: list[Variant] = field(default_factory=list)

    @property
    def original(self) -> Variant:
        return self.variants[0]


def process(data: bytes, filename: str | None, limits: MediaLimits) -> Processed:
    """Check ``data`` (see the module) and make its variants; :class:`MediaRefused` when it
    is not accepted."""
    if not data:
        raise MediaRefused(422, "empty_file", "the file is empty: send its bytes in 'file'")
    if data.startswith(b"%PDF-"):
        return _document(data, filename, limits)
    image = _open_image(data, limits)
    if image is None:
        raise MediaRefused(415, "unsupported_media_type", _unsupported(data))
    if len(data) > limits.max_image_bytes:
        raise MediaRefused(
            413,
            "too_large",
            f"the image is {len(data)} bytes; the most is {limits.max_image_bytes}: "
            "send a smaller or more compressed one",
            setting="BOCAGE_MEDIA_MAX_IMAGE_BYTES",
            limit=limits.max_image_bytes,
        )
    return _image(image, filename, limits)


def _unsupported(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in data[:4096].lower()):
        return "SVG is not accepted (it can carry scripts): send the image as PNG, JPEG or WebP"
    return (
        "only JPEG, PNG, WebP and GIF images and PDF documents are accepted; the bytes sent "
        "are none of these (the type is read from the file, not from its name)"
    )


def _open_image(data: bytes, limits: MediaLimits) -> Image.Image | None:
    """The image Pillow reads from ``data`` with the accepted decoders (header only)."""
    try:
        return Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except Image.DecompressionBombError:  # above Pillow's own bound (and so above ours)
        raise MediaRefused(
            413,
            "too_many_pixels",
            "the image has far too many pixels: scale it down before sending it",
            setting="BOCAGE_MEDIA_MAX_PIXELS",
            limit=limits.max_pixels,
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def _image(image: Image.Image, filename: str | None, limits: MediaLimits) -> Processed:
    width, height = image.size
    if width < 1 or height < 1 or width * height > limits.max_pixels:
        raise MediaRefused(
            413,
            "too_many_pixels",
            f"the image is {width}x{height} pixels ({width * height}); the most is "
            f"{limits.max_pixels} pixels: scale it down before sending it",
            setting="BOCAGE_MEDIA_MAX_PIXELS",
            limit=limits.max_pixels,
        )
    mime, encoder, extension = IMAGE_FORMATS[str(image.format)]
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own MAX_IMAGE_PIXELS: ours was checked already.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError):
        raise MediaRefused(
            422, "unreadable_image", "the image cannot be decoded (truncated or damaged)"
        ) from None
    pixels = _pixels_only(image, encoder)
    original = _variant("original", pixels, limits.image_max_side, mime, encoder)
    thumbnail = _variant("thumbnail", pixels, limits.thumbnail_side, mime, encoder)
    return Processed(
        kind="image",
        filename=safe_filename(filename, extension),
        variants=[original, thumbnail],
    )


def _pixels_only(image: Image.Image, encoder: str) -> Image.Image:
    """A new image of ``image``'s pixels alone: no ``info`` (EXIF, XMP, ICC, comments)."""
    mode = image.mode
    if encoder == "JPEG":
        mode = "RGB" if mode not in ("L", "RGB") else mode
    elif mode not in ("1", "L", "LA", "RGB", "RGBA"):
        mode = "RGBA" if "A" in mode or "transparency" in image.info else "RGB"
    converted = image.convert(mode) if image.mode != mode else image
    clean = Image.new(mode, converted.size)  # a new image: its ``info`` is empty
    clean.paste(converted)
    return clean


def _variant(name: str, image: Image.Image, side: int, mime: str, encoder: str) -> Variant:
    """``image`` scaled down (never up) to ``side`` pixels at most, encoded."""
    width, height = image.size
    scaled = image
    if max(width, height) > side:
        ratio = side / max(width, height)
        size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
        scaled = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if encoder in ("JPEG", "WEBP") else {}
    scaled.save(out, format=encoder, **options)
    return Variant(name, out.getvalue(), mime, scaled.width, scaled.height)


def _document(data: bytes, filename: str | None, limits: MediaLimits) -> Processed:
    if len(data) > limits.max_document_bytes:
        raise MediaRefused(
            413,
            "too_large",
            f"the document is {len(data)} bytes; the most is {limits.max_document_bytes}: "
            "send a smaller one (export it with compressed images)",
            setting="BOCAGE_MEDIA_MAX_DOCUMENT_BYTES",
            limit=limits.max_document_bytes,
        )
    if b"%%EOF" not in data[-PDF_TAIL:]:
        raise MediaRefused(
            422, "unreadable_document", "the PDF is incomplete (no %%EOF at its end)"
        )
    return Processed(
        kind="document",
        filename=safe_filename(filename, "pdf"),
        variants=[Variant("original", data, PDF)],
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None, extension: str) -> str:
    """A name to download a file as, made from the client's: its last path component only,
    ASCII letters, digits and ``. _ -`` (others become ``-``), at most 100 characters, with
    the extension of what the file really is (``../../etc/passwd`` becomes ``passwd.pdf``)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("-", stem).strip(" .-")[:100] or "file"
    return f"{stem}.{extension}"
