"""Small pictures for the inspector: probe uploads, thumbnail inputs and returned masks, compose overlays.

Pillow is imported on first use, so a server that never sees an image never pays for it. Everything here is
bounded: images claiming more than ``MAX_PIXELS`` are described but never decoded, thumbnails are at most
``THUMB`` pixels on a side, and a JSON body is searched for base64 images only up to ``MAX_SCAN`` bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

THUMB = 256
MAX_PIXELS = 40_000_000
MAX_SCAN = 8_000_000
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
B64_PREFIXES = ("iVBORw0KGgo", "/9j/", "UklGR")


@dataclass(frozen=True)
class Picture:
    """A thumbnail PNG and what it shows: the ``input``, a ``mask`` (from alpha or grey levels) or an
    ``image`` (an opaque colour output, shown beside the input rather than over it)."""

    kind: str
    png: bytes


def describe(data: bytes) -> dict[str, Any]:
    """``{bytes, sha256, width, height, format}`` for an upload (size from the header only)."""
    out: dict[str, Any] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    size = probe(data)
    if size is not None:
        out.update(width=size[0], height=size[1], format=size[2])
    return out


def probe(data: bytes) -> tuple[int, int, str] | None:
    if not looks_like_image(data):
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.width, img.height, (img.format or "").lower()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def looks_like_image(data: bytes) -> bool:
    if data[:4] == b"RIFF":
        return data[8:12] == b"WEBP"
    return data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff"


def input_thumbnail(data: bytes) -> bytes | None:
    """A JPEG of at most ``THUMB`` px a side (photos compress ten times better than as PNG)."""
    img = _open(data)
    if img is None:
        return None
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def may_hold_images(content_type: str, body: bytes) -> bool:
    """Whether :func:`outputs` could find anything: a cheap test, so a plain JSON answer costs no hand-off."""
    mimetype = _media_type(content_type)
    if mimetype in IMAGE_TYPES or mimetype.startswith("multipart/"):
        return True
    return (mimetype == "application/json" and len(body) <= MAX_SCAN
            and any(p.encode() in body for p in B64_PREFIXES))


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def outputs(content_type: str, body: bytes) -> list[Picture]:
    """Thumbnails of every image a response carries (image bodies, multipart ``output`` parts, base64 JSON)."""
    pictures = []
    for data in _images_in(content_type, body):
        img = _open(data)
        if img is not None:
            pictures.append(_as_output(img))
    return pictures


def _images_in(content_type: str, body: bytes) -> Iterator[bytes]:
    if not may_hold_images(content_type, body):
        return
    mimetype = _media_type(content_type)
    if mimetype in IMAGE_TYPES:
        yield body
    elif mimetype.startswith("multipart/"):
        from werkzeug.http import parse_options_header

        from contracts.wire.rawmultipart import split

        boundary = parse_options_header(content_type)[1].get("boundary")
        parsed = split(body, boundary) if boundary else None
        for part in parsed.parts if parsed else ():
            if looks_like_image(part.data) and (part.name in (None, "output") or part.name.startswith("output")):
                yield part.data
    else:  # JSON that carries a base64 image's opening bytes
        try:
            yield from _base64_images(json.loads(body))
        except ValueError:
            return


def _base64_images(node: Any) -> Iterator[bytes]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _base64_images(value)
    elif isinstance(node, list):
        for value in node:
            yield from _base64_images(value)
    elif isinstance(node, str) and node.startswith(B64_PREFIXES):
        try:
            yield base64.b64decode(node, validate=True)
        except (binascii.Error, ValueError):
            return


def _open(data: bytes) -> Any:
    size = probe(data)
    if size is None or size[0] * size[1] > MAX_PIXELS:
        return None
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
        if img.format == "JPEG":
            img.draft("RGB", (THUMB, THUMB))
        img.thumbnail((THUMB, THUMB))
        img.load()
        return img
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _as_output(img: Any) -> Picture:
    bands = img.getbands()
    if img.mode == "P" and "transparency" in img.info:
        img, bands = img.convert("RGBA"), ("R", "G", "B", "A")
    if "A" in bands:
        return Picture("mask", _png(img.getchannel("A")))
    if img.mode in ("1", "L", "I", "I;16", "F"):
        return Picture("mask", _png(img.convert("L")))
    return Picture("image", _png(img.convert("RGB")))


def _png(img: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def overlay(input_thumb: bytes | None, output: Picture, tint: tuple[int, int, int] = (255, 0, 170)) -> bytes:
    """The input with the mask painted over it (tinted inside, dimmed outside); a mask without an input is
    shown on a checkerboard; an opaque output image is returned as it is."""
    from PIL import Image

    if output.kind != "mask":
        return output.png
    mask = Image.open(io.BytesIO(output.png)).convert("L")
    if input_thumb is None:
        base = _checkerboard(mask.size)
    else:
        base = Image.open(io.BytesIO(input_thumb)).convert("RGB")
        if mask.size != base.size:
            mask = mask.resize(base.size, Image.Resampling.BILINEAR)
    dimmed = Image.blend(base, Image.new("RGB", base.size, (0, 0, 0)), 0.55)
    tinted = Image.blend(base, Image.new("RGB", base.size, tint), 0.45)
    return _png(Image.composite(tinted, dimmed, mask))


def _checkerboard(size: tuple[int, int]) -> Any:
    from PIL import Image

    img = Image.new("RGB", size, (200, 200, 200))
    cell = 16
    for y in range(0, size[1], cell):
        for x in range((y // cell) % 2 * cell, size[0], 2 * cell):
            img.paste((240, 240, 240), (x, y, x + cell, y + cell))
    return img
